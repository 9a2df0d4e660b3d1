// RUN: softmax-opt %s --softmax-vectorize="left-pack=neon" --verify-diagnostics

// expected-error @+1 {{softmax-vectorize: left-pack must be none, avx2 or avx512, not 'neon'}}
module {
  func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = softmax.sparsemax %x dim(1) : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
