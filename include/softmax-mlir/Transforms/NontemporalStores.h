//===- NontemporalStores.h - streaming stores of marked loops ---*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TRANSFORMS_NONTEMPORALSTORES_H
#define SOFTMAX_MLIR_TRANSFORMS_NONTEMPORALSTORES_H

#include "mlir/IR/Builders.h"

namespace mlir::softmax {

/// The integer attribute on an `scf.for` whose vector writes to memory are
/// to become streaming stores (softmax-nontemporal-stores): their alignment
/// in bytes, which whoever sets it guarantees for every iteration.
inline constexpr StringLiteral kNontemporalLoopAttrName = "softmax.nontemporal";

/// The address in bytes (an index) of element `indices` of `memref`, from
/// its aligned pointer, offset and strides.
Value buildElementAddress(OpBuilder &b, Location loc, Value memref,
                          ValueRange indices);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TRANSFORMS_NONTEMPORALSTORES_H
