// RUN: softmax-opt %s --softmax-gpu-strategy --softmax-export-c-abi --inline \
// RUN:   --canonicalize --convert-softmax-to-gpu | FileCheck %s

// A family op that reads one argument twice launches its kernel on that
// buffer in both places, and the argument's to_tensor is erased once (the
// second erase was a use after free, found by softmax-fuzz-gpu-pipeline).
// CHECK-LABEL: func.func @same_operands(
// CHECK-SAME: %[[Y:.*]]: memref<4x8xf32>, %[[OUT:.*]]: memref<4x8xf32>
// CHECK-NOT: bufferization.to_tensor
// CHECK: gpu.launch_func @softmax_kernels::@same_operands_softmax_grad_0 {{.*}} args(%[[Y]] : memref<4x8xf32>, %[[Y]] : memref<4x8xf32>, %[[OUT]] : memref<4x8xf32>)
// CHECK-NOT: bufferization.to_tensor
// CHECK: return
func.func @same_operands(%y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = softmax.softmax_grad %y, %y dim(1) : tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}
