//===- ShareKernels.cpp - the softmax-share-kernels pass ------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXSHAREKERNELS
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxShareKernelsPass
    : softmax::impl::SoftmaxShareKernelsBase<SoftmaxShareKernelsPass> {
  using Base::Base;

  void runOnOperation() override {
    if (minUses < 1) {
      getOperation()->emitError(
          "softmax-share-kernels: min-uses must be at least 1");
      return signalPassFailure();
    }
    shareKernels(getOperation(), minUses);
  }
};
} // namespace
