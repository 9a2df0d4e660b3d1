//===- OutlineKernels.cpp - the softmax-gpu-outline-kernels pass ----------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/GPU/Utils/GPUUtils.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXGPUOUTLINEKERNELS
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {

struct SoftmaxGPUOutlineKernelsPass
    : softmax::impl::SoftmaxGPUOutlineKernelsBase<
          SoftmaxGPUOutlineKernelsPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<std::pair<func::FuncOp, gpu::LaunchOp>> launches;
    for (auto function : module.getOps<func::FuncOp>())
      function.walk([&](gpu::LaunchOp launch) {
        launches.push_back({function, launch});
      });
    if (launches.empty())
      return;
    gpu::GPUModuleOp kernels = getOrCreateKernelModule(module);
    SymbolTable symbols(kernels);
    SymbolTable moduleSymbols(module);
    llvm::DenseMap<Operation *, int64_t> counts;
    for (auto [function, launch] : launches) {
      if (launch.getAsyncToken() || !launch.getAsyncDependencies().empty()) {
        launch->emitError("asynchronous gpu.launch ops are not supported");
        return signalPassFailure();
      }
      // Constants and globals into the body: a kernel reads the device
      // copy of a global, in its module.
      if (failed(sinkOperationsIntoLaunchOp(launch, [](Operation *op) {
            return op->hasTrait<OpTrait::ConstantLike>() ||
                   isa<memref::GetGlobalOp>(op);
          })))
        return signalPassFailure();
      std::string name =
          (function.getName() + "_kernel_" + Twine(counts[function]++)).str();
      SmallVector<Value> operands;
      gpu::GPUFuncOp kernel = outlineKernelFunc(launch, name, operands);
      // A name taken (by another kernel) is made unique.
      symbols.insert(kernel);
      WalkResult globals = kernel.walk([&](memref::GetGlobalOp get) {
        if (Operation *known = symbols.lookup(get.getName())) {
          if (isa<memref::GlobalOp>(known))
            return WalkResult::advance();
          get->emitError("'") << get.getName() << "' names a kernel in @"
                              << kGPUKernelModuleName << ", not a global";
          return WalkResult::interrupt();
        }
        auto global = moduleSymbols.lookup<memref::GlobalOp>(get.getName());
        if (!global) {
          get->emitError("no memref.global '") << get.getName() << "'";
          return WalkResult::interrupt();
        }
        symbols.insert(global.clone());
        return WalkResult::advance();
      });
      if (globals.wasInterrupted())
        return signalPassFailure();
      OpBuilder b(launch);
      Value sharedMemory = launch.getDynamicSharedMemorySize();
      gpu::LaunchFuncOp::create(
          b, launch.getLoc(), kernel, launch.getGridSizeOperandValues(),
          launch.getBlockSizeOperandValues(), sharedMemory, operands);
      launch.erase();
    }
  }
};

} // namespace
