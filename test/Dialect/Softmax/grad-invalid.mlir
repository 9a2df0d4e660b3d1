// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @mismatched_types(%y: tensor<4x8xf32>, %dy: tensor<4x8xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.softmax_grad' op failed to verify that all of {output, output_grad, input_grad} have same type}}
  %dx = "softmax.softmax_grad"(%y, %dy) <{dim = 1 : i64}> : (tensor<4x8xf32>, tensor<4x8xf16>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @mismatched_shapes(%y: tensor<4x8xf32>, %dy: tensor<4x?xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.log_softmax_grad' op failed to verify that all of {output, output_grad, input_grad} have same type}}
  %dx = "softmax.log_softmax_grad"(%y, %dy) <{dim = 1 : i64}> : (tensor<4x8xf32>, tensor<4x?xf32>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @dim_too_large(%y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.softmax_grad' op dim 2 is out of range for a tensor of rank 2 (expected 0 <= dim < 2)}}
  %dx = softmax.softmax_grad %y, %y dim(2) : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @integer(%y: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'softmax.log_softmax_grad' op expects an element type of f16, bf16, f32 or f64, but got 'i32'}}
  %dx = softmax.log_softmax_grad %y, %y dim(0) : tensor<4xi32>
  return %dx : tensor<4xi32>
}

// -----

func.func @unranked(%y: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'softmax.softmax_grad' op expects a ranked tensor, but got 'tensor<*xf32>'}}
  %dx = softmax.softmax_grad %y, %y dim(0) : tensor<*xf32>
  return %dx : tensor<*xf32>
}

// -----

func.func @rank0(%y: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'softmax.softmax_grad' op expects a tensor of rank at least 1, but got 'tensor<f32>'}}
  %dx = softmax.softmax_grad %y, %y dim(0) : tensor<f32>
  return %dx : tensor<f32>
}
