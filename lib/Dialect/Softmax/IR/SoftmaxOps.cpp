//===- SoftmaxOps.cpp - softmax dialect ops -------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/IR/Builders.h"

using namespace mlir;
using namespace mlir::softmax;

bool mlir::softmax::isSupportedElementType(Type type) {
  return type.isF16() || type.isBF16() || type.isF32() || type.isF64();
}

std::optional<NormalizeOperands>
mlir::softmax::getNormalizeOperands(Operation *op) {
  if (auto softmax = dyn_cast<SoftmaxOp>(op))
    return NormalizeOperands{softmax.getInput(),
                             static_cast<int64_t>(softmax.getDim())};
  if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op))
    return NormalizeOperands{logSoftmax.getInput(),
                             static_cast<int64_t>(logSoftmax.getDim())};
  return std::nullopt;
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

LogicalResult SoftmaxOp::verify() {
  return verifyNormalizeOp(*this, getInput().getType(), getDim());
}

LogicalResult LogSoftmaxOp::verify() {
  return verifyNormalizeOp(*this, getInput().getType(), getDim());
}

LogicalResult SoftmaxGradOp::verify() {
  return verifyNormalizeOp(*this, getOutput().getType(), getDim());
}

LogicalResult LogSoftmaxGradOp::verify() {
  return verifyNormalizeOp(*this, getOutput().getType(), getDim());
}

#define GET_OP_CLASSES
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.cpp.inc"
