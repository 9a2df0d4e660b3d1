//===- SoftmaxOps.cpp - softmax dialect ops -------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/TypeUtilities.h"
#include "llvm/ADT/StringSwitch.h"

#include <cmath>

using namespace mlir;
using namespace mlir::softmax;

bool mlir::softmax::isSupportedElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

std::optional<NormalizeOperands>
mlir::softmax::getNormalizeOperands(Operation *op) {
  // Masked ones are expanded first (softmax-expand-mask).
  if (auto softmax = dyn_cast<SoftmaxOp>(op); softmax && !softmax.hasMasking())
    return NormalizeOperands{softmax.getInput(),
                             static_cast<int64_t>(softmax.getDim())};
  if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op);
      logSoftmax && !logSoftmax.hasMasking())
    return NormalizeOperands{logSoftmax.getInput(),
                             static_cast<int64_t>(logSoftmax.getDim())};
  return std::nullopt;
}

std::optional<NormalizeOperands> mlir::softmax::getRowOperands(Operation *op) {
  if (!isa_and_nonnull<SoftmaxDialect>(op->getDialect()) ||
      op->getNumOperands() == 0)
    return std::nullopt;
  auto dim = op->getAttrOfType<IntegerAttr>("dim");
  if (!dim)
    return std::nullopt;
  return NormalizeOperands{op->getOperand(0), dim.getInt()};
}

FloatType mlir::softmax::getAccumulatorType(FloatType elementType) {
  if (elementType.getWidth() < 32)
    return Float32Type::get(elementType.getContext());
  return elementType;
}

/// Checks what every op normalising along `dim` requires of its input. The
/// result type is already known to equal the input type (AllTypesMatch).
static LogicalResult verifyNormalizeOp(Operation *op, Type inputType,
                                       int64_t dim) {
  auto tensorType = dyn_cast<RankedTensorType>(inputType);
  if (!tensorType)
    return op->emitOpError("expects a ranked tensor, but got ") << inputType;
  if (tensorType.getRank() == 0)
    return op->emitOpError("expects a tensor of rank at least 1, but got ")
           << inputType;
  if (!isSupportedElementType(tensorType.getElementType()))
    return op->emitOpError("expects an element type of f16, bf16, f32 or "
                           "f64, but got ")
           << tensorType.getElementType();
  if (dim < 0 || dim >= tensorType.getRank())
    return op->emitOpError("dim ")
           << dim << " is out of range for a tensor of rank "
           << tensorType.getRank() << " (expected 0 <= dim < "
           << tensorType.getRank() << ")";
  return success();
}

/// What softmax and log_softmax require of their mask, scale and causal
/// mask beyond their input.
static LogicalResult verifyMasking(Operation *op, Value input, Value mask,
                                   std::optional<APFloat> scale, bool causal,
                                   int64_t dim) {
  if (failed(verifyNormalizeOp(op, input.getType(), dim)))
    return failure();
  auto inputType = cast<RankedTensorType>(input.getType());
  if (mask) {
    auto maskType = dyn_cast<RankedTensorType>(mask.getType());
    if (!maskType || !(maskType.getElementType().isInteger(1) ||
                       isSupportedElementType(maskType.getElementType())))
      return op->emitOpError("expects a mask of i1 or f16, bf16, f32 or f64 "
                             "elements as a ranked tensor, but got ")
             << mask.getType();
    int64_t rank = inputType.getRank(), maskRank = maskType.getRank();
    if (maskRank > rank)
      return op->emitOpError("expects a mask of rank at most ")
             << rank << ", but got " << mask.getType();
    for (int64_t i = 0; i < maskRank; ++i) {
      int64_t size = maskType.getDimSize(i);
      int64_t inputSize = inputType.getDimSize(rank - maskRank + i);
      if (size == 1 || ShapedType::isDynamic(size) ||
          ShapedType::isDynamic(inputSize) || size == inputSize)
        continue;
      return op->emitOpError("mask ")
             << mask.getType() << " does not broadcast against the input "
             << inputType << ": its dim " << i << " is " << size
             << ", not 1 or " << inputSize;
    }
  }
  if (scale && !scale->isFinite())
    return op->emitOpError("expects a finite scale, but got ")
           << scale->convertToDouble();
  if (causal && inputType.getRank() < 2)
    return op->emitOpError("causal expects a tensor of rank at least 2, but "
                           "got ")
           << inputType;
  return success();
}

LogicalResult SoftmaxOp::verify() {
  return verifyMasking(*this, getInput(), getMask(), getScale(), getCausal(),
                       getDim());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyMasking(*this, getInput(), getMask(), getScale(), getCausal(),
                       getDim());
}

LogicalResult SparsemaxOp::verify() {
  return verifyNormalizeOp(*this, getInput().getType(), getDim());
}

LogicalResult SparsemaxGradOp::verify() {
  return verifyNormalizeOp(*this, getOutput().getType(), getDim());
}

LogicalResult SoftmaxGradOp::verify() {
  return verifyNormalizeOp(*this, getOutput().getType(), getDim());
}

LogicalResult LogSoftmaxGradOp::verify() {
  return verifyNormalizeOp(*this, getOutput().getType(), getDim());
}

/// What entmax and entmax_grad require of alpha beyond their tensor.
static LogicalResult verifyEntmax(Operation *op, Type type, int64_t dim,
                                  double alpha) {
  if (failed(verifyNormalizeOp(op, type, dim)))
    return failure();
  if (!(alpha > 1.0) || std::isinf(alpha))
    return op->emitOpError("expects a finite alpha > 1, but got ") << alpha;
  return success();
}

LogicalResult EntmaxOp::verify() {
  return verifyEntmax(*this, getInput().getType(), getDim(),
                      getAlpha().convertToDouble());
}

LogicalResult EntmaxGradOp::verify() {
  return verifyEntmax(*this, getOutput().getType(), getDim(),
                      getAlpha().convertToDouble());
}

/// What cross_entropy and cross_entropy_grad require of their logits,
/// labels, per-sample loss type and smoothing.
static LogicalResult verifyCrossEntropy(Operation *op, Value logits,
                                        Value labels, Type lossType,
                                        StringRef lossName, int64_t dim,
                                        double smoothing) {
  if (failed(verifyNormalizeOp(op, logits.getType(), dim)))
    return failure();
  auto logitsType = cast<RankedTensorType>(logits.getType());
  auto labelsType = dyn_cast<RankedTensorType>(labels.getType());
  if (!labelsType || !labelsType.getElementType().isSignlessInteger())
    return op->emitOpError("expects labels as a ranked tensor of signless "
                           "integers, but got ")
           << labels.getType();
  SmallVector<int64_t> rowShape(logitsType.getShape());
  rowShape.erase(rowShape.begin() + dim);
  if (labelsType.getRank() != static_cast<int64_t>(rowShape.size()) ||
      failed(verifyCompatibleShape(labelsType.getShape(), rowShape)))
    return op->emitOpError("expects labels of the logits' shape without dim ")
           << dim << " ("
           << RankedTensorType::get(rowShape, labelsType.getElementType())
           << "), but got " << labelsType;
  auto loss = dyn_cast<RankedTensorType>(lossType);
  if (!loss || loss.getShape() != labelsType.getShape() ||
      loss.getElementType() != logitsType.getElementType())
    return op->emitOpError("expects ")
           << lossName << " of the labels' shape and the logits' element type ("
           << RankedTensorType::get(labelsType.getShape(),
                                    logitsType.getElementType())
           << "), but got " << lossType;
  if (!(smoothing >= 0.0 && smoothing <= 1.0))
    return op->emitOpError("expects label_smoothing in [0, 1], but got ")
           << smoothing;
  return success();
}

LogicalResult CrossEntropyOp::verify() {
  return verifyCrossEntropy(*this, getLogits(), getLabels(),
                            getLoss().getType(), "a loss", getDim(),
                            getLabelSmoothing().convertToDouble());
}

LogicalResult LeftPackOp::verify() {
  if (getInput().getType().isScalable() || getKeep().getType().isScalable())
    return emitOpError("packs fixed-length vectors, not scalable ones");
  int64_t lanes = getInput().getType().getNumElements();
  if (getKeep().getType().getNumElements() != lanes)
    return emitOpError() << "needs a mask of " << lanes << " lanes, not "
                         << getKeep().getType().getNumElements();
  int64_t want = llvm::StringSwitch<int64_t>(getTarget())
                     .Case("avx2", 8)
                     .Case("avx512", 16)
                     .Default(0);
  if (!want)
    return emitOpError() << "target must be \"avx2\" or \"avx512\", not \""
                         << getTarget() << "\"";
  if (lanes != want)
    return emitOpError() << "target \"" << getTarget() << "\" packs " << want
                         << " lanes, not " << lanes;
  return success();
}

LogicalResult CrossEntropyGradOp::verify() {
  return verifyCrossEntropy(*this, getLogits(), getLabels(),
                            getLossGrad().getType(), "a loss gradient",
                            getDim(), getLabelSmoothing().convertToDouble());
}

#define GET_OP_CLASSES
//===----------------------------------------------------------------------===//
// Reified result sizes
//===----------------------------------------------------------------------===//

/// The sizes of `like`, as those of `op`'s one result.
static LogicalResult reifyAs(OpBuilder &builder, Operation *op, Value like,
                             ReifiedRankedShapedTypeDims &shapes) {
  shapes.push_back(tensor::getMixedSizes(builder, op->getLoc(), like));
  return success();
}

#define SOFTMAX_REIFY_AS_OPERAND(OP, OPERAND)                                  \
  LogicalResult OP::reifyResultShapes(OpBuilder &builder,                      \
                                      ReifiedRankedShapedTypeDims &shapes) {   \
    return reifyAs(builder, *this, OPERAND, shapes);                           \
  }
SOFTMAX_REIFY_AS_OPERAND(SoftmaxOp, getInput())
SOFTMAX_REIFY_AS_OPERAND(LogSoftmaxOp, getInput())
SOFTMAX_REIFY_AS_OPERAND(SparsemaxOp, getInput())
SOFTMAX_REIFY_AS_OPERAND(EntmaxOp, getInput())
SOFTMAX_REIFY_AS_OPERAND(SoftmaxGradOp, getOutput())
SOFTMAX_REIFY_AS_OPERAND(LogSoftmaxGradOp, getOutput())
SOFTMAX_REIFY_AS_OPERAND(SparsemaxGradOp, getOutput())
SOFTMAX_REIFY_AS_OPERAND(EntmaxGradOp, getOutput())
SOFTMAX_REIFY_AS_OPERAND(CrossEntropyGradOp, getLogits())
#undef SOFTMAX_REIFY_AS_OPERAND

LogicalResult
CrossEntropyOp::reifyResultShapes(OpBuilder &builder,
                                  ReifiedRankedShapedTypeDims &shapes) {
  SmallVector<OpFoldResult> sizes =
      tensor::getMixedSizes(builder, getLoc(), getLogits());
  sizes.erase(sizes.begin() + getDim());
  shapes.push_back(std::move(sizes));
  return success();
}

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.cpp.inc"
