//===- GPUTarget.cpp - PTX/cubin and kernel sidecars ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/GPU/GPUTarget.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::softmax;

static constexpr StringLiteral kKernelModuleName = "softmax_kernels";

SmallVector<GPUKernelInfo> mlir::softmax::collectGPUKernels(ModuleOp module) {
  SmallVector<GPUKernelInfo> kernels;
  auto kernelModule = dyn_cast_or_null<gpu::GPUModuleOp>(
      SymbolTable::lookupSymbolIn(module, kKernelModuleName));
  if (!kernelModule)
    return kernels;
  for (auto func : kernelModule.getOps<gpu::GPUFuncOp>())
    if (auto info = func->getAttrOfType<DictionaryAttr>("softmax.kernel"))
      kernels.push_back({func.getName().str(), info});
  return kernels;
}

FailureOr<std::string> mlir::softmax::getGPUKernelBinary(ModuleOp module) {
  auto binary = dyn_cast_or_null<gpu::BinaryOp>(
      SymbolTable::lookupSymbolIn(module, kKernelModuleName));
  if (!binary || binary.getObjects().size() != 1)
    return module.emitError("no GPU kernels to write: the module has no "
                            "softmax op");
  auto object = cast<gpu::ObjectAttr>(binary.getObjects()[0]);
  return object.getObject().getValue().str();
}

bool mlir::softmax::isSupportedGPUChip(StringRef chip) {
  // CUDA 13's ptxas no longer builds sm_70 (Volta).
  static const llvm::StringSet<> chips = {"sm_75", "sm_80", "sm_86", "sm_87",
                                          "sm_89", "sm_90", "sm_90a"};
  return chips.contains(chip);
}

std::string mlir::softmax::renderGPUKernelSidecar(const GPUKernelInfo &kernel,
                                                  StringRef moduleKind,
                                                  StringRef moduleFile,
                                                  StringRef chip) {
  auto string = [&](StringRef key) {
    return cast<StringAttr>(kernel.info.get(key)).getValue().str();
  };
  auto ints = [&](StringRef key) {
    llvm::json::Array values;
    for (Attribute value : cast<ArrayAttr>(kernel.info.get(key)))
      values.push_back(cast<IntegerAttr>(value).getInt());
    return values;
  };
  llvm::json::Object sidecar{
      {"kernel", kernel.name},
      {moduleKind, moduleFile},
      {"chip", chip},
      {"op", string("op")},
      {"dtype", string("dtype")},
      {"strategy", string("strategy")},
      {"shape", ints("shape")},
      // The kernel's arguments are the rank-2 memref descriptors of the
      // input and the output: (allocated, aligned, offset, rows, length,
      // length, 1), pointers to device memory with at least `alignment`
      // bytes' alignment.
      {"params", llvm::json::Array{"memref:in", "memref:out"}},
      {"alignment", cast<IntegerAttr>(kernel.info.get("alignment")).getInt()},
      {"grid", ints("grid")},
      {"block", ints("block")},
      {"shared_mem", 0},
  };
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(sidecar))) << "\n";
  return text;
}
