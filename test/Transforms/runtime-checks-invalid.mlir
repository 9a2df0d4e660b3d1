// RUN: softmax-opt %s --softmax-runtime-checks --verify-diagnostics | FileCheck %s

// Functions not in softmax-export-c-abi's form are left alone, without a
// diagnostic: an external declaration, a wrapper with two calls, one whose
// input is not a to_tensor of a parameter, a function without the C
// interface.
// CHECK-NOT: scf.if
// CHECK-NOT: __softmax_mlir_report_error
func.func private @impl(%x: tensor<4xf32>) -> tensor<4xf32>
func.func private @external(%x: memref<4xf32>) attributes {llvm.emit_c_interface}
func.func @two_calls(%x: memref<4xf32>, %o: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %t = bufferization.to_tensor %x restrict : memref<4xf32> to tensor<4xf32>
  %a = func.call @impl(%t) : (tensor<4xf32>) -> tensor<4xf32>
  %b = func.call @impl(%a) : (tensor<4xf32>) -> tensor<4xf32>
  bufferization.materialize_in_destination %b in restrict writable %o : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}
func.func @constant_input(%o: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %t = arith.constant dense<1.0> : tensor<4xf32>
  %a = func.call @impl(%t) : (tensor<4xf32>) -> tensor<4xf32>
  bufferization.materialize_in_destination %a in restrict writable %o : (tensor<4xf32>, memref<4xf32>) -> ()
  return
}
func.func @plain(%x: memref<4xf32>) {
  return
}
