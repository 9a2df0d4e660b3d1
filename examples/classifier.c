// Calls the compiled classifier (examples/classifier.mlir) through its
// generated header and prints the class probabilities of a few inputs.

#include "libclassifier.h"

#include <stdio.h>

int main(void) {
  enum { N = 4, FEATURES = 4, CLASSES = 3 };
  float x[N][FEATURES] = {{1.0f, 0.0f, 0.5f, -1.0f},
                          {0.0f, 2.0f, 0.0f, 0.5f},
                          {-1.0f, -1.0f, 3.0f, 2.0f},
                          {0.2f, 0.1f, -0.3f, 0.0f}};
  float probs[N][CLASSES], logProbs[N][CLASSES];
  softmax_mlir_memref_2d_f32 in = {
      &x[0][0], &x[0][0], 0, {N, FEATURES}, {FEATURES, 1}};
  softmax_mlir_memref_2d_f32 outProbs = {
      &probs[0][0], &probs[0][0], 0, {N, CLASSES}, {CLASSES, 1}};
  softmax_mlir_memref_2d_f32 outLogProbs = {
      &logProbs[0][0], &logProbs[0][0], 0, {N, CLASSES}, {CLASSES, 1}};
  _mlir_ciface_classify(&in, &outProbs, &outLogProbs);

  for (int i = 0; i < N; ++i) {
    int best = 0;
    for (int c = 1; c < CLASSES; ++c)
      if (probs[i][c] > probs[i][best])
        best = c;
    printf("input %d: p = [%.4f %.4f %.4f]  log p = [%.4f %.4f %.4f]  "
           "class %d\n",
           i, probs[i][0], probs[i][1], probs[i][2], logProbs[i][0],
           logProbs[i][1], logProbs[i][2], best);
  }
  return 0;
}
