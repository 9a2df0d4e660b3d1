// RUN: softmax-opt %s --softmax-gpu-device-memory --split-input-file --verify-diagnostics

// The host reads a device buffer.
func.func @host_load(%x: memref<4xf32>, %y: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  // expected-error @below {{'memref.load' would touch device memory on the host (the GPU pipeline found no kernel for it)}}
  %v = memref.load %x[%c0] : memref<4xf32>
  memref.store %v, %y[%c0] : memref<4xf32>
  return
}

// -----

// The host writes a buffer it allocated (device memory, through a view).
func.func @host_store(%x: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %z = arith.constant 0.0 : f32
  %a = memref.alloc() : memref<2x4xf32>
  %v = memref.subview %a[0, 0] [1, 4] [1, 1] : memref<2x4xf32> to memref<4xf32, strided<[1]>>
  // expected-error @below {{'memref.store' would touch device memory on the host (the GPU pipeline found no kernel for it)}}
  memref.store %z, %v[%c0] : memref<4xf32, strided<[1]>>
  return
}

// -----

module attributes {gpu.container_module} {
  func.func @dynamic(%x: memref<?xf32>) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    // expected-error @below {{the GPU pipeline compiles the ops around softmax for static shapes only (a kernel here would take 'memref<?xf32>')}}
    gpu.launch_func @softmax_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<?xf32>)
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @k(%x: memref<?xf32>) kernel {
      gpu.return
    }
  }
}

// -----

func.func @nested_alloc(%x: memref<4xf32>, %b: i1) attributes {llvm.emit_c_interface} {
  scf.if %b {
    // expected-error @below {{the GPU pipeline allocates buffers in a function's body only, not in a nested region}}
    %a = memref.alloc() : memref<4xf32>
  }
  return
}

// -----

func.func @freed(%x: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %a = memref.alloc() : memref<4xf32>
  // expected-error @below {{the GPU pipeline frees the buffers it allocates itself}}
  memref.dealloc %a : memref<4xf32>
  return
}

// -----

module attributes {gpu.container_module} {
  func.func @strided(%x: memref<4x8xf32>) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %v = memref.subview %x[0, 0] [4, 4] [1, 1] : memref<4x8xf32> to memref<4x4xf32, strided<[8, 1]>>
    // expected-error @below {{the GPU pipeline passes its kernels whole buffers (the identity layout), not 'memref<4x4xf32, strided<[8, 1]>>'}}
    gpu.launch_func @softmax_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%v : memref<4x4xf32, strided<[8, 1]>>)
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @k(%x: memref<4x4xf32, strided<[8, 1]>>) kernel {
      gpu.return
    }
  }
}

// -----

module attributes {gpu.container_module} {
  func.func @stack(%x: memref<4xf32>) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %a = memref.alloca() : memref<4xf32>
    // expected-error @below {{the GPU pipeline would pass a kernel a buffer on the host stack}}
    gpu.launch_func @softmax_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%a : memref<4xf32>)
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @k(%x: memref<4xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// A host load through a buffer of unknown origin (a select of two device
// buffers) is a host access of device memory too.
func.func @selected(%a: memref<4xf32>, %b: memref<4xf32>, %c: i1, %o: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %m = arith.select %c, %a, %b : memref<4xf32>
  // expected-error @below {{'memref.load' would touch device memory on the host (the GPU pipeline found no kernel for it)}}
  %v = memref.load %m[%c0] : memref<4xf32>
  memref.store %v, %o[%c0] : memref<4xf32>
  return
}
