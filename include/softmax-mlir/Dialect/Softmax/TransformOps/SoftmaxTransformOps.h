//===- SoftmaxTransformOps.h - the softmax transform ops --------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_H

#include "mlir/Dialect/Transform/IR/TransformTypes.h"
#include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.h"
#include "mlir/IR/OpImplementation.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
class DialectRegistry;

namespace softmax {
/// Adds the softmax ops of the transform dialect (an extension of it).
void registerTransformDialectExtension(DialectRegistry &registry);
} // namespace softmax
} // namespace mlir

#define GET_OP_CLASSES
#include "softmax-mlir/Dialect/Softmax/TransformOps/SoftmaxTransformOps.h.inc"

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_H
