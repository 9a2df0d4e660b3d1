//===- CABI.h - the shared-library C ABI ------------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One description of the C ABI of compiled modules, shared by the pass that
// rewrites functions into it and by the C header generator.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TRANSFORMS_CABI_H
#define SOFTMAX_MLIR_TRANSFORMS_CABI_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/BuiltinTypes.h"

namespace mlir::softmax {

/// One parameter of an exported function's C signature: a pointer to a
/// strided memref descriptor of `type`.
struct CABIParam {
  RankedTensorType type;
  bool isOutput;
};

/// Whether `func` is exported through the C ABI: public definitions are.
bool isExportedThroughCABI(func::FuncOp func);

/// Whether `type` may be the element type of an ABI buffer.
bool isCABIElementType(Type type);

/// The C parameters of `func`: its arguments, then one output per result.
/// Emits an error at `func` and fails when a type cannot cross the ABI.
FailureOr<SmallVector<CABIParam>> getCABIParams(func::FuncOp func);

/// The symbol the C ABI exports for `func`.
std::string getCABISymbolName(func::FuncOp func);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TRANSFORMS_CABI_H
