//===- FuseSoftmax.cpp - the softmax-fuse pass ----------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/Linalg/IR/Linalg.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXFUSE
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxFusePass : softmax::impl::SoftmaxFuseBase<SoftmaxFusePass> {
  using Base::Base;

  void runOnOperation() override {
    getOperation()->walk([](Operation *op) {
      Value input;
      int64_t dim;
      if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
        input = softmax.getInput();
        dim = softmax.getDim();
      } else if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op)) {
        input = logSoftmax.getInput();
        dim = logSoftmax.getDim();
      } else {
        return;
      }
      if (getFusableProducer(input, dim))
        op->setAttr(kFuseProducerAttrName, UnitAttr::get(op->getContext()));
    });
  }
};
} // namespace
