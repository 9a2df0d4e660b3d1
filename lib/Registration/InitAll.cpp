//===- InitAll.cpp - register everything softmax-mlir defines -------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"

#include "softmax-mlir/Conversion/Passes.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"
#include "softmax-mlir/Dialect/Softmax/TransformOps/SoftmaxTransformOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"
#include "softmax-mlir/Pipelines/Pipelines.h"
#include "softmax-mlir/Transforms/Passes.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/InitAllDialects.h"
#include "mlir/InitAllExtensions.h"
#include "mlir/InitAllPasses.h"
#include "mlir/Target/LLVMIR/Dialect/All.h"

void mlir::softmax::registerAllSoftmaxDialects(DialectRegistry &registry) {
  registry.insert<SoftmaxDialect>();
  registerTransformDialectExtension(registry);
}

void mlir::softmax::registerAllSoftmaxPasses() {
  registerSoftmaxMLIRConversionPasses();
  registerSoftmaxPasses();
  registerSoftmaxMLIRTransformsPasses();
  registerSoftmaxCPUPipeline();
  registerSoftmaxGPUPipeline();
}

void mlir::softmax::registerSoftmaxToolDialectsAndPasses(
    DialectRegistry &registry) {
  registerAllDialects(registry);
  registerAllExtensions(registry);
  registerAllPasses();
  // gpu-module-to-binary translates the kernels to LLVM IR in the tool.
  registerAllToLLVMIRTranslations(registry);
  registerAllSoftmaxDialects(registry);
  registerAllSoftmaxPasses();
}
