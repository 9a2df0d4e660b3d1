//===- RaiseFamily.cpp - the family's unfused linalg forms to ops ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Recognises the softmax gradients written by hand as linalg.generic chains
// and rewrites them into softmax.softmax_grad and softmax.log_softmax_grad:
//
//   s  = sum over dim d of dy * y      (a reduction generic from a zero fill,
//                                       reading dy and y, or a product
//                                       generic of them)
//   dx = y * (dy - s)                  (an elementwise generic reading s
//                                       broadcast along d)
//
// and likewise s = sum(dy), dx = dy - exp(y) * s. Only the exact chain is
// raised: the sum must have no other use (the op does not expose it), its
// init must be a fill with 0, the maps must be identities over the tensor
// and, for s, the projection without d (or the constant 0 at d of a
// reduction that kept the dim), and the payloads exactly these
// expressions (either operand order where the arithmetic commutes). The
// raised op sums in a wider type than a hand-written f32 sum (f64); that is
// the only difference.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "RaiseMatchers.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

namespace {

/// Raises dx = y * (dy - s), s = sum(dy * y), to softmax.softmax_grad and
/// dx = dy - exp(y) * s, s = sum(dy), to softmax.log_softmax_grad.
struct RaiseGrad : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    Value yielded = getYielded(generic);
    if (!yielded ||
        generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
      return failure();
    auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
    if (!type || type.getRank() == 0 ||
        !isSupportedElementType(type.getElementType()))
      return failure();

    // The full-shape inputs y and dy and the per-row s of the payload.
    Value y, dy;
    OpOperand *sOperand = nullptr;
    auto full = [&](Value v) -> Value {
      OpOperand *operand = getInputOperand(generic, v);
      if (!operand || !generic.getMatchingIndexingMap(operand).isIdentity() ||
          operand->get().getType() != type)
        return nullptr;
      return operand->get();
    };
    auto perRow = [&](Value v) -> OpOperand * {
      OpOperand *operand = getInputOperand(generic, v);
      if (!operand || !getRowDim(generic, operand))
        return nullptr;
      return operand;
    };
    bool logarithmic = false;
    // y * (dy - s), either order of the product.
    if (auto mul = binary<arith::MulFOp>(yielded)) {
      for (auto [a, b] : {*mul, std::make_pair(mul->second, mul->first)}) {
        auto sub = binary<arith::SubFOp>(b);
        if (!sub || !full(a) || !full(sub->first) || !perRow(sub->second))
          continue;
        y = full(a);
        dy = full(sub->first);
        sOperand = perRow(sub->second);
        break;
      }
    } else if (auto sub = binary<arith::SubFOp>(yielded)) {
      // dy - exp(y) * s, either order of the product.
      auto mul = binary<arith::MulFOp>(sub->second);
      if (mul && full(sub->first)) {
        for (auto [a, b] : {*mul, std::make_pair(mul->second, mul->first)}) {
          auto exp = a.getDefiningOp<math::ExpOp>();
          if (!exp || !full(exp.getOperand()) || !perRow(b))
            continue;
          y = full(exp.getOperand());
          dy = full(sub->first);
          sOperand = perRow(b);
          logarithmic = true;
          break;
        }
      }
    }
    if (!sOperand || !isElementwise(generic, sOperand))
      return rewriter.notifyMatchFailure(generic, "not a gradient's payload");
    int64_t dim = *getRowDim(generic, sOperand);

    // s = sum(dy * y) or sum(dy) along dim.
    auto isTerm = [&](linalg::GenericOp g, Value term) {
      auto reads = [&](Value v, Value tensor) {
        return getFullTensor(g, v) == tensor;
      };
      if (logarithmic)
        return reads(term, dy);
      auto mul = binary<arith::MulFOp>(term);
      return mul && ((reads(mul->first, dy) && reads(mul->second, y)) ||
                     (reads(mul->first, y) && reads(mul->second, dy)));
    };
    if (!isRowSum(sOperand->get(), dim, isTerm))
      return rewriter.notifyMatchFailure(generic, "not a row sum of the terms");

    Value dx;
    if (logarithmic)
      dx = LogSoftmaxGradOp::create(rewriter, generic.getLoc(), type, y, dy,
                                    dim);
    else
      dx = SoftmaxGradOp::create(rewriter, generic.getLoc(), type, y, dy, dim);
    rewriter.replaceOp(generic, dx);
    return success();
  }
};

} // namespace

void mlir::softmax::populateSoftmaxRaisePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseGrad>(patterns.getContext());
  populateRaiseSoftmaxPatterns(patterns);
  populateRaiseTosaSoftmaxPatterns(patterns);
}
