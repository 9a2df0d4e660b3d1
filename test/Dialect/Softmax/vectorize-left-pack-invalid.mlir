// RUN: softmax-opt %s --softmax-vectorize="left-pack=neon" --verify-diagnostics
// RUN: not softmax-opt %s --softmax-vectorize="vector-bits=512 left-pack=avx2" 2>&1 | FileCheck %s --check-prefix=AVX2
// RUN: not softmax-opt %s --softmax-vectorize="vector-bits=256 left-pack=avx512" 2>&1 | FileCheck %s --check-prefix=AVX512
// RUN: not softmax-opt %s --softmax-vectorize="simplex-vector-bits=100" 2>&1 | FileCheck %s --check-prefix=SIMPLEX

// A left-pack it does not know, or one for another register width.
// AVX2: error: softmax-vectorize: left-pack=avx2 needs vector-bits=256, not 512
// AVX512: error: softmax-vectorize: left-pack=avx512 needs vector-bits=512, not 256
// SIMPLEX: error: softmax-vectorize: simplex-vector-bits must be 0 or a positive multiple of 32, not 100
// expected-error @+1 {{softmax-vectorize: left-pack must be none, avx2 or avx512, not 'neon'}}
module {
  func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
    %y = softmax.sparsemax %x dim(1) : tensor<4x8xf32>
    return %y : tensor<4x8xf32>
  }
}
