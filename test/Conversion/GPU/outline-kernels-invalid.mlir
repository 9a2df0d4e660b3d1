// RUN: softmax-opt %s --softmax-gpu-outline-kernels --split-input-file --verify-diagnostics

func.func @async(%out: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %z = arith.constant 0.0 : f32
  // expected-error @below {{asynchronous gpu.launch ops are not supported}}
  %t = gpu.launch async blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
    memref.store %z, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  gpu.wait [%t]
  return
}

// -----

// A global whose name a kernel of @softmax_kernels already has.
module attributes {gpu.container_module} {
  memref.global "private" constant @taken : memref<4xf32> = dense<1.0>
  func.func @clash(%out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    // expected-error @below {{'taken' names a kernel in @softmax_kernels, not a global}}
    %w = memref.get_global @taken : memref<4xf32>
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      %v = memref.load %w[%tx] : memref<4xf32>
      memref.store %v, %out[%tx] : memref<4xf32>
      gpu.terminator
    }
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @taken() kernel {
      gpu.return
    }
  }
}
