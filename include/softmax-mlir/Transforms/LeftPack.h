//===- LeftPack.h - softmax.left_pack as x86 instructions -------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TRANSFORMS_LEFTPACK_H
#define SOFTMAX_MLIR_TRANSFORMS_LEFTPACK_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::softmax {

/// The patterns that rewrite softmax.left_pack into LLVM's x86 intrinsics
/// (see softmax-lower-left-pack); the AVX2 form reads a table that they
/// add to the op's module once, as a memref.global.
void populateLeftPackLoweringPatterns(RewritePatternSet &patterns);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TRANSFORMS_LEFTPACK_H
