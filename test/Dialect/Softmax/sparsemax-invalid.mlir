// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.sparsemax' op dim 2 is out of range for a tensor of rank 2 (expected 0 <= dim < 2)}}
  %y = softmax.sparsemax %x dim(2) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'softmax.sparsemax' op expects an element type of f16, bf16, f32 or f64, but got 'i32'}}
  %y = softmax.sparsemax %x dim(0) : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @grad_types(%y: tensor<4x8xf32>, %dy: tensor<4x8xf64>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.sparsemax_grad' op failed to verify that all of {output, output_grad, input_grad} have same type}}
  %dx = "softmax.sparsemax_grad"(%y, %dy) <{dim = 1 : i64}> : (tensor<4x8xf32>, tensor<4x8xf64>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}
