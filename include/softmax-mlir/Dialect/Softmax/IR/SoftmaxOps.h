//===- SoftmaxOps.h - softmax dialect ops -----------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_H

#include "mlir/Bytecode/BytecodeOpInterface.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/OpDefinition.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"

#define GET_OP_CLASSES
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h.inc"

namespace mlir::softmax {

/// Returns true if `type` is an element type the softmax ops accept.
bool isSupportedElementType(Type type);

/// Returns the type the softmax ops accumulate in for `elementType`: f32 for
/// f16/bf16, the type itself otherwise.
FloatType getAccumulatorType(FloatType elementType);

/// The input and the normalised dim of a softmax or log_softmax op.
struct NormalizeOperands {
  Value input;
  int64_t dim;
};
/// The operands of `op` if it is a softmax or log_softmax op without a mask,
/// scale or causal mask, else nullopt.
std::optional<NormalizeOperands> getNormalizeOperands(Operation *op);

/// The rows any op of the dialect reduces: its first operand (the input,
/// the forward output of a gradient, the logits) and its `dim`; nullopt for
/// other ops.
std::optional<NormalizeOperands> getRowOperands(Operation *op);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_H
