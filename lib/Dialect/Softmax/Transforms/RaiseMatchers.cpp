//===- RaiseMatchers.cpp - matching hand-written linalg chains ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "RaiseMatchers.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::softmax::detail;

OpOperand *mlir::softmax::detail::getInputOperand(linalg::GenericOp generic,
                                                  Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != generic.getBody() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return nullptr;
  return generic.getDpsInputOperand(arg.getArgNumber());
}

Value mlir::softmax::detail::getFullTensor(linalg::GenericOp generic, Value v) {
  OpOperand *operand = getInputOperand(generic, v);
  if (!operand || !generic.getMatchingIndexingMap(operand).isIdentity())
    return nullptr;
  return operand->get();
}

Value mlir::softmax::detail::getRowTensor(linalg::GenericOp generic, Value v,
                                          int64_t dim) {
  OpOperand *operand = getInputOperand(generic, v);
  if (!operand || getRowDim(generic, operand) != dim)
    return nullptr;
  return operand->get();
}

Value mlir::softmax::detail::getYielded(linalg::GenericOp generic) {
  if (generic->getNumResults() != 1 || generic.getNumDpsInits() != 1)
    return nullptr;
  return generic.getBody()->getTerminator()->getOperand(0);
}

std::optional<int64_t> mlir::softmax::detail::getDroppedDim(AffineMap map,
                                                            int64_t rank) {
  if (map.getNumDims() != rank || map.getNumResults() != rank - 1 ||
      map.getNumSymbols() != 0)
    return std::nullopt;
  std::optional<int64_t> dropped;
  for (int64_t i = 0, r = 0; i < rank; ++i) {
    auto expr = r < rank - 1 ? dyn_cast<AffineDimExpr>(map.getResult(r))
                             : AffineDimExpr(nullptr);
    if (expr && expr.getPosition() == static_cast<unsigned>(i)) {
      ++r;
      continue;
    }
    if (dropped)
      return std::nullopt;
    dropped = i;
  }
  return dropped;
}

std::optional<int64_t>
mlir::softmax::detail::getRowDim(linalg::GenericOp generic,
                                 OpOperand *operand) {
  AffineMap map = generic.getMatchingIndexingMap(operand);
  int64_t rank = generic.getNumLoops();
  if (std::optional<int64_t> dropped = getDroppedDim(map, rank))
    return dropped;
  auto type = dyn_cast<RankedTensorType>(operand->get().getType());
  if (!type || map.getNumDims() != rank || map.getNumResults() != rank ||
      map.getNumSymbols() != 0)
    return std::nullopt;
  std::optional<int64_t> kept;
  for (int64_t i = 0; i < rank; ++i) {
    AffineExpr expr = map.getResult(i);
    if (auto d = dyn_cast<AffineDimExpr>(expr);
        d && d.getPosition() == static_cast<unsigned>(i))
      continue;
    auto c = dyn_cast<AffineConstantExpr>(expr);
    if (!c || c.getValue() != 0 || kept || type.getDimSize(i) != 1)
      return std::nullopt;
    kept = i;
  }
  return kept;
}

bool mlir::softmax::detail::isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

bool mlir::softmax::detail::isElementwise(linalg::GenericOp generic,
                                          OpOperand *rowOperand) {
  if (generic.getNumReductionLoops() != 0)
    return false;
  for (OpOperand &operand : generic->getOpOperands())
    if (&operand != rowOperand &&
        !generic.getMatchingIndexingMap(&operand).isIdentity())
      return false;
  return true;
}

bool mlir::softmax::detail::isPureElementwise(linalg::GenericOp generic) {
  return getYielded(generic) && isElementwise(generic, nullptr) &&
         !generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0));
}

bool mlir::softmax::detail::isRowSum(
    Value s, int64_t dim, function_ref<bool(linalg::GenericOp, Value)> isTerm) {
  auto sum = s.getDefiningOp<linalg::GenericOp>();
  if (!sum || !s.hasOneUse())
    return false;
  Value yielded = getYielded(sum);
  OpOperand *init = sum.getDpsInitOperand(0);
  if (!yielded || !isZeroFill(init->get()) || sum.getNumReductionLoops() != 1 ||
      getRowDim(sum, init) != dim ||
      sum.getIteratorTypesArray()[dim] != utils::IteratorType::reduction)
    return false;
  for (OpOperand *input : sum.getDpsInputOperands())
    if (!sum.getMatchingIndexingMap(input).isIdentity() &&
        getRowDim(sum, input) != dim)
      return false;
  Value acc = sum.getMatchingBlockArgument(init);
  auto add = binary<arith::AddFOp>(yielded);
  if (!add)
    return false;
  Value term = add->first == acc    ? add->second
               : add->second == acc ? add->first
                                    : Value();
  if (!term)
    return false;
  if (isTerm(sum, term))
    return true;
  // The term read from an elementwise producer.
  Value produced = getFullTensor(sum, term);
  auto producer = produced ? produced.getDefiningOp<linalg::GenericOp>()
                           : linalg::GenericOp();
  if (!producer || !produced.hasOneUse() || !isPureElementwise(producer))
    return false;
  return isTerm(producer, getYielded(producer));
}
