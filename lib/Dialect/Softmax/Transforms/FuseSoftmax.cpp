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
      std::optional<NormalizeOperands> operands = getNormalizeOperands(op);
      if (!operands)
        return;
      auto [input, dim] = *operands;
      if (getFusableProducer(input, dim))
        op->setAttr(kFuseProducerAttrName, UnitAttr::get(op->getContext()));
    });
  }
};
} // namespace
