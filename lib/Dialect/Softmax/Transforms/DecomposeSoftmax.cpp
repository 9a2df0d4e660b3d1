//===- DecomposeSoftmax.cpp - the softmax-decompose pass ------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXDECOMPOSE
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxDecomposePass
    : softmax::impl::SoftmaxDecomposeBase<SoftmaxDecomposePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSoftmaxDecompositionPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
