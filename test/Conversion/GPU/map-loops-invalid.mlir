// RUN: softmax-opt %s --pass-pipeline="builtin.module(func.func(softmax-gpu-map-loops))" --split-input-file --verify-diagnostics

// The host needs a value read from device memory (a launch's grid).
module attributes {gpu.container_module} {
  func.func @host_reads(%x: memref<4xindex>, %y: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c0 = arith.constant 0 : index
    %c1 = arith.constant 1 : index
    // expected-error @below {{the GPU pipeline runs every computation over buffers on the device, but the host uses this op's result}}
    %n = memref.load %x[%c0] : memref<4xindex>
    gpu.launch_func @softmax_kernels::@k blocks in (%n, %c1, %c1) threads in (%c1, %c1, %c1) args(%y : memref<4xf32>)
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @k(%y: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

func.func @tensors(%x: tensor<4xf32>) -> tensor<4xf32> attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  // expected-error @below {{the GPU pipeline found a linalg op on tensors after bufferization}}
  %y = linalg.fill ins(%z : f32) outs(%x : tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @reduction_loop(%x: memref<4xf32>, %s: memref<f32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %z = arith.constant 0.0 : f32
  // expected-error @below {{the GPU pipeline maps parallel loops without reductions only}}
  %r = scf.parallel (%i) = (%c0) to (%c4) step (%c1) init (%z) -> f32 {
    %v = memref.load %x[%i] : memref<4xf32>
    scf.reduce(%v : f32) {
    ^bb0(%l: f32, %rr: f32):
      %a = arith.addf %l, %rr : f32
      scf.reduce.return %a : f32
    }
  }
  memref.store %r, %s[] : memref<f32>
  return
}

// -----

func.func private @ext(memref<4xf32>)
func.func @calls(%x: memref<4xf32>) attributes {llvm.emit_c_interface} {
  // expected-error @below {{the GPU pipeline cannot run 'func.call' on the device, and the host cannot touch device memory}}
  func.call @ext(%x) : (memref<4xf32>) -> ()
  return
}
