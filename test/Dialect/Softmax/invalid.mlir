// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @dim_too_large(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.softmax' op dim 2 is out of range for a tensor of rank 2 (expected 0 <= dim < 2)}}
  %y = softmax.softmax %x dim(2) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @dim_negative(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.log_softmax' op dim -1 is out of range for a tensor of rank 2}}
  %y = "softmax.log_softmax"(%x) <{dim = -1 : i64}> : (tensor<4x8xf32>) -> tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @integer(%x: tensor<4xi32>) -> tensor<4xi32> {
  // expected-error @+1 {{'softmax.softmax' op expects an element type of f16, bf16, f32 or f64, but got 'i32'}}
  %y = softmax.softmax %x dim(0) : tensor<4xi32>
  return %y : tensor<4xi32>
}

// -----

func.func @unranked(%x: tensor<*xf32>) -> tensor<*xf32> {
  // expected-error @+1 {{'softmax.softmax' op expects a ranked tensor, but got 'tensor<*xf32>'}}
  %y = softmax.softmax %x dim(0) : tensor<*xf32>
  return %y : tensor<*xf32>
}

// -----

func.func @rank_zero(%x: tensor<f32>) -> tensor<f32> {
  // expected-error @+1 {{'softmax.log_softmax' op expects a tensor of rank at least 1, but got 'tensor<f32>'}}
  %y = softmax.log_softmax %x dim(0) : tensor<f32>
  return %y : tensor<f32>
}

// -----

func.func @type_mismatch(%x: tensor<4xf32>) -> tensor<4xf16> {
  // expected-error @+1 {{'softmax.softmax' op failed to verify that all of {input, output} have same type}}
  %y = "softmax.softmax"(%x) <{dim = 0 : i64}> : (tensor<4xf32>) -> tensor<4xf16>
  return %y : tensor<4xf16>
}

// -----

func.func @shape_mismatch(%x: tensor<4xf32>) -> tensor<?xf32> {
  // expected-error @+1 {{'softmax.softmax' op failed to verify that all of {input, output} have same type}}
  %y = "softmax.softmax"(%x) <{dim = 0 : i64}> : (tensor<4xf32>) -> tensor<?xf32>
  return %y : tensor<?xf32>
}

// -----

func.func @memref(%x: memref<4xf32>) {
  // expected-error @+1 {{'softmax.softmax' op operand #0 must be tensor of any type values, but got 'memref<4xf32>'}}
  %y = "softmax.softmax"(%x) <{dim = 0 : i64}> : (memref<4xf32>) -> memref<4xf32>
  return
}

// -----

func.func @missing_dim(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'softmax.softmax' op requires attribute 'dim'}}
  %y = "softmax.softmax"(%x) : (tensor<4xf32>) -> tensor<4xf32>
  return %y : tensor<4xf32>
}
