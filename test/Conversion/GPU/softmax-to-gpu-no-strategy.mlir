// RUN: softmax-opt %s --softmax-export-c-abi --inline --canonicalize \
// RUN:   --convert-softmax-to-gpu --verify-diagnostics

// Without softmax-gpu-strategy (or a pinned strategy) the conversion does
// not guess.
func.func @no_strategy(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @below {{no GPU strategy for this op (softmax.gpu_strategy is set by softmax-gpu-strategy on ops over ranked tensors)}}
  %y = softmax.softmax %x dim(1) : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
