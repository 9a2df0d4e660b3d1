// REQUIRES: cuda-toolkit
// RUN: softmax-opt %s --softmax-gpu-pipeline="format=ptx" --mlir-print-ir-after=softmax-gpu-device-memory --split-input-file -o /dev/null 2>&1 | FileCheck %s

// A softmax's result written in place by a later op while a second softmax
// still reads it: the fill gets a buffer of its own, and the second
// softmax reads the first one's output.
// CHECK-LABEL: func.func @overwritten(
// CHECK: %[[Y:.*]], %{{.*}} = gpu.alloc async
// CHECK: gpu.launch_func @softmax_kernels::@overwritten_softmax_0 {{.*}} args(%arg0 : memref<4x64xf32>, %[[Y]] : memref<4x64xf32>)
// CHECK: %[[F:.*]], %{{.*}} = gpu.alloc async
// CHECK-NOT: %[[Y]]
// CHECK: gpu.launch_func @softmax_kernels::@overwritten_kernel_0 {{.*}} args(%[[F]] : memref<4x64xf32>)
// CHECK: gpu.launch_func @softmax_kernels::@overwritten_softmax_1 {{.*}} args(%[[Y]] : memref<4x64xf32>,
func.func @overwritten(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x64xf32>
  %z = arith.constant 0.0 : f32
  %f = linalg.fill ins(%z : f32) outs(%y : tensor<4x64xf32>) -> tensor<4x64xf32>
  %w = softmax.softmax %y dim(1) : tensor<4x64xf32>
  %e = tensor.empty() : tensor<4x64xf32>
  %s = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%f, %w : tensor<4x64xf32>, tensor<4x64xf32>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.addf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x64xf32>
  return %s : tensor<4x64xf32>
}

// -----

// A constant mask reaches the softmax kernel as a view of a device copy
// of the global, made when the call starts.
// CHECK-LABEL: func.func @masked(
// CHECK: %[[G:.*]] = memref.get_global @__constant_16x16xi1
// CHECK: %[[M:.*]], %{{.*}} = gpu.alloc async {{.*}} () : memref<16x16xi1>
// CHECK: gpu.memcpy async {{.*}} %[[M]], %[[G]]
// CHECK: %[[FLAT:.*]] = memref.collapse_shape %[[M]]
// CHECK: gpu.launch_func @softmax_kernels::@masked_softmax_0 {{.*}} args(%{{.*}} : memref<32x16xf32>, %[[FLAT]] : memref<256xi1>,
// CHECK: gpu.dealloc async {{.*}} %[[M]]
func.func @masked(%x: tensor<2x16x16xf32>) -> tensor<2x16x16xf32> {
  %m = arith.constant dense<true> : tensor<16x16xi1>
  %y = softmax.softmax %x mask(%m : tensor<16x16xi1>) dim(2) : tensor<2x16x16xf32>
  return %y : tensor<2x16x16xf32>
}

// -----

// An empty tensor's ops launch nothing; a scalar read from a softmax's
// output and written to a rank-0 buffer runs as one thread, as does its
// copy into the result.
// CHECK-LABEL: func.func @scalar(
// CHECK: gpu.launch_func @softmax_kernels::@scalar_softmax_0
// CHECK: %[[S:.*]], %{{.*}} = gpu.alloc async {{.*}} () : memref<f32>
// CHECK: gpu.launch_func @softmax_kernels::@scalar_kernel_0 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%{{.*}} : memref<4x64xf32>, %[[S]] : memref<f32>)
// CHECK: gpu.launch_func @softmax_kernels::@scalar_kernel_1 blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%[[S]] : memref<f32>, %arg2 : memref<f32>)
// CHECK-NOT: gpu.launch_func
// CHECK: return
func.func @scalar(%x: tensor<4x64xf32>, %empty: tensor<0x8xf32>) -> (tensor<f32>, tensor<0x8xf32>) {
  %c0 = arith.constant 0 : index
  %y = softmax.softmax %x dim(1) : tensor<4x64xf32>
  %e = tensor.extract %y[%c0, %c0] : tensor<4x64xf32>
  %t = tensor.from_elements %e : tensor<f32>
  %z = arith.addf %empty, %empty : tensor<0x8xf32>
  return %t, %z : tensor<f32>, tensor<0x8xf32>
}
