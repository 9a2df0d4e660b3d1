//===- RaiseTosa.cpp - softmax written out in TOSA to the ops -------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// TOSA has no softmax: frontends that emit it (torch-mlir's TOSA backend,
// TensorFlow Lite's) write softmax along an axis d as
//
//   %m = tosa.reduce_max %x {axis = d}      (the dim kept, of size 1)
//   %t = tosa.sub %x, %m
//   %e = tosa.exp %t
//   %s = tosa.reduce_sum %e {axis = d}
//   %r = tosa.reciprocal %s
//   %y = tosa.mul %e, %r, %shift            (either order, a zero shift)
//
// and log_softmax as %y = tosa.sub %t, (tosa.log %s). These patterns
// rewrite the chain into softmax.softmax and softmax.log_softmax of %x,
// with or without the max (t = x), under the conditions of RaiseSoftmax.cpp:
// the same x and axis throughout, no use of an intermediate result outside
// the chain, x and y of one type. A subtraction of anything but the row max
// broadcast along d is left alone.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "RaiseMatchers.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Tosa/IR/TosaOps.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// Matches the steps of one TOSA chain, recording its ops.
class TosaChainMatcher {
public:
  /// The x whose entries are exponentiated at `t`: t = x - reduce_max(x)
  /// along an axis (setting the chain's axis), or t itself. A subtraction
  /// of anything else broadcast per row is a shift by another value than
  /// the max, left alone as the linalg form's is.
  std::optional<Value> matchShifted(Value t) {
    if (auto sub = t.getDefiningOp<tosa::SubOp>()) {
      auto max = sub.getInput2().getDefiningOp<tosa::ReduceMaxOp>();
      if (max && max.getInput() == sub.getInput1() && setAxis(max.getAxis())) {
        steps.add(sub);
        steps.add(max);
        return Value(sub.getInput1());
      }
      if (sub.getInput2().getType() != t.getType())
        return std::nullopt;
    }
    return t;
  }

  /// The x of the exp at `e` that `s` sums along the axis.
  std::optional<Value> matchSumOfExp(Value s, Value e) {
    auto sum = s.getDefiningOp<tosa::ReduceSumOp>();
    auto exp = e.getDefiningOp<tosa::ExpOp>();
    if (!sum || !exp || sum.getInput() != e || !setAxis(sum.getAxis()))
      return std::nullopt;
    steps.add(sum);
    steps.add(exp);
    return matchShifted(exp.getInput1());
  }

  softmax::detail::ChainSteps steps;
  std::optional<int64_t> axis;

private:
  bool setAxis(int64_t value) {
    if (axis && *axis != value)
      return false;
    axis = value;
    return true;
  }
};

/// Whether `v` is a constant of zeros (a multiplication's shift).
bool isZeroShift(Value v) {
  DenseElementsAttr values;
  return matchPattern(v, m_Constant(&values)) && values.isSplat() &&
         values.getSplatValue<APInt>().isZero();
}

/// Replaces `root` by the op of `x` along the chain's axis, if the chain
/// qualifies.
template <typename OpTy>
LogicalResult replaceChain(PatternRewriter &rewriter, Operation *root,
                           const TosaChainMatcher &chain, Value x) {
  auto type = dyn_cast<RankedTensorType>(root->getResult(0).getType());
  if (!type || type.getRank() == 0 || x.getType() != type ||
      !isSupportedElementType(type.getElementType()))
    return rewriter.notifyMatchFailure(root, "input and result differ");
  if (!chain.steps.isClosed(root))
    return rewriter.notifyMatchFailure(
        root, "an intermediate result is used outside the chain");
  rewriter.replaceOpWithNewOp<OpTy>(root, x, *chain.axis);
  return success();
}

/// e * reciprocal(sum(e)) to softmax.softmax.
struct RaiseTosaSoftmax : OpRewritePattern<tosa::MulOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::MulOp mul,
                                PatternRewriter &rewriter) const override {
    if (!isZeroShift(mul.getShift()))
      return failure();
    for (auto [e, r] : {std::make_pair(mul.getInput1(), mul.getInput2()),
                        std::make_pair(mul.getInput2(), mul.getInput1())}) {
      auto reciprocal = r.getDefiningOp<tosa::ReciprocalOp>();
      if (!reciprocal)
        continue;
      TosaChainMatcher chain;
      auto entries = chain.matchSumOfExp(reciprocal.getInput1(), e);
      if (!entries)
        continue;
      chain.steps.add(reciprocal);
      return replaceChain<SoftmaxOp>(rewriter, mul, chain, *entries);
    }
    return rewriter.notifyMatchFailure(mul, "not a softmax chain");
  }
};

/// t - log(sum(exp(t))) to softmax.log_softmax.
struct RaiseTosaLogSoftmax : OpRewritePattern<tosa::SubOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(tosa::SubOp sub,
                                PatternRewriter &rewriter) const override {
    auto log = sub.getInput2().getDefiningOp<tosa::LogOp>();
    auto sum = log ? log.getInput1().getDefiningOp<tosa::ReduceSumOp>()
                   : tosa::ReduceSumOp();
    if (!sum)
      return failure();
    TosaChainMatcher chain;
    auto entries = chain.matchSumOfExp(sum, sum.getInput());
    // The exp must be of the t this subtraction reads.
    if (!entries || sum.getInput().getDefiningOp<tosa::ExpOp>().getInput1() !=
                        sub.getInput1())
      return rewriter.notifyMatchFailure(sub, "not a log_softmax chain");
    chain.steps.add(log);
    return replaceChain<LogSoftmaxOp>(rewriter, sub, chain, *entries);
  }
};

} // namespace

void mlir::softmax::populateRaiseTosaSoftmaxPatterns(
    RewritePatternSet &patterns) {
  patterns.add<RaiseTosaSoftmax, RaiseTosaLogSoftmax>(patterns.getContext());
}
