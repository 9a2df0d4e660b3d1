//===- Transforms.h - softmax rewrite patterns ------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::softmax {

class SoftmaxOp;
class LogSoftmaxOp;

/// Rewrites `op` into the stable max-exp-sum form in linalg on tensors and
/// replaces it. See the `softmax-decompose` pass for the exact form.
FailureOr<Value> decomposeSoftmax(RewriterBase &rewriter, SoftmaxOp op);
FailureOr<Value> decomposeLogSoftmax(RewriterBase &rewriter, LogSoftmaxOp op);

/// Adds the patterns that decompose every softmax-dialect op.
void populateSoftmaxDecompositionPatterns(RewritePatternSet &patterns);

/// How `softmax-vectorize` shapes its vectors.
struct RowVectorizationOptions {
  /// Bits of one hardware vector register (512 for AVX-512, 256 for AVX2).
  int64_t vectorBits = 256;
  /// Registers per vector value: independent accumulator chains.
  int64_t unroll = 4;
  /// Threads the code will run on: 1 keeps every row on one thread; more
  /// (or 0, not known until run time) lets few long rows be split into
  /// column chunks that run in parallel.
  int64_t threads = 1;
};

/// Adds the patterns that turn softmax ops reducing along their innermost
/// dimension into vector row loops (see `softmax-vectorize`).
void populateSoftmaxVectorizationPatterns(
    RewritePatternSet &patterns, const RowVectorizationOptions &options);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H
