//===- ExpandMask.cpp - the softmax-expand-mask pass ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXEXPANDMASK
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxExpandMaskPass
    : softmax::impl::SoftmaxExpandMaskBase<SoftmaxExpandMaskPass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSoftmaxExpandMaskPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
