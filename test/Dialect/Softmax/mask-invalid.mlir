// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @mask_rank(%x: tensor<4x8xf32>, %m: tensor<2x4x8xi1>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.softmax' op expects a mask of rank at most 2, but got 'tensor<2x4x8xi1>'}}
  %y = softmax.softmax %x mask(%m : tensor<2x4x8xi1>) dim(1) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @mask_shape(%x: tensor<4x8xf32>, %m: tensor<3x8xi1>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.softmax' op mask 'tensor<3x8xi1>' does not broadcast against the input 'tensor<4x8xf32>': its dim 0 is 3, not 1 or 4}}
  %y = softmax.softmax %x mask(%m : tensor<3x8xi1>) dim(1) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @mask_type(%x: tensor<4x8xf32>, %m: tensor<8xi32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.log_softmax' op expects a mask of i1 or f16, bf16, f32 or f64 elements as a ranked tensor, but got 'tensor<8xi32>'}}
  %y = softmax.log_softmax %x mask(%m : tensor<8xi32>) dim(1) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

func.func @causal_rank(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'softmax.softmax' op causal expects a tensor of rank at least 2, but got 'tensor<8xf32>'}}
  %y = softmax.softmax %x dim(0) {causal} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @scale(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'softmax.softmax' op expects a finite scale, but got nan}}
  %y = softmax.softmax %x dim(0) {scale = 0x7FF8000000000000 : f64} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @scale_type(%x: tensor<8xf32>) -> tensor<8xf32> {
  // expected-error @+1 {{'softmax.softmax' op attribute 'scale' failed to satisfy constraint: 64-bit float attribute}}
  %y = softmax.softmax %x dim(0) {scale = 2.0 : f32} : tensor<8xf32>
  return %y : tensor<8xf32>
}

// -----

func.func @unranked_mask(%x: tensor<8xf32>, %m: tensor<*xi1>) -> tensor<8xf32> {
  // expected-error @+1 {{'softmax.softmax' op expects a mask of i1 or f16, bf16, f32 or f64 elements as a ranked tensor, but got 'tensor<*xi1>'}}
  %y = softmax.softmax %x mask(%m : tensor<*xi1>) dim(0) : tensor<8xf32>
  return %y : tensor<8xf32>
}
