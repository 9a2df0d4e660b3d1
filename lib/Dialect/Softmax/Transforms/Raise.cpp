//===- Raise.cpp - the softmax-raise pass ---------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXRAISE
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxRaisePass : softmax::impl::SoftmaxRaiseBase<SoftmaxRaisePass> {
  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    populateSoftmaxRaisePatterns(patterns);
    // The raised chains' reductions and fills are left dead: the driver
    // erases them.
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns)))) {
      getOperation()->emitError("softmax-raise: the rewrite did not converge");
      return signalPassFailure();
    }
  }
};
} // namespace
