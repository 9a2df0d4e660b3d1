//===- ApproximateMath.cpp - the softmax-approximate-math pass ------------===//
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
#define GEN_PASS_DEF_SOFTMAXAPPROXIMATEMATH
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

namespace {
struct SoftmaxApproximateMathPass
    : softmax::impl::SoftmaxApproximateMathBase<SoftmaxApproximateMathPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<Operation *> ops;
    getOperation()->walk([&](Operation *op) {
      if (op->getNumResults() != 1 ||
          !getElementTypeOrSelf(op->getResult(0).getType()).isF32())
        return;
      auto pow = dyn_cast<math::PowFOp>(op);
      if (isa<math::ExpOp, math::Log1pOp>(op) ||
          (pow &&
           bitEnumContainsAll(pow.getFastmath(), arith::FastMathFlags::afn)))
        ops.push_back(op);
    });
    if (nonpositiveExp) {
      llvm::erase_if(ops, [](Operation *op) {
        auto exp = dyn_cast<math::ExpOp>(op);
        if (!exp)
          return false;
        OpBuilder b(op);
        exp.getResult().replaceAllUsesWith(
            softmax::buildNonPositiveExp(b, op->getLoc(), exp.getOperand()));
        op->erase();
        return true;
      });
    }
    if (ops.empty())
      return;
    RewritePatternSet patterns(&getContext());
    // powf (with `afn`) as exp(e log(x)), then both approximated.
    math::populateExpansionPatterns(patterns, {"powf"});
    populateMathPolynomialApproximationPatterns(patterns, [](StringRef name) {
      name.consume_front("math.");
      // log: what the log1p and powf approximations are built from.
      return name == "exp" || name == "log1p" || name == "log";
    });
    // Only these ops and what their rewrites create.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingAndNewOps);
    if (failed(applyOpPatternsGreedily(ops, std::move(patterns), config)))
      signalPassFailure();
  }
};
} // namespace
