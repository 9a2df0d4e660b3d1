//===- GPUTarget.cpp - PTX/cubin and kernel sidecars ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/GPU/GPUTarget.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/StringSet.h"
#include "llvm/Support/JSON.h"

using namespace mlir;
using namespace mlir::softmax;

SmallVector<GPUKernelInfo> mlir::softmax::collectGPUKernels(ModuleOp module) {
  SmallVector<GPUKernelInfo> kernels;
  auto kernelModule = dyn_cast_or_null<gpu::GPUModuleOp>(
      SymbolTable::lookupSymbolIn(module, kGPUKernelModuleName));
  if (!kernelModule)
    return kernels;
  for (auto func : kernelModule.getOps<gpu::GPUFuncOp>())
    if (auto info = func->getAttrOfType<DictionaryAttr>(kGPUKernelInfoAttrName))
      kernels.push_back({func.getName().str(), info});
  return kernels;
}

FailureOr<std::string> mlir::softmax::getGPUKernelBinary(ModuleOp module) {
  auto binary = dyn_cast_or_null<gpu::BinaryOp>(
      SymbolTable::lookupSymbolIn(module, kGPUKernelModuleName));
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
  auto string = [](DictionaryAttr dict, StringRef key) {
    return cast<StringAttr>(dict.get(key)).getValue().str();
  };
  // Sizes: numbers, or expressions in the rows M of the launcher's
  // buffers where they are dynamic.
  auto ints = [](DictionaryAttr dict, StringRef key) {
    llvm::json::Array values;
    for (Attribute value : cast<ArrayAttr>(dict.get(key))) {
      if (auto expression = dyn_cast<StringAttr>(value))
        values.push_back(expression.getValue().str());
      else
        values.push_back(cast<IntegerAttr>(value).getInt());
    }
    return values;
  };
  auto strings = [](DictionaryAttr dict, StringRef key) {
    llvm::json::Array values;
    for (Attribute value : cast<ArrayAttr>(dict.get(key)))
      values.push_back(cast<StringAttr>(value).getValue().str());
    return values;
  };
  // Each launch: the kernel, its arguments (bare device pointers: the
  // input, the output, the workspace), grid and block.
  auto launches = cast<ArrayAttr>(kernel.info.get("launches"));
  auto last = cast<DictionaryAttr>(launches[launches.size() - 1]);
  llvm::json::Object sidecar{
      {"kernel", string(last, "kernel")},
      {moduleKind, moduleFile},
      {"chip", chip},
      {"op", string(kernel.info, "op")},
      {"dtype", string(kernel.info, "dtype")},
      {"strategy", string(kernel.info, "strategy")},

      {"params", strings(last, "params")},
      {"grid", ints(last, "grid")},
      {"block", ints(last, "block")},
      {"shared_mem", 0},
      // The buffers' alignment the kernels need (16 bytes for vector
      // accesses, else the element's).
      {"alignment", cast<IntegerAttr>(kernel.info.get("alignment")).getInt()},
  };
  // A static shape, or (rows known at run time) the row length; for a
  // length known at run time, the lengths this variant takes (no upper
  // bound: null), the rows M and the length N being arguments.
  auto shape = cast<ArrayAttr>(kernel.info.get("shape"));
  int64_t rows = cast<IntegerAttr>(shape[0]).getInt();
  int64_t length = cast<IntegerAttr>(shape[1]).getInt();
  if (rows >= 0 && length >= 0)
    sidecar["shape"] = ints(kernel.info, "shape");
  else if (length >= 0)
    sidecar["length"] = length;
  if (rows >= 0 && length < 0)
    sidecar["rows"] = rows;
  // Columns: the product of the dims after the reduced one (null: the
  // argument K).
  if (auto inner = kernel.info.getAs<IntegerAttr>("inner"))
    sidecar["inner"] = inner.getInt() < 0 ? llvm::json::Value(nullptr)
                                          : llvm::json::Value(inner.getInt());
  if (auto lengths = kernel.info.getAs<ArrayAttr>("lengths")) {
    int64_t maxLength = cast<IntegerAttr>(lengths[1]).getInt();
    sidecar["lengths"] =
        llvm::json::Array{cast<IntegerAttr>(lengths[0]).getInt(),
                          maxLength < 0 ? llvm::json::Value(nullptr)
                                        : llvm::json::Value(maxLength)};
  }
  if (launches.size() > 1) {
    llvm::json::Array list;
    for (Attribute launch : launches) {
      auto dict = cast<DictionaryAttr>(launch);
      list.push_back(llvm::json::Object{{"kernel", string(dict, "kernel")},
                                        {"params", strings(dict, "params")},
                                        {"grid", ints(dict, "grid")},
                                        {"block", ints(dict, "block")},
                                        {"shared_mem", 0}});
    }
    sidecar["launches"] = std::move(list);
    // Scratch device memory the launches share, in bytes: ws0, ...
    sidecar["workspace"] = ints(kernel.info, "workspace");
  }
  std::string text;
  llvm::raw_string_ostream os(text);
  os << llvm::formatv("{0:2}", llvm::json::Value(std::move(sidecar))) << "\n";
  return text;
}
