//===- RaiseSoftmax.cpp - softmax written out in linalg to the ops --------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Recognises softmax and log_softmax where a frontend wrote them out and
// rewrites them into softmax.softmax and softmax.log_softmax:
//
// - linalg.softmax on tensors;
// - the max-exp-sum chains of linalg.generic ops that torch-mlir's
//   linalg-on-tensors output and hand-written code use, along any dim d:
//
//     m = max over d of x    a reduction (a generic, maybe with an unused
//                            argmax result, or a linalg.reduce) from a fill
//                            with -inf or the lowest finite value (maximumf,
//                            maxnumf, or a compare and select)
//     t = x - m              m read per row: the projection without d, or the
//                            constant 0 at d where the reduction kept the dim
//                            (in its map, or by a tensor.expand_shape)
//     e = exp(t)
//     s = sum over d of e    a reduction (generic or linalg.reduce) from a
//                            zero fill
//     y = e / s, e * (1 / s) or e * r with r = 1 / s         softmax
//     y = t - log(s) or t - l with l = log(s)                log_softmax
//
//   each step in a generic of its own or inside its consumer's payload, and
//   without the max (t = x; shifting by the row max changes no value, it
//   only avoids overflow). x may be any tensor, such as a producer applying
//   a scale or an additive mask: it stays, and softmax-fuse takes it into
//   the row loops.
//
// Only a whole chain is raised: x and y of one type, the same x and m
// wherever the chain reads them, and no use of an intermediate result
// outside the chain (the op does not expose them). A shift by anything but
// the row max, a max or sum along another dim, or a reduction from another
// init is left alone. The raised op differs from the chain in rounding, in
// giving the right answer where the chain without the max overflows, and on
// rows that are all -inf, where it gives 0 (softmax) or -inf (log_softmax)
// and the chain NaN.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "RaiseMatchers.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

namespace {

/// The entries a chain exponentiates: x - max with `max` the row max of `x`,
/// or `x` itself (`max` null).
struct Shifted {
  Value x, max;
  bool operator==(const Shifted &other) const {
    return x == other.x && max == other.max;
  }
};

/// Whether `v` is the constant 1.0.
bool isOne(Value v) { return matchPattern(v, m_OneFloat()); }

/// Whether `generic` is elementwise along the rows: no reduction, one
/// result whose init it does not read, every operand read whole but inputs
/// read per row along `dim`.
bool isElementwiseAlongRows(linalg::GenericOp generic, int64_t dim) {
  if (!getYielded(generic) || generic.getNumReductionLoops() != 0 ||
      generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
    return false;
  for (OpOperand &operand : generic->getOpOperands())
    if (!generic.getMatchingIndexingMap(&operand).isIdentity() &&
        (generic.isDpsInit(&operand) || getRowDim(generic, &operand) != dim))
      return false;
  return true;
}

/// Matches the steps of one chain along `dim`, recording the ops that
/// compute its intermediate results.
class ChainMatcher {
public:
  explicit ChainMatcher(int64_t dim) : dim(dim) {}

  /// `v`, or the tensor that a tensor.expand_shape at `v` only gives a
  /// unit dim at the row dim (as torch-mlir keeps a reduced dim).
  Value peelKeptDim(Value v) {
    auto expand = v.getDefiningOp<tensor::ExpandShapeOp>();
    if (!expand)
      return v;
    RankedTensorType source = expand.getSrcType();
    RankedTensorType result = expand.getResultType();
    if (result.getRank() != source.getRank() + 1 || dim >= result.getRank() ||
        result.getDimSize(dim) != 1)
      return v;
    SmallVector<int64_t> shape(result.getShape());
    shape.erase(shape.begin() + dim);
    if (ArrayRef<int64_t>(shape) != source.getShape())
      return v;
    steps.add(expand);
    return expand.getSrc();
  }

  /// Whether `init` is a fill with -inf or the lowest finite value.
  static bool isMaxStart(Value init) {
    auto fill = init.getDefiningOp<linalg::FillOp>();
    FloatAttr start;
    return fill && matchPattern(fill.getInputs()[0], m_Constant(&start)) &&
           start.getValue().isNegative() &&
           (start.getValue().isInfinity() || start.getValue().isLargest());
  }

  /// Whether `yielded` is max(in, acc): maximumf, maxnumf, or in > acc ? in
  /// : acc (or acc < in), NaN handling aside (a NaN gives a row of NaN
  /// either way).
  static bool isMaxCombiner(Value yielded, Value in, Value acc) {
    auto isPair = [&](std::optional<std::pair<Value, Value>> operands) {
      return operands && ((operands->first == in && operands->second == acc) ||
                          (operands->first == acc && operands->second == in));
    };
    if (isPair(binary<arith::MaximumFOp>(yielded)) ||
        isPair(binary<arith::MaxNumFOp>(yielded)))
      return true;
    auto select = yielded.getDefiningOp<arith::SelectOp>();
    auto cmp = select ? select.getCondition().getDefiningOp<arith::CmpFOp>()
                      : arith::CmpFOp();
    if (!cmp || select.getTrueValue() != in || select.getFalseValue() != acc)
      return false;
    using P = arith::CmpFPredicate;
    P p = cmp.getPredicate();
    bool greater = p == P::OGT || p == P::OGE || p == P::UGT || p == P::UGE;
    bool less = p == P::OLT || p == P::OLE || p == P::ULT || p == P::ULE;
    return (greater && cmp.getLhs() == in && cmp.getRhs() == acc) ||
           (less && cmp.getLhs() == acc && cmp.getRhs() == in);
  }

  /// `v` as a linalg.reduce of one input along the dim alone, with one init
  /// and one use: the op, its input and its combiner's (yielded, in, acc).
  std::optional<std::tuple<linalg::ReduceOp, Value, Value, Value, Value>>
  getRowReduce(Value v) {
    auto reduce = v.getDefiningOp<linalg::ReduceOp>();
    if (!reduce || reduce.getInputs().size() != 1 ||
        reduce.getInits().size() != 1 ||
        reduce.getDimensions() != ArrayRef<int64_t>{dim})
      return std::nullopt;
    Block &combiner = reduce.getCombiner().front();
    return std::make_tuple(reduce, reduce.getInputs()[0],
                           combiner.getTerminator()->getOperand(0),
                           combiner.getArgument(0), combiner.getArgument(1));
  }

  /// Whether `m` is the max of `x` along the dim: a linalg.reduce, or the
  /// first result of a reduction generic whose other results (torch-mlir's
  /// argmax) have no use.
  bool isRowMax(Value m, Value x) {
    m = peelKeptDim(m);
    if (auto reduce = getRowReduce(m)) {
      auto [op, input, yielded, in, acc] = *reduce;
      if (input != x || !isMaxStart(op.getInits()[0]) ||
          !isMaxCombiner(yielded, in, acc))
        return false;
      steps.add(op);
      return true;
    }
    auto max = m.getDefiningOp<linalg::GenericOp>();
    if (!max || max.getNumDpsInputs() != 1 || max.getNumReductionLoops() != 1 ||
        cast<OpResult>(m).getResultNumber() != 0 ||
        llvm::any_of(max->getResults().drop_front(),
                     [](Value other) { return !other.use_empty(); }))
      return false;
    Value yielded = max.getBody()->getTerminator()->getOperand(0);
    OpOperand *input = max.getDpsInputOperand(0);
    OpOperand *init = max.getDpsInitOperand(0);
    if (input->get() != x || !max.getMatchingIndexingMap(input).isIdentity() ||
        getRowDim(max, init) != dim ||
        max.getIteratorTypesArray()[dim] != utils::IteratorType::reduction ||
        !isMaxStart(init->get()) ||
        !isMaxCombiner(yielded, max.getMatchingBlockArgument(input),
                       max.getMatchingBlockArgument(init)))
      return false;
    steps.add(max);
    return true;
  }

  /// x - m (m the row max of x) at `v` in `generic`'s payload, or read from
  /// an elementwise producer of it; or any other tensor read whole, as x.
  std::optional<Shifted> matchShifted(linalg::GenericOp generic, Value v) {
    // x - m with x and m read by this payload.
    if (auto sub = binary<arith::SubFOp>(v)) {
      Value x = getFullTensor(generic, sub->first);
      Value m = getRowTensor(generic, sub->second, dim);
      if (x && m && isRowMax(m, x))
        return Shifted{x, m};
      return std::nullopt;
    }
    Value t = getFullTensor(generic, v);
    if (!t)
      return std::nullopt;
    // Read from a producer computing x - m.
    auto producer = t.getDefiningOp<linalg::GenericOp>();
    if (producer && isElementwiseAlongRows(producer, dim)) {
      if (auto sub = binary<arith::SubFOp>(getYielded(producer))) {
        if (Value m = getRowTensor(producer, sub->second, dim)) {
          Value x = getFullTensor(producer, sub->first);
          if (!x || !isRowMax(m, x))
            return std::nullopt;
          steps.add(producer);
          return Shifted{x, m};
        }
      }
    }
    return Shifted{t, Value()};
  }

  /// exp of the shifted entries at `v` in `generic`'s payload, or read from
  /// an elementwise producer of it.
  std::optional<Shifted> matchExp(linalg::GenericOp generic, Value v) {
    if (auto exp = v.getDefiningOp<math::ExpOp>())
      return matchShifted(generic, exp.getOperand());
    Value e = getFullTensor(generic, v);
    return e ? matchExpTensor(e) : std::nullopt;
  }

  /// The shifted entries of the tensor `e` computed by an elementwise
  /// producer as their exp.
  std::optional<Shifted> matchExpTensor(Value e) {
    auto producer = e.getDefiningOp<linalg::GenericOp>();
    if (!producer || !isElementwiseAlongRows(producer, dim))
      return std::nullopt;
    auto exp = getYielded(producer).getDefiningOp<math::ExpOp>();
    if (!exp)
      return std::nullopt;
    steps.add(producer);
    return matchShifted(producer, exp.getOperand());
  }

  /// The shifted entries whose exp `s` sums along the dim.
  std::optional<Shifted> matchSumOfExp(Value s) {
    s = peelKeptDim(s);
    if (auto reduce = getRowReduce(s)) {
      // A linalg.reduce adding up the exp tensor, from 0.
      auto [op, input, yielded, in, acc] = *reduce;
      auto add = binary<arith::AddFOp>(yielded);
      if (!s.hasOneUse() || !isZeroFill(op.getInits()[0]) || !add ||
          !((add->first == in && add->second == acc) ||
            (add->first == acc && add->second == in)))
        return std::nullopt;
      steps.add(op);
      return matchExpTensor(input);
    }
    std::optional<Shifted> terms;
    if (!isRowSum(s, dim, [&](linalg::GenericOp sum, Value term) {
          terms = matchExp(sum, term);
          return terms.has_value();
        }))
      return std::nullopt;
    steps.add(s.getDefiningOp());
    return terms;
  }

  /// f(s) of a row sum of exp at `v` in `generic`'s payload, `s` read per
  /// row, or read per row from an elementwise producer of it on the rows'
  /// shape; `argOfF(value)` is s where `value` is f(s).
  std::optional<Shifted>
  matchOfSum(linalg::GenericOp generic, Value v,
             function_ref<std::optional<Value>(Value)> argOfF) {
    if (std::optional<Value> arg = argOfF(v)) {
      Value s = getRowTensor(generic, *arg, dim);
      return s ? matchSumOfExp(s) : std::nullopt;
    }
    Value r = getRowTensor(generic, v, dim);
    auto producer =
        r ? peelKeptDim(r).getDefiningOp<linalg::GenericOp>() : nullptr;
    if (!producer || !isPureElementwise(producer))
      return std::nullopt;
    std::optional<Value> arg = argOfF(getYielded(producer));
    Value s = arg ? getFullTensor(producer, *arg) : Value();
    if (!s)
      return std::nullopt;
    steps.add(producer);
    return matchSumOfExp(s);
  }

  /// 1 / s of a row sum of exp.
  std::optional<Shifted> matchReciprocalOfSum(linalg::GenericOp generic,
                                              Value v) {
    return matchOfSum(generic, v, [](Value value) -> std::optional<Value> {
      auto div = binary<arith::DivFOp>(value);
      if (!div || !isOne(div->first))
        return std::nullopt;
      return div->second;
    });
  }

  /// log(s) of a row sum of exp.
  std::optional<Shifted> matchLogOfSum(linalg::GenericOp generic, Value v) {
    return matchOfSum(generic, v, [](Value value) -> std::optional<Value> {
      auto log = value.getDefiningOp<math::LogOp>();
      if (!log)
        return std::nullopt;
      return log.getOperand();
    });
  }

  /// Whether no step's result has a use outside the chain ending at `root`.
  bool isClosed(Operation *root) const { return steps.isClosed(root); }

private:
  int64_t dim;
  ChainSteps steps;
};

/// Raises the chain that ends at an elementwise generic computing y.
struct RaiseSoftmaxChain : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    Value yielded = getYielded(generic);
    if (!yielded)
      return failure();
    auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
    if (!type || type.getRank() == 0 ||
        !isSupportedElementType(type.getElementType()))
      return failure();
    // The dim: where the payload reads a per-row tensor.
    std::optional<int64_t> dim;
    for (OpOperand *input : generic.getDpsInputOperands())
      if (!generic.getMatchingIndexingMap(input).isIdentity())
        dim = getRowDim(generic, input);
    if (!dim || !isElementwiseAlongRows(generic, *dim))
      return failure();

    ChainMatcher chain(*dim);
    std::optional<Shifted> entries, sum;
    bool logarithmic = false;
    if (auto div = binary<arith::DivFOp>(yielded)) {
      // e / s.
      entries = chain.matchExp(generic, div->first);
      Value s = getRowTensor(generic, div->second, *dim);
      if (entries && s)
        sum = chain.matchSumOfExp(s);
    } else if (auto mul = binary<arith::MulFOp>(yielded)) {
      // e * (1 / s), either order.
      for (auto [e, r] : {*mul, std::make_pair(mul->second, mul->first)}) {
        entries = chain.matchExp(generic, e);
        if (!entries)
          continue;
        sum = chain.matchReciprocalOfSum(generic, r);
        break;
      }
    } else if (auto sub = binary<arith::SubFOp>(yielded)) {
      // t - log(s).
      entries = chain.matchShifted(generic, sub->first);
      if (entries)
        sum = chain.matchLogOfSum(generic, sub->second);
      logarithmic = true;
    }
    if (!entries || !sum || !(*entries == *sum))
      return rewriter.notifyMatchFailure(generic, "not a softmax chain");
    if (entries->x.getType() != type)
      return rewriter.notifyMatchFailure(generic, "input and result differ");
    if (!chain.isClosed(generic))
      return rewriter.notifyMatchFailure(
          generic, "an intermediate result is used outside the chain");
    Value y;
    if (logarithmic)
      y = LogSoftmaxOp::create(rewriter, generic.getLoc(), entries->x, *dim);
    else
      y = SoftmaxOp::create(rewriter, generic.getLoc(), entries->x, *dim);
    rewriter.replaceOp(generic, y);
    return success();
  }
};

/// linalg.softmax on tensors to softmax.softmax (its init only gives the
/// result's shape).
struct RaiseLinalgSoftmax : OpRewritePattern<linalg::SoftmaxOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::SoftmaxOp op,
                                PatternRewriter &rewriter) const override {
    auto type = dyn_cast<RankedTensorType>(op.getInput().getType());
    if (!type || op->getNumResults() != 1 ||
        op->getResult(0).getType() != type ||
        !isSupportedElementType(type.getElementType()))
      return rewriter.notifyMatchFailure(op, "not a softmax of a float tensor");
    rewriter.replaceOpWithNewOp<SoftmaxOp>(
        op, op.getInput(), static_cast<int64_t>(op.getDimension()));
    return success();
  }
};

} // namespace

void mlir::softmax::populateRaiseSoftmaxPatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseSoftmaxChain, RaiseLinalgSoftmax>(patterns.getContext());
}
