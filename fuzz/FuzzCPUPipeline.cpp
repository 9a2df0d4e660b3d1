//===- FuzzCPUPipeline.cpp - fuzz softmax-cpu-pipeline --------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs softmax-cpu-pipeline (for a fixed x86-64 CPU, so that runs do not
// depend on the machine) over what parses and verifies, and translates
// what it lowers to LLVM IR.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "softmax-mlir/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"

using namespace mlir;
using namespace mlir::softmax;

void fuzz::runOnModule(fuzz::FuzzContext &context, ModuleOp module) {
  PassManager pm(&context.get());
  CPUPipelineOptions options;
  options.mcpu = "haswell";
  options.triple = "x86_64-unknown-linux-gnu";
  buildSoftmaxCPUPipeline(pm, options);
  if (failed(pm.run(module)))
    return;
  llvm::LLVMContext llvmContext;
  (void)translateModuleToLLVMIR(module, llvmContext);
}
