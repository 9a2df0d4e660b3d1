// RUN: softmax-opt %s --softmax-tile="threads=-1" --verify-diagnostics
// RUN: softmax-opt %s --softmax-tile="l1-cache-kib=0" --verify-diagnostics
// RUN: softmax-opt %s --softmax-tile="l2-cache-kib=-1" --verify-diagnostics

// expected-error @+1 {{softmax-tile: threads must be >= 0 and l1-cache-kib and l2-cache-kib positive}}
module {
  func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = softmax.softmax %x dim(1) : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
