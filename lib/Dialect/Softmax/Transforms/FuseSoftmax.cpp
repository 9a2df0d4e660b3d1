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
/// Whether writing the consumer's cast from the row loops beats writing the
/// softmax result and casting it in a loop of its own. The row loops of
/// softmax keep exp(x - m) in the output between passes 2 and 3 only where
/// the output holds the accumulator type; a fused cast to a narrower type
/// would recompute exp, which costs more than the extra loop (measured on
/// AVX2, f32 to f16: 0.70-0.80x). log_softmax keeps no exp.
bool consumerFusionPays(Operation *op, linalg::GenericOp consumer) {
  bool logarithmic = isa<LogSoftmaxOp>(op);
  auto elementType = cast<FloatType>(getElementTypeOrSelf(op->getResult(0)));
  Type outType = getElementTypeOrSelf(consumer->getResult(0));
  // Fused, exp is kept unless the unfused loops would not keep it either.
  return keepsExpInOutput(logarithmic, elementType, outType) ||
         !keepsExpInOutput(logarithmic, elementType, elementType);
}

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
      if (linalg::GenericOp consumer =
              getFusableConsumer(op->getResult(0), dim);
          consumer && consumerFusionPays(op, consumer))
        op->setAttr(kFuseConsumerAttrName, UnitAttr::get(op->getContext()));
    });
  }
};
} // namespace
