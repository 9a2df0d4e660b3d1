// RUN: softmax-opt %s --softmax-vectorize --split-input-file --verify-diagnostics

// A pinned row form the loops do not know.
func.func @bad_form(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax-vectorize: softmax.row_form must be "rows", "groups" or "split"}}
  %y = softmax.softmax %x dim(1) {softmax.row_form = "columns"} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A pinned pass form the loops do not know.
func.func @bad_pass_form(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax-vectorize: softmax.pass_form must be "three_pass" or "online"}}
  %y = softmax.log_softmax %x dim(1) {softmax.pass_form = "two_pass"} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// A pinned store form the loops do not know.
func.func @bad_store_form(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax-vectorize: softmax.store_form must be "cached" or "nontemporal"}}
  %y = softmax.log_softmax %x dim(1) {softmax.store_form = "streaming"} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @bad_grad_store_form(%y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{softmax-vectorize: softmax.store_form must be "cached" or "nontemporal"}}
  %g = softmax.softmax_grad %y, %y dim(1) {softmax.store_form = "streaming"} : tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}
