// RUN: softmax-opt %s | FileCheck %s
// RUN: softmax-opt %s | softmax-opt | FileCheck %s
// RUN: softmax-opt %s --mlir-print-op-generic | softmax-opt | FileCheck %s
// RUN: softmax-opt %s --mlir-print-op-generic | FileCheck %s --check-prefix=GENERIC

// The gradient ops parse, print and round-trip in both forms.
// CHECK-LABEL: func.func @grads
// CHECK: %[[A:.*]] = softmax.softmax_grad %arg0, %arg1 dim(1) : tensor<4x?xf32>
// CHECK: %[[B:.*]] = softmax.log_softmax_grad %arg2, %arg3 dim(0) : tensor<16xbf16>
// CHECK: softmax.softmax_grad %arg4, %arg4 dim(2) : tensor<2x3x5xf64>
// GENERIC: "softmax.softmax_grad"(%arg0, %arg1) <{dim = 1 : i64}> : (tensor<4x?xf32>, tensor<4x?xf32>) -> tensor<4x?xf32>
// GENERIC: "softmax.log_softmax_grad"(%arg2, %arg3) <{dim = 0 : i64}> : (tensor<16xbf16>, tensor<16xbf16>) -> tensor<16xbf16>
func.func @grads(%y: tensor<4x?xf32>, %dy: tensor<4x?xf32>,
                 %ly: tensor<16xbf16>, %ldy: tensor<16xbf16>,
                 %z: tensor<2x3x5xf64>)
    -> (tensor<4x?xf32>, tensor<16xbf16>, tensor<2x3x5xf64>) {
  %0 = softmax.softmax_grad %y, %dy dim(1) : tensor<4x?xf32>
  %1 = softmax.log_softmax_grad %ly, %ldy dim(0) : tensor<16xbf16>
  %2 = softmax.softmax_grad %z, %z dim(2) : tensor<2x3x5xf64>
  return %0, %1, %2 : tensor<4x?xf32>, tensor<16xbf16>, tensor<2x3x5xf64>
}
