//===- CABI.cpp - the shared-library C ABI --------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/CABI.h"

using namespace mlir;
using namespace mlir::softmax;

bool mlir::softmax::isExportedThroughCABI(func::FuncOp func) {
  return func.isPublic() && !func.isExternal();
}

bool mlir::softmax::isCABIElementType(Type type) {
  if (type.isF16() || type.isBF16() || type.isF32() || type.isF64())
    return true;
  auto intType = dyn_cast<IntegerType>(type);
  return intType && intType.isSignless() &&
         llvm::is_contained({1u, 8u, 16u, 32u, 64u}, intType.getWidth());
}

FailureOr<SmallVector<CABIParam>>
mlir::softmax::getCABIParams(func::FuncOp func) {
  SmallVector<CABIParam> params;
  auto add = [&](Type type, bool isOutput, unsigned index) -> LogicalResult {
    auto tensorType = dyn_cast<RankedTensorType>(type);
    if (tensorType && !tensorType.getEncoding() &&
        isCABIElementType(tensorType.getElementType())) {
      params.push_back({tensorType, isOutput});
      return success();
    }
    return func.emitError()
           << (isOutput ? "result #" : "argument #") << index
           << " of public function '@" << func.getSymName() << "' has type "
           << type
           << ", which the C ABI does not support (expected a ranked tensor "
              "of f16, bf16, f32, f64, i1, i8, i16, i32 or i64)";
  };
  for (auto [i, type] : llvm::enumerate(func.getArgumentTypes()))
    if (failed(add(type, /*isOutput=*/false, i)))
      return failure();
  for (auto [i, type] : llvm::enumerate(func.getResultTypes()))
    if (failed(add(type, /*isOutput=*/true, i)))
      return failure();
  return params;
}

std::string mlir::softmax::getCABISymbolName(func::FuncOp func) {
  return ("_mlir_ciface_" + func.getSymName()).str();
}
