//===- SoftmaxGPUStrategy.cpp - the softmax-gpu-strategy pass -------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXGPUSTRATEGY
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxGPUStrategyPass
    : softmax::impl::SoftmaxGPUStrategyBase<SoftmaxGPUStrategyPass> {
  using Base::Base;

  void runOnOperation() override {
    WalkResult result = getOperation()->walk([&](Operation *op) {
      std::optional<NormalizeOperands> operands = getRowOperands(op);
      if (!operands)
        return WalkResult::advance();
      // Softmax's relatives (and masked softmax) hold a row in registers
      // in a warp or a block, not yet in split rows or a persistent grid.
      bool family = !getNormalizeOperands(op);
      if (Attribute pinned = op->getAttr(kGPUStrategyAttrName)) {
        auto name = dyn_cast<StringAttr>(pinned);
        if (!name || !parseGPUStrategy(name.getValue())) {
          op->emitError("unknown ")
              << kGPUStrategyAttrName << " " << pinned
              << " (expected \"warp_row\", \"persistent_row\", "
                 "\"block_row\", \"split_row\", \"by_length\" or "
                 "\"column\")";
          return WalkResult::interrupt();
        }
        return WalkResult::advance();
      }
      auto [input, dim] = *operands;
      auto type = dyn_cast<RankedTensorType>(input.getType());
      if (!type)
        return WalkResult::advance();
      // Another dim than the innermost: a thread per column (or 16 bytes'
      // worth of columns).
      if (dim != type.getRank() - 1) {
        op->setAttr(kGPUStrategyAttrName,
                    StringAttr::get(op->getContext(),
                                    stringifyGPUStrategy(GPUStrategy::Column)));
        return WalkResult::advance();
      }
      // Rows may be dynamic (the launch counts them at run time); a row
      // length known only at run time picks a variant then.
      int64_t elementBytes = type.getElementTypeBitWidth() / 8;
      int64_t length = type.getShape().back();
      GPUStrategy strategy = ShapedType::isDynamic(length)
                                 ? GPUStrategy::ByLength
                                 : chooseGPUStrategy(getGPURowCount(type, dim),
                                                     length, elementBytes);
      if (family && strategy == GPUStrategy::PersistentRow)
        strategy = GPUStrategy::WarpRow;
      // The family's warp rows hold at most 32 elements a lane.
      if (family && strategy == GPUStrategy::WarpRow &&
          length > kGPUShortRowMaxLength)
        strategy = GPUStrategy::BlockRow;
      if (family && strategy == GPUStrategy::SplitRow &&
          length <= kGPUMaxRowLength)
        strategy = GPUStrategy::BlockRow;
      op->setAttr(
          kGPUStrategyAttrName,
          StringAttr::get(op->getContext(), stringifyGPUStrategy(strategy)));
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }
};
} // namespace
