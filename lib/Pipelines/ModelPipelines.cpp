//===- ModelPipelines.cpp - the stages both targets share -----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Pipelines/Pipelines.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "mlir/Conversion/TosaToArith/TosaToArith.h"
#include "mlir/Conversion/TosaToLinalg/TosaToLinalg.h"
#include "mlir/Conversion/TosaToTensor/TosaToTensor.h"
#include "mlir/Dialect/Bufferization/Pipelines/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"

using namespace mlir;
using namespace mlir::softmax;

void mlir::softmax::buildSoftmaxImportPipeline(OpPassManager &pm) {
  // Elementwise arith and math ops on tensors as linalg.generic ops, which
  // the raising below reads and bufferization lowers (it has no lowering
  // of arith on tensors).
  pm.addNestedPass<func::FuncOp>(createConvertElementwiseToLinalgPass());
  // Softmax-family ops written out (linalg, TOSA) as the ops.
  pm.addPass(createSoftmaxRaise());
  // The rest of a TOSA model to linalg, arith and tensor ops: the
  // conversions alone, which touch nothing but TOSA.
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalgNamed());
  pm.addNestedPass<func::FuncOp>(tosa::createTosaToLinalg());
  pm.addNestedPass<func::FuncOp>(createTosaToArithPass());
  pm.addNestedPass<func::FuncOp>(createTosaToTensorPass());
}

void mlir::softmax::buildSoftmaxBufferizationPipeline(OpPassManager &pm,
                                                      bool deallocate) {
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  bufferization::OneShotBufferizePassOptions bufferizeOptions;
  bufferizeOptions.bufferizeFunctionBoundaries = true;
  bufferizeOptions.functionBoundaryTypeConversion =
      bufferization::LayoutMapOption::IdentityLayoutMap;
  // A loop may carry a tensor its body replaces (a softmax applied in an
  // scf.for): a new buffer per iteration, which buffer deallocation frees.
  bufferizeOptions.allowReturnAllocsFromLoops = true;
  pm.addPass(bufferization::createOneShotBufferizePass(bufferizeOptions));
  pm.addPass(bufferization::createDropEquivalentBufferResultsPass());
  if (deallocate)
    bufferization::buildBufferDeallocationPipeline(pm);
}
