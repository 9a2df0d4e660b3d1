// RUN: softmax-opt %s --softmax-decompose --split-input-file --verify-diagnostics

// The pass never sees an op the verifier rejects: the error comes first.
func.func @bad_dim(%x: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'softmax.softmax' op dim 1 is out of range for a tensor of rank 1}}
  %y = softmax.softmax %x dim(1) : tensor<4xf32>
  return %y : tensor<4xf32>
}

// -----

func.func @bad_type(%x: tensor<4xi8>) -> tensor<4xi8> {
  // expected-error @+1 {{'softmax.log_softmax' op expects an element type of f16, bf16, f32 or f64, but got 'i8'}}
  %y = softmax.log_softmax %x dim(0) : tensor<4xi8>
  return %y : tensor<4xi8>
}
