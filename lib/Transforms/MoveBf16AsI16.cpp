//===- MoveBf16AsI16.cpp - the softmax-move-bf16-as-i16 pass --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Transforms/Bf16Moves.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Transforms/WalkPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXMOVEBF16ASI16
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

namespace {
struct SoftmaxMoveBf16AsI16Pass
    : softmax::impl::SoftmaxMoveBf16AsI16Base<SoftmaxMoveBf16AsI16Pass> {
  using Base::Base;

  void runOnOperation() override {
    RewritePatternSet patterns(&getContext());
    softmax::populateBf16MovesAsI16Patterns(patterns);
    walkAndApplyPatterns(getOperation(), std::move(patterns));
  }
};
} // namespace
