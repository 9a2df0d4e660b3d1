//===- CrossEntropyDecomposition.cpp - cross-entropy in linalg ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites softmax.cross_entropy and its gradient into linalg.generic ops
// on tensors that never form the probabilities: per sample (a row along
// dim), m = max(x); with t = x - m, the count c of the entries at m and
// the sum r of exp(t) over the others (s = c + r; and, with label
// smoothing, the row total of t); then L = log(s) = log1p(c - 1 + r) and
//
//   loss = (1 - e) (L - t[label]) + e (L - total / classes)
//
// reading x[label] with tensor.extract, or, elementwise,
//
//   dx = (exp(t) / s - (1 - e) [j == label] - e / classes) dloss,
//
// where at a label that is a maximum exp(t) / s - 1 = -(c - 1 + r) / s:
// a confident prediction's loss and gradient keep their digits, which
// log(s) and p - 1 would lose to s ~ 1 (PyTorch loses them). A row whose
// maximum is not finite follows the log_softmax contract: the loss is
// -log_softmax(x)[label] (NaN for a NaN row, +inf for an all -inf row,
// log(k) at one of k +inf entries), p is softmax's (0 for an all -inf row).
//
// A label equal to ignore_index gives 0, one outside [0, classes) NaN (the
// read is clamped into the row). f16 and bf16 compute in f32, f32 sums in
// f64; the results are rounded once.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

namespace {

/// The pieces both ops share, over logits with the classes along dim.
class CrossEntropyBuilder {
public:
  CrossEntropyBuilder(RewriterBase &b, Location loc, Value logits, int64_t dim,
                      double smoothing, int64_t ignoreIndex)
      : b(b), loc(loc), logits(logits), g(b, loc, logits, dim), dim(dim),
        smoothing(smoothing), ignoreIndex(ignoreIndex) {
    elementType = cast<FloatType>(
        cast<RankedTensorType>(logits.getType()).getElementType());
    accType = getAccumulatorType(elementType);
    sumType = getSumType(elementType);
    classes = getValueOrCreateConstantIndexOp(b, loc, g.sizes[dim]);
  }

  /// Per row: m = max(x) (NaN-propagating), the count c of entries at m,
  /// the sum r of exp(t) over the others and, with `withTotal` and
  /// smoothing, the total of t, where t = (x == m) ? 0 : x - m.
  void buildRowStats(bool withTotal) {
    bool total = withTotal && smoothing != 0.0;
    Value maxInit = filled(b, loc, g.rowSizes, accType,
                           -std::numeric_limits<double>::infinity());
    SmallVector<utils::IteratorType> reduction(g.rank,
                                               utils::IteratorType::parallel);
    reduction[dim] = utils::IteratorType::reduction;
    rowMax = linalg::GenericOp::create(
                 b, loc, TypeRange{maxInit.getType()}, ValueRange{logits},
                 ValueRange{maxInit}, ArrayRef<AffineMap>{g.fullMap, g.rowMap},
                 reduction,
                 [&](OpBuilder &nb, Location nl, ValueRange args) {
                   linalg::YieldOp::create(
                       nb, nl,
                       arith::MaximumFOp::create(
                           nb, nl, extend(nb, nl, args[0], accType), args[1])
                           .getResult());
                 })
                 .getResult(0);
    SmallVector<Value> inits = {filled(b, loc, g.rowSizes, sumType, 0.0),
                                filled(b, loc, g.rowSizes, sumType, 0.0)};
    if (total)
      inits.push_back(filled(b, loc, g.rowSizes, sumType, 0.0));
    SmallVector<Type> types(inits.size(), inits[0].getType());
    SmallVector<AffineMap> maps = {g.fullMap, g.rowMap};
    maps.append(inits.size(), g.rowMap);
    auto sums = linalg::GenericOp::create(
        b, loc, types, ValueRange{logits, rowMax}, inits, maps, reduction,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value t = shifted(nb, nl, args[0], args[1]);
          Value e = extend(nb, nl, math::ExpOp::create(nb, nl, t), sumType);
          Value atMax =
              arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                    extend(nb, nl, args[0], accType), args[1]);
          Value zero = constant(nb, nl, sumType, 0.0);
          SmallVector<Value> results = {
              arith::AddFOp::create(
                  nb, nl, args[2],
                  arith::SelectOp::create(nb, nl, atMax, zero, e)),
              arith::AddFOp::create(
                  nb, nl, args[3],
                  arith::SelectOp::create(
                      nb, nl, atMax, constant(nb, nl, sumType, 1.0), zero))};
          // The total in the sum's type: an f32 x - m overflows where the
          // row spans more than the largest f32.
          if (total)
            results.push_back(arith::AddFOp::create(
                nb, nl, args[4], shifted(nb, nl, args[0], args[1], sumType)));
          linalg::YieldOp::create(nb, nl, results);
        });
    rowRest = sums.getResult(0);
    rowCount = sums.getResult(1);
    if (total)
      rowTotal = sums.getResult(2);
  }

  /// The loss per sample.
  Value buildLoss(Value labels, RankedTensorType lossType) {
    Value init = tensor::EmptyOp::create(b, loc, g.rowSizes, elementType);
    SmallVector<Value> inputs = {labels, rowMax, rowRest, rowCount};
    if (rowTotal)
      inputs.push_back(rowTotal);
    SmallVector<AffineMap> maps(
        inputs.size() + 1,
        AffineMap::getMultiDimIdentityMap(g.rank - 1, b.getContext()));
    SmallVector<utils::IteratorType> parallel(g.rank - 1,
                                              utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{lossType}, inputs, ValueRange{init}, maps,
               parallel,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value label = args[0], m = args[1];
                 Value index = labelIndex(nb, nl, label);
                 // x[label], read at a label clamped into [0, classes).
                 Value last = arith::SubIOp::create(
                     nb, nl, classes,
                     arith::ConstantIndexOp::create(nb, nl, 1));
                 Value clamped = arith::MinSIOp::create(
                     nb, nl,
                     arith::MaxSIOp::create(
                         nb, nl, index,
                         arith::ConstantIndexOp::create(nb, nl, 0)),
                     last);
                 SmallVector<Value> at;
                 for (int64_t i = 0, r = 0; i < g.rank; ++i)
                   at.push_back(
                       i == dim
                           ? clamped
                           : linalg::IndexOp::create(nb, nl, r++).getResult());
                 Value xRaw = tensor::ExtractOp::create(nb, nl, logits, at);
                 Value xl = extend(nb, nl, xRaw, sumType);
                 Value ms = extend(nb, nl, m, sumType);
                 CrossEntropyRowSum rs =
                     buildCrossEntropyRowSum(nb, nl, ms, args[2], args[3]);
                 Value logS = math::Log1pOp::create(nb, nl, rs.rest);
                 // A finite maximum: L - t[label]; else what -log_softmax
                 // gives (buildNonFiniteCrossEntropy).
                 Value tl = shifted(nb, nl, xRaw, m, sumType);
                 Value value = arith::SubFOp::create(nb, nl, logS, tl);
                 if (smoothing != 0.0) {
                   // mean(x) = m + mean(t): the row total of t, not of x,
                   // loses only what the spread of the row does.
                   Value meanT = arith::DivFOp::create(nb, nl, args[4],
                                                       classCount(nb, nl));
                   Value uniform = arith::SubFOp::create(nb, nl, logS, meanT);
                   value = arith::AddFOp::create(
                       nb, nl,
                       arith::MulFOp::create(
                           nb, nl, constant(nb, nl, sumType, 1.0 - smoothing),
                           value),
                       arith::MulFOp::create(
                           nb, nl, constant(nb, nl, sumType, smoothing),
                           uniform));
                 }
                 value = arith::SelectOp::create(
                     nb, nl, rs.finite, value,
                     buildNonFiniteCrossEntropy(nb, nl, ms, xl, rs.s, args[3],
                                                classCount(nb, nl), smoothing));
                 linalg::YieldOp::create(nb, nl,
                                         finish(nb, nl, label, index, value));
               })
        .getResult(0);
  }

  /// dx = (exp(t) / s - target) dloss, elementwise.
  Value buildGrad(Value labels, Value lossGrad) {
    Value init = tensor::EmptyOp::create(b, loc, g.sizes, elementType);
    SmallVector<utils::IteratorType> parallel(g.rank,
                                              utils::IteratorType::parallel);
    return linalg::GenericOp::create(
               b, loc, TypeRange{init.getType()},
               ValueRange{logits, labels, rowMax, rowRest, rowCount, lossGrad},
               ValueRange{init},
               ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap,
                                   g.rowMap, g.rowMap, g.fullMap},
               parallel,
               [&](OpBuilder &nb, Location nl, ValueRange args) {
                 Value label = args[1];
                 CrossEntropyRowSum rs = buildCrossEntropyRowSum(
                     nb, nl, extend(nb, nl, args[2], sumType), args[3],
                     args[4]);
                 Value s = rs.s;
                 // p = exp(t) / s with t and exp in the sum's type: an f32
                 // x - m rounds to 2^-24 of |t|, which exp makes relative
                 // and p - target can cancel. An all -inf row's p is 0.
                 Value t = shifted(nb, nl, args[0], args[2], sumType);
                 Value p = arith::SelectOp::create(
                     nb, nl,
                     arith::CmpFOp::create(
                         nb, nl, arith::CmpFPredicate::OEQ,
                         extend(nb, nl, args[2], sumType),
                         constant(nb, nl, sumType,
                                  -std::numeric_limits<double>::infinity())),
                     constant(nb, nl, sumType, 0.0),
                     arith::DivFOp::create(nb, nl,
                                           math::ExpOp::create(nb, nl, t), s));
                 Value index = labelIndex(nb, nl, label);
                 Value atLabel = arith::CmpIOp::create(
                     nb, nl, arith::CmpIPredicate::eq,
                     linalg::IndexOp::create(nb, nl, dim), index);
                 Value target = arith::SelectOp::create(
                     nb, nl, atLabel,
                     constant(nb, nl, sumType, 1.0 - smoothing),
                     constant(nb, nl, sumType, 0.0));
                 if (smoothing != 0.0)
                   target = arith::AddFOp::create(
                       nb, nl, target,
                       arith::DivFOp::create(
                           nb, nl, constant(nb, nl, sumType, smoothing),
                           classCount(nb, nl)));
                 Value diff = arith::SubFOp::create(nb, nl, p, target);
                 // At a label that is a maximum of a finite row:
                 // (p - 1) + e - e / classes with p - 1 = -(c - 1 + r) / s.
                 Value atMax = arith::AndIOp::create(
                     nb, nl, atLabel,
                     arith::AndIOp::create(
                         nb, nl, rs.finite,
                         arith::CmpFOp::create(
                             nb, nl, arith::CmpFPredicate::OEQ, t,
                             constant(nb, nl, sumType, 0.0))));
                 Value confident = arith::AddFOp::create(
                     nb, nl,
                     arith::DivFOp::create(
                         nb, nl, arith::NegFOp::create(nb, nl, rs.rest), s),
                     arith::SubFOp::create(
                         nb, nl, constant(nb, nl, sumType, 1.0), target));
                 diff = arith::SelectOp::create(nb, nl, atMax, confident, diff);
                 Value value = arith::MulFOp::create(
                     nb, nl, diff, extend(nb, nl, args[5], sumType));
                 linalg::YieldOp::create(nb, nl,
                                         finish(nb, nl, label, index, value));
               })
        .getResult(0);
  }

private:
  /// t = (x == m) ? 0 : x - m, in `type` (by default the accumulator
  /// type).
  Value shifted(OpBuilder &nb, Location nl, Value x, Value m,
                Type type = nullptr) const {
    if (!type)
      type = accType;
    x = extend(nb, nl, x, type);
    m = extend(nb, nl, m, type);
    Value isMax =
        arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x, m);
    return arith::SelectOp::create(nb, nl, isMax, constant(nb, nl, type, 0.0),
                                   arith::SubFOp::create(nb, nl, x, m));
  }

  Value labelIndex(OpBuilder &nb, Location nl, Value label) const {
    return arith::IndexCastOp::create(nb, nl, nb.getIndexType(), label);
  }

  Value classCount(OpBuilder &nb, Location nl) const {
    return arith::UIToFPOp::create(
        nb, nl, sumType,
        arith::IndexCastUIOp::create(nb, nl, nb.getI64Type(), classes));
  }

  /// `value` in the element type: 0 for ignore_index, NaN for a label
  /// outside the classes.
  Value finish(OpBuilder &nb, Location nl, Value label, Value index,
               Value value) const {
    Value inRange = arith::AndIOp::create(
        nb, nl,
        arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, index,
                              arith::ConstantIndexOp::create(nb, nl, 0)),
        arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, index,
                              classes));
    value = arith::SelectOp::create(
        nb, nl, inRange, value,
        constant(nb, nl, sumType, std::numeric_limits<double>::quiet_NaN()));
    Type labelType = label.getType();
    Value ignored = arith::CmpIOp::create(
        nb, nl, arith::CmpIPredicate::eq, label,
        arith::ConstantOp::create(nb, nl, labelType,
                                  nb.getIntegerAttr(labelType, ignoreIndex)));
    value = arith::SelectOp::create(nb, nl, ignored,
                                    constant(nb, nl, sumType, 0.0), value);
    if (sumType != elementType)
      value = arith::TruncFOp::create(nb, nl, elementType, value);
    return value;
  }

  RewriterBase &b;
  Location loc;
  Value logits;
  RowGeometry g;
  int64_t dim;
  double smoothing;
  int64_t ignoreIndex;
  FloatType elementType, accType, sumType;
  Value classes, rowMax, rowRest, rowCount, rowTotal;
};

} // namespace

FailureOr<Value> mlir::softmax::decomposeCrossEntropy(RewriterBase &rewriter,
                                                      CrossEntropyOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  CrossEntropyBuilder builder(
      rewriter, op.getLoc(), op.getLogits(), op.getDim(),
      op.getLabelSmoothing().convertToDouble(), op.getIgnoreIndex());
  builder.buildRowStats(/*withTotal=*/true);
  Value loss = builder.buildLoss(
      op.getLabels(), cast<RankedTensorType>(op.getLoss().getType()));
  rewriter.replaceOp(op, loss);
  return loss;
}

FailureOr<Value>
mlir::softmax::decomposeCrossEntropyGrad(RewriterBase &rewriter,
                                         CrossEntropyGradOp op) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  CrossEntropyBuilder builder(
      rewriter, op.getLoc(), op.getLogits(), op.getDim(),
      op.getLabelSmoothing().convertToDouble(), op.getIgnoreIndex());
  // The gradient needs no row total: the smoothed target is constant.
  builder.buildRowStats(/*withTotal=*/false);
  Value dx = builder.buildGrad(op.getLabels(), op.getLossGrad());
  rewriter.replaceOp(op, dx);
  return dx;
}
