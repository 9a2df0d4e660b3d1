//===- ApproximateExp.cpp - the softmax-approximate-exp pass --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Transforms/NonPositiveExp.h"

#include "mlir/Dialect/Math/Transforms/Passes.h"
#include "mlir/IR/TypeUtilities.h"
#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXAPPROXIMATEEXP
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

namespace {
struct SoftmaxApproximateExpPass
    : softmax::impl::SoftmaxApproximateExpBase<SoftmaxApproximateExpPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> exps;
    getOperation()->walk([&](math::ExpOp op) {
      if (getElementTypeOrSelf(op.getType()).isF32())
        exps.push_back(op);
    });
    if (exps.empty())
      return;
    if (nonpositive) {
      for (Operation *op : exps) {
        OpBuilder b(op);
        op->getResult(0).replaceAllUsesWith(softmax::buildNonPositiveExp(
            b, op->getLoc(), cast<math::ExpOp>(op).getOperand()));
        op->erase();
      }
      return;
    }
    RewritePatternSet patterns(&getContext());
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      name.consume_front("math.");
      return name == "exp";
    });
    // Only the exps and what their rewrites create.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(exps, std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
