// RUN: softmax-opt %s --softmax-vectorize --verify-diagnostics

// A pinned row form the loops do not know.
func.func @bad_form(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax-vectorize: softmax.row_form must be "rows", "groups" or "split"}}
  %y = softmax.softmax %x dim(1) {softmax.row_form = "columns"} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
