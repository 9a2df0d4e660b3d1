// RUN: softmax-opt %s | FileCheck %s
// RUN: softmax-opt %s | softmax-opt | FileCheck %s
// RUN: softmax-opt %s --mlir-print-op-generic | softmax-opt | FileCheck %s

// Round trip of the custom form, every element type, static and dynamic dims.

// CHECK-LABEL: func.func @softmax_f32
// CHECK: softmax.softmax %{{.*}} dim(1) : tensor<?x8xf32>
func.func @softmax_f32(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// CHECK-LABEL: func.func @log_softmax_f64
// CHECK: softmax.log_softmax %{{.*}} dim(0) : tensor<5xf64>
func.func @log_softmax_f64(%x: tensor<5xf64>) -> tensor<5xf64> {
  %y = softmax.log_softmax %x dim(0) : tensor<5xf64>
  return %y : tensor<5xf64>
}

// CHECK-LABEL: func.func @half_types
// CHECK: softmax.softmax %{{.*}} dim(3) : tensor<2x?x4x?xf16>
// CHECK: softmax.log_softmax %{{.*}} dim(2) : tensor<?x?x?xbf16>
func.func @half_types(%a: tensor<2x?x4x?xf16>, %b: tensor<?x?x?xbf16>)
    -> (tensor<2x?x4x?xf16>, tensor<?x?x?xbf16>) {
  %0 = softmax.softmax %a dim(3) : tensor<2x?x4x?xf16>
  %1 = softmax.log_softmax %b dim(2) : tensor<?x?x?xbf16>
  return %0, %1 : tensor<2x?x4x?xf16>, tensor<?x?x?xbf16>
}

// The generic form with only the input operand is part of the contract.
// CHECK-LABEL: func.func @generic_form
// CHECK: softmax.softmax %{{.*}} dim(1) : tensor<?x8xf32>
func.func @generic_form(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = "softmax.softmax"(%x) <{dim = 1 : i64}> : (tensor<?x8xf32>) -> tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}
