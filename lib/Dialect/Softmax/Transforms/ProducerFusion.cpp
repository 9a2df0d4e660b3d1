//===- ProducerFusion.cpp - elementwise neighbours of softmax rows --------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Decides which elementwise producer of a softmax input the vector row loops
// can compute on the fly, so that the producer's result (the scaled, biased,
// masked scores of an attention layer, say) never goes through memory; and
// which cast of its result they can write instead of the result.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"

using namespace mlir;
using namespace mlir::softmax;

ProducerOperandKind mlir::softmax::classifyProducerOperand(AffineMap map,
                                                           int64_t rank) {
  if (map.getNumDims() != rank || map.getNumSymbols() != 0)
    return ProducerOperandKind::Unsupported;
  if (map.isIdentity())
    return ProducerOperandKind::Element;
  // (d0, .., dn) -> (dn): one value per column, the same for every row.
  if (map.getNumResults() == 1 &&
      map.getResult(0) == getAffineDimExpr(rank - 1, map.getContext()))
    return ProducerOperandKind::Column;
  // (d0, .., dn) -> (d0, .., dn-1): one value per row.
  if (map.getNumResults() == static_cast<unsigned>(rank - 1)) {
    for (int64_t i = 0; i < rank - 1; ++i)
      if (map.getResult(i) != getAffineDimExpr(i, map.getContext()))
        return ProducerOperandKind::Unsupported;
    return ProducerOperandKind::Row;
  }
  return ProducerOperandKind::Unsupported;
}

linalg::GenericOp mlir::softmax::getFusableProducer(Value input, int64_t dim) {
  auto type = dyn_cast<RankedTensorType>(input.getType());
  if (!type || dim != type.getRank() - 1)
    return nullptr;
  auto generic = input.getDefiningOp<linalg::GenericOp>();
  // Its only user is the softmax op: a fused producer is not materialised.
  if (!generic || generic->getNumResults() != 1 || !input.hasOneUse() ||
      generic.getNumDpsInits() != 1)
    return nullptr;
  int64_t rank = type.getRank();
  if (generic.getNumLoops() != static_cast<unsigned>(rank) ||
      generic.getNumReductionLoops() != 0)
    return nullptr;
  // The output is written, never read.
  OpOperand *init = generic.getDpsInitOperand(0);
  if (!generic.getMatchingIndexingMap(init).isIdentity() ||
      generic.payloadUsesValueFromOperand(init))
    return nullptr;
  for (OpOperand *operand : generic.getDpsInputOperands()) {
    auto operandType = dyn_cast<RankedTensorType>(operand->get().getType());
    if (!operandType ||
        !isa<FloatType, IntegerType>(operandType.getElementType()))
      return nullptr;
    ProducerOperandKind kind =
        classifyProducerOperand(generic.getMatchingIndexingMap(operand), rank);
    // A vector of i1 in memory is packed bits, an i1 tensor a byte each:
    // i1 operands are read one per row only.
    if (kind == ProducerOperandKind::Unsupported ||
        (operandType.getElementType().isInteger(1) &&
         kind != ProducerOperandKind::Row))
      return nullptr;
  }
  // A payload of scalar arith and math ops, each lane on its own.
  for (Operation &op : generic.getBody()->without_terminator()) {
    if (!isa<arith::ArithDialect, math::MathDialect>(op.getDialect()) ||
        op.getNumRegions() != 0 || op.getNumResults() != 1 ||
        isa<ShapedType>(op.getResult(0).getType()))
      return nullptr;
    for (Value operand : op.getOperands())
      if (isa<ShapedType>(operand.getType()))
        return nullptr;
  }
  return generic;
}

linalg::GenericOp mlir::softmax::getFusableConsumer(Value result, int64_t dim) {
  auto type = dyn_cast<RankedTensorType>(result.getType());
  if (!type || dim != type.getRank() - 1 || !result.hasOneUse())
    return nullptr;
  auto generic = dyn_cast<linalg::GenericOp>(*result.user_begin());
  if (!generic || generic->getNumResults() != 1 ||
      generic.getNumDpsInputs() != 1 || generic.getNumDpsInits() != 1 ||
      generic.getDpsInputOperand(0)->get() != result)
    return nullptr;
  int64_t rank = type.getRank();
  if (generic.getNumLoops() != static_cast<unsigned>(rank) ||
      generic.getNumReductionLoops() != 0 ||
      !llvm::all_of(generic.getIndexingMapsArray(),
                    [](AffineMap map) { return map.isIdentity(); }))
    return nullptr;
  OpOperand *init = generic.getDpsInitOperand(0);
  auto resultType = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
  if (generic.payloadUsesValueFromOperand(init) || !resultType ||
      resultType.getShape() != type.getShape() ||
      !isa<FloatType>(resultType.getElementType()))
    return nullptr;
  // linalg.yield (cast %in).
  Block *body = generic.getBody();
  if (!llvm::hasSingleElement(body->without_terminator()))
    return nullptr;
  Operation &cast = body->front();
  if (!isa<arith::TruncFOp, arith::ExtFOp>(cast) ||
      cast.getOperand(0) != body->getArgument(0) ||
      body->getTerminator()->getOperand(0) != cast.getResult(0))
    return nullptr;
  return generic;
}

linalg::GenericOp mlir::softmax::getMarkedConsumer(Operation *op, int64_t dim) {
  if (!op->hasAttr(kFuseConsumerAttrName))
    return nullptr;
  return getFusableConsumer(op->getResult(0), dim);
}

FloatType mlir::softmax::getWrittenElementType(Operation *op,
                                               linalg::GenericOp consumer) {
  Value written = consumer ? consumer->getResult(0) : op->getResult(0);
  return cast<FloatType>(getElementTypeOrSelf(written.getType()));
}
