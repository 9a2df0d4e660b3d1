//===- AttachCPUTarget.cpp - the softmax-attach-cpu-target pass -----------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Target/CPU/CPUTarget.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "llvm/IR/DataLayout.h"
#include "llvm/Target/TargetMachine.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXATTACHCPUTARGET
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxAttachCPUTargetPass
    : softmax::impl::SoftmaxAttachCPUTargetBase<SoftmaxAttachCPUTargetPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    MLIRContext *ctx = &getContext();
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
        createCPUTargetMachine({triple, mcpu});
    if (!tm) {
      module.emitError() << llvm::toString(tm.takeError());
      return signalPassFailure();
    }

    module->setAttr(LLVM::LLVMDialect::getTargetTripleAttrName(),
                    StringAttr::get(ctx, (*tm)->getTargetTriple().str()));
    module->setAttr(
        LLVM::LLVMDialect::getDataLayoutAttrName(),
        StringAttr::get(ctx,
                        (*tm)->createDataLayout().getStringRepresentation()));

    StringAttr cpu = StringAttr::get(ctx, (*tm)->getTargetCPU());
    SmallVector<StringAttr> features;
    SmallVector<StringRef> featureNames;
    (*tm)->getTargetFeatureString().split(featureNames, ',', -1,
                                          /*KeepEmpty=*/false);
    for (StringRef name : featureNames)
      features.push_back(StringAttr::get(ctx, name));
    auto featuresAttr = LLVM::TargetFeaturesAttr::get(ctx, features);
    module.walk([&](LLVM::LLVMFuncOp func) {
      if (func.isExternal())
        return;
      func.setTargetCpuAttr(cpu);
      if (!features.empty())
        func.setTargetFeaturesAttr(featuresAttr);
    });
  }
};
} // namespace
