//===- FuzzGPUPipeline.cpp - fuzz softmax-gpu-pipeline to PTX -------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Runs softmax-gpu-pipeline with format=ptx over what parses and verifies:
// the kernels are built, lowered through NVVM and compiled to PTX in the
// process (libdevice from the CUDA toolkit, if there is one; no ptxas),
// and the host side is lowered to the LLVM dialect.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "softmax-mlir/Pipelines/Pipelines.h"

#include "mlir/Pass/PassManager.h"

using namespace mlir;
using namespace mlir::softmax;

void fuzz::runOnModule(fuzz::FuzzContext &context, ModuleOp module) {
  PassManager pm(&context.get());
  GPUPipelineOptions options;
  options.format = GPUBinaryFormat::PTX;
  buildSoftmaxGPUPipeline(pm, options);
  (void)pm.run(module);
}
