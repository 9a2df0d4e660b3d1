// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @alpha_one(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax' op expects a finite alpha > 1, but got 1.000000e+00}}
  %y = softmax.entmax %x dim(1) alpha(1.0) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @alpha_inf(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax' op expects a finite alpha > 1, but got INF}}
  %y = "softmax.entmax"(%x) <{alpha = 0x7FF0000000000000 : f64, dim = 1 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @alpha_nan(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax' op expects a finite alpha > 1}}
  %y = "softmax.entmax"(%x) <{alpha = 0x7FF8000000000000 : f64, dim = 1 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @alpha_missing(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax' op requires attribute 'alpha'}}
  %y = "softmax.entmax"(%x) <{dim = 1 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @dim(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax' op dim 2 is out of range for a tensor of rank 2 (expected 0 <= dim < 2)}}
  %y = softmax.entmax %x dim(2) alpha(1.5) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'softmax.entmax' op expects an element type of f16, bf16, f32 or f64, but got 'i32'}}
  %y = softmax.entmax %x dim(0) alpha(1.5) : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @grad_alpha(%y: tensor<4x8xf32>, %dy: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax_grad' op expects a finite alpha > 1, but got 5.000000e-01}}
  %dx = softmax.entmax_grad %y, %dy dim(1) alpha(0.5) : tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @grad_types(%y: tensor<4x8xf32>, %dy: tensor<4x8xf16>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.entmax_grad' op failed to verify that all of {output, output_grad, input_grad} have same type}}
  %dx = "softmax.entmax_grad"(%y, %dy) <{alpha = 1.5 : f64, dim = 1 : i64}> : (tensor<4x8xf32>, tensor<4x8xf16>) -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @grad_unranked(%y: tensor<*xf32>, %dy: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'softmax.entmax_grad' op expects a ranked tensor, but got 'tensor<*xf32>'}}
  %dx = softmax.entmax_grad %y, %dy dim(0) alpha(1.5) : tensor<*xf32>
  return %dx : tensor<*xf32>
}
