// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=no-such-cpu" --verify-diagnostics
// RUN: not softmax-opt %s --softmax-cpu-pipeline="no-such-option=1" 2>&1 | FileCheck %s --check-prefix=OPTION

// expected-error @+1 {{unknown CPU 'no-such-cpu'}}
module {
  func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
    %y = softmax.softmax %x dim(0) : tensor<4xf32>
    return %y : tensor<4xf32>
  }
}

// OPTION: no such option no-such-option
// OPTION: error: invalid pass pipeline or pass options
// OPTION-NOT: Stack dump
