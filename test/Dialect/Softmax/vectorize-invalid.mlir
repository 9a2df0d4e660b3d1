// RUN: softmax-opt %s --softmax-vectorize="vector-bits=100" --verify-diagnostics
// RUN: softmax-opt %s --softmax-vectorize="unroll=0" --verify-diagnostics
// RUN: softmax-opt %s --softmax-vectorize="l1-cache-kib=0" --verify-diagnostics
// RUN: softmax-opt %s --softmax-vectorize="l2-cache-kib=-4" --verify-diagnostics

// expected-error @+1 {{softmax-vectorize: vector-bits must be a positive multiple of 32, unroll, l1-cache-kib and l2-cache-kib positive and threads non-negative}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    %y = softmax.softmax %x dim(0) : tensor<4xf32>
    return %y : tensor<4xf32>
  }
}
