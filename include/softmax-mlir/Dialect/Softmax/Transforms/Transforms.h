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

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H
