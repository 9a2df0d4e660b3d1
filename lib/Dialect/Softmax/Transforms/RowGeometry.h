//===- RowGeometry.h - rows of a tensor for the decompositions --*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the decompositions of the family's ops into linalg on tensors share:
// the indexing maps and sizes of a tensor's rows along a dim, and small
// builders of constants, extensions and filled row tensors.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ROWGEOMETRY_H
#define SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ROWGEOMETRY_H

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

namespace mlir::softmax::detail {

/// Maps and sizes of the rows along `dim` of a tensor, for linalg.generic
/// ops over the tensor (fullMap) and its per-row values (rowMap; rowId on
/// the rows themselves).
struct RowGeometry {
  RowGeometry(OpBuilder &b, Location loc, Value tensor, int64_t dim)
      : dim(dim) {
    auto type = cast<RankedTensorType>(tensor.getType());
    rank = type.getRank();
    MLIRContext *ctx = b.getContext();
    fullMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
    SmallVector<AffineExpr> rowExprs;
    for (int64_t i = 0; i < rank; ++i)
      if (i != dim)
        rowExprs.push_back(getAffineDimExpr(i, ctx));
    rowMap = AffineMap::get(rank, /*symbolCount=*/0, rowExprs, ctx);
    rowId = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
    sizes = tensor::getMixedSizes(b, loc, tensor);
    rowSizes = sizes;
    rowSizes.erase(rowSizes.begin() + dim);
  }

  SmallVector<utils::IteratorType> reduction() const {
    SmallVector<utils::IteratorType> its(rank, utils::IteratorType::parallel);
    its[dim] = utils::IteratorType::reduction;
    return its;
  }
  SmallVector<utils::IteratorType> parallel() const {
    return SmallVector<utils::IteratorType>(rank,
                                            utils::IteratorType::parallel);
  }
  SmallVector<utils::IteratorType> rowParallel() const {
    return SmallVector<utils::IteratorType>(rank - 1,
                                            utils::IteratorType::parallel);
  }

  int64_t dim, rank;
  AffineMap fullMap, rowMap, rowId;
  SmallVector<OpFoldResult> sizes, rowSizes;
};

/// The rows one iteration of a parallel loop over lockstep groups of
/// `group` rows covers: the loop's indices are `outer` (one per leading
/// dim) and `groupIndex` (over the `numRows` rows of the second-to-last
/// dim); `first` is its first row, `count` how many it has (the last group
/// may have fewer), `offsets` and `sizes` its slice of a tensor of `sizes`.
struct RowGroupSlice {
  Value first, count;
  SmallVector<OpFoldResult> offsets, sizes;
};
inline RowGroupSlice getRowGroupSlice(OpBuilder &b, Location loc,
                                      ValueRange outer, Value groupIndex,
                                      Value numRows, int64_t group,
                                      ArrayRef<OpFoldResult> sizes) {
  auto index = [&](int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  };
  RowGroupSlice slice;
  slice.first = arith::MulIOp::create(b, loc, groupIndex, index(group));
  slice.count = arith::MinUIOp::create(
      b, loc, index(group),
      arith::SubIOp::create(b, loc, numRows, slice.first));
  slice.offsets.assign(outer.begin(), outer.end());
  slice.offsets.push_back(slice.first);
  slice.offsets.push_back(b.getIndexAttr(0));
  slice.sizes.assign(outer.size(), b.getIndexAttr(1));
  slice.sizes.push_back(slice.count);
  slice.sizes.push_back(sizes.back());
  return slice;
}

/// The bytes of a cache line, which prefetches step by.
inline constexpr int64_t kCacheLineBytes = 64;

/// `tensor` as a buffer that is only read (for addresses and prefetches).
inline Value buildReadOnlyBuffer(OpBuilder &b, Location loc, Value tensor) {
  auto type = cast<RankedTensorType>(tensor.getType());
  return bufferization::ToBufferOp::create(
      b, loc, bufferization::getMemRefTypeWithFullyDynamicLayout(type), tensor,
      /*readOnly=*/true);
}

inline Value constant(OpBuilder &b, Location loc, Type type, double value) {
  return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
}

/// `x` extended to `to`; a 16-bit float to f64 through f32 (exact), since
/// LLVM would lower bf16 -> f64 to calls of __truncsfbf2.
inline Value extend(OpBuilder &b, Location loc, Value x, Type to) {
  if (x.getType() == to)
    return x;
  if (x.getType().getIntOrFloatBitWidth() < 32 && to.isF64())
    x = arith::ExtFOp::create(b, loc, b.getF32Type(), x);
  return arith::ExtFOp::create(b, loc, to, x);
}

inline Value filled(OpBuilder &b, Location loc, ArrayRef<OpFoldResult> sizes,
                    Type type, double value) {
  Value empty = tensor::EmptyOp::create(b, loc, sizes, type);
  return linalg::FillOp::create(b, loc,
                                ValueRange{constant(b, loc, type, value)},
                                ValueRange{empty})
      .getResult(0);
}

/// `value` as a constant of `type`, a float type or a vector of one (a
/// splat).
inline Value constantLike(OpBuilder &b, Location loc, Type type, double value) {
  if (auto vector = dyn_cast<VectorType>(type))
    return arith::ConstantOp::create(
        b, loc, vector,
        DenseElementsAttr::get(
            vector, b.getFloatAttr(vector.getElementType(), value).getValue()));
  return constant(b, loc, type, value);
}

/// Per row of `x` along g's dim, as linalg.generic reductions in `type`:
/// the maximum (NaN-propagating) and the number of +inf entries.
inline std::pair<Value, Value> buildRowMaxAndInfCount(OpBuilder &b,
                                                      Location loc,
                                                      const RowGeometry &g,
                                                      Value x, Type type) {
  double inf = std::numeric_limits<double>::infinity();
  Value maxInit = filled(b, loc, g.rowSizes, type, -inf);
  Value infInit = filled(b, loc, g.rowSizes, type, 0.0);
  auto stats = linalg::GenericOp::create(
      b, loc, TypeRange{maxInit.getType(), infInit.getType()}, ValueRange{x},
      ValueRange{maxInit, infInit},
      ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap}, g.reduction(),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value v = extend(nb, nl, args[0], type);
        Value isInf = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ,
                                            v, constant(nb, nl, type, inf));
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::MaximumFOp::create(nb, nl, v, args[1]),
                       arith::AddFOp::create(
                           nb, nl, args[2],
                           arith::SelectOp::create(
                               nb, nl, isInf, constant(nb, nl, type, 1.0),
                               constant(nb, nl, type, 0.0)))});
      });
  return {stats.getResult(0), stats.getResult(1)};
}

/// (v > acc) ? v : acc: one x86 max instruction, with the NaN-ignoring
/// operand order (a NaN `v` leaves `acc`); arith.maximumf, which propagates
/// NaN, is four.
inline Value maxIgnoringNaN(OpBuilder &b, Location loc, Value acc, Value v) {
  Value greater =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v, acc);
  return arith::SelectOp::create(b, loc, greater, v, acc);
}

/// (v < acc) ? v : acc: one x86 min instruction (a NaN `v` leaves `acc`).
inline Value minIgnoringNaN(OpBuilder &b, Location loc, Value acc, Value v) {
  Value less = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, v, acc);
  return arith::SelectOp::create(b, loc, less, v, acc);
}

/// The special rows of a projection onto the simplex (sparsemax, entmax) at
/// the entry `x` whose regular value is `value` (scalars or vectors of one
/// float type; the row's maximum `m` and number of +inf entries `k` scalars
/// of it): where `m` is +inf, the +inf entries share the mass (1/k each) and
/// the others get 0; where it is -inf, every entry gets 0.
inline Value selectSimplexSpecials(OpBuilder &b, Location loc, Value value,
                                   Value x, Value m, Value k) {
  double inf = std::numeric_limits<double>::infinity();
  Type type = value.getType(), scalar = m.getType();
  Value zero = constantLike(b, loc, type, 0.0);
  Value share = arith::DivFOp::create(b, loc, constant(b, loc, scalar, 1.0), k);
  if (type != scalar)
    share = vector::BroadcastOp::create(b, loc, type, share);
  Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, x,
                                      constantLike(b, loc, type, inf));
  Value infShare = arith::SelectOp::create(b, loc, isInf, share, zero);
  Value isPosInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                                         constant(b, loc, scalar, inf));
  Value isNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                                         constant(b, loc, scalar, -inf));
  value = arith::SelectOp::create(b, loc, isPosInf, infShare, value);
  return arith::SelectOp::create(b, loc, isNegInf, zero, value);
}

/// A cross-entropy row's sum of exp(t) from the count `c` of its entries at
/// the maximum `m` and the others' sum `r` (scalars of the sum type): s = c
/// + r, rest = c - 1 + r = s - 1 without cancellation (log(s) =
/// log1p(rest); at a label that is the maximum p - 1 = -rest / s), and
/// whether m is finite.
struct CrossEntropyRowSum {
  Value s, rest, finite;
};
inline CrossEntropyRowSum buildCrossEntropyRowSum(OpBuilder &b, Location loc,
                                                  Value m, Value r, Value c) {
  Type type = r.getType();
  CrossEntropyRowSum sum;
  sum.s = arith::AddFOp::create(b, loc, c, r);
  sum.rest = arith::AddFOp::create(
      b, loc, arith::SubFOp::create(b, loc, c, constant(b, loc, type, 1.0)), r);
  sum.finite = arith::CmpFOp::create(
      b, loc, arith::CmpFPredicate::ONE, math::AbsFOp::create(b, loc, m),
      constant(b, loc, type, std::numeric_limits<double>::infinity()));
  return sum;
}

/// The loss of a cross-entropy row whose maximum `m` is not finite, as
/// -log_softmax gives it: NaN for a NaN row, +inf for an all -inf row and,
/// where m is +inf, log(s) (s the count of +inf entries) at a label that is
/// +inf and +inf at any other. With label smoothing e, (1 - e) that plus
/// e (-mean(log_softmax)), which is log(s) when every entry is +inf and
/// +inf otherwise. Scalars of the sum type: `xl` the label's logit, `c` the
/// count of entries at m, `classes` the row length.
inline Value buildNonFiniteCrossEntropy(OpBuilder &b, Location loc, Value m,
                                        Value xl, Value s, Value c,
                                        Value classes, double smoothing) {
  Type type = s.getType();
  Value inf = constant(b, loc, type, std::numeric_limits<double>::infinity());
  Value logS = math::LogOp::create(b, loc, s);
  Value value = arith::SelectOp::create(
      b, loc, arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, xl, inf),
      logS, inf);
  if (smoothing != 0.0) {
    Value allInf = arith::AndIOp::create(
        b, loc,
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m, inf),
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, c, classes));
    Value uniform = arith::SelectOp::create(b, loc, allInf, logS, inf);
    value = arith::AddFOp::create(
        b, loc,
        arith::MulFOp::create(b, loc, constant(b, loc, type, 1.0 - smoothing),
                              value),
        arith::MulFOp::create(b, loc, constant(b, loc, type, smoothing),
                              uniform));
  }
  Value isNaN = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, m, m);
  return arith::SelectOp::create(b, loc, isNaN, m, value);
}

/// 1 / s for a cross-entropy row's probabilities exp(t) / s, and 0 for an
/// all -inf row (maximum `m` -inf), whose probabilities the softmax contract
/// makes 0 (t is 0 there, so exp(t) / s would be 1 / classes).
inline Value buildCrossEntropyInverse(OpBuilder &b, Location loc, Value m,
                                      Value s) {
  Type type = s.getType();
  Value inverse = arith::DivFOp::create(b, loc, constant(b, loc, type, 1.0), s);
  Value allNegInf = arith::CmpFOp::create(
      b, loc, arith::CmpFPredicate::OEQ, m,
      constant(b, loc, type, -std::numeric_limits<double>::infinity()));
  return arith::SelectOp::create(b, loc, allNegInf, constant(b, loc, type, 0.0),
                                 inverse);
}

/// The float type sums are kept in: f64 for f32 and f64, f32 for f16/bf16.
inline FloatType getSumType(FloatType elementType) {
  return elementType.isF32() ? Float64Type::get(elementType.getContext())
                             : getAccumulatorType(elementType);
}

} // namespace mlir::softmax::detail

#endif // SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ROWGEOMETRY_H
