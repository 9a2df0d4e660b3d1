// RUN: softmax-opt %s --softmax-gpu-outline-kernels --split-input-file | FileCheck %s

// A launch's body becomes a kernel of @softmax_kernels (created here),
// named after its function; the constants and the weights it reads go
// into the kernel, the global itself into the kernels' module, so the
// kernel reads the device's copy.
// CHECK: module attributes {gpu.container_module}
// CHECK: memref.global "private" constant @weights : memref<4xf32> = dense<[1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00]>
// CHECK-LABEL: func.func @f(
// CHECK: gpu.launch_func @softmax_kernels::@f_kernel_0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%arg0 : memref<4xf32>)
// CHECK: gpu.launch_func @softmax_kernels::@f_kernel_1
// CHECK: gpu.module @softmax_kernels
// CHECK: gpu.func @f_kernel_0(%[[OUT:.*]]: memref<4xf32>) kernel
// CHECK: %[[W:.*]] = memref.get_global @weights : memref<4xf32>
// CHECK: %[[V:.*]] = memref.load %[[W]][%{{.*}}]
// CHECK: memref.store %[[V]], %[[OUT]][%{{.*}}]
// CHECK: memref.global "private" constant @weights
// CHECK: gpu.func @f_kernel_1
memref.global "private" constant @weights : memref<4xf32> = dense<[1.0, 2.0, 3.0, 4.0]>
func.func @f(%out: memref<4xf32>) {
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %w = memref.get_global @weights : memref<4xf32>
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %w[%tx] : memref<4xf32>
    memref.store %v, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c4, %sy = %c1, %sz = %c1) {
    %v = memref.load %out[%tx] : memref<4xf32>
    %d = arith.addf %v, %v : f32
    memref.store %d, %out[%tx] : memref<4xf32>
    gpu.terminator
  }
  return
}

// -----

// The softmax kernels' module takes the outlined kernels too (one binary);
// a name already taken there is made unique.
// CHECK-LABEL: func.func @g(
// CHECK: gpu.launch_func @softmax_kernels::@g_kernel_0_0
// CHECK: gpu.module @softmax_kernels
// CHECK: gpu.func @g_kernel_0() kernel
// CHECK: gpu.func @g_kernel_0_0(
module attributes {gpu.container_module} {
  func.func @g(%out: memref<4xf32>) {
    %c1 = arith.constant 1 : index
    %z = arith.constant 0.0 : f32
    gpu.launch blocks(%bx, %by, %bz) in (%gx = %c1, %gy = %c1, %gz = %c1) threads(%tx, %ty, %tz) in (%sx = %c1, %sy = %c1, %sz = %c1) {
      memref.store %z, %out[%tx] : memref<4xf32>
      gpu.terminator
    }
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @g_kernel_0() kernel {
      gpu.return
    }
  }
}
