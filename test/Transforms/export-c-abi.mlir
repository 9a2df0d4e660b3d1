// RUN: softmax-opt %s --softmax-export-c-abi | FileCheck %s

// Inputs, then one caller-allocated output per result; the body moves to a
// private function and calls inside the module are redirected to it.

// CHECK-LABEL: func.func private @f__softmax_impl
// CHECK-SAME: (%{{.*}}: tensor<?x8xf32>, %{{.*}}: tensor<8xf16>) -> (tensor<?x8xf32>, tensor<8xf16>)
// CHECK-LABEL: func.func @f
// CHECK-SAME: (%[[A:.*]]: memref<?x8xf32>, %[[B:.*]]: memref<8xf16>, %[[OUT0:.*]]: memref<?x8xf32>, %[[OUT1:.*]]: memref<8xf16>)
// CHECK-SAME: attributes {llvm.emit_c_interface}
// CHECK: %[[TA:.*]] = bufferization.to_tensor %[[A]] restrict : memref<?x8xf32> to tensor<?x8xf32>
// CHECK: %[[TB:.*]] = bufferization.to_tensor %[[B]] restrict : memref<8xf16> to tensor<8xf16>
// CHECK: %[[R:.*]]:2 = call @f__softmax_impl(%[[TA]], %[[TB]])
// CHECK: bufferization.materialize_in_destination %[[R]]#0 in restrict writable %[[OUT0]]
// CHECK: bufferization.materialize_in_destination %[[R]]#1 in restrict writable %[[OUT1]]
// CHECK: return
func.func @f(%x: tensor<?x8xf32>, %b: tensor<8xf16>) -> (tensor<?x8xf32>, tensor<8xf16>) {
  return %x, %b : tensor<?x8xf32>, tensor<8xf16>
}

// CHECK-LABEL: func.func private @caller__softmax_impl
// CHECK: call @f__softmax_impl
// CHECK-LABEL: func.func @caller
// CHECK-SAME: (%{{.*}}: memref<?x8xf32>, %{{.*}}: memref<?x8xf32>)
func.func @caller(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c = arith.constant dense<1.0> : tensor<8xf16>
  %r:2 = call @f(%x, %c) : (tensor<?x8xf32>, tensor<8xf16>) -> (tensor<?x8xf32>, tensor<8xf16>)
  return %r#0 : tensor<?x8xf32>
}

// A function without arguments or results is exported as it is.
// CHECK-LABEL: func.func @nothing()
// CHECK-SAME: attributes {llvm.emit_c_interface}
func.func @nothing() {
  return
}

// Private functions and declarations are not part of the ABI.
// CHECK-LABEL: func.func private @helper(%{{.*}}: tensor<4xf32>) -> tensor<4xf32>
// CHECK-NOT: llvm.emit_c_interface
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
// CHECK: func.func private @decl(tensor<4xf32>) -> tensor<4xf32>
func.func private @decl(tensor<4xf32>) -> tensor<4xf32>
