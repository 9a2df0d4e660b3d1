//===- SoftmaxVectorization.cpp - vector row loops for softmax ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites a softmax op that reduces along its innermost (contiguous)
// dimension into an scf.forall over rows (the outer dims) whose body makes
// three vector passes over the row: max; exp and sum; normalise. f32 and f64
// rows keep exp(x - max) in the output row between the last two passes
// ("store-exp"), so exp is computed once per element; f16 rows recompute it,
// since an f16 copy would round it twice (bf16 stays on the decomposition).
// Accumulators stay in vector registers across the row and are reduced
// horizontally once per row; the row tail is one masked vector, skipped when
// the row ends on a whole vector. The special-value contract is the one of
// the decomposition.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Transforms/NonPositiveExp.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// Vectors summed in accumulator-type lanes before they are added to the
/// sum-type lanes: each f32 lane adds at most 32 terms, ~1e-6 relative.
constexpr int64_t kSumBlock = 32;

/// Emits the vector row loops of one softmax op that reduces its innermost
/// dimension.
class RowLoopBuilder {
public:
  RowLoopBuilder(OpBuilder &b, Location loc, RankedTensorType type,
                 bool logarithmic, const RowVectorizationOptions &options)
      : b(b), loc(loc), logarithmic(logarithmic),
        elementType(cast<FloatType>(type.getElementType())),
        accType(getAccumulatorType(elementType)),
        sumType(elementType.isF32() ? Float64Type::get(b.getContext())
                                    : accType),
        storeExp(!logarithmic && elementType == accType) {
    lanes = std::max<int64_t>(1, options.vectorBits / accType.getWidth()) *
            std::max<int64_t>(1, options.unroll);
    elementVec = VectorType::get({lanes}, elementType);
    accVec = VectorType::get({lanes}, accType);
    sumVec = VectorType::get({lanes}, sumType);
    countVec = VectorType::get({lanes}, b.getI32Type());
  }

  /// The normalised tensor of `x`: one row per index of the outer dims,
  /// computed into a [1, .., 1, n] slice of the output.
  Value build(Value x) {
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    // [0, nMain) in whole vectors, then one masked vector at nMain.
    Value rem = arith::RemUIOp::create(b, loc, n, index(lanes));
    Value nMain = arith::SubIOp::create(b, loc, n, rem);
    hasTail =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, index(0));
    // The output keeps the static sizes of the input.
    Value init =
        tensor::EmptyOp::create(b, loc, sizes, elementType).getResult();
    if (rank == 1)
      return buildRow(x, init, {}, nMain);
    outRow.assign(rank - 1, index(0));

    // One parallel iteration per row: each writes its own slice of the
    // output, so the iterations are independent and may run on any thread.
    SmallVector<OpFoldResult> outer(ArrayRef(sizes).drop_back());
    auto forall = scf::ForallOp::create(
        b, loc, outer, ValueRange{init}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.drop_back();
          Value out = args.back();
          SmallVector<OpFoldResult> offsets(row.begin(), row.end());
          offsets.push_back(b.getIndexAttr(0));
          SmallVector<OpFoldResult> rowSizes(rank - 1, b.getIndexAttr(1));
          rowSizes.push_back(sizes.back());
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          // Rank-preserving: a rank-reduced [1, .., 1, n] slice is ambiguous
          // when n is 1, and bufferization may then drop the wrong unit dim.
          SmallVector<int64_t> rowShape(rank - 1, 1);
          rowShape.push_back(
              cast<RankedTensorType>(x.getType()).getShape().back());
          auto rowType = RankedTensorType::get(rowShape, elementType);
          Value rowOut = tensor::ExtractSliceOp::create(
              b, loc, rowType, out, offsets, rowSizes, strides);
          Value result = buildRow(x, rowOut, row, nMain);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(b, loc, result, out, offsets,
                                                rowSizes, strides);
        });
    return forall.getResult(0);
  }

private:
  Value buildRow(Value x, Value out, ValueRange row, Value nMain) {
    // `out` is this row of the output ([1, .., 1, n]); `row` indexes the
    // outer dims of `x`.
    // Pass 1: m = max(x), -inf as identity, NaN propagates.
    Value negInfVec = splat(accVec, negInf(accType));
    auto maxLoop =
        forColumns(nMain, {negInfVec},
                   [&](Value col, ValueRange acc) -> SmallVector<Value> {
                     Value v = read(x, row, col, /*inBounds=*/true);
                     return {arith::MaximumFOp::create(b, loc, acc[0], v)};
                   });
    Value maxVec = ifTail({maxLoop.getResult(0)}, [&] {
      Value tail = read(x, row, nMain, /*inBounds=*/false);
      return SmallVector<Value>{
          arith::MaximumFOp::create(b, loc, maxLoop.getResult(0), tail)};
    })[0];
    Value m = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, maxVec);
    Value mVec = vector::BroadcastOp::create(b, loc, accVec, m);

    // Pass 2: r = sum of exp(x - m) over entries below m, c = entries at m.
    // The partial sums stay in accumulator-type lanes for a block of
    // kSumBlock vectors and are then added to sum-type (f64 for f32) lanes:
    // as accurate as summing in f64 throughout, at the cost of f32 adds.
    Value zeroAcc =
        splat(accVec, APFloat::getZero(accType.getFloatSemantics()));
    Value zeroSum =
        splat(sumVec, APFloat::getZero(sumType.getFloatSemantics()));
    Value zeroCount = arith::ConstantOp::create(
        b, loc, countVec,
        DenseElementsAttr::get(countVec, b.getI32IntegerAttr(0)));
    auto sumStep = [&](Value col, bool inBounds, Value outT, Value r,
                       Value c) -> SmallVector<Value> {
      Value v = read(x, row, col, inBounds);
      Value isMax =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, mVec);
      Value e = buildNonPositiveExp(b, loc, shifted(v, mVec, isMax));
      if (storeExp)
        outT = vector::TransferWriteOp::create(b, loc, e, outT, outAt(col),
                                               ArrayRef<bool>{inBounds})
                   .getResult();
      r = arith::AddFOp::create(
          b, loc, r, arith::SelectOp::create(b, loc, isMax, zeroAcc, e));
      c = arith::AddIOp::create(
          b, loc, c, arith::ExtUIOp::create(b, loc, countVec, isMax));
      return {outT, r, c};
    };
    auto flush = [&](Value total, Value partial) -> Value {
      if (sumType != accType)
        partial = arith::ExtFOp::create(b, loc, sumVec, partial);
      return arith::AddFOp::create(b, loc, total, partial);
    };
    Value blockSize = index(lanes * kSumBlock);
    auto blockLoop = scf::ForOp::create(
        b, loc, index(0), nMain, blockSize, ValueRange{out, zeroSum, zeroCount},
        [&](OpBuilder &, Location, Value block, ValueRange acc) {
          Value end = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, block, blockSize), nMain);
          auto inner = scf::ForOp::create(
              b, loc, block, end, index(lanes),
              ValueRange{acc[0], zeroAcc, acc[2]},
              [&](OpBuilder &, Location, Value col, ValueRange inAcc) {
                scf::YieldOp::create(b, loc,
                                     sumStep(col, /*inBounds=*/true, inAcc[0],
                                             inAcc[1], inAcc[2]));
              });
          scf::YieldOp::create(b, loc,
                               ValueRange{inner.getResult(0),
                                          flush(acc[1], inner.getResult(1)),
                                          inner.getResult(2)});
        });
    SmallVector<Value> last =
        ifTail({blockLoop.getResult(0), zeroAcc, blockLoop.getResult(2)}, [&] {
          return sumStep(nMain, /*inBounds=*/false, blockLoop.getResult(0),
                         zeroAcc, blockLoop.getResult(2));
        });
    out = last[0];
    // The lanes are partial sums in no particular order already: adding
    // them as a tree (reassoc) instead of one lane after another shortens a
    // per-row chain of `lanes` dependent adds to log2(lanes).
    Value r = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD,
        flush(blockLoop.getResult(1), last[1]), arith::FastMathFlags::reassoc);
    Value c = arith::SIToFPOp::create(
        b, loc, sumType,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                    last[2]));

    // The row factor: 1/s or log(s) = log1p(c - 1 + r); an all -inf row
    // gives 0 or +inf.
    Value one = scalar(sumType, 1.0);
    Value factor;
    if (logarithmic) {
      // log1p in the accumulator type: an f32 log1p becomes a polynomial
      // (softmax-approximate-math) instead of a libm call per row; rounding
      // c - 1 + r to f32 first costs half an ulp of log(s).
      Value s1 = arith::AddFOp::create(
          b, loc, arith::SubFOp::create(b, loc, c, one), r);
      if (sumType != accType)
        s1 = arith::TruncFOp::create(b, loc, accType, s1);
      factor = math::Log1pOp::create(b, loc, s1);
    } else {
      factor = arith::DivFOp::create(b, loc, one,
                                     arith::AddFOp::create(b, loc, c, r));
      if (sumType != accType)
        factor = arith::TruncFOp::create(b, loc, accType, factor);
    }
    Value isNegInf = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OEQ, m,
        arith::ConstantOp::create(b, loc, accType,
                                  b.getFloatAttr(accType, negInf(accType))));
    Value special = arith::ConstantOp::create(
        b, loc, accType,
        b.getFloatAttr(accType,
                       logarithmic
                           ? APFloat::getInf(accType.getFloatSemantics())
                           : APFloat::getZero(accType.getFloatSemantics())));
    factor = arith::SelectOp::create(b, loc, isNegInf, special, factor);
    // A NaN row: the exp above does not propagate NaN, the factor does.
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, m, m);
    factor = arith::SelectOp::create(b, loc, isNaN, m, factor);
    Value factorVec = vector::BroadcastOp::create(b, loc, accVec, factor);

    // Pass 3: y = exp(t) * (1/s) or t - log(s).
    auto normalizeStep = [&](Value col, bool inBounds, Value outT) -> Value {
      Value y;
      if (storeExp) {
        y = arith::MulFOp::create(b, loc, read(outT, outRow, col, inBounds),
                                  factorVec);
      } else {
        Value v = read(x, row, col, inBounds);
        Value isMax =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, mVec);
        Value t = shifted(v, mVec, isMax);
        y = logarithmic
                ? arith::SubFOp::create(b, loc, t, factorVec).getResult()
                : arith::MulFOp::create(b, loc, buildNonPositiveExp(b, loc, t),
                                        factorVec)
                      .getResult();
      }
      if (elementType != accType)
        y = arith::TruncFOp::create(b, loc, elementVec, y);
      return vector::TransferWriteOp::create(b, loc, y, outT, outAt(col),
                                             ArrayRef<bool>{inBounds})
          .getResult();
    };
    auto normalizeLoop =
        forColumns(nMain, {out}, [&](Value col, ValueRange acc) {
          return SmallVector<Value>{
              normalizeStep(col, /*inBounds=*/true, acc[0])};
        });
    return ifTail({normalizeLoop.getResult(0)}, [&] {
      return SmallVector<Value>{
          normalizeStep(nMain, /*inBounds=*/false, normalizeLoop.getResult(0))};
    })[0];
  }

  /// The row tail: `tail()` if the row does not end on a whole vector, else
  /// `skip`. A branch per row costs less than a fully masked vector op.
  SmallVector<Value> ifTail(ValueRange skip,
                            function_ref<SmallVector<Value>()> tail) {
    auto ifOp = scf::IfOp::create(
        b, loc, hasTail,
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, tail()); },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, skip); });
    return SmallVector<Value>(ifOp.getResults());
  }

  /// A loop over the whole vectors of a row, carrying `iterArgs`.
  scf::ForOp
  forColumns(Value nMain, ValueRange iterArgs,
             function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(
        b, loc, index(0), nMain, index(lanes), iterArgs,
        [&](OpBuilder &, Location, Value col, ValueRange args) {
          scf::YieldOp::create(b, loc, body(col, args));
        });
  }

  /// One vector of `source` at [row, col], extended to the accumulator type.
  /// Lanes past the end of the row read as -inf.
  Value read(Value source, ValueRange row, Value col, bool inBounds) {
    Value padding = arith::ConstantOp::create(
        b, loc, elementType, b.getFloatAttr(elementType, negInf(elementType)));
    Value v =
        vector::TransferReadOp::create(b, loc, elementVec, source, at(row, col),
                                       padding, ArrayRef<bool>{inBounds});
    if (elementType != accType)
      v = arith::ExtFOp::create(b, loc, accVec, v);
    return v;
  }

  /// The indices of column `col` in the output row (a [1, .., 1, n] slice).
  SmallVector<Value> outAt(Value col) { return at(outRow, col); }

  /// The indices of column `col` of row `row`.
  static SmallVector<Value> at(ValueRange row, Value col) {
    SmallVector<Value> indices(row);
    indices.push_back(col);
    return indices;
  }

  /// t = (x == m) ? 0 : x - m (see the decomposition).
  Value shifted(Value v, Value mVec, Value isMax) {
    Value diff = arith::SubFOp::create(b, loc, v, mVec);
    return arith::SelectOp::create(
        b, loc, isMax,
        splat(accVec, APFloat::getZero(accType.getFloatSemantics())), diff);
  }

  Value splat(VectorType type, const APFloat &value) {
    return arith::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type,
                               b.getFloatAttr(type.getElementType(), value)));
  }
  Value scalar(Type type, double value) {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
  }
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  static APFloat negInf(FloatType type) {
    return APFloat::getInf(type.getFloatSemantics(), /*Negative=*/true);
  }

  OpBuilder &b;
  Location loc;
  bool logarithmic;
  FloatType elementType, accType, sumType;
  bool storeExp;
  int64_t lanes;
  Value hasTail;
  /// Zeros for the unit outer dims of the output row.
  SmallVector<Value> outRow;
  VectorType elementVec, accVec, sumVec, countVec;
};

/// Vectorizes softmax (or log_softmax) of `input` along its last dim.
FailureOr<Value> vectorizeNormalize(RewriterBase &rewriter, Operation *op,
                                    Value input, int64_t dim, bool logarithmic,
                                    const RowVectorizationOptions &options) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  if (dim != rank - 1)
    return rewriter.notifyMatchFailure(op, "reduces along an outer dim");
  // x86 without AVX512-BF16 has no bf16 vector arithmetic: LLVM would
  // promote the selects of the bf16 rounding through __truncsfbf2 calls.
  if (type.getElementType().isBF16())
    return rewriter.notifyMatchFailure(op, "bf16 stays on the generic path");
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();

  RowLoopBuilder builder(rewriter, loc, type, logarithmic, options);
  Value result = builder.build(input);
  rewriter.replaceOp(op, result);
  return result;
}

template <typename OpTy> struct VectorizePattern : OpRewritePattern<OpTy> {
  VectorizePattern(MLIRContext *ctx, RowVectorizationOptions options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    return vectorizeNormalize(rewriter, op, op.getInput(), op.getDim(),
                              std::is_same_v<OpTy, LogSoftmaxOp>, options);
  }
  RowVectorizationOptions options;
};

} // namespace

void mlir::softmax::populateSoftmaxVectorizationPatterns(
    RewritePatternSet &patterns, const RowVectorizationOptions &options) {
  patterns.add<VectorizePattern<SoftmaxOp>, VectorizePattern<LogSoftmaxOp>>(
      patterns.getContext(), options);
}
