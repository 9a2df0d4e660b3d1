//===- Bf16Moves.h - bf16 data movement as i16 -------------------*- C++
//-*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TRANSFORMS_BF16MOVES_H
#define SOFTMAX_MLIR_TRANSFORMS_BF16MOVES_H

#include "mlir/IR/PatternMatch.h"

namespace mlir::softmax {

/// The patterns that make the LLVM dialect's data-movement ops on bf16
/// (loads, stores, masked loads and stores, selects, shuffles, element
/// inserts and extracts) move i16 instead, with bitcasts around them (see
/// softmax-move-bf16-as-i16).
void populateBf16MovesAsI16Patterns(RewritePatternSet &patterns);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TRANSFORMS_BF16MOVES_H
