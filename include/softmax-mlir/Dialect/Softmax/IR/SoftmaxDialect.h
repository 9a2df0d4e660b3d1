//===- SoftmaxDialect.h - softmax dialect -----------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_H

#include "mlir/IR/Dialect.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOpsDialect.h.inc"

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_H
