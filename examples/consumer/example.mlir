// A linalg.softmax that consumer-opt raises (softmax-raise) and decomposes
// (softmax-decompose) with softmax-mlir's passes.
func.func @probabilities(%logits: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %init = tensor.empty() : tensor<4x10xf32>
  %p = linalg.softmax dimension(1) ins(%logits : tensor<4x10xf32>)
                                   outs(%init : tensor<4x10xf32>) -> tensor<4x10xf32>
  return %p : tensor<4x10xf32>
}
