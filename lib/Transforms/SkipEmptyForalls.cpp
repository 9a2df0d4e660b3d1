//===- SkipEmptyForalls.cpp - the softmax-skip-empty-foralls pass ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXSKIPEMPTYFORALLS
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

/// `ub > lb` for every dimension of `op` not known to be non-empty; null
/// when all are.
static Value buildNonEmptyCondition(OpBuilder &b, scf::ForallOp op) {
  Location loc = op.getLoc();
  Value all;
  for (auto [lb, ub] :
       llvm::zip_equal(op.getMixedLowerBound(), op.getMixedUpperBound())) {
    std::optional<int64_t> lo = getConstantIntValue(lb);
    std::optional<int64_t> hi = getConstantIntValue(ub);
    if (lo && hi && *hi > *lo)
      continue;
    Value cond =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt,
                              getValueOrCreateConstantIndexOp(b, loc, ub),
                              getValueOrCreateConstantIndexOp(b, loc, lb));
    all = all ? arith::AndIOp::create(b, loc, all, cond).getResult() : cond;
  }
  return all;
}

namespace {
struct SoftmaxSkipEmptyForallsPass
    : softmax::impl::SoftmaxSkipEmptyForallsBase<SoftmaxSkipEmptyForallsPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForallOp> loops;
    getOperation()->walk([&](scf::ForallOp op) {
      // Loops on tensors yield their results; only the buffer form can be
      // skipped without providing them.
      if (op.getNumResults() == 0)
        loops.push_back(op);
    });
    for (scf::ForallOp op : loops) {
      OpBuilder b(op);
      Value nonEmpty = buildNonEmptyCondition(b, op);
      if (!nonEmpty)
        continue;
      auto ifOp = scf::IfOp::create(b, op.getLoc(), nonEmpty,
                                    /*withElseRegion=*/false);
      op->moveBefore(ifOp.thenBlock()->getTerminator());
    }
  }
};
} // namespace
