// RUN: softmax-opt %s --softmax-export-c-abi --split-input-file --verify-diagnostics

// expected-error @+1 {{argument #1 of public function '@scalar' has type 'f32', which the C ABI does not support (expected a ranked tensor of f16, bf16, f32, f64, i1, i8, i16, i32 or i64)}}
func.func @scalar(%x: tensor<4xf32>, %s: f32) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}

// -----

// expected-error @+1 {{result #0 of public function '@unranked' has type 'tensor<*xf32>', which the C ABI does not support}}
func.func @unranked(%x: tensor<4xf32>) -> tensor<*xf32> {
  %0 = tensor.cast %x : tensor<4xf32> to tensor<*xf32>
  return %0 : tensor<*xf32>
}

// -----

// expected-error @+1 {{argument #0 of public function '@complex' has type 'tensor<4xcomplex<f32>>'}}
func.func @complex(%x: tensor<4xcomplex<f32>>) {
  return
}

// -----

// The functions of a nested module would be neither exported nor lowered.
module {
  // expected-error @+1 {{nested module: softmax-mlir compiles the functions of one module (compile the inner module on its own)}}
  module @inner {
    func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
      return %x : tensor<4xf32>
    }
  }
}
