//===- SoftmaxDecomposition.cpp - stable max-exp-sum decomposition --------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites softmax ops into linalg on tensors in the numerically stable
// max-exp-sum form. The form handles the dialect's special values exactly,
// without fast-math flags, so no later rewrite may change them.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// Builds the linalg form of one normalisation along `dim` of `input`.
class NormalizeBuilder {
public:
  NormalizeBuilder(RewriterBase &rewriter, Location loc, Value input,
                   int64_t dim)
      : b(rewriter), loc(loc), input(input),
        inputType(cast<RankedTensorType>(input.getType())),
        elementType(cast<FloatType>(inputType.getElementType())),
        accType(getAccumulatorType(elementType)),
        sumType(softmax::detail::getSumType(elementType)),
        g(rewriter, loc, input, dim) {}

  /// m = max(x) along dim, with NaN propagation and -inf as identity.
  Value buildRowMax() {
    Value init = fillRow(constant(accType, negInf()));
    SmallVector<utils::IteratorType> iterators = g.reduction();
    auto op = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{input}, ValueRange{init},
        ArrayRef<AffineMap>{g.fullMap, g.rowMap}, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value x = extend(nb, nl, args[0]);
          Value m = arith::MaximumFOp::create(nb, nl, x, args[1]);
          linalg::YieldOp::create(nb, nl, m);
        });
    return op.getResult(0);
  }

  /// The row sum s = sum(exp(t)) = c + r, as the pair (r, c): c counts the
  /// entries equal to the max (each adds exp(0) = 1), r sums exp(x - m) over
  /// the others. Keeping r apart lets log_softmax use log1p(c - 1 + r),
  /// exact to an ulp even when s is within an ulp of 1. f32 inputs sum in
  /// f64: a long row summed in f32 drifts by ~sqrt(n) ulps.
  std::pair<Value, Value> buildRowSum(Value rowMax) {
    Value zeroV = arith::ConstantOp::create(b, loc, sumType,
                                            b.getFloatAttr(sumType, 0.0));
    Value init = fillRow(zeroV);
    auto op = linalg::GenericOp::create(
        b, loc, TypeRange{init.getType(), init.getType()},
        ValueRange{input, rowMax}, ValueRange{init, init},
        ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap},
        g.reduction(), [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value x = extend(nb, nl, args[0]), m = args[1];
          Value isMax =
              arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x, m);
          Value e =
              math::ExpOp::create(nb, nl, arith::SubFOp::create(nb, nl, x, m));
          if (sumType != accType)
            e = arith::ExtFOp::create(nb, nl, sumType, e);
          Value zero = arith::ConstantOp::create(nb, nl, sumType,
                                                 nb.getFloatAttr(sumType, 0.0));
          Value one = arith::ConstantOp::create(nb, nl, sumType,
                                                nb.getFloatAttr(sumType, 1.0));
          Value r = arith::AddFOp::create(
              nb, nl, args[2], arith::SelectOp::create(nb, nl, isMax, zero, e));
          Value c = arith::AddFOp::create(
              nb, nl, args[3],
              arith::SelectOp::create(nb, nl, isMax, one, zero));
          linalg::YieldOp::create(nb, nl, ValueRange{r, c});
        });
    return {op.getResult(0), op.getResult(1)};
  }

  /// Per row: `rowMax == -inf ? ifNegInf : f(r, c)`, where `f` computes in
  /// the sum's type and the result is rounded to the accumulator type.
  Value
  buildRowFactor(Value rowMax, std::pair<Value, Value> rowSum,
                 const APFloat &ifNegInf,
                 function_ref<Value(OpBuilder &, Location, Value, Value)> f) {
    Value init =
        tensor::EmptyOp::create(b, loc, g.rowSizes, accType).getResult();
    SmallVector<utils::IteratorType> iterators(g.rowMap.getNumResults(),
                                               utils::IteratorType::parallel);
    AffineMap id = AffineMap::getMultiDimIdentityMap(g.rowMap.getNumResults(),
                                                     b.getContext());
    auto op = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{rowMax, rowSum.first, rowSum.second},
        ValueRange{init}, ArrayRef<AffineMap>{id, id, id, id}, iterators,
        [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value isNegInf = arith::CmpFOp::create(
              nb, nl, arith::CmpFPredicate::OEQ, args[0],
              arith::ConstantOp::create(nb, nl, accType,
                                        nb.getFloatAttr(accType, negInf())));
          Value special = arith::ConstantOp::create(
              nb, nl, accType, nb.getFloatAttr(accType, ifNegInf));
          Value value = f(nb, nl, args[1], args[2]);
          if (sumType != accType)
            value = arith::TruncFOp::create(nb, nl, accType, value);
          Value r = arith::SelectOp::create(nb, nl, isNegInf, special, value);
          linalg::YieldOp::create(nb, nl, r);
        });
    return op.getResult(0);
  }

  /// y = combine(t, rowFactor) elementwise, rounded to the element type.
  Value buildOutput(
      Value rowMax, Value rowFactor,
      function_ref<Value(OpBuilder &, Location, Value, Value)> combine) {
    Value init =
        tensor::EmptyOp::create(b, loc, g.sizes, elementType).getResult();
    SmallVector<utils::IteratorType> iterators = g.parallel();
    auto op = linalg::GenericOp::create(
        b, loc, init.getType(), ValueRange{input, rowMax, rowFactor},
        ValueRange{init},
        ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.fullMap},
        iterators, [&](OpBuilder &nb, Location nl, ValueRange args) {
          Value y = combine(nb, nl, shifted(nb, nl, args[0], args[1]), args[2]);
          if (accType != elementType)
            y = arith::TruncFOp::create(nb, nl, elementType, y);
          linalg::YieldOp::create(nb, nl, y);
        });
    return op.getResult(0);
  }

  APFloat negInf() const { return APFloat::getInf(semantics(), true); }
  APFloat posInf() const { return APFloat::getInf(semantics(), false); }
  APFloat zero() const { return APFloat::getZero(semantics()); }

private:
  const llvm::fltSemantics &semantics() const {
    return accType.getFloatSemantics();
  }

  Value constant(Type type, const APFloat &value) {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
  }

  Value fillRow(Value value) {
    Value empty = tensor::EmptyOp::create(b, loc, g.rowSizes, value.getType())
                      .getResult();
    return linalg::FillOp::create(b, loc, ValueRange{value}, ValueRange{empty})
        .getResult(0);
  }

  Value extend(OpBuilder &nb, Location nl, Value x) const {
    if (x.getType() == accType)
      return x;
    return arith::ExtFOp::create(nb, nl, accType, x);
  }

  /// t = (x == m) ? 0 : x - m. Equal to x - m whenever m is finite; when m
  /// is +inf it gives 0 for the +inf entries (not inf - inf = NaN).
  Value shifted(OpBuilder &nb, Location nl, Value x, Value m) const {
    x = extend(nb, nl, x);
    Value isMax =
        arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x, m);
    Value zeroV = arith::ConstantOp::create(
        nb, nl, accType,
        nb.getFloatAttr(accType, APFloat::getZero(semantics())));
    Value diff = arith::SubFOp::create(nb, nl, x, m);
    return arith::SelectOp::create(nb, nl, isMax, zeroV, diff);
  }

  RewriterBase &b;
  Location loc;
  Value input;
  RankedTensorType inputType;
  FloatType elementType;
  FloatType accType;
  FloatType sumType;
  softmax::detail::RowGeometry g;
};

template <typename OpTy> struct DecomposePattern : OpRewritePattern<OpTy> {
  using OpRewritePattern<OpTy>::OpRewritePattern;
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if constexpr (std::is_same_v<OpTy, SoftmaxOp>)
      return decomposeSoftmax(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, LogSoftmaxOp>)
      return decomposeLogSoftmax(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, SoftmaxGradOp>)
      return decomposeSoftmaxGrad(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, LogSoftmaxGradOp>)
      return decomposeLogSoftmaxGrad(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, CrossEntropyOp>)
      return decomposeCrossEntropy(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, CrossEntropyGradOp>)
      return decomposeCrossEntropyGrad(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, SparsemaxOp>)
      return decomposeSparsemax(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, SparsemaxGradOp>)
      return decomposeSparsemaxGrad(rewriter, op);
    else if constexpr (std::is_same_v<OpTy, EntmaxOp>)
      return decomposeEntmax(rewriter, op);
    else
      return decomposeEntmaxGrad(rewriter, op);
  }
};

} // namespace

/// Builds softmax (or log_softmax) of `input` along `dim` before `op`.
static Value buildNormalize(RewriterBase &rewriter, Operation *op, Value input,
                            int64_t dim, bool logarithmic) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  NormalizeBuilder nb(rewriter, op->getLoc(), input, dim);
  Value rowMax = nb.buildRowMax();
  std::pair<Value, Value> rowSum = nb.buildRowSum(rowMax);
  auto one = [](OpBuilder &b, Location loc, Type type) -> Value {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, 1.0));
  };

  if (!logarithmic) {
    // 1/s per row; an all -inf row (m = -inf, every t = 0) gives zeros.
    Value rowScale = nb.buildRowFactor(
        rowMax, rowSum, nb.zero(),
        [&](OpBuilder &b, Location loc, Value r, Value c) {
          Value s = arith::AddFOp::create(b, loc, c, r);
          return arith::DivFOp::create(b, loc, one(b, loc, s.getType()), s)
              .getResult();
        });
    return nb.buildOutput(
        rowMax, rowScale, [](OpBuilder &b, Location loc, Value t, Value r) {
          Value e = math::ExpOp::create(b, loc, t);
          return arith::MulFOp::create(b, loc, e, r).getResult();
        });
  }

  // log(s) = log1p(c - 1 + r) per row; an all -inf row (m = -inf, t = 0)
  // subtracts +inf and gives -inf.
  Value rowLogSum = nb.buildRowFactor(
      rowMax, rowSum, nb.posInf(),
      [&](OpBuilder &b, Location loc, Value r, Value c) {
        Value ties = arith::SubFOp::create(b, loc, c, one(b, loc, c.getType()));
        Value s1 = arith::AddFOp::create(b, loc, ties, r);
        return math::Log1pOp::create(b, loc, s1).getResult();
      });
  return nb.buildOutput(
      rowMax, rowLogSum, [](OpBuilder &b, Location loc, Value t, Value l) {
        return arith::SubFOp::create(b, loc, t, l).getResult();
      });
}

/// Expands the masking of `op` (softmax-expand-mask) and decomposes the op
/// without it that takes its place.
template <typename OpTy>
static FailureOr<Value> expandAndDecompose(RewriterBase &rewriter, OpTy op) {
  FailureOr<Operation *> expanded = expandMasking(rewriter, op);
  if (failed(expanded))
    return failure();
  auto plain = cast<OpTy>(*expanded);
  if constexpr (std::is_same_v<OpTy, SoftmaxOp>)
    return decomposeSoftmax(rewriter, plain);
  else
    return decomposeLogSoftmax(rewriter, plain);
}

FailureOr<Value> mlir::softmax::decomposeSoftmax(RewriterBase &rewriter,
                                                 SoftmaxOp op) {
  if (op.hasMasking())
    return expandAndDecompose(rewriter, op);
  Value result = buildNormalize(rewriter, op, op.getInput(), op.getDim(),
                                /*logarithmic=*/false);
  rewriter.replaceOp(op, result);
  return result;
}

FailureOr<Value> mlir::softmax::decomposeLogSoftmax(RewriterBase &rewriter,
                                                    LogSoftmaxOp op) {
  if (op.hasMasking())
    return expandAndDecompose(rewriter, op);
  Value result = buildNormalize(rewriter, op, op.getInput(), op.getDim(),
                                /*logarithmic=*/true);
  rewriter.replaceOp(op, result);
  return result;
}

void mlir::softmax::populateSoftmaxDecompositionPatterns(
    RewritePatternSet &patterns) {
  patterns
      .add<DecomposePattern<SoftmaxOp>, DecomposePattern<LogSoftmaxOp>,
           DecomposePattern<SoftmaxGradOp>, DecomposePattern<LogSoftmaxGradOp>,
           DecomposePattern<CrossEntropyOp>,
           DecomposePattern<CrossEntropyGradOp>, DecomposePattern<SparsemaxOp>,
           DecomposePattern<SparsemaxGradOp>, DecomposePattern<EntmaxOp>,
           DecomposePattern<EntmaxGradOp>>(patterns.getContext());
}
