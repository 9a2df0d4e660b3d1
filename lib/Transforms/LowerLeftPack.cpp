//===- LowerLeftPack.cpp - the softmax-lower-left-pack pass ---------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Transforms/LeftPack.h"

#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXLOWERLEFTPACK
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

namespace {
struct SoftmaxLowerLeftPackPass
    : softmax::impl::SoftmaxLowerLeftPackBase<SoftmaxLowerLeftPackPass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    softmax::populateLeftPackLoweringPatterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
