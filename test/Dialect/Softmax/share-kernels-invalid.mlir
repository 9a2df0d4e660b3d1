// RUN: softmax-opt %s --softmax-share-kernels="min-uses=0" --verify-diagnostics

// expected-error @+1 {{softmax-share-kernels: min-uses must be at least 1}}
module {
  func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = softmax.softmax %x dim(1) : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
