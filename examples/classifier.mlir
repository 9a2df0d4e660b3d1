// A tiny classifier: logits = x * W + b, then class probabilities
// (softmax) and log-probabilities (log_softmax) over the 3 classes.
// Compile it with:
//   softmax-compile examples/classifier.mlir --emit=shared-lib -o libclassifier.so
// which also writes libclassifier.h, the C ABI of @classify:
//   void _mlir_ciface_classify(const softmax_mlir_memref_2d_f32 *x,
//                              softmax_mlir_memref_2d_f32 *probs,
//                              softmax_mlir_memref_2d_f32 *log_probs);

#row = affine_map<(d0, d1) -> (d0, d1)>
#bias = affine_map<(d0, d1) -> (d1)>

func.func @classify(%x: tensor<?x4xf32>) -> (tensor<?x3xf32>, tensor<?x3xf32>) {
  %w = arith.constant dense<[[ 1.5, -0.5,  0.2],
                             [-1.0,  2.0,  0.3],
                             [ 0.5,  0.5, -2.0],
                             [ 0.0, -1.0,  1.0]]> : tensor<4x3xf32>
  %b = arith.constant dense<[0.1, -0.2, 0.05]> : tensor<3xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %empty = tensor.empty(%n) : tensor<?x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x3xf32>) -> tensor<?x3xf32>
  %xw = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x3xf32>)
                      outs(%init : tensor<?x3xf32>) -> tensor<?x3xf32>
  %logits = linalg.generic {indexing_maps = [#row, #bias, #row],
                            iterator_types = ["parallel", "parallel"]}
      ins(%xw, %b : tensor<?x3xf32>, tensor<3xf32>) outs(%empty : tensor<?x3xf32>) {
  ^bb0(%v: f32, %bias: f32, %out: f32):
    %s = arith.addf %v, %bias : f32
    linalg.yield %s : f32
  } -> tensor<?x3xf32>
  %probs = softmax.softmax %logits dim(1) : tensor<?x3xf32>
  %log_probs = softmax.log_softmax %logits dim(1) : tensor<?x3xf32>
  return %probs, %log_probs : tensor<?x3xf32>, tensor<?x3xf32>
}
