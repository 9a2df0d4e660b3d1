//===- RaiseMatchers.h - matching hand-written linalg chains ----*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the raising patterns (RaiseFamily.cpp for the gradients,
// RaiseSoftmax.cpp for softmax and log_softmax) share to read
// linalg.generic chains: payload values as reads of whole tensors or of
// per-row tensors, row reductions and their fills.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_RAISEMATCHERS_H
#define SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_RAISEMATCHERS_H

#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "llvm/ADT/SetVector.h"

#include <optional>
#include <utility>

namespace mlir::softmax::detail {

/// The operand of `generic` that `v` reads, if `v` is an input block
/// argument of its payload.
OpOperand *getInputOperand(linalg::GenericOp generic, Value v);

/// The tensor an input block argument of `generic` reads, if `v` is one.
inline Value getInputTensor(linalg::GenericOp generic, Value v) {
  OpOperand *operand = getInputOperand(generic, v);
  return operand ? operand->get() : Value();
}

/// The tensor `v` reads whole (an input block argument of `generic` whose
/// map is the identity), if it is one.
Value getFullTensor(linalg::GenericOp generic, Value v);

/// The tensor `v` reads one value of per row along `dim` (an input block
/// argument of `generic` mapped as getRowDim accepts), if it is one.
Value getRowTensor(linalg::GenericOp generic, Value v, int64_t dim);

/// The value `generic` yields for its one result, if it has one result and
/// one init.
Value getYielded(linalg::GenericOp generic);

/// If `v` is `OpTy(a, b)`, its operands; both orders are tried by callers.
template <typename OpTy>
std::optional<std::pair<Value, Value>> binary(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op)
    return std::nullopt;
  return std::make_pair(op->getOperand(0), op->getOperand(1));
}

/// The dim a map drops, if it is the projection of the identity over `rank`
/// dims without one dim.
std::optional<int64_t> getDroppedDim(AffineMap map, int64_t rank);

/// The dim `d` along which `operand` of `generic` holds one value per row:
/// its map is the identity without `d` (a reduced tensor), or the identity
/// with the constant 0 at `d` where the tensor has size 1 (a reduction that
/// kept the dim, as torch-mlir writes them).
std::optional<int64_t> getRowDim(linalg::GenericOp generic, OpOperand *operand);

/// Whether `v` is a linalg.fill of 0.0.
bool isZeroFill(Value v);

/// Whether every map of `generic` is the identity except `rowOperand`'s, and
/// all its loops are parallel.
bool isElementwise(linalg::GenericOp generic, OpOperand *rowOperand);

/// Whether `generic` computes one result elementwise from inputs of its
/// shape, without reading its init.
bool isPureElementwise(linalg::GenericOp generic);

/// The sum along `dim` of the terms `isTerm` accepts: `s` must be the single-
/// use result of a reduction generic over `dim` from a zero fill whose
/// payload is `out + term`, the term either computed in the payload from
/// inputs (identity-mapped, or per row along `dim`) or read from an
/// elementwise producer of one input. `isTerm(generic, value)` checks a
/// term inside `generic`.
bool isRowSum(Value s, int64_t dim,
              function_ref<bool(linalg::GenericOp, Value)> isTerm);

/// The ops computing a matched chain's intermediate results: a chain is
/// raised only if none of their results is used outside it.
class ChainSteps {
public:
  /// Records `op` as a step of the chain.
  void add(Operation *op) { ops.insert(op); }

  /// Whether no result of the steps has a use outside the chain ending at
  /// `root`.
  bool isClosed(Operation *root) const {
    for (Operation *op : ops)
      for (Operation *user : op->getUsers())
        if (user != root && !ops.contains(user))
          return false;
    return true;
  }

private:
  llvm::SetVector<Operation *> ops;
};

} // namespace mlir::softmax::detail

#endif // SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_RAISEMATCHERS_H
