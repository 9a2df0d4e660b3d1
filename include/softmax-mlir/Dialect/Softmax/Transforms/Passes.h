//===- Passes.h - softmax dialect passes ------------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_H

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/Pass/Pass.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"

namespace mlir::softmax {

#define GEN_PASS_DECL
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"

#define GEN_PASS_REGISTRATION
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_H
