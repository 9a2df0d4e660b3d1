//===- FamilyVectorization.cpp - vector row loops for the family ----------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites the gradients, cross-entropy and sparsemax ops that reduce their
// innermost dim into one parallel loop over the rows whose body makes the op's
// passes over its row with vectors: the row stays in cache between the passes
// (the generic decomposition makes each pass over the whole tensor), and every
// pass is a loop of whole vectors and one masked vector for the tail. The
// arithmetic is the decomposition's, in the same types (sums in f64 for f32,
// in f32 for f16), so both give the same results to rounding:
//
//   softmax_grad      s = sum(y dy);       dx = y (dy - s)
//   log_softmax_grad  s = sum(dy);         dx = dy - exp(y) s
//   cross_entropy     m = max(x); s = sum(exp(x - m)) (and the total of
//                     x - m with smoothing); the loss from x[label]
//   cross_entropy_grad m, s; dx = (exp(x - m) / s - target) dloss
//   sparsemax         m = max(x); rounds of tau = (sum of S - 1) / |S| over
//                     S = {x - m > tau} while S shrinks, each round a pass
//                     over the row; y = max(x - m - tau, 0)
//   sparsemax_grad,   g = y^(2 - alpha) on the support (1 for sparsemax);
//   entmax_grad       q = sum(g dy) / sum(g); dx = g (dy - q)
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "softmax-mlir/Transforms/NonPositiveExp.h"
#include "softmax-mlir/Transforms/NontemporalStores.h"

#include "EntmaxMath.h"
#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

#include <limits>

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

namespace {

/// What a row's pass prefetches of the next row: the inputs' buffers and
/// that row's indices (none: no prefetch).
struct NextRowPrefetch {
  SmallVector<Value> buffers;
  SmallVector<Value> row;
};

/// The vector loops over the rows of one tensor along its innermost dim.
class FamilyRowBuilder {
public:
  FamilyRowBuilder(RewriterBase &b, Location loc, Value like,
                   const RowVectorizationOptions &options)
      : b(b), loc(loc) {
    auto type = cast<RankedTensorType>(like.getType());
    rank = type.getRank();
    elementType = cast<FloatType>(type.getElementType());
    accType = getAccumulatorType(elementType);
    sumType = getSumType(elementType);
    // Two registers of f32 lanes a step: the loops are memory-bound, and
    // f64 sums of them take four more.
    lanes = std::max<int64_t>(1, options.vectorBits / 32) * 2;
    vectorBits = options.vectorBits;
    sizes = tensor::getMixedSizes(b, loc, like);
    n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
  }

  VectorType vec(Type element) const {
    return VectorType::get({lanes}, element);
  }
  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }
  Value splat(Type element, double value) {
    return arith::ConstantOp::create(
        b, loc, vec(element),
        DenseElementsAttr::get(vec(element),
                               b.getFloatAttr(element, value).getValue()));
  }
  Value broadcast(Value scalar) {
    return vector::BroadcastOp::create(b, loc, vec(scalar.getType()), scalar);
  }
  /// `value` in every lane of a vector of the type of `like`.
  Value splatLike(Value like, double value) {
    auto type = cast<VectorType>(like.getType());
    return arith::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(
            type, b.getFloatAttr(type.getElementType(), value).getValue()));
  }
  /// `value` on the lanes of `mask` (all of them without one), else
  /// `neutral`.
  Value keep(Value mask, Value value, Value neutral) {
    return mask ? arith::SelectOp::create(b, loc, mask, value, neutral)
                      .getResult()
                : value;
  }

  /// One vector of `source` at [row, col], extended to `to`; lanes past the
  /// row's end (where `mask` is set) read 0. With `applyMask`, the lanes
  /// `mask` does not set read 0 (a 1-D `source` that runs on past the row).
  Value read(Value source, ValueRange row, Value col, Value mask, Type to,
             bool applyMask = false) {
    SmallVector<Value> at(row);
    at.push_back(col);
    Value zero = arith::ConstantOp::create(b, loc, elementType,
                                           b.getFloatAttr(elementType, 0.0));
    Value v =
        applyMask && mask
            ? vector::TransferReadOp::create(
                  b, loc, vec(elementType), source, at,
                  AffineMap::getMinorIdentityMap(
                      cast<ShapedType>(source.getType()).getRank(), 1,
                      b.getContext()),
                  zero, mask, b.getBoolArrayAttr({false}))
                  .getResult()
            : vector::TransferReadOp::create(b, loc, vec(elementType), source,
                                             at, zero, ArrayRef<bool>{!mask})
                  .getResult();
    if (to == elementType)
      return v;
    if (elementType.getWidth() < 32 && to.isF64())
      v = arith::ExtFOp::create(b, loc, vec(b.getF32Type()), v);
    return arith::ExtFOp::create(b, loc, vec(to), v);
  }

  /// Writes `value` (rounded to the element type) at column `col` of the
  /// row slice `rowOut` (of any rank, its outer sizes 1).
  Value write(Value value, Value rowOut, Value col, Value mask) {
    SmallVector<Value> at(cast<ShapedType>(rowOut.getType()).getRank() - 1,
                          index(0));
    at.push_back(col);
    return vector::TransferWriteOp::create(b, loc, narrow(value), rowOut, at,
                                           ArrayRef<bool>{!mask})
        .getResult();
  }
  /// Writes the lanes of `value` (rounded to the element type) that `mask`
  /// sets at column `col` of the row slice `rowOut` (of any rank, its outer
  /// sizes 1).
  Value writeMasked(Value value, Value rowOut, Value col, Value mask) {
    int64_t outRank = cast<ShapedType>(rowOut.getType()).getRank();
    SmallVector<Value> at(outRank - 1, index(0));
    at.push_back(col);
    return vector::TransferWriteOp::create(
               b, loc, narrow(value), rowOut, at,
               AffineMapAttr::get(
                   AffineMap::getMinorIdentityMap(outRank, 1, b.getContext())),
               mask, b.getBoolArrayAttr({false}))
        .getResult();
  }
  /// `value` rounded to the element type.
  Value narrow(Value value) {
    auto type = cast<VectorType>(value.getType());
    if (type.getElementType() == elementType)
      return value;
    if (elementType.getWidth() < 32 && type.getElementType().isF64())
      value = arith::TruncFOp::create(b, loc, vec(b.getF32Type()), value);
    return arith::TruncFOp::create(b, loc, vec(elementType), value);
  }

  /// One pass over the row's columns carrying `inits`: whole vectors, then
  /// one masked vector for the tail (none where the length is a static
  /// multiple of the lanes).
  SmallVector<Value>
  sweep(ValueRange inits,
        function_ref<SmallVector<Value>(Value col, Value mask, ValueRange acc)>
            body) {
    Value mainEnd = arith::MulIOp::create(
        b, loc, arith::DivUIOp::create(b, loc, n, index(lanes)), index(lanes));
    auto loop = scf::ForOp::create(
        b, loc, index(0), mainEnd, index(lanes), inits,
        [&](OpBuilder &, Location, Value col, ValueRange acc) {
          scf::YieldOp::create(b, loc, body(col, nullptr, acc));
        });
    SmallVector<Value> results(loop.getResults());
    std::optional<int64_t> length = getConstantIntValue(sizes.back());
    if (length && *length % lanes == 0)
      return results;
    Value mask = vector::CreateMaskOp::create(
        b, loc, vec(b.getI1Type()),
        ValueRange{arith::SubIOp::create(b, loc, n, mainEnd)});
    return body(mainEnd, mask, results);
  }

  /// Whether the pass that writes `op`'s output (`like`'s shape) may
  /// stream it: null for never (`nontemporal` off, the store form pinned
  /// "cached", or vectors that do not cover whole aligned blocks), else an
  /// i1, a constant for a static shape: pinned "nontemporal", or unpinned
  /// where the whole output is larger than getStreamingOutputBytes.
  Value streamsOutput(Operation *op, const RowVectorizationOptions &options) {
    std::optional<StoreForm> pinned;
    if (auto name = op->getAttrOfType<StringAttr>(kStoreFormAttrName))
      pinned = parseStoreForm(name.getValue());
    int64_t bytes = elementType.getWidth() / 8;
    if (!options.nontemporal || pinned == StoreForm::Cached ||
        (lanes * bytes) % (vectorBits / 8) != 0)
      return nullptr;
    if (pinned == StoreForm::Nontemporal)
      return arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    int64_t cached = getStreamingOutputBytes(options.caches) / bytes;
    if (std::optional<SmallVector<int64_t>> shape =
            getConstantIntValues(sizes)) {
      uint64_t elements = 1;
      for (int64_t size : *shape)
        elements =
            llvm::SaturatingMultiply(elements, static_cast<uint64_t>(size));
      if (elements <= static_cast<uint64_t>(cached))
        return nullptr;
      return arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    }
    Value elements = index(1);
    for (OpFoldResult size : sizes)
      elements = arith::MulIOp::create(
          b, loc, elements, getValueOrCreateConstantIndexOp(b, loc, size));
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, elements,
                                 index(cached));
  }

  /// The number of elements from the start of the row slice `rowOut` (of
  /// any rank, its outer sizes 1) to its first column whose address is
  /// aligned to a hardware vector (at most the row's length).
  Value alignedStart(Value rowOut) {
    int64_t alignment = vectorBits / 8;
    Value address = buildElementAddress(
        b, loc, buildReadOnlyBuffer(b, loc, rowOut),
        SmallVector<Value>(cast<ShapedType>(rowOut.getType()).getRank(),
                           index(0)));
    Value gapBytes = arith::RemUIOp::create(
        b, loc, arith::SubIOp::create(b, loc, index(0), address),
        index(alignment));
    return arith::MinUIOp::create(
        b, loc,
        arith::DivUIOp::create(b, loc, gapBytes,
                               index(elementType.getWidth() / 8)),
        n);
  }

  /// Whether the row whose output starts `start` elements before an aligned
  /// column streams it, where the output may (`streams`): if it starts
  /// aligned, or, given `minMisalignedBytes`, is at least that long (its
  /// first and last lines then take ordinary stores).
  Value streamsRow(Value streams, Value start,
                   std::optional<int64_t> minMisalignedBytes) {
    Value aligned = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                          start, index(0));
    if (!minMisalignedBytes)
      return arith::AndIOp::create(b, loc, streams, aligned);
    Value longRow = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::uge, n,
        index(
            llvm::divideCeil(*minMisalignedBytes, elementType.getWidth() / 8)));
    return arith::AndIOp::create(
        b, loc, streams, arith::OrIOp::create(b, loc, aligned, longRow));
  }

  /// Writes `value(col, mask)` at every vector of the row slice `rowOut`
  /// (`mask` null for whole vectors in bounds; else the lanes that may be
  /// written, which it reads as a tail).
  Value writeRow(Value rowOut,
                 function_ref<Value(Value col, Value mask)> value) {
    return sweep(rowOut,
                 [&](Value col, Value mask, ValueRange acc) {
                   return SmallVector<Value>{
                       write(value(col, mask), acc[0], col, mask)};
                 })
        .front();
  }

  /// The value `then` or `otherwise` builds, as `cond` says (an scf.if of
  /// one result).
  Value ifElse(Value cond, function_ref<Value()> then,
               function_ref<Value()> otherwise) {
    return scf::IfOp::create(
               b, loc, cond,
               [&](OpBuilder &, Location) {
                 scf::YieldOp::create(b, loc, then());
               },
               [&](OpBuilder &, Location) {
                 scf::YieldOp::create(b, loc, otherwise());
               })
        .getResult(0);
  }

  /// Writes `value(col)` at the whole vectors of `out` (of any rank, its
  /// outer sizes 1) from column `from` up to `to` (each in bounds) in a loop
  /// that softmax-nontemporal-stores makes stream where `from` is aligned.
  Value streamLoop(Value out, Value from, Value to,
                   function_ref<Value(Value col)> value) {
    auto loop = scf::ForOp::create(
        b, loc, from, to, index(lanes), ValueRange{out},
        [&](OpBuilder &, Location, Value col, ValueRange acc) {
          scf::YieldOp::create(b, loc, write(value(col), acc[0], col, nullptr));
        });
    loop->setAttr(kNontemporalLoopAttrName,
                  b.getI64IntegerAttr(vectorBits / 8));
    return loop.getResult(0);
  }

  /// writeRow with streaming stores: a masked vector up to `start` (see
  /// alignedStart), whole vectors from there in a loop that
  /// softmax-nontemporal-stores makes stream (each store then aligned), the
  /// masked tail.
  Value writeRowStreamed(Value rowOut, Value start,
                         function_ref<Value(Value col, Value mask)> value) {
    auto ifThen = [&](Value cond, Value init, function_ref<Value()> then) {
      return ifElse(cond, then, [&] { return init; });
    };
    // The head's write is masked and bounded by the row's end both.
    Value head = ifThen(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                              start, index(0)),
                        rowOut, [&] {
                          Value mask = vector::CreateMaskOp::create(
                              b, loc, vec(b.getI1Type()), ValueRange{start});
                          return writeMasked(value(index(0), mask), rowOut,
                                             index(0), mask);
                        });
    Value mainEnd = arith::AddIOp::create(
        b, loc, start,
        arith::MulIOp::create(
            b, loc,
            arith::DivUIOp::create(
                b, loc, arith::SubIOp::create(b, loc, n, start), index(lanes)),
            index(lanes)));
    Value written = streamLoop(head, start, mainEnd,
                               [&](Value col) { return value(col, nullptr); });
    return ifThen(
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, mainEnd, n),
        written, [&] {
          Value tail = vector::CreateMaskOp::create(
              b, loc, vec(b.getI1Type()),
              ValueRange{arith::SubIOp::create(b, loc, n, mainEnd)});
          return write(value(mainEnd, tail), written, mainEnd, tail);
        });
  }

  /// The next row's buffers of `inputs` and its indices, where a row and
  /// the next fit in half of L2 (as the softmax rows prefetch); empty
  /// otherwise (or for rank 1, or without `prefetch`).
  NextRowPrefetch prefetchNextRow(ArrayRef<Value> inputs, ValueRange row,
                                  const RowVectorizationOptions &options) {
    NextRowPrefetch result;
    std::optional<int64_t> length = getConstantIntValue(sizes.back());
    int64_t maxLength =
        getPrefetchRowBytes(options.caches) / (elementType.getWidth() / 8);
    if (!options.prefetch || rank < 2 || (length && *length > maxLength))
      return result;
    for (Value input : inputs)
      result.buffers.push_back(buildReadOnlyBuffer(b, loc, input));
    Value last = arith::SubIOp::create(
        b, loc, getValueOrCreateConstantIndexOp(b, loc, sizes[rank - 2]),
        index(1));
    Value following = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, row.back(), index(1)), last);
    result.row.assign(row.begin(), row.end());
    result.row.back() =
        length ? following
               : arith::SelectOp::create(
                     b, loc,
                     arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, n,
                                           index(maxLength)),
                     following, row.back())
                     .getResult();
    return result;
  }

  /// Prefetches into L1 each cache line of the vector at column `col` of
  /// `next`'s row.
  void prefetch(const NextRowPrefetch &next, Value col) {
    int64_t perLine = kCacheLineBytes * 8 / elementType.getWidth();
    for (int64_t line = 0; line * perLine < lanes; ++line) {
      SmallVector<Value> at(next.row);
      at.push_back(arith::AddIOp::create(b, loc, col, index(line * perLine)));
      for (Value buffer : next.buffers)
        memref::PrefetchOp::create(b, loc, buffer, at, /*isWrite=*/false,
                                   /*localityHint=*/3, /*isDataCache=*/true);
    }
  }

  Value sum(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v);
  }
  /// The sum of `v`'s lanes in any order (a tree of adds, not a chain).
  Value treeSum(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, v,
                                       arith::FastMathFlags::reassoc);
  }
  Value max(Value v) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXIMUMF,
                                       v);
  }

  /// The maxima of the lanes of the vectors of `row` of `x`, read in `type`
  /// (-inf past the row's end), NaN on a lane that read a NaN. The loop
  /// takes maxIgnoringNaN, one vmaxps, and marks the NaN lanes off its
  /// dependency chain: arith.maximumf is four instructions on the chain
  /// (sparsemax of 32768 x 128 2.47 -> 2.29 ms, 16384 x 256 3.07 -> 2.59 ms
  /// on a Zen 5).
  Value laneMaxima(Value x, ValueRange row, Type type) {
    double inf = std::numeric_limits<double>::infinity();
    Value noNaN = arith::ConstantOp::create(
        b, loc, DenseElementsAttr::get(vec(b.getI1Type()), false));
    SmallVector<Value> swept = sweep(
        {splat(type, -inf), noNaN}, [&](Value col, Value mask, ValueRange acc) {
          Value v =
              keep(mask, read(x, row, col, mask, type), splat(type, -inf));
          Value max = maxIgnoringNaN(b, loc, acc[0], v);
          Value nan =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, v, v);
          return SmallVector<Value>{max,
                                    arith::OrIOp::create(b, loc, acc[1], nan)};
        });
    return arith::SelectOp::create(
        b, loc, swept[1], splat(type, std::numeric_limits<double>::quiet_NaN()),
        swept[0]);
  }

  /// A parallel loop over the rows (the outer indices; one iteration for a
  /// rank-1 tensor). With `perRow`, `init` has the outer shape and `body`
  /// returns the row's scalar; otherwise `init` has the full shape and
  /// `body` returns its row slice, written.
  /// With `skip`, none where it is true (the rows another loop took).
  Value forRows(Value init, bool perRow,
                function_ref<Value(ValueRange row, Value rowOut)> body,
                Value skip = nullptr) {
    SmallVector<OpFoldResult> bounds(ArrayRef(sizes).drop_back());
    if (bounds.empty())
      bounds.push_back(b.getIndexAttr(1));
    if (skip)
      bounds.front() = arith::SelectOp::create(b, loc, skip, index(0),
                                               getValueOrCreateConstantIndexOp(
                                                   b, loc, bounds.front()))
                           .getResult();
    auto forall = scf::ForallOp::create(
        b, loc, bounds, ValueRange{init}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.drop_back().take_front(rank - 1);
          Value out = args.back();
          SmallVector<OpFoldResult> offsets(row.begin(), row.end());
          SmallVector<OpFoldResult> one(rank - 1, b.getIndexAttr(1));
          Value result;
          if (perRow) {
            Value scalar = body(row, nullptr);
            result = tensor::FromElementsOp::create(
                b, loc,
                RankedTensorType::get(SmallVector<int64_t>(rank - 1, 1),
                                      scalar.getType()),
                scalar);
          } else {
            offsets.push_back(b.getIndexAttr(0));
            one.push_back(sizes.back());
            Value rowOut = tensor::ExtractSliceOp::create(
                b, loc, out, offsets, one,
                SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
            result = body(row, rowOut);
          }
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, loc, result, out, offsets, one,
              SmallVector<OpFoldResult>(offsets.size(), b.getIndexAttr(1)));
        });
    return forall.getResult(0);
  }

  /// The slices of `group` rows along the second-innermost dim of a rank >= 2
  /// `init` (the full shape; a partial last one), none where `skip` (if any)
  /// is true: one parallel iteration per slice, whose `body` gets the slice
  /// (getRowGroupSlice) and the output's slice, and returns the latter
  /// written.
  Value
  forRowSlices(Value init, int64_t group, Value skip,
               function_ref<Value(const softmax::detail::RowGroupSlice &slice,
                                  ValueRange outer, Value groupOut)>
                   body) {
    Value numRows = getValueOrCreateConstantIndexOp(b, loc, sizes[rank - 2]);
    SmallVector<OpFoldResult> bounds(ArrayRef(sizes).take_front(rank - 2));
    Value slices = arith::CeilDivUIOp::create(b, loc, numRows, index(group));
    if (skip)
      slices = arith::SelectOp::create(b, loc, skip, index(0), slices);
    bounds.push_back(slices);
    auto forall = scf::ForallOp::create(
        b, loc, bounds, ValueRange{init}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange outer = args.take_front(rank - 2);
          softmax::detail::RowGroupSlice slice =
              softmax::detail::getRowGroupSlice(b, loc, outer, args[rank - 2],
                                                numRows, group, sizes);
          Value out = args.back();
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          Value groupOut = tensor::ExtractSliceOp::create(
              b, loc, out, slice.offsets, slice.sizes, strides);
          Value result = body(slice, outer, groupOut);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, loc, result, out, slice.offsets, slice.sizes, strides);
        });
    return forall.getResult(0);
  }

  /// The rows of a rank >= 2 `init` (the full shape) `group` at a time
  /// along the second-innermost dim, none where `skip` is true: one
  /// parallel iteration per group (forRowSlices), whose `body` gets the
  /// group's rows (a partial last group repeats its last row in the missing
  /// places) and the group's slice of the output, and returns it written
  /// (see extractGroupRow and insertGroupRow).
  Value forRowGroups(Value init, int64_t group, Value skip,
                     function_ref<Value(ArrayRef<SmallVector<Value>> rows,
                                        ArrayRef<Value> places, Value groupOut)>
                         body) {
    return forRowSlices(
        init, group, skip,
        [&](const softmax::detail::RowGroupSlice &slice, ValueRange outer,
            Value groupOut) {
          SmallVector<SmallVector<Value>> rows;
          SmallVector<Value> places;
          Value lastPlace =
              arith::SubIOp::create(b, loc, slice.count, index(1));
          for (int64_t g = 0; g < group; ++g) {
            places.push_back(
                arith::MinUIOp::create(b, loc, index(g), lastPlace));
            SmallVector<Value> row(outer);
            row.push_back(
                arith::AddIOp::create(b, loc, slice.first, places.back()));
            rows.push_back(row);
          }
          return body(rows, places, groupOut);
        });
  }

  /// The slice of row `place` of a group's output (as forRows gives a
  /// row's), and `rowOut` written back there.
  SmallVector<OpFoldResult> groupRowOffsets(Value place) {
    SmallVector<OpFoldResult> offsets(rank - 2, b.getIndexAttr(0));
    offsets.push_back(place);
    offsets.push_back(b.getIndexAttr(0));
    return offsets;
  }
  SmallVector<OpFoldResult> groupRowSizes() {
    SmallVector<OpFoldResult> rowSizes(rank - 1, b.getIndexAttr(1));
    rowSizes.push_back(sizes.back());
    return rowSizes;
  }
  Value extractGroupRow(Value groupOut, Value place) {
    return tensor::ExtractSliceOp::create(
        b, loc, groupOut, groupRowOffsets(place), groupRowSizes(),
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
  }
  Value insertGroupRow(Value rowOut, Value groupOut, Value place) {
    return tensor::InsertSliceOp::create(
        b, loc, rowOut, groupOut, groupRowOffsets(place), groupRowSizes(),
        SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
  }

  /// forRows with two outputs: `fullInit` of the full shape, whose row
  /// slice `body` returns written, and `rowInit` of the outer shape, whose
  /// element of the row it returns. Returns the (per-row, full) results.
  std::pair<Value, Value> forRowsWithScalar(
      Value fullInit, Value rowInit,
      function_ref<std::pair<Value, Value>(ValueRange row, Value rowOut)>
          body) {
    SmallVector<OpFoldResult> bounds(ArrayRef(sizes).drop_back());
    auto forall = scf::ForallOp::create(
        b, loc, bounds, ValueRange{fullInit, rowInit}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.take_front(rank - 1);
          Value out = args[rank - 1], rowResults = args[rank];
          SmallVector<OpFoldResult> offsets(row.begin(), row.end());
          SmallVector<OpFoldResult> ones(rank - 1, b.getIndexAttr(1));
          SmallVector<OpFoldResult> fullOffsets(offsets), fullSizes(ones);
          fullOffsets.push_back(b.getIndexAttr(0));
          fullSizes.push_back(sizes.back());
          Value rowOut = tensor::ExtractSliceOp::create(
              b, loc, out, fullOffsets, fullSizes,
              SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
          auto [written, scalar] = body(row, rowOut);
          Value element = tensor::FromElementsOp::create(
              b, loc,
              RankedTensorType::get(SmallVector<int64_t>(rank - 1, 1),
                                    scalar.getType()),
              scalar);
          auto inParallel = scf::InParallelOp::create(b, loc);
          OpBuilder::InsertionGuard guard(b);
          b.setInsertionPointToStart(inParallel.getBody());
          tensor::ParallelInsertSliceOp::create(
              b, loc, written, out, fullOffsets, fullSizes,
              SmallVector<OpFoldResult>(rank, b.getIndexAttr(1)));
          tensor::ParallelInsertSliceOp::create(b, loc, element, rowResults,
                                                offsets, ones, ones);
        });
    return {forall.getResult(1), forall.getResult(0)};
  }

  RewriterBase &b;
  Location loc;
  int64_t rank, lanes, vectorBits;
  FloatType elementType, accType, sumType;
  SmallVector<OpFoldResult> sizes;
  Value n;
};

/// `v` (a float or a vector of floats) as `to` of the same shape:
/// extended, truncated, or as it is where it has that type already (the
/// row batches' f64 sums of f32 rows are f32 ones for f16 and bf16 rows).
Value castFloat(OpBuilder &b, Location loc, Type to, Value v) {
  if (v.getType() == to)
    return v;
  unsigned from = getElementTypeOrSelf(v.getType()).getIntOrFloatBitWidth();
  unsigned width = getElementTypeOrSelf(to).getIntOrFloatBitWidth();
  assert(from != width && "no cast between float types of one width");
  if (from < width)
    return arith::ExtFOp::create(b, loc, to, v);
  return arith::TruncFOp::create(b, loc, to, v);
}

/// Whether the family's row loops take an op over `type` along `dim`.
LogicalResult checkApplicable(RewriterBase &rewriter, Operation *op, Type type,
                              int64_t dim) {
  auto tensorType = cast<RankedTensorType>(type);
  if (dim != tensorType.getRank() - 1)
    return rewriter.notifyMatchFailure(op, "reduces along an outer dim");
  if (llvm::is_contained(tensorType.getShape(), 0))
    return rewriter.notifyMatchFailure(op, "an empty tensor: nothing to do");
  return success();
}

/// The arithmetic of softmax_grad's or log_softmax_grad's passes over a row,
/// whose elements `read` gives: the first pass's sums, the second pass's
/// output in the sum type (`wide`) or in the accumulator type with the sum
/// split in two (`narrow`).
class GradRowMath {
public:
  /// Reads a vector of `source` at column `col` (`mask`: the tail's lanes)
  /// extended to `to`.
  using Reader =
      function_ref<Value(Value source, Value col, Value mask, Type to)>;

  GradRowMath(RewriterBase &b, Location loc, FamilyRowBuilder &rb,
              bool logarithmic, Value y, Value dy)
      : b(b), loc(loc), rb(rb), logarithmic(logarithmic), y(y), dy(dy) {}

  /// softmax_grad's second pass in f32 also needs the largest |dy|.
  bool needsMaxAbs(bool narrowPass) const {
    return !logarithmic && split() && narrowPass;
  }
  /// Whether the sum type is wider than the accumulator type (f32): the
  /// second pass may then be made in the latter.
  bool split() const { return rb.accType != rb.sumType; }

  /// The first pass's accumulators: the sum, and with `maxAbs` the largest
  /// |dy|'s bits.
  SmallVector<Value> sumInits(bool maxAbs) {
    SmallVector<Value> inits{rb.splat(rb.sumType, 0.0)};
    if (maxAbs)
      inits.push_back(arith::ConstantOp::create(
          b, loc, DenseElementsAttr::get(bitsType(), APInt(32, 0))));
    return inits;
  }
  /// s = sum(dy * y) or sum(dy); lanes past the end read 0. softmax_grad's
  /// f32 second pass also needs the largest |dy|: the largest of their bits
  /// as unsigned integers with the sign cleared (one instruction; a NaN's
  /// exceed +inf's, and a NaN makes s NaN anyway).
  SmallVector<Value> sumStep(Reader read, Value col, Value mask,
                             ValueRange acc) {
    Value g = read(dy, col, mask, rb.sumType);
    SmallVector<Value> next;
    if (logarithmic)
      next.push_back(arith::AddFOp::create(b, loc, acc[0], g));
    else
      next.push_back(arith::AddFOp::create(
          b, loc, acc[0],
          arith::MulFOp::create(b, loc, read(y, col, mask, rb.sumType), g)));
    if (acc.size() > 1)
      next.push_back(arith::MaxUIOp::create(
          b, loc, acc[1],
          arith::AndIOp::create(
              b, loc,
              arith::BitcastOp::create(b, loc, bitsType(),
                                       read(dy, col, mask, rb.elementType)),
              arith::ConstantOp::create(
                  b, loc,
                  DenseElementsAttr::get(bitsType(), APInt(32, 0x7fffffff))))));
    return next;
  }
  /// The row's sum s from the first pass's accumulators. The lanes' sums in
  /// a tree: in lane order they were a chain of 32 dependent adds a row
  /// (16384 x 128 f32 on AVX-512: 1.55 -> 1.32 ms).
  Value sum(ValueRange acc) { return rb.treeSum(acc[0]); }
  /// The largest |dy| in the accumulator type, from the accumulators.
  Value maxAbs(ValueRange acc) {
    return arith::BitcastOp::create(
        b, loc, rb.accType,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXUI,
                                    acc[1]));
  }

  /// The second pass in the sum type with s in every lane of `sv` (or each
  /// lane's own).
  Value wide(Reader read, Value col, Value mask, Value sv) {
    Value g = read(dy, col, mask, rb.sumType);
    if (!logarithmic)
      return arith::MulFOp::create(b, loc, read(y, col, mask, rb.sumType),
                                   arith::SubFOp::create(b, loc, g, sv));
    Value p = math::ExpOp::create(b, loc, read(y, col, mask, rb.accType));
    if (split())
      p = arith::ExtFOp::create(b, loc, rb.vec(rb.sumType), p);
    return arith::SubFOp::create(b, loc, g,
                                 arith::MulFOp::create(b, loc, p, sv));
  }

  /// s as an unevaluated sum hi + lo of two accumulator-type values.
  std::pair<Value, Value> splitSum(Value s) {
    Value hi = arith::TruncFOp::create(b, loc, rb.accType, s);
    Value lo = arith::TruncFOp::create(
        b, loc, rb.accType,
        arith::SubFOp::create(b, loc, s,
                              arith::ExtFOp::create(b, loc, rb.sumType, hi)));
    return {hi, lo};
  }
  /// Or in the accumulator type with s = hi + lo (`hiv`, `lov` broadcast), at
  /// that type's vector width: log_softmax_grad's dy - p hi - p lo, p =
  /// exp(y) (in the accumulator type anyway), dy - p hi rounded once (a fused
  /// multiply-add); softmax_grad's y ((dy - hi) - lo). Each keeps s's bits
  /// where dy and s (or p s) nearly cancel and rounds two or three times
  /// (4096 x 1024 f32 on AVX-512: log_softmax_grad 3.36 -> 2.89 ms).
  Value narrow(Reader read, Value col, Value mask, Value hiv, Value lov) {
    Value g = read(dy, col, mask, rb.accType);
    if (!logarithmic)
      return arith::MulFOp::create(
          b, loc, read(y, col, mask, rb.accType),
          arith::SubFOp::create(b, loc, arith::SubFOp::create(b, loc, g, hiv),
                                lov));
    Value p = math::ExpOp::create(b, loc, read(y, col, mask, rb.accType));
    return arith::SubFOp::create(
        b, loc,
        math::FmaOp::create(b, loc, arith::NegFOp::create(b, loc, p), hiv, g),
        arith::MulFOp::create(b, loc, p, lov));
  }
  /// Whether the narrow pass holds the row's values: log_softmax_grad's where
  /// hi is finite; softmax_grad's where dy - hi cannot overflow, |dy| + |hi|
  /// at most half the accumulator type's largest value (lo is far smaller),
  /// given the largest |dy|.
  Value narrowHolds(Value hi, Value maxAbs) {
    if (logarithmic)
      return arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OLT, math::AbsFOp::create(b, loc, hi),
          constant(b, loc, rb.accType,
                   std::numeric_limits<double>::infinity()));
    Value bound = arith::AddFOp::create(
        b, loc, arith::ExtFOp::create(b, loc, rb.sumType, maxAbs),
        math::AbsFOp::create(b, loc,
                             arith::ExtFOp::create(b, loc, rb.sumType, hi)));
    return arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLE, bound,
        constant(b, loc, rb.sumType,
                 llvm::APFloat::getLargest(rb.accType.getFloatSemantics())
                         .convertToDouble() /
                     2));
  }

private:
  VectorType bitsType() { return rb.vec(b.getI32Type()); }

  RewriterBase &b;
  Location loc;
  FamilyRowBuilder &rb;
  bool logarithmic;
  Value y, dy;
};

/// Rows of a group that streams its output as one sequence (see
/// VectorizeGrad::buildAcrossRows): about this many bytes of output a group,
/// whose first and last lines take ordinary stores.
constexpr int64_t kAcrossRowsGroupBytes = 16 * 1024;

/// softmax_grad and log_softmax_grad.
template <typename OpTy> struct VectorizeGrad : OpRewritePattern<OpTy> {
  static constexpr bool logarithmic = std::is_same_v<OpTy, LogSoftmaxGradOp>;

  VectorizeGrad(MLIRContext *ctx, const RowVectorizationOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value y = op.getOutput(), dy = op.getOutputGrad();
    if (failed(checkApplicable(rewriter, op, y.getType(), op.getDim())))
      return failure();
    Location loc = op.getLoc();
    FamilyRowBuilder rb(rewriter, loc, y, options);
    Value init =
        tensor::EmptyOp::create(rewriter, loc, rb.sizes, rb.elementType);
    // The output streams where it is large (see getStreamingOutputBytes).
    Value streams = rb.streamsOutput(op, options);
    Value dx = streamsAcrossRows(rb, y, streams)
                   ? buildAcrossRows(rewriter, loc, rb, y, dy, init)
                   : buildRows(rewriter, loc, rb, y, dy, init, streams);
    rewriter.replaceOp(op, dx);
    return success();
  }

  /// Whether the second pass prefetches the next row (with `prefetch`): not
  /// where the target's tuning says it is slower (AMD Zen 4: both
  /// gradients; Zen 5: softmax_grad, whose rows of 128 to 1024 f32 ran
  /// 1.1x-1.4x faster without in compare_grads.py, rows of 2048 alike).
  bool prefetchesNextRow() const {
    return options.gradPrefetch && (logarithmic || options.softmaxGradPrefetch);
  }

  /// Whether the rows stream as one sequence a group (buildAcrossRows): for
  /// softmax_grad with `stream-across-rows`, where the output streams
  /// (`streams` constant true), the shape is static and rows are at least a
  /// vector long (a vector then spans at most two rows) and at most the
  /// next-row prefetch's length. Not log_softmax_grad: its second pass
  /// (an exp a lane) ran slower from loads off a line than with the
  /// ordinary stores a misaligned short row takes (compare_grads.py on
  /// Intel AVX-512, output 16 bytes off a line: rows of 128 to 2048 0.83x
  /// to 0.99x, aligned outputs unchanged).
  bool streamsAcrossRows(FamilyRowBuilder &rb, Value y, Value streams) const {
    auto type = cast<RankedTensorType>(y.getType());
    if (logarithmic || !options.streamAcrossRows || !streams ||
        type.getRank() < 2 || !type.hasStaticShape() ||
        !matchPattern(streams, m_One()))
      return false;
    int64_t length = type.getShape().back();
    int64_t bytes = rb.elementType.getWidth() / 8;
    return length >= rb.lanes &&
           length * bytes <= getPrefetchRowBytes(options.caches);
  }

  /// The rows as one flat sequence a group of rows (whose output is then
  /// contiguous; about kAcrossRowsGroupBytes of it), so that every store but
  /// a group's first and last ones is an aligned whole vector, which
  /// streams, whatever the rows' alignment: a masked vector up to the first
  /// aligned element, then per row the whole vectors within it, the vector
  /// across its end into the next row written after the next row's first
  /// pass (its lanes take either row's s), and a masked tail after the last
  /// row (compare_grads.py on Intel AVX-512, output 16 bytes off a line:
  /// rows of 128 and 256 f32 1.26x and 1.30x faster than a row at a time,
  /// aligned outputs unchanged). A row's whole vectors in the narrow form
  /// where it holds the row's values, the vector across two rows and the
  /// group's first and last in the wide form.
  Value buildAcrossRows(PatternRewriter &rewriter, Location loc,
                        FamilyRowBuilder &rb, Value y, Value dy,
                        Value init) const {
    auto type = cast<RankedTensorType>(y.getType());
    int64_t rank = type.getRank();
    int64_t length = type.getShape().back();
    int64_t numRows = type.getShape()[rank - 2];
    int64_t group = std::clamp<int64_t>(
        kAcrossRowsGroupBytes / (length * (rb.elementType.getWidth() / 8)), 1,
        numRows);
    // A group is rows of the second-innermost dim (a slice of the output,
    // whose rows are contiguous), flattened.
    SmallVector<ReassociationIndices> all{
        llvm::to_vector(llvm::seq<int64_t>(0, rank))};
    return rb.forRowSlices(
        init, group, /*skip=*/nullptr,
        [&](const RowGroupSlice &slice, ValueRange, Value groupOut) -> Value {
          SmallVector<OpFoldResult> strides(rank, rewriter.getIndexAttr(1));
          auto flatSlice = [&](Value source) -> Value {
            return tensor::CollapseShapeOp::create(
                rewriter, loc,
                tensor::ExtractSliceOp::create(
                    rewriter, loc, source, slice.offsets, slice.sizes, strides),
                all);
          };
          Value written = buildGroup(
              rewriter, loc, rb, flatSlice(y), flatSlice(dy), slice.count,
              tensor::CollapseShapeOp::create(rewriter, loc, groupOut, all));
          return tensor::ExpandShapeOp::create(
              rewriter, loc, groupOut.getType(), written, all, slice.sizes);
        });
  }

  /// One group of buildAcrossRows: the flat `rows` rows of `yFlat` and
  /// `dyFlat`, written to `groupOut`.
  Value buildGroup(PatternRewriter &rewriter, Location loc,
                   FamilyRowBuilder &rb, Value yFlat, Value dyFlat, Value rows,
                   Value groupOut) const {
    bool narrowPass = rb.accType != rb.sumType;
    auto index = [&](int64_t value) { return rb.index(value); };
    auto add = [&](Value lhs, Value rhs) -> Value {
      return arith::AddIOp::create(rewriter, loc, lhs, rhs);
    };
    auto sub = [&](Value lhs, Value rhs) -> Value {
      return arith::SubIOp::create(rewriter, loc, lhs, rhs);
    };
    auto mul = [&](Value lhs, Value rhs) -> Value {
      return arith::MulIOp::create(rewriter, loc, lhs, rhs);
    };
    auto cmp = [&](arith::CmpIPredicate predicate, Value lhs,
                   Value rhs) -> Value {
      return arith::CmpIOp::create(rewriter, loc, predicate, lhs, rhs);
    };
    auto maskOf = [&](Value count) -> Value {
      return vector::CreateMaskOp::create(
          rewriter, loc, rb.vec(rewriter.getI1Type()), ValueRange{count});
    };
    GradRowMath math(rewriter, loc, rb, logarithmic, yFlat, dyFlat);
    bool maxAbs = math.needsMaxAbs(narrowPass);
    Value length = rb.n;
    Value size = mul(rows, length);
    // Columns are the group's elements; a masked read reads only its
    // lanes (the row's, not the next row's).
    auto read = [&](Value source, Value col, Value mask, Type to) {
      return rb.read(source, {}, col, mask, to, /*applyMask=*/true);
    };
    // The next row's y and dy prefetched during a row's second pass, as
    // buildRows does (this row's again during the last row's).
    NextRowPrefetch next;
    if (options.prefetch && prefetchesNextRow())
      next.buffers = {buildReadOnlyBuffer(rewriter, loc, yFlat),
                      buildReadOnlyBuffer(rewriter, loc, dyFlat)};

    Value start = rb.alignedStart(groupOut);
    auto loop = scf::ForOp::create(
        rewriter, loc, index(0), rows, index(1),
        ValueRange{start, constant(rewriter, loc, rb.sumType, 0.0), groupOut},
        [&](OpBuilder &, Location, Value row, ValueRange iterArgs) {
          Value col = iterArgs[0], previousS = iterArgs[1], out = iterArgs[2];
          Value rowStart = mul(row, length);
          Value rowEnd = add(rowStart, length);
          // The first pass over the row.
          SmallVector<Value> acc = rb.sweep(
              math.sumInits(maxAbs), [&](Value c, Value mask, ValueRange acc) {
                return math.sumStep(read, add(rowStart, c), mask, acc);
              });
          Value s = math.sum(acc);
          Value sv = rb.broadcast(s);
          // The first row's masked head up to the first aligned element;
          // a later row's vector across the previous row's end, whose lanes
          // of that row take its s (in the wide form).
          // Whether a vector spans the previous row's end and this row.
          Value spans = cmp(arith::CmpIPredicate::ult, col, rowStart);
          auto first = scf::IfOp::create(
              rewriter, loc, cmp(arith::CmpIPredicate::eq, row, index(0)),
              [&](OpBuilder &, Location) {
                Value head = rb.ifElse(
                    cmp(arith::CmpIPredicate::ne, start, index(0)),
                    [&] {
                      Value mask = maskOf(start);
                      return rb.writeMasked(math.wide(read, index(0), mask, sv),
                                            out, index(0), mask);
                    },
                    [&] { return out; });
                scf::YieldOp::create(rewriter, loc, head);
              },
              [&](OpBuilder &, Location) {
                Value across = rb.ifElse(
                    spans,
                    [&] {
                      Value acrossSv = arith::SelectOp::create(
                          rewriter, loc, maskOf(sub(rowStart, col)),
                          rb.broadcast(previousS), sv);
                      return rb.streamLoop(
                          out, col, add(col, index(rb.lanes)), [&](Value c) {
                            return math.wide(read, c, nullptr, acrossSv);
                          });
                    },
                    [&] { return out; });
                scf::YieldOp::create(rewriter, loc, across);
              });
          Value from = arith::SelectOp::create(rewriter, loc, spans,
                                               add(col, index(rb.lanes)), col);
          // The whole vectors within the row, the next row prefetched.
          Value wholeEnd = add(
              from, mul(arith::DivUIOp::create(rewriter, loc, sub(rowEnd, from),
                                               index(rb.lanes)),
                        index(rb.lanes)));
          Value nextOffset;
          if (!next.buffers.empty())
            nextOffset = arith::SelectOp::create(
                rewriter, loc,
                cmp(arith::CmpIPredicate::ult, add(row, index(1)), rows),
                length, index(0));
          auto prefetchNext = [&](Value c) {
            if (nextOffset)
              rb.prefetch(next, add(c, nextOffset));
          };
          auto streamWhole = [&](function_ref<Value(Value)> value) {
            return rb.streamLoop(first.getResult(0), from, wholeEnd,
                                 [&](Value c) {
                                   prefetchNext(c);
                                   return value(c);
                                 });
          };
          auto wide = [&] {
            return streamWhole(
                [&](Value c) { return math.wide(read, c, nullptr, sv); });
          };
          Value whole;
          if (narrowPass) {
            auto [hi, lo] = math.splitSum(s);
            Value hiv = rb.broadcast(hi), lov = rb.broadcast(lo);
            whole = rb.ifElse(
                math.narrowHolds(hi, maxAbs ? math.maxAbs(acc) : nullptr),
                [&] {
                  return streamWhole([&](Value c) {
                    return math.narrow(read, c, nullptr, hiv, lov);
                  });
                },
                wide);
          } else {
            whole = wide();
          }
          scf::YieldOp::create(rewriter, loc, ValueRange{wholeEnd, s, whole});
        });
    // The last row's masked tail.
    Value col = loop.getResult(0), out = loop.getResult(2);
    return rb.ifElse(
        cmp(arith::CmpIPredicate::ult, col, size),
        [&] {
          Value mask = maskOf(sub(size, col));
          return rb.writeMasked(
              math.wide(read, col, mask, rb.broadcast(loop.getResult(1))), out,
              col, mask);
        },
        [&] { return out; });
  }

  /// One parallel iteration a row: the first pass, then the second, which
  /// streams where the row's output may (see below).
  Value buildRows(PatternRewriter &rewriter, Location loc, FamilyRowBuilder &rb,
                  Value y, Value dy, Value init, Value streams) const {
    bool split = rb.accType != rb.sumType;
    // A row whose output does not start aligned streams from this many
    // bytes: log_softmax_grad's ordinary-store pass is in f32 either way,
    // softmax_grad's in f64 (compare_grads.py on AVX-512 with the output 16
    // bytes off a line: log_softmax_grad rows of 1 and 2 KiB 0.83x and
    // 0.92x streamed, 4 KiB 1.5x; softmax_grad 1 KiB 1.47x).
    // Where the target's tuning says such rows stream slower (AMD Zen 4,
    // compare_grads.py with the output 16 bytes off a line: softmax_grad
    // rows of 256 to 1024 1.3x-2.0x faster with ordinary stores), only
    // aligned rows stream.
    std::optional<int64_t> minMisalignedBytes;
    if (options.streamMisaligned)
      minMisalignedBytes = logarithmic ? 4096 : 1024;
    return rb.forRows(
        init, /*perRow=*/false, [&](ValueRange row, Value rowOut) {
          GradRowMath math(rewriter, loc, rb, logarithmic, y, dy);
          auto read = [&](Value source, Value col, Value mask, Type to) {
            return rb.read(source, row, col, mask, to);
          };
          // softmax_grad's f32 second pass where it streams, or with
          // f32CachedGrad also with ordinary stores.
          bool narrowCached = !logarithmic && split && options.f32CachedGrad;
          bool maxAbs = math.needsMaxAbs(streams || narrowCached);
          SmallVector<Value> acc =
              rb.sweep(math.sumInits(maxAbs),
                       [&](Value col, Value mask, ValueRange acc) {
                         return math.sumStep(read, col, mask, acc);
                       });
          Value s = math.sum(acc);
          Value sv = rb.broadcast(s);
          // During the second pass (whose reads hit L1), prefetch the next
          // row's y and dy (compare_grads.py on an Intel AVX-512 machine:
          // log_softmax_grad 4096x1024 6.1 -> 5.1 ms, softmax_grad 8192x256
          // 1.23 -> 0.98 ms); see prefetchesNextRow (AMD Zen 4: softmax_grad
          // rows of 256 to 2048 1.2x-1.5x faster without).
          NextRowPrefetch next = prefetchesNextRow()
                                     ? rb.prefetchNextRow({y, dy}, row, options)
                                     : NextRowPrefetch();
          auto prefetchNext = [&](Value col, Value mask) {
            if (!mask)
              rb.prefetch(next, col);
          };
          auto wide = [&](Value col, Value mask) -> Value {
            prefetchNext(col, mask);
            return math.wide(read, col, mask, sv);
          };
          // softmax_grad's narrow pass ran slower than the wide pass with
          // ordinary stores (3.8 -> 5.8 ms, its stores stalling: see
          // docs/performance/family.md), faster with streaming ones, so it
          // takes it only where it streams.
          Value hi, lo, hiv, lov;
          if (split) {
            std::tie(hi, lo) = math.splitSum(s);
            hiv = rb.broadcast(hi);
            lov = rb.broadcast(lo);
          }
          auto narrow = [&](Value col, Value mask) -> Value {
            prefetchNext(col, mask);
            return math.narrow(read, col, mask, hiv, lov);
          };
          // The pass `value`, streamed where the row streams.
          Value start, rowStreams;
          if (streams) {
            start = rb.alignedStart(rowOut);
            rowStreams = rb.streamsRow(streams, start, minMisalignedBytes);
          }
          auto writeMaybeStreamed =
              [&](function_ref<Value(Value, Value)> value) {
                if (!streams)
                  return rb.writeRow(rowOut, value);
                return rb.ifElse(
                    rowStreams,
                    [&] { return rb.writeRowStreamed(rowOut, start, value); },
                    [&] { return rb.writeRow(rowOut, value); });
              };
          if (logarithmic) {
            if (!split)
              return writeMaybeStreamed(wide);
            // A row whose s the accumulator type cannot hold takes the wide
            // pass.
            return rb.ifElse(
                math.narrowHolds(hi, nullptr),
                [&] { return writeMaybeStreamed(narrow); },
                [&] { return rb.writeRow(rowOut, wide); });
          }
          // softmax_grad's narrow pass only where the row streams, or, with
          // f32CachedGrad, also with ordinary stores (AMD Zen 4, output 16
          // bytes off a line: rows of 128 to 2048 1.0x-1.4x faster than the
          // f64 pass).
          if (!split || (!streams && !narrowCached))
            return writeMaybeStreamed(wide);
          Value held = math.narrowHolds(hi, math.maxAbs(acc));
          if (narrowCached)
            return rb.ifElse(
                held, [&] { return writeMaybeStreamed(narrow); },
                [&] { return rb.writeRow(rowOut, wide); });
          return rb.ifElse(
              arith::AndIOp::create(rewriter, loc, rowStreams, held),
              [&] { return rb.writeRowStreamed(rowOut, start, narrow); },
              [&] { return rb.writeRow(rowOut, wide); });
        });
  }

  RowVectorizationOptions options;
};

/// A cross_entropy_grad after `fwd` in its block on the same logits, labels
/// and attributes, whose loss gradient is defined before `fwd` (so that both
/// can be computed where `fwd` is), or null.
CrossEntropyGradOp getFusableGrad(CrossEntropyOp fwd) {
  for (Operation *user : fwd.getLogits().getUsers()) {
    auto grad = dyn_cast<CrossEntropyGradOp>(user);
    if (!grad || grad->getBlock() != fwd->getBlock() ||
        !fwd->isBeforeInBlock(grad) || grad.getLabels() != fwd.getLabels() ||
        grad.getDim() != fwd.getDim() ||
        grad.getIgnoreIndex() != fwd.getIgnoreIndex() ||
        grad.getLabelSmoothing() != fwd.getLabelSmoothing())
      continue;
    Value lossGrad = grad.getLossGrad();
    Operation *def = lossGrad.getDefiningOp();
    bool available =
        def ? def->getBlock() == fwd->getBlock() && def->isBeforeInBlock(fwd)
            : cast<BlockArgument>(lossGrad).getOwner() == fwd->getBlock();
    if (available)
      return grad;
  }
  return nullptr;
}

/// cross_entropy and cross_entropy_grad; a cross_entropy and the
/// cross_entropy_grad of the same logits and labels together, where the
/// gradient's operands allow.
template <typename OpTy> struct VectorizeCrossEntropy : OpRewritePattern<OpTy> {
  VectorizeCrossEntropy(MLIRContext *ctx,
                        const RowVectorizationOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    constexpr bool isGrad = std::is_same_v<OpTy, CrossEntropyGradOp>;
    Value x = op.getLogits(), labels = op.getLabels();
    if (failed(checkApplicable(rewriter, op, x.getType(), op.getDim())))
      return failure();
    double smoothing = op.getLabelSmoothing().convertToDouble();
    int64_t ignoreIndex = op.getIgnoreIndex();
    Location loc = op.getLoc();
    auto &b = rewriter;
    FamilyRowBuilder rb(rewriter, loc, x, options);
    FloatType sumType = rb.sumType, accType = rb.accType;
    Value classes = rb.n;
    Value classCount = arith::UIToFPOp::create(
        b, loc, sumType,
        arith::IndexCastUIOp::create(b, loc, b.getI64Type(), classes));

    // t = (x == m) ? 0 : x - m, in `type`.
    auto shifted = [&](Value xv, Value mv, Type type) -> Value {
      Value isMax =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, xv, mv);
      return arith::SelectOp::create(b, loc, isMax, rb.splat(type, 0.0),
                                     arith::SubFOp::create(b, loc, xv, mv));
    };
    // Per row: m = max(x), the others' sum r of exp(t) and the count c of
    // entries at m (s = c + r; and the total of t).
    auto rowStats = [&](ValueRange row, bool total) {
      Value m = rb.max(rb.laneMaxima(x, row, accType));
      Value mv = rb.broadcast(m);
      SmallVector<Value> inits = {rb.splat(sumType, 0.0),
                                  rb.splat(sumType, 0.0)};
      if (total)
        inits.push_back(rb.splat(sumType, 0.0));
      SmallVector<Value> sums = rb.sweep(inits, [&](Value col, Value mask,
                                                    ValueRange acc) {
        Value v = rb.read(x, row, col, mask, accType);
        Value atMax =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, mv);
        Value t = shifted(v, mv, accType);
        Value e = buildNonPositiveExp(b, loc, t);
        if (accType != sumType)
          e = arith::ExtFOp::create(b, loc, rb.vec(sumType), e);
        Value zero = rb.splat(sumType, 0.0);
        SmallVector<Value> next = {
            arith::AddFOp::create(
                b, loc, acc[0],
                rb.keep(mask, arith::SelectOp::create(b, loc, atMax, zero, e),
                        zero)),
            arith::AddFOp::create(
                b, loc, acc[1],
                rb.keep(mask,
                        arith::SelectOp::create(b, loc, atMax,
                                                rb.splat(sumType, 1.0), zero),
                        zero))};
        if (total) {
          // In the sum's type: an f32 x - m overflows where the row spans
          // more than the largest f32.
          Value tt = t;
          if (accType != sumType)
            tt = shifted(arith::ExtFOp::create(b, loc, rb.vec(sumType), v),
                         arith::ExtFOp::create(b, loc, rb.vec(sumType), mv),
                         sumType);
          next.push_back(
              arith::AddFOp::create(b, loc, acc[2], rb.keep(mask, tt, zero)));
        }
        return next;
      });
      SmallVector<Value> stats = {m, rb.sum(sums[0]), rb.sum(sums[1])};
      if (total)
        stats.push_back(rb.sum(sums[2]));
      return stats;
    };
    // From a row's stats (m, r, c): s, rest = s - 1 and whether m is finite.
    auto rowSum = [&](ArrayRef<Value> stats) {
      CrossEntropyRowSum sum = buildCrossEntropyRowSum(
          b, loc, extend(b, loc, stats[0], sumType), stats[1], stats[2]);
      return std::make_tuple(sum.s, sum.rest, sum.finite);
    };
    // The label of a row as an index, whether it is in [0, classes), and
    // whether it is ignore_index.
    auto labelOf = [&](ValueRange row) {
      Value label = tensor::ExtractOp::create(b, loc, labels, row);
      Type labelType = label.getType();
      Value index = arith::IndexCastOp::create(b, loc, b.getIndexType(), label);
      Value inRange = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, index,
                                rb.index(0)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, index,
                                classes));
      Value ignored = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq, label,
          arith::ConstantOp::create(b, loc, labelType,
                                    b.getIntegerAttr(labelType, ignoreIndex)));
      return std::make_tuple(index, inRange, ignored);
    };
    // `value`: 0 for ignore_index, NaN for a label outside the classes.
    auto finish = [&](Value inRange, Value ignored, Value value, Value zero,
                      Value nan) -> Value {
      value = arith::SelectOp::create(b, loc, inRange, value, nan);
      return arith::SelectOp::create(b, loc, ignored, zero, value);
    };

    // The loss of a row from its stats.
    auto lossOf = [&](ValueRange row, ArrayRef<Value> stats) -> Value {
      auto [index, inRange, ignored] = labelOf(row);
      // x[label], read at a label clamped into [0, classes).
      Value clamped = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, index, rb.index(0)),
          arith::SubIOp::create(b, loc, classes, rb.index(1)));
      SmallVector<Value> at(row);
      at.push_back(clamped);
      Value xl =
          extend(b, loc, tensor::ExtractOp::create(b, loc, x, at), sumType);
      Value m = extend(b, loc, stats[0], sumType);
      Value s, rest, finite;
      std::tie(s, rest, finite) = rowSum(stats);
      // A finite maximum: log(s) - t[label] with log(s) = log1p(rest) (a
      // confident prediction keeps its digits); else what -log_softmax
      // gives (buildNonFiniteCrossEntropy).
      Value logS = math::Log1pOp::create(b, loc, rest);
      Value tl = arith::SelectOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, xl, m),
          constant(b, loc, sumType, 0.0), arith::SubFOp::create(b, loc, xl, m));
      Value value = arith::SubFOp::create(b, loc, logS, tl);
      if (smoothing != 0.0) {
        Value meanT = arith::DivFOp::create(b, loc, stats[3], classCount);
        Value uniform = arith::SubFOp::create(b, loc, logS, meanT);
        value = arith::AddFOp::create(
            b, loc,
            arith::MulFOp::create(
                b, loc, constant(b, loc, sumType, 1.0 - smoothing), value),
            arith::MulFOp::create(b, loc, constant(b, loc, sumType, smoothing),
                                  uniform));
      }
      value = arith::SelectOp::create(
          b, loc, finite, value,
          buildNonFiniteCrossEntropy(b, loc, m, xl, s, stats[2], classCount,
                                     smoothing));
      value = finish(
          inRange, ignored, value, constant(b, loc, sumType, 0.0),
          constant(b, loc, sumType, std::numeric_limits<double>::quiet_NaN()));
      if (sumType != rb.elementType)
        value = arith::TruncFOp::create(b, loc, rb.elementType, value);
      return value;
    };
    // A row of the gradient, written into `rowOut`, from its stats.
    auto gradOf = [&](ValueRange row, Value rowOut, ArrayRef<Value> stats,
                      Value lossGrad) -> Value {
      Value index, inRange, ignored;
      std::tie(index, inRange, ignored) = labelOf(row);
      Value mv = rb.broadcast(extend(b, loc, stats[0], sumType));
      Value s, rest, finite;
      std::tie(s, rest, finite) = rowSum(stats);
      // 1/s once per row: a division per element would cost more
      // than the row's memory traffic (0 for an all -inf row).
      Value inverse = buildCrossEntropyInverse(
          b, loc, extend(b, loc, stats[0], sumType), s);
      Value sv = rb.broadcast(inverse);
      // p - 1 at a label that is the maximum: -(c - 1 + r) / s.
      Value confident = arith::MulFOp::create(
          b, loc, arith::NegFOp::create(b, loc, rest), inverse);
      Value dloss = rb.broadcast(extend(
          b, loc, tensor::ExtractOp::create(b, loc, lossGrad, row), sumType));
      Value labelv = rb.broadcast(
          arith::IndexCastOp::create(b, loc, b.getI64Type(), index));
      Value offsets = arith::ConstantOp::create(
          b, loc, rb.vec(b.getI64Type()),
          DenseElementsAttr::get(
              rb.vec(b.getI64Type()),
              llvm::to_vector(
                  llvm::map_range(llvm::seq<int64_t>(0, rb.lanes),
                                  [&](int64_t i) { return APInt(64, i); }))));
      Value base =
          smoothing != 0.0
              ? rb.broadcast(arith::DivFOp::create(
                    b, loc, constant(b, loc, sumType, smoothing), classCount))
              : rb.splat(sumType, 0.0);
      Value zero = rb.splat(sumType, 0.0);
      Value nan = rb.splat(sumType, std::numeric_limits<double>::quiet_NaN());
      // Without smoothing only the label's column has a target to
      // cancel against: elsewhere p is computed from an f32 exp,
      // exp(t) = exp(t_hi) (1 + t_lo) with t = t_hi + t_lo split at
      // f32 (accurate to the f32 exp's ulps, 1e-7), and the label's
      // element is recomputed after the pass in f64 (libm's exp). With
      // smoothing every column has a target: t and exp in the sum's
      // type throughout.
      bool splitExp = smoothing == 0.0 && accType != sumType;
      Value updated =
          rb.sweep(rowOut, [&](Value col, Value mask, ValueRange acc) {
              Value t =
                  shifted(rb.read(x, row, col, mask, sumType), mv, sumType);
              Value e;
              if (splitExp) {
                Value hi = arith::TruncFOp::create(b, loc, rb.vec(accType), t);
                Value lo = arith::SubFOp::create(
                    b, loc, t,
                    arith::ExtFOp::create(b, loc, rb.vec(sumType), hi));
                Value eHi = arith::ExtFOp::create(
                    b, loc, rb.vec(sumType), buildNonPositiveExp(b, loc, hi));
                // exp(-inf) = 0 whatever t_lo (NaN there).
                e = arith::SelectOp::create(
                    b, loc,
                    arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                          eHi, zero),
                    zero,
                    arith::MulFOp::create(
                        b, loc, eHi,
                        arith::AddFOp::create(b, loc, rb.splat(sumType, 1.0),
                                              lo)));
              } else {
                e = math::ExpOp::create(b, loc, t);
              }
              Value p = arith::MulFOp::create(b, loc, e, sv);
              Value cols =
                  arith::AddIOp::create(b, loc, offsets,
                                        rb.broadcast(arith::IndexCastOp::create(
                                            b, loc, b.getI64Type(), col)));
              Value atLabel = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::eq, cols, labelv);
              Value target = arith::AddFOp::create(
                  b, loc,
                  arith::SelectOp::create(b, loc, atLabel,
                                          rb.splat(sumType, 1.0 - smoothing),
                                          zero),
                  base);
              Value diff = arith::SubFOp::create(b, loc, p, target);
              if (!splitExp) {
                // At a label that is the maximum of a finite row:
                // (p - 1) + 1 - target.
                Value atMax = arith::AndIOp::create(
                    b, loc, atLabel,
                    arith::AndIOp::create(
                        b, loc, rb.broadcast(finite),
                        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              t, zero)));
                diff = arith::SelectOp::create(
                    b, loc, atMax,
                    arith::AddFOp::create(
                        b, loc, rb.broadcast(confident),
                        arith::SubFOp::create(b, loc, rb.splat(sumType, 1.0),
                                              target)),
                    diff);
              }
              Value value = arith::MulFOp::create(b, loc, diff, dloss);
              value = finish(inRange, ignored, value, zero, nan);
              return SmallVector<Value>{rb.write(value, acc[0], col, mask)};
            }).front();
      if (!splitExp)
        return updated;
      // The label's element in f64: (exp(t) / s - 1) dloss, written
      // where the label is a class and not ignored (elsewhere the
      // element at the clamped label is written back unchanged).
      Value clamped = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, index, rb.index(0)),
          arith::SubIOp::create(b, loc, classes, rb.index(1)));
      SmallVector<Value> at(row);
      at.push_back(clamped);
      Value xl =
          extend(b, loc, tensor::ExtractOp::create(b, loc, x, at), sumType);
      Value m = extend(b, loc, stats[0], sumType);
      Value tl = arith::SelectOp::create(
          b, loc,
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, xl, m),
          constant(b, loc, sumType, 0.0), arith::SubFOp::create(b, loc, xl, m));
      Value pl = arith::MulFOp::create(b, loc, math::ExpOp::create(b, loc, tl),
                                       inverse);
      // At the maximum of a finite row p - 1 = -(c - 1 + r) / s.
      Value plMinusOne = arith::SelectOp::create(
          b, loc,
          arith::AndIOp::create(
              b, loc, finite,
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, tl,
                                    constant(b, loc, sumType, 0.0))),
          confident,
          arith::SubFOp::create(b, loc, pl, constant(b, loc, sumType, 1.0)));
      Value fixed = arith::TruncFOp::create(
          b, loc, rb.elementType,
          arith::MulFOp::create(
              b, loc, plMinusOne,
              extend(b, loc, tensor::ExtractOp::create(b, loc, lossGrad, row),
                     sumType)));
      SmallVector<Value> outAt(rb.rank - 1, rb.index(0));
      outAt.push_back(clamped);
      Value old = tensor::ExtractOp::create(b, loc, updated, outAt);
      Value write = arith::AndIOp::create(
          b, loc, inRange,
          arith::XOrIOp::create(
              b, loc, ignored,
              arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1)));
      return Value(tensor::InsertOp::create(
                       b, loc,
                       arith::SelectOp::create(b, loc, write, fixed, old),
                       updated, outAt)
                       .getResult());
    };

    Value result;
    if constexpr (!isGrad) {
      // A rank-1 logits' loss is a 0-d tensor: the generic path's.
      if (rb.rank < 2)
        return rewriter.notifyMatchFailure(op, "a single sample");
      Value init = tensor::EmptyOp::create(
          b, loc, ArrayRef(rb.sizes).drop_back(), rb.elementType);
      if (CrossEntropyGradOp grad = getFusableGrad(op)) {
        // The loss and the gradient in one loop: the row's max and sum once.
        Value dxInit =
            tensor::EmptyOp::create(b, loc, rb.sizes, rb.elementType);
        auto [loss, dx] = rb.forRowsWithScalar(
            dxInit, init, [&](ValueRange row, Value rowOut) {
              SmallVector<Value> stats = rowStats(row, smoothing != 0.0);
              Value dxRow = gradOf(row, rowOut, stats, grad.getLossGrad());
              return std::make_pair(dxRow, lossOf(row, stats));
            });
        rewriter.replaceOp(grad, dx);
        rewriter.replaceOp(op, loss);
        return success();
      }
      result = rb.forRows(init, /*perRow=*/true, [&](ValueRange row, Value) {
        return lossOf(row, rowStats(row, smoothing != 0.0));
      });
    } else {
      Value init = tensor::EmptyOp::create(b, loc, rb.sizes, rb.elementType);
      result =
          rb.forRows(init, /*perRow=*/false, [&](ValueRange row, Value rowOut) {
            return gradOf(row, rowOut, rowStats(row, /*total=*/false),
                          op.getLossGrad());
          });
    }
    rewriter.replaceOp(op, result);
    return success();
  }

  RowVectorizationOptions options;
};

/// What a first pass learns of a row: m = max(x) (NaN-propagating) and the
/// maxima of the lanes (a subset of the row's entries), m in the compute
/// type.
struct RowStats {
  Value max, laneMax;
};

RowStats rowMax(FamilyRowBuilder &rb, Value x, ValueRange row, Type type) {
  // In the accumulator type (exact), extended to `type` after.
  Type computeType = type;
  type = rb.accType;
  OpBuilder &b = rb.b;
  Location loc = rb.loc;
  Value lanes = rb.laneMaxima(x, row, type);
  Value m = rb.max(lanes);
  if (computeType != type)
    m = arith::ExtFOp::create(b, loc, computeType, m);
  // The lanes' maxima stay in the accumulator type, as the scratches keep
  // the entries.
  return {m, lanes};
}

/// The number of +inf entries of a row, in `type` (a pass of its own: only
/// a row whose maximum is not finite needs it).
Value rowInfCount(FamilyRowBuilder &rb, Value x, ValueRange row, Type type) {
  Type computeType = type;
  type = rb.accType;
  OpBuilder &b = rb.b;
  Location loc = rb.loc;
  double inf = std::numeric_limits<double>::infinity();
  Value counts =
      rb.sweep({rb.splat(type, 0.0)}, [&](Value col, Value mask,
                                          ValueRange acc) {
          Value v = rb.read(x, row, col, mask, type);
          Value isInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ,
                                              v, rb.splat(type, inf));
          Value one = arith::SelectOp::create(
              b, loc, isInf, rb.splat(type, 1.0), rb.splat(type, 0.0));
          return SmallVector<Value>{arith::AddFOp::create(
              b, loc, acc[0], rb.keep(mask, one, rb.splat(type, 0.0)))};
        }).front();
  Value k = rb.sum(counts);
  if (computeType != type)
    k = arith::ExtFOp::create(b, loc, computeType, k);
  return k;
}

/// The entries a projection's threshold rounds read: the first `count` of
/// `scratch`, entries x of the row in the accumulator type, whose X = scale
/// * (x - m) in m's type each read computes (storing X instead, twice the
/// bytes for f32, makes long rows' packing slower and short rows' rounds no
/// faster).
struct Candidates {
  Value scratch, count, m;
  double scale;
  /// Instead of `scratch`: a vector of the entries (all of them candidates
  /// to read), held in registers.
  Value lanes = nullptr;

  Type getEntryType() const {
    return lanes ? cast<VectorType>(lanes.getType()).getElementType()
                 : cast<MemRefType>(scratch.getType()).getElementType();
  }
};

/// The lanes' maxima (entries of the row) as candidates, in registers:
/// their threshold is a lower bound of the row's (the entries of a subset
/// can only sum to less at any threshold).
Candidates seedCandidates(FamilyRowBuilder &rb, Value lanes, Value m,
                          double scale) {
  auto type = cast<VectorType>(lanes.getType());
  return {Value(), rb.index(type.getNumElements()), m, scale, lanes};
}

/// A scratch buffer of `size` entries of `type` for a row's (or a group's)
/// candidates: a memref, not a tensor, since only the row's own loops use
/// it; as a tensor its dozens of writes a row were each analysed against
/// all its reads by empty-tensor elimination and One-Shot Bufferize (a
/// sparsemax or entmax(1.5) function took 1.0-1.5 s there, most of its
/// compile). The buffer deallocation pipeline frees it.
Value allocateScratch(OpBuilder &b, Location loc, Value size, Type type) {
  return memref::AllocOp::create(
      b, loc, MemRefType::get({ShapedType::kDynamic}, type), ValueRange{size});
}

/// The row's candidates for the support, X = scale * (x - m) > `threshold`
/// (a lower bound of the row's threshold), packed at the front of a scratch
/// buffer a unit at a time: every unit of entries x (in the accumulator
/// type) is stored at the count so far, which advances past it only if one
/// of its lanes is a candidate, x > m + threshold / scale less a little in
/// x's type (a few more candidates never change a threshold above the
/// bound; no branch; lanes past the row's end are -inf). A unit is a vector
/// of the row loops' lanes, or with `fine` half a register of the rounds
/// (4 f32 lanes for AVX2): on short rows most 16-lane vectors hold a
/// candidate (6.4 of the 8 of a normal row of 128 for entmax(1.5), 13
/// candidates), the rounds would read nearly the whole row; on long rows
/// the finer packing costs more than it saves. The count is a multiple of
/// the unit, and a register of -inf follows it. The rounds then read the
/// few units with candidates instead of the row; the other entries of those
/// units are at most the bound and never in a support.
Candidates packCandidates(FamilyRowBuilder &rb, Value x, ValueRange row,
                          Value m, double scale, Value threshold, bool fine) {
  OpBuilder &b = rb.b;
  Location loc = rb.loc;
  double inf = std::numeric_limits<double>::infinity();
  FloatType type = rb.accType;
  Type computeType = m.getType();
  Value raw = arith::AddFOp::create(
      b, loc, m,
      arith::DivFOp::create(b, loc, threshold,
                            constant(b, loc, computeType, scale)));
  raw = arith::SubFOp::create(
      b, loc, raw,
      arith::AddFOp::create(
          b, loc,
          arith::MulFOp::create(b, loc, math::AbsFOp::create(b, loc, raw),
                                constant(b, loc, computeType, 0x1p-20)),
          constant(b, loc, computeType, 0x1p-120)));
  if (computeType != type)
    raw = arith::TruncFOp::create(b, loc, type, raw);
  int64_t foldLanes = std::max<int64_t>(1, rb.vectorBits / type.getWidth());
  int64_t unit = fine ? std::max<int64_t>(1, foldLanes / 2) : rb.lanes;
  if (rb.lanes % unit != 0)
    unit = rb.lanes;
  auto unitType = VectorType::get({unit}, type);
  Value rawv = vector::BroadcastOp::create(b, loc, unitType, raw);
  Value size =
      arith::AddIOp::create(b, loc, rb.n, rb.index(rb.lanes + foldLanes));
  Value scratch = allocateScratch(b, loc, size, type);
  SmallVector<Value> packed = rb.sweep(
      ValueRange{rb.index(0)}, [&](Value col, Value mask, ValueRange acc) {
        Value v = rb.keep(mask, rb.read(x, row, col, mask, type),
                          rb.splat(type, -inf));
        Value count = acc[0];
        for (int64_t at = 0; at < rb.lanes; at += unit) {
          Value part = unit == rb.lanes
                           ? v
                           : vector::ExtractStridedSliceOp::create(
                                 b, loc, v, ArrayRef<int64_t>{at},
                                 ArrayRef<int64_t>{unit}, ArrayRef<int64_t>{1})
                                 .getResult();
          vector::TransferWriteOp::create(
              b, loc, part, scratch, ValueRange{count}, ArrayRef<bool>{true});
          Value any = vector::ReductionOp::create(
              b, loc, vector::CombiningKind::OR,
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, part,
                                    rawv));
          count = arith::AddIOp::create(b, loc, count,
                                        arith::SelectOp::create(b, loc, any,
                                                                rb.index(unit),
                                                                rb.index(0)));
        }
        return SmallVector<Value>{count};
      });
  // -inf past the count up to a whole register: the rounds read those
  // entries.
  vector::TransferWriteOp::create(
      b, loc,
      arith::ConstantOp::create(
          b, loc, VectorType::get({foldLanes}, type),
          DenseElementsAttr::get(VectorType::get({foldLanes}, type),
                                 b.getFloatAttr(type, -inf).getValue())),
      scratch, ValueRange{packed[0]}, ArrayRef<bool>{true});
  return {scratch, packed[0], m, scale};
}

/// The vectors the rounds compute in: as many lanes as one register of the
/// scratch's entries holds, of the compute type.
VectorType getFoldType(FamilyRowBuilder &rb, const Candidates &candidates) {
  auto type = cast<FloatType>(candidates.getEntryType());
  return VectorType::get(
      {std::max<int64_t>(1, rb.vectorBits / type.getWidth())},
      candidates.m.getType());
}

/// `candidates` as a row in lockstep reads them in a round: none once the
/// row is `done` (its state no longer changes), unless they are a constant
/// few (as the lanes' maxima, read without a loop; the rows' candidates
/// are searched one row at a time).
Candidates skipWhenDone(FamilyRowBuilder &rb, const Candidates &candidates,
                        Value done) {
  if (!done || getConstantIntValue(candidates.count))
    return candidates;
  Candidates skipped = candidates;
  skipped.count = arith::SelectOp::create(rb.b, rb.loc, done, rb.index(0),
                                          candidates.count);
  return skipped;
}

/// Folds `body` over the candidates a register at a time, each vector given
/// as X = scale * (x - m).
SmallVector<Value>
foldCandidates(FamilyRowBuilder &rb, const Candidates &candidates,
               ValueRange inits,
               function_ref<SmallVector<Value>(Value, ValueRange)> body) {
  OpBuilder &b = rb.b;
  Location loc = rb.loc;
  Type entryType = candidates.getEntryType();
  VectorType foldType = getFoldType(rb, candidates);
  int64_t foldLanes = foldType.getNumElements();
  auto readType = VectorType::get(foldType.getShape(), entryType);
  Value padding = constant(b, loc, entryType, 0.0);
  Value mv = vector::BroadcastOp::create(b, loc, foldType, candidates.m);
  Value scalev = constantLike(b, loc, foldType, candidates.scale);
  auto step = [&](Value v, ValueRange acc) {
    if (readType != foldType)
      v = arith::ExtFOp::create(b, loc, foldType, v);
    Value t = arith::SubFOp::create(b, loc, v, mv);
    if (candidates.scale != 1.0)
      t = arith::MulFOp::create(b, loc, t, scalev);
    return body(t, acc);
  };
  if (candidates.lanes) {
    // Registers in turn, no loop.
    SmallVector<Value> acc(inits);
    int64_t size =
        cast<VectorType>(candidates.lanes.getType()).getNumElements();
    for (int64_t at = 0; at < size; at += foldLanes)
      acc = step(vector::ExtractStridedSliceOp::create(
                     b, loc, candidates.lanes, ArrayRef<int64_t>{at},
                     ArrayRef<int64_t>{foldLanes}, ArrayRef<int64_t>{1}),
                 acc);
    return acc;
  }
  auto loop = scf::ForOp::create(
      b, loc, rb.index(0), candidates.count, rb.index(foldLanes), inits,
      [&](OpBuilder &, Location, Value i, ValueRange acc) {
        scf::YieldOp::create(
            b, loc,
            step(vector::TransferReadOp::create(
                     b, loc, readType, candidates.scratch, ValueRange{i},
                     padding, ArrayRef<bool>{true}),
                 acc));
      });
  return loop.getResults();
}

/// The most f32 entries a batch of rows holds (1 MiB). f32 rows of a tensor
/// with at least a register's f32 lanes of rows along its second-innermost
/// dim go that many at a time with their threshold searches a lane per row
/// (RowBatch) where the batch holds at most this many entries; longer rows
/// in batches of half as many rows, down to two (8 rows up to 32768 at 256
/// bits, 4 up to 65536, 2 up to 131072). Rows up to 256 only before the
/// rounds on the lanes' maxima went transposed and the batches prefetched;
/// since, rows in batches against the other loops (pairs up to 1024 rows,
/// then one at a time) on a Zen 5, normal and uniform entries: 4096 x 1024
/// sparsemax 1.32x and 1.61x, entmax(1.5) 1.64x and 2.16x faster; 2048 x
/// 2048 1.10x/2.01x and 1.54x/2.10x; 512 x 8192 1.09x/2.35x and
/// 1.33x/1.67x. Since the rounds on the rows take Newton's steps on
/// sqrt(F), longer rows too: 256 x 16384 sparsemax 1.21x/2.24x,
/// entmax(1.5) 1.35x/1.80x; 128 x 32768 1.01x/2.07x and 1.10x/1.68x (8
/// rows a batch); 64 x 65536 1.03x/2.33x and 1.13x/2.91x (4 rows; 8 rows
/// were 0.86x/2.13x and 0.92x/1.76x); 32 x 131072 0.98x/2.35x and
/// 1.10x/2.87x (2 rows).
constexpr int64_t kSimplexBatchEntries = 1 << 18;

/// Rows of a RowBatch at least this long compact their candidates during
/// the rounds (entmax(1.5) on a Zen 5, one thread, against rounds that do
/// not: uniform rows of 8192 to 32768 1.15x-1.19x faster, normal 0.99x-
/// 1.07x; rows of 2048 and 4096 0.98x-1.05x, of 128 to 1024 uniform 0.89x-
/// 0.92x: there S shrinks little after the first round).
constexpr int64_t kCompactedSimplexRow = 8192;
/// RowBatches of rows at most this long (static lengths) transpose their
/// candidates for the rounds (RowBatch::transposeCandidates). On a Zen 5,
/// one thread, in cache, against the rows' own loops: normal rows of 128
/// and 256 sparsemax 1.06x-1.13x, entmax(1.5) 1.02x-1.05x faster, uniform
/// ones 0.97x-1.05x; uniform rows of 1024 0.92x-0.97x (a row's loop of
/// many candidates runs as well, and the transposition is a pass more).
constexpr int64_t kTransposedSimplexRow = 256;

/// The step below which an f32 search a lane per row ends a row: a few f32
/// ulps at the scale of the bracket [-1, 0] (the search only finds the
/// support; the threshold is computed on it after).
constexpr double kBatchedTolerance = 0x1p-20;

/// What a RowBatch's packing takes off its lower bounds of the thresholds
/// (of X, in [-1, 0]).
constexpr double kPackMargin = 0x1p-16;

/// What a search on f32 powers (entmax of f32 rows whose powers are libm
/// calls) takes off its threshold of the lanes' maxima, a bound of the
/// packing: far above its error (the f32 terms' rounding, ~1e-7 relative
/// in F, moves it ~1e-7; its last step is at most kBatchedTolerance, after
/// which it is within that step's square).
constexpr double kCoarseBoundMargin = 0x1p-16;

/// The tolerance of the exact rounds that follow a search on f32 powers:
/// Newton's step from its threshold (within ~1e-7 of the root) lands
/// within about that step's square of it, far below an f32 output's
/// rounding, so one exact round ends a row where that step is at most
/// this (a larger one, or a bisection, takes more rounds).
constexpr double kCoarseExactTolerance = 0x1p-23;

/// What the rounds' compaction of a RowBatch's candidates (rows of at least
/// kCompactedSimplexRow) takes off a round's threshold: a round's f32 sums
/// over up to 131072 entries (chains of 4096 adds a lane) may put it past
/// the root by up to ~4e-4 (a later round then steps back), and an entry
/// dropped stays dropped; 2^-10 keeps ~0.1% of a row of uniform entries
/// more.
constexpr double kCompactMargin = 0x1p-10;

/// The most that the rounding of a search a lane per row's f32 sums may
/// move entmax(1.5)'s threshold for its finish to take them instead of a
/// sweep (the outputs' tolerance, 1e-5 relative and 1e-7 absolute, allows
/// twice that in the worst case of y = u^2 near 1e-2).
constexpr double kBatchedSumsError = 5e-7;

/// Whether a RowBatch of rows of `rb` transposes its candidates: rows of a
/// static length of at most kTransposedSimplexRow, the row loops' lanes a
/// multiple of the batch's rows.
bool transposesCandidates(const FamilyRowBuilder &rb) {
  std::optional<int64_t> n = getConstantIntValue(rb.n);
  return n && *n <= kTransposedSimplexRow;
}

/// The rows of a group whose searches go a lane per row: one register of
/// f32 lanes (16 for AVX-512, 8 for AVX2); 0 where the row loops' vectors
/// are not whole registers or the rows are f64. f16 and bf16 rows take the
/// f32 rounds too, their per-row sweeps in their f32 sum type (4096 x 1024
/// to 32768 x 128 bf16: sparsemax 1.2x-1.7x, entmax(1.5) 1.4x-2.5x
/// faster than a row at a time).
int64_t getBatchLanes(const FamilyRowBuilder &rb) {
  int64_t lanes = rb.vectorBits / 32;
  if (rb.elementType.isF64() || lanes < 2 || !llvm::isPowerOf2_64(lanes) ||
      rb.lanes % lanes != 0)
    return 0;
  return lanes;
}

/// Reduces the lanes of G vectors (G a power of two, each a multiple of G
/// lanes long) to one vector of G lanes, lane g the lanes of the g-th vector
/// combined by `combine`: each vector's halves combined down to G lanes,
/// then log2(G) levels of pairs of shuffles (G - 1 combines) instead of a
/// horizontal reduction per vector. A vector of level L holds 2^L
/// vectors' lanes in segments of G / 2^L lanes; a pair's shuffles take the
/// low and the high halves of every segment of both, so the vectors stay in
/// order. Vectors are combined as they come (a binary counter), so that
/// few are live at a time.
class GroupReduction {
public:
  GroupReduction(OpBuilder &b, Location loc, int64_t group,
                 std::function<Value(Value, Value)> combine)
      : b(b), loc(loc), group(group), combine(std::move(combine)) {}

  void add(Value v) {
    int64_t lanes = cast<VectorType>(v.getType()).getNumElements();
    while (lanes > group) {
      lanes /= 2;
      v = combine(
          vector::ExtractStridedSliceOp::create(b, loc, v, {0}, {lanes}, {1}),
          vector::ExtractStridedSliceOp::create(b, loc, v, {lanes}, {lanes},
                                                {1}));
    }
    int64_t level = 0;
    while (!pending.empty() && pending.back().first == level) {
      v = pair(pending.pop_back_val().second, v, group >> level);
      ++level;
    }
    pending.push_back({level, v});
  }

  /// The result, once G vectors were added.
  Value getResult() const {
    assert(pending.size() == 1 && "a group's vectors are missing");
    return pending.front().second;
  }

private:
  Value pair(Value l, Value r, int64_t width) {
    SmallVector<int64_t> lo, hi;
    for (int64_t source : {int64_t(0), group})
      for (int64_t segment = 0; segment < group; segment += width)
        for (int64_t j = 0; j < width / 2; ++j) {
          lo.push_back(source + segment + j);
          hi.push_back(source + segment + width / 2 + j);
        }
    return combine(
        vector::ShuffleOp::create(b, loc, l, r, b.getDenseI64ArrayAttr(lo)),
        vector::ShuffleOp::create(b, loc, l, r, b.getDenseI64ArrayAttr(hi)));
  }

  OpBuilder &b;
  Location loc;
  int64_t group;
  std::function<Value(Value, Value)> combine;
  SmallVector<std::pair<int64_t, Value>> pending;
};

/// The columns of the G vectors `rows` (G a power of two, each a multiple
/// of G lanes long): column j, a vector of G lanes, holds lane j of every
/// row. Per block of G lanes, log2(G) levels of two-source shuffles (G per
/// level), each swapping a bit of the row index with the same bit of the
/// lane index (unpacks, shufps and vperm2f128 on x86).
SmallVector<Value> transposeRows(OpBuilder &b, Location loc,
                                 ArrayRef<Value> rows) {
  auto group = static_cast<int64_t>(rows.size());
  int64_t lanes = cast<VectorType>(rows.front().getType()).getNumElements();
  SmallVector<Value> columns;
  for (int64_t block = 0; block < lanes; block += group) {
    SmallVector<Value> v;
    for (Value row : rows)
      v.push_back(lanes == group ? row
                                 : vector::ExtractStridedSliceOp::create(
                                       b, loc, row, {block}, {group}, {1})
                                       .getResult());
    for (int64_t bit = 1; bit < group; bit *= 2) {
      SmallVector<int64_t> low, high;
      for (int64_t j = 0; j < group; ++j) {
        low.push_back(j & bit ? group + (j ^ bit) : j);
        high.push_back(j & bit ? group + j : j | bit);
      }
      for (int64_t i = 0; i < group; ++i) {
        if (i & bit)
          continue;
        Value l = v[i], r = v[i | bit];
        v[i] = vector::ShuffleOp::create(b, loc, l, r,
                                         b.getDenseI64ArrayAttr(low));
        v[i | bit] = vector::ShuffleOp::create(b, loc, l, r,
                                               b.getDenseI64ArrayAttr(high));
      }
    }
    llvm::append_range(columns, v);
  }
  return columns;
}

using LeftPack = RowVectorizationOptions::LeftPack;

/// A group of f32 rows whose threshold searches go a lane per row: a
/// round sweeps every row in f32 at its own threshold and reduces the
/// rows' sums to one vector, whose lanes update together (a division or a
/// square root for all the rows, no horizontal reduction per row, one
/// branch). The rounds only find the support; the threshold on it is then
/// computed in the compute type, from the sums of the round that ended the
/// row where their rounding allows, else by one sweep of the row, as the
/// per-row searches do (a
/// support off by an entry within f32 rounding of the threshold gives it
/// an output of the same order, 0 or not as the reference's). The max pass
/// and the rounds are unrolled over the rows (for the shuffles that reduce
/// them); the f64 sweep and the output loop over the rows.
struct RowBatch {
  /// `rows` the group's rows, `seeds` their lanes' maxima, `maxima`
  /// the rows' maxima (a vector of the compute type, a lane per row).
  RowBatch(FamilyRowBuilder &rb, Value x, ArrayRef<SmallVector<Value>> rows,
           ArrayRef<Value> seeds, Value maxima, double scale)
      : rb(rb), b(rb.b), loc(rb.loc), x(x), rows(rows), maxima(maxima),
        scale(scale) {
    f32 = b.getF32Type();
    groupType = VectorType::get({int64_t(rows.size())}, f32);
    maxima32 = maxima;
    if (cast<VectorType>(maxima.getType()).getElementType() != f32)
      maxima32 = castFloat(b, loc, groupType, maxima);
    seedColumns = transposeRows(b, loc, seeds);
    finite =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                              math::AbsFOp::create(b, loc, maxima32),
                              splat(std::numeric_limits<double>::infinity()));
  }

  int64_t size() const { return rows.size(); }
  Value splat(double value) { return constantLike(b, loc, groupType, value); }
  /// Lane `g` (an int64_t or an index Value) of `v`.
  Value lane(Value v, OpFoldResult g) {
    return vector::ExtractOp::create(b, loc, v, ArrayRef<OpFoldResult>{g});
  }
  Value lane(Value v, int64_t g) { return lane(v, b.getIndexAttr(g)); }
  Value orLanes(Value mask) {
    return vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, mask);
  }

  /// What a sweep does with a vector of a row: the entries x (f32), t = x -
  /// m in f32 and the lanes in the row where X = scale * t is above the
  /// threshold, given the accumulators; returns them updated.
  using SweepBody = function_ref<SmallVector<Value>(Value v, Value t, Value in,
                                                    ValueRange acc)>;

  /// t = `v` - `mv` and where t > `tauv` (vectors of f32; the threshold as
  /// one of t).
  std::pair<Value, Value> classify(Value v, Value mv, Value tauv) {
    Value t = arith::SubFOp::create(b, loc, v, mv);
    return {t,
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, t, tauv)};
  }

  /// A threshold `tau` of X = scale * t as one of t (f32; scale is a power
  /// of two, so exactly).
  Value unscaled(Value tau) {
    if (scale == 1.0)
      return tau;
    return arith::MulFOp::create(b, loc, tau, constant(b, loc, f32, 1 / scale));
  }

  /// One sweep over `row`, whose f32 maximum is `m`, carrying `inits`:
  /// `body` gets the entries x (f32 vectors), t = x - m in f32, and the
  /// lanes in the row where X = scale * t > `tau` (f32), compared as t >
  /// tau / scale (scale is a power of two).
  SmallVector<Value> sweepRow(ValueRange row, Value m, Value tau,
                              ValueRange inits, SweepBody body) {
    tau = unscaled(tau);
    Value tauv = rb.broadcast(tau);
    Value mv = rb.broadcast(m);
    return rb.sweep(inits, [&](Value col, Value mask, ValueRange acc) {
      Value v = rb.read(x, row, col, mask, f32);
      auto [t, in] = classify(v, mv, tauv);
      if (mask)
        in = arith::AndIOp::create(b, loc, in, mask);
      return body(v, t, in, acc);
    });
  }
  /// The rounds over every row's seeds at once, at the rows' `taus` (a
  /// threshold of a subset of a row's entries is a lower bound of the
  /// row's: a subset's sums are smaller at every threshold; found in a
  /// quarter of the work or less):
  /// `body` gets a column of seeds x (a vector of the group, a lane per
  /// row), t = x - m and the lanes where X > tau, and its accumulators are
  /// vectors of the group, the rows' sums: no reduction across lanes (a
  /// round of entmax(1.5)'s four sums on rows of 128 f32 summed each row's
  /// 16 seeds, then reduced the sums of 8 rows by shuffles, ~230
  /// instructions; this way ~120 and a shorter latency chain). The columns
  /// go in kSeedChains
  /// independent sets of sums, added at the end.
  SmallVector<Value> sweepSeeds(Value taus, ValueRange inits, SweepBody body) {
    constexpr int64_t kSeedChains = 2;
    Value tauv = taus;
    if (scale != 1.0)
      tauv = arith::MulFOp::create(b, loc, taus, splat(1 / scale));
    int64_t chains = std::min<int64_t>(
        kSeedChains, static_cast<int64_t>(seedColumns.size()));
    SmallVector<SmallVector<Value>> sets(chains, SmallVector<Value>(inits));
    for (auto [j, column] : llvm::enumerate(seedColumns)) {
      auto [t, in] = classify(column, maxima32, tauv);
      sets[j % chains] = body(column, t, in, sets[j % chains]);
    }
    SmallVector<Value> acc = sets.front();
    for (ArrayRef<Value> set : ArrayRef(sets).drop_front())
      for (auto [i, value] : llvm::enumerate(set))
        acc[i] = arith::AddFOp::create(b, loc, acc[i], value);
    return acc;
  }

  /// sweepRow over every row of the group at its lane of `taus`, `body`
  /// given the row's index; the rows' accumulators reduced to vectors of
  /// the group by GroupReductions (shuffles): with `minimum[i]` the i-th by
  /// a min (its lanes never NaN), else by adds.
  /// With `compact` (an i1; the rows packed), the sweeps also compact the
  /// rows' candidates where it holds (see sweepPacked), updating the counts.
  SmallVector<Value>
  sweepRows(Value taus, ValueRange inits, ArrayRef<bool> minimum,
            function_ref<SmallVector<Value>(int64_t g, Value t, Value in,
                                            ValueRange acc)>
                body,
            Value compact = Value()) {
    SmallVector<GroupReduction> reductions;
    for (bool isMinimum : minimum)
      reductions.emplace_back(
          b, loc, size(), [this, isMinimum](Value l, Value r) {
            if (isMinimum)
              return minIgnoringNaN(b, loc, l, r);
            return arith::AddFOp::create(b, loc, l, r).getResult();
          });
    for (int64_t g = 0; g < size(); ++g) {
      auto rowBody = [&](Value, Value t, Value in, ValueRange acc) {
        return body(g, t, in, acc);
      };
      SmallVector<Value> acc;
      if (compact) {
        assert(scratch && "only packed rows compact");
        acc = sweepPacked(rb.index(g), counts[g], lane(taus, g), inits, rowBody,
                          compact);
        counts[g] = acc.pop_back_val();
      } else {
        acc = sweepRow(g, taus, inits, rowBody);
      }
      for (auto [reduction, value] : llvm::zip(reductions, acc))
        reduction.add(value);
    }
    return llvm::map_to_vector(reductions, [](const GroupReduction &reduction) {
      return reduction.getResult();
    });
  }

  /// sweepRow over the group's row `g` at its lane of `taus`: over its
  /// candidates where pack() made them.
  SmallVector<Value> sweepRow(int64_t g, Value taus, ValueRange inits,
                              SweepBody body) {
    if (scratch)
      return sweepPacked(rb.index(g), counts[g], lane(taus, g), inits, body);
    return sweepRow(rows[g], lane(maxima32, g), lane(taus, g), inits, body);
  }

  /// Left-packs every row's candidates, the entries x whose X is above the
  /// row's lane of `taus` (a lower bound of its threshold: the rounds and
  /// the finish only raise it, so they never take another entry), into one
  /// scratch of the group, a register at a time: the sweeps over rows then
  /// read their candidates (13 of a normal row of 128 for entmax(1.5)),
  /// not their rows. A row's region of the scratch, `stride` entries,
  /// holds its count of candidates, then a vector of -inf (never a
  /// candidate) that the sweeps' last read covers.
  void pack(Value taus, LeftPack kind) {
    packKind = kind;
    stride = arith::AddIOp::create(b, loc, rb.n, rb.index(2 * rb.lanes));
    scratch = allocateScratch(
        b, loc,
        arith::MulIOp::create(b, loc, stride,
                              rb.index((roomToTranspose ? 2 : 1) * size())),
        f32);
    Value minusInf = rb.splat(f32, -std::numeric_limits<double>::infinity());
    for (int64_t g = 0; g < size(); ++g) {
      Value base = arith::MulIOp::create(b, loc, stride, rb.index(g));
      // Less a margin far above the f32 rounding of the searches on the
      // lanes' maxima (a few more candidates change nothing).
      Value tau = arith::SubFOp::create(b, loc, lane(taus, g),
                                        constant(b, loc, f32, kPackMargin));
      tau = unscaled(tau);
      Value tauv = rb.broadcast(tau);
      Value mv = rb.broadcast(lane(maxima32, g));
      SmallVector<Value> packed = rb.sweep(
          ValueRange{base}, [&](Value col, Value mask, ValueRange acc) {
            Value v = rb.read(x, rows[g], col, mask, f32);
            Value in = classify(v, mv, tauv).second;
            if (mask)
              in = arith::AndIOp::create(b, loc, in, mask);
            return SmallVector<Value>{packInto(v, in, acc[0])};
          });
      vector::TransferWriteOp::create(b, loc, minusInf, scratch,
                                      ValueRange{packed[0]},
                                      ArrayRef<bool>{true});
      counts.push_back(arith::SubIOp::create(b, loc, packed[0], base));
    }
    countVector = vector::FromElementsOp::create(
        b, loc, VectorType::get({size()}, b.getIndexType()), counts);
  }

  /// Left-packs the lanes `in` of the entries `v` (f32, the row loops'
  /// lanes) into the scratch at `at`, a left-pack's lanes at a time; returns
  /// the position past them.
  Value packInto(Value v, Value in, Value at) {
    // A left-pack's lanes: AVX-512's compress 16, AVX2's table 8.
    int64_t lanes = packKind == LeftPack::AVX512 ? 16 : 8;
    StringRef target = packKind == LeftPack::AVX512 ? "avx512" : "avx2";
    for (int64_t from = 0; from < rb.lanes; from += lanes) {
      auto slice = [&](Value whole) -> Value {
        if (lanes == rb.lanes)
          return whole;
        return vector::ExtractStridedSliceOp::create(
            b, loc, whole, ArrayRef<int64_t>{from}, ArrayRef<int64_t>{lanes},
            ArrayRef<int64_t>{1});
      };
      auto packedPart = LeftPackOp::create(b, loc, slice(v), slice(in), target);
      vector::TransferWriteOp::create(b, loc, packedPart.getPacked(), scratch,
                                      ValueRange{at}, ArrayRef<bool>{true});
      at = arith::AddIOp::create(b, loc, at, packedPart.getCount());
    }
    return at;
  }

  /// `v` (a vector of the group) repeated to the row loops' lanes: lane l
  /// of the result is the group's lane l mod its size.
  Value repeat(Value v) {
    if (rb.lanes == size())
      return v;
    SmallVector<int64_t> lanes;
    for (int64_t l = 0; l < rb.lanes; ++l)
      lanes.push_back(l % size());
    return vector::ShuffleOp::create(b, loc, v, v, lanes);
  }

  /// Whether the rounds sweep the candidates transposed (see
  /// transposeCandidates).
  bool transposed() const { return static_cast<bool>(columns); }

  /// After pack(): the rows' candidates transposed into a second scratch,
  /// a register of the row loops' lanes holding E = lanes / size()
  /// consecutive candidates of every row (lane e * size() + g entry e of row
  /// g), so that a round sweeps the batch in one loop whose sums are the
  /// rows' in their lanes: no shuffles reducing the rows' sums, no loop a
  /// row whose exit depends on its count. The transposition reads a row's
  /// candidates with a mask, -inf (never a candidate) past its count up to
  /// the longest; the transposed scratch follows the rows' regions (see
  /// roomToTranspose).
  void transposeCandidates() {
    int64_t spread = rb.lanes / size();
    Value lanes = rb.index(rb.lanes);
    Value longest = counts.front();
    for (Value count : ArrayRef(counts).drop_front())
      longest = arith::MaxUIOp::create(b, loc, longest, count);
    Value tiles = arith::CeilDivUIOp::create(b, loc, longest, lanes);
    SmallVector<Value> bases;
    for (int64_t g = 0; g < size(); ++g)
      bases.push_back(arith::MulIOp::create(b, loc, stride, rb.index(g)));
    // After the rows' regions (pack() made the scratch twice their size).
    columns = scratch;
    columnBase = arith::MulIOp::create(b, loc, stride, rb.index(size()));
    // Past a row's count the reads give -inf.
    Value padding =
        constant(b, loc, f32, -std::numeric_limits<double>::infinity());
    scf::ForOp::create(
        b, loc, rb.index(0), tiles, rb.index(1), ValueRange{},
        [&](OpBuilder &, Location, Value tile, ValueRange) {
          Value at = arith::MulIOp::create(b, loc, tile, lanes);
          SmallVector<Value> tileRows;
          for (auto [base, count] : llvm::zip(bases, counts)) {
            Value left = arith::SubIOp::create(
                b, loc, arith::MaxUIOp::create(b, loc, count, at), at);
            Value mask = vector::CreateMaskOp::create(
                b, loc, rb.vec(b.getI1Type()), ValueRange{left});
            tileRows.push_back(vector::TransferReadOp::create(
                b, loc, rb.vec(f32), scratch,
                ValueRange{arith::AddIOp::create(b, loc, base, at)},
                b.getMultiDimIdentityMap(1), padding, mask,
                b.getBoolArrayAttr({true})));
          }
          // Column j: entry `at` + j of every row.
          SmallVector<Value> cols = transposeRows(b, loc, tileRows);
          Value out = arith::AddIOp::create(
              b, loc, columnBase,
              arith::MulIOp::create(b, loc, at, rb.index(size())));
          for (int64_t j = 0; j < rb.lanes; j += spread) {
            SmallVector<Value> parts(cols.begin() + j,
                                     cols.begin() + j + spread);
            // Concatenated pairwise up to a register.
            while (parts.size() > 1) {
              SmallVector<Value> joined;
              for (size_t i = 0; i < parts.size(); i += 2) {
                int64_t width =
                    cast<VectorType>(parts[i].getType()).getNumElements();
                SmallVector<int64_t> all;
                for (int64_t l = 0; l < 2 * width; ++l)
                  all.push_back(l);
                joined.push_back(vector::ShuffleOp::create(b, loc, parts[i],
                                                           parts[i + 1], all));
              }
              parts = std::move(joined);
            }
            vector::TransferWriteOp::create(
                b, loc, parts.front(), columns,
                ValueRange{
                    arith::AddIOp::create(b, loc, out, rb.index(j * size()))},
                ArrayRef<bool>{true});
          }
          scf::YieldOp::create(b, loc);
        });
    columnCount = arith::CeilDivUIOp::create(b, loc, longest, rb.index(spread));
  }

  /// A round over the transposed candidates at the rows' `taus`: `body`
  /// gets registers of entries' t = x - m and where X > tau, and `taus`
  /// repeated (lane l row l mod the group's size); the accumulators, two
  /// sets a step for independent chains, are folded to vectors of the group
  /// (with `minimum[i]` the i-th by a min, its lanes never NaN, else by
  /// adds).
  SmallVector<Value>
  sweepColumns(Value taus, ValueRange inits, ArrayRef<bool> minimum,
               function_ref<SmallVector<Value>(Value t, Value in, Value taus,
                                               ValueRange acc)>
                   body) {
    auto combine = [&](bool isMinimum, Value l, Value r) -> Value {
      if (isMinimum)
        return minIgnoringNaN(b, loc, l, r);
      return arith::AddFOp::create(b, loc, l, r);
    };
    Value tausv = repeat(taus);
    Value tauv = repeat(
        scale == 1.0 ? taus
                     : arith::MulFOp::create(b, loc, taus, splat(1 / scale))
                           .getResult());
    Value mv = repeat(maxima32);
    Value padding = constant(b, loc, f32, 0.0);
    int64_t n = inits.size();
    SmallVector<Value> loopInits(inits);
    constexpr int64_t sets = 2;
    for (int64_t set = 1; set < sets; ++set)
      llvm::append_range(loopInits, inits);
    auto loop = scf::ForOp::create(
        b, loc, rb.index(0), columnCount, rb.index(sets), loopInits,
        [&](OpBuilder &, Location, Value i, ValueRange acc) {
          SmallVector<Value> next;
          for (int64_t set = 0; set < sets; ++set) {
            Value at = arith::AddIOp::create(
                b, loc, columnBase,
                arith::MulIOp::create(
                    b, loc, arith::AddIOp::create(b, loc, i, rb.index(set)),
                    rb.index(rb.lanes)));
            Value v = vector::TransferReadOp::create(
                b, loc, rb.vec(f32), columns, ValueRange{at}, padding,
                ArrayRef<bool>{true});
            auto [t, in] = classify(v, mv, tauv);
            llvm::append_range(next, body(t, in, tausv, acc.slice(set * n, n)));
          }
          scf::YieldOp::create(b, loc, next);
        });
    SmallVector<Value> results;
    for (int64_t k = 0; k < n; ++k) {
      Value v = loop.getResult(k);
      for (int64_t set = 1; set < sets; ++set)
        v = combine(minimum[k], v, loop.getResult(set * n + k));
      for (int64_t width = rb.lanes; width > size(); width /= 2)
        v = combine(minimum[k],
                    vector::ExtractStridedSliceOp::create(b, loc, v, {0},
                                                          {width / 2}, {1}),
                    vector::ExtractStridedSliceOp::create(
                        b, loc, v, {width / 2}, {width / 2}, {1}));
      results.push_back(v);
    }
    return results;
  }

  /// The rows' counts of candidates (carried by loops whose sweeps compact
  /// them), and setting them.
  ArrayRef<Value> getCounts() const { return counts; }
  void setCounts(ValueRange newCounts) {
    counts.assign(newCounts.begin(), newCounts.end());
    countVector = vector::FromElementsOp::create(
        b, loc, VectorType::get({size()}, b.getIndexType()), counts);
  }

  /// sweepRow over the candidates of the group's row `g` (an index) that
  /// pack() stored, `count` of them, at the threshold `tau` (f32). With
  /// `compact` (an i1), where it holds the sweep also left-packs the
  /// candidates above tau less kCompactMargin back into the row's region (the
  /// writes stay behind the reads, a register of -inf after them) and the
  /// row's count (returned last, after the sums) becomes theirs.
  SmallVector<Value> sweepPacked(Value g, Value count, Value tau,
                                 ValueRange inits, SweepBody body,
                                 Value compact = Value()) {
    Value keepv;
    if (compact)
      keepv = rb.broadcast(unscaled(arith::SubFOp::create(
          b, loc, tau, constant(b, loc, f32, kCompactMargin))));
    tau = unscaled(tau);
    Value tauv = rb.broadcast(tau);
    Value mv = rb.broadcast(
        vector::ExtractOp::create(b, loc, maxima32, ArrayRef<OpFoldResult>{g}));
    Value base = arith::MulIOp::create(b, loc, stride, g);
    Value padding = constant(b, loc, f32, 0.0);
    SmallVector<Value> loopInits(inits);
    if (compact)
      loopInits.push_back(base);
    auto loop = scf::ForOp::create(
        b, loc, base, arith::AddIOp::create(b, loc, base, count),
        rb.index(rb.lanes), loopInits,
        [&](OpBuilder &, Location, Value i, ValueRange acc) {
          Value v = vector::TransferReadOp::create(b, loc, rb.vec(f32), scratch,
                                                   ValueRange{i}, padding,
                                                   ArrayRef<bool>{true});
          auto [t, in] = classify(v, mv, tauv);
          SmallVector<Value> next =
              body(v, t, in, acc.take_front(inits.size()));
          if (compact) {
            Value keep = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OGT, t, keepv);
            Value at = acc.back();
            next.push_back(rb.ifElse(
                compact, [&] { return packInto(v, keep, at); },
                [&] { return at; }));
          }
          scf::YieldOp::create(b, loc, next);
        });
    if (!compact)
      return loop.getResults();
    SmallVector<Value> results(loop.getResults().drop_back());
    Value end = loop.getResults().back();
    scf::IfOp::create(b, loc, compact, [&](OpBuilder &, Location) {
      vector::TransferWriteOp::create(
          b, loc, rb.splat(f32, -std::numeric_limits<double>::infinity()),
          scratch, ValueRange{end}, ArrayRef<bool>{true});
      scf::YieldOp::create(b, loc);
    });
    results.push_back(arith::SelectOp::create(
        b, loc, compact, arith::SubIOp::create(b, loc, end, base), count));
    return results;
  }

  /// The sweep of a finish over row `g` (an index; `row` its entries) at
  /// the f32 threshold `tau`: over its candidates where pack() made them.
  SmallVector<Value> sweepFinish(Value g, ValueRange row, Value tau,
                                 ValueRange inits, SweepBody body) {
    if (!scratch)
      return sweepRow(row, lane(maxima32, g), tau, inits, body);
    Value count = vector::ExtractOp::create(b, loc, countVector,
                                            ArrayRef<OpFoldResult>{g});
    return sweepPacked(g, count, tau, inits, body);
  }

  /// X in the compute type for the entries `v` of a row whose maximum (of
  /// the compute type) is `m`.
  Value wide(Value v, Value m) {
    Type type = m.getType();
    Value t = arith::SubFOp::create(b, loc, castFloat(b, loc, rb.vec(type), v),
                                    rb.broadcast(m));
    if (scale != 1.0)
      t = arith::MulFOp::create(b, loc, t, rb.splat(type, scale));
    return t;
  }

  FamilyRowBuilder &rb;
  OpBuilder &b;
  Location loc;
  Value x;
  ArrayRef<SmallVector<Value>> rows;
  Value maxima;
  double scale;
  Type f32;
  VectorType groupType;
  /// The maxima in f32, and which are finite.
  Value maxima32, finite;
  /// The seeds (per row the maxima of its lanes, f32, -inf past the row's
  /// end) as columns (transposeRows): vector j holds every row's lane j.
  SmallVector<Value> seedColumns;
  /// What pack() made: the scratch of the rows' candidates, the entries of
  /// a row's region, and the rows' counts (also as a vector of index); the
  /// left-pack it took.
  Value scratch, stride, countVector;
  SmallVector<Value> counts;
  LeftPack packKind = LeftPack::None;
  /// What transposeCandidates() made: the transposed scratch and how many
  /// of its registers a round reads.
  Value columns, columnBase, columnCount;
  /// Whether pack() leaves room for transposeCandidates().
  bool roomToTranspose = false;
};

/// A projection's threshold search over a RowBatch: `rounds` searches the
/// rows' supports in f32 and returns vectors of the group (a lane per row,
/// the thresholds first); `finish` then gives a row's threshold in the
/// compute type and its output factor (or null) from them, in the loop
/// over the rows that writes their outputs (`g` the row's lane, an index;
/// `m` its maximum): a row's sweep, reductions and division overlap the
/// previous row's output pass.
struct BatchedSearch {
  std::function<SmallVector<Value>(RowBatch &)> rounds;
  std::function<std::pair<Value, Value>(RowBatch &, ArrayRef<Value> found,
                                        Value g, ValueRange row, Value m)>
      finish;
};

/// A projection's threshold search over the candidates of rows in lockstep:
/// `search(candidates, tau0, finite, boundOnly)`, per row its scratch of
/// entries X, the lower bound its search starts from and whether its maximum
/// is finite; returns per row the threshold and, where the search knows it,
/// the row sum of the unnormalised outputs at it (else null); with
/// `boundOnly`, a lower bound of the threshold may do.
using SimplexSearch = function_ref<SmallVector<std::pair<Value, Value>>(
    ArrayRef<Candidates>, ArrayRef<Value>, ArrayRef<Value>, bool)>;

/// Rows at most this long go kSimplexGroup at a time, their searches on the
/// lanes' maxima in lockstep (2 rows: entmax(1.5) on 32768 x 128 17.4 ->
/// 17.0 ms, 4096 x 1024 10.0 -> 9.3 ms; 3 or 4 rows no better).
constexpr int64_t kShortSimplexRow = 1024;
/// Rounds of entmax(1.5)'s search on the lanes' maxima of a short row, a
/// lower bound for the packing (3.2 on average to converge on a normal row
/// of 128; capped at 3: 32768 x 128 15.7 -> 14.6 ms, 4096 x 1024 8.07 ->
/// 7.95 ms; at 2 15.0 and 8.37 ms). Long rows search to the end: a looser
/// bound packs more of their entries (128 x 32768 6.1 -> 6.3 ms capped).
constexpr int64_t kEntmaxBoundRounds = 3;
/// Rounds of sparsemax's search on the lanes' maxima of the rows of a
/// RowBatch, a lower bound for the packing: the first round's threshold
/// bounds the packing nearly as tightly as the converged one on normal
/// rows, and rows of uniform entries (most of them within 1 of the
/// maximum) need a round for it (32768 x 128 and 16384 x 256 on a Zen 5,
/// against rounds to the end: normal rows 1.12x and 1.05x faster, uniform
/// 1.11x and 1.08x; no rounds at all: normal 1.12x and 1.04x, uniform 0.81x
/// and 0.71x; two: 1.04x-1.10x).
constexpr int64_t kSparsemaxBoundRounds = 1;
constexpr int64_t kSimplexGroup = 2;

/// The row loops of a projection onto the simplex (sparsemax, entmax) of `x`
/// in `type`, with X = scale * (x - m): per row the max and the +inf count;
/// `search`, the op's threshold search from a lower bound, on the lanes'
/// maxima (a lower bound of the row's threshold); the candidates above that
/// bound packed; the search again on them; `factor(candidates, tau, total)`
/// once per row (may be null); then `output(u, factor)` at every entry, u =
/// X - tau a vector of `type`, with the special rows. Rows of at most
/// kShortSimplexRow (of a rank >= 2 `x`) go `group` at a time (their
/// searches on the lanes' maxima in lockstep: the rounds' latency chains, a
/// horizontal reduction, a division and a branch each, overlap) and pack
/// their candidates finely; the others one at a time. With `batched`, f32
/// rows go a register's lanes at a time instead (longer rows fewer, see
/// kSimplexBatchEntries), their thresholds from `batched` (a lane per
/// row).
/// With `prefetch`, the output passes of rows in groups (pairs and
/// batches) prefetch the next group's rows.
Value buildSimplexRows(
    FamilyRowBuilder &rb, Value x, FloatType type, double scale, int64_t group,
    SimplexSearch search, const BatchedSearch *batched, bool prefetch,
    function_ref<Value(const Candidates &, Value, Value)> factor,
    function_ref<Value(Value, Value)> output) {
  OpBuilder &b = rb.b;
  Location loc = rb.loc;
  double inf = std::numeric_limits<double>::infinity();
  auto isFinite = [&](Value m) -> Value {
    return arith::CmpFOp::create(b, loc, arith::CmpFPredicate::ONE,
                                 math::AbsFOp::create(b, loc, m),
                                 constant(b, loc, type, inf));
  };
  struct RowThreshold {
    RowStats stats;
    Value finite, tau, factor;
  };
  // The thresholds of `rows`, their searches in lockstep.
  auto thresholds = [&](ArrayRef<SmallVector<Value>> rows, bool fine) {
    SmallVector<RowThreshold> results;
    SmallVector<Candidates> seeds;
    SmallVector<Value> finite, lowest;
    for (ValueRange row : rows) {
      RowStats stats = rowMax(rb, x, row, type);
      finite.push_back(isFinite(stats.max));
      results.push_back({stats, finite.back(), Value(), Value()});
      seeds.push_back(seedCandidates(rb, stats.laneMax, stats.max, scale));
      lowest.push_back(constant(b, loc, type, -1.0));
    }
    SmallVector<Value> bounds;
    for (auto [bound, total] :
         search(seeds, lowest, finite, /*boundOnly=*/fine))
      bounds.push_back(bound);
    SmallVector<Candidates> candidates;
    for (auto [row, result, bound] : llvm::zip(rows, results, bounds))
      candidates.push_back(
          packCandidates(rb, x, row, result.stats.max, scale, bound, fine));
    // The candidates' searches one row at a time: in lockstep a row would
    // wait for the other's rounds (one round on the candidates for 53% of
    // normal rows of 128, two for 40%), and reading more entries a round
    // than the lanes' maxima their rounds are less latency-bound.
    SmallVector<std::pair<Value, Value>> found;
    for (auto [rowCandidates, bound, rowFinite] :
         llvm::zip(candidates, bounds, finite))
      found.push_back(
          search({rowCandidates}, {bound}, {rowFinite}, /*boundOnly=*/false)
              .front());
    for (auto [result, rowFound, rowCandidates] :
         llvm::zip(results, found, candidates)) {
      result.tau = rowFound.first;
      if (factor)
        result.factor = factor(rowCandidates, rowFound.first, rowFound.second);
    }
    return results;
  };
  // The output pass of `row` into `rowOut`.
  // A row with a finite maximum (no NaN, no +inf) takes the output pass
  // without the special rows' selects; the others count their +inf entries
  // first.
  // With `lean` (f32 rows, whose compute type is f64; f16 and bf16 rows
  // compute in f32, where c would be rounded once more), a row with a
  // finite maximum computes its
  // outputs in f32: u = scale ((x - c_hi) - c_lo), c = m + tau / scale in
  // the compute type split into f32 c_hi + c_lo; x - c_hi is exact where
  // x is near the threshold (Sterbenz), so u has one rounding.
  auto outputRow = [&](ValueRange row, Value rowOut,
                       const RowThreshold &threshold, bool lean = false,
                       const NextRowPrefetch *next = nullptr) {
    // The largest |m| of a lean row: c = m + tau / scale is then within
    // 2^-44 of its value (f64), tau / scale in [-2, 0].
    constexpr double kLeanMaxMagnitude = 256.0;
    Value m = threshold.stats.max, k;
    Value mv = rb.broadcast(m);
    Value tauv = rb.broadcast(threshold.tau);
    Value factorv = threshold.factor ? rb.broadcast(threshold.factor) : Value();
    auto leanPass = [&]() {
      Type f32 = b.getF32Type();
      Value c = arith::AddFOp::create(
          b, loc, m,
          arith::MulFOp::create(b, loc, threshold.tau,
                                constant(b, loc, type, 1.0 / scale)));
      Value hi = castFloat(b, loc, f32, c);
      Value lo = castFloat(
          b, loc, f32,
          arith::SubFOp::create(b, loc, c, castFloat(b, loc, type, hi)));
      Value hiv = rb.broadcast(hi), lov = rb.broadcast(lo);
      Value factor32 =
          threshold.factor
              ? rb.broadcast(castFloat(b, loc, f32, threshold.factor))
              : Value();
      Value written = rb.writeRow(rowOut, [&](Value col, Value mask) {
        if (next)
          rb.prefetch(*next, col);
        Value v = rb.read(x, row, col, mask, f32);
        Value u = arith::SubFOp::create(
            b, loc, arith::SubFOp::create(b, loc, v, hiv), lov);
        if (scale != 1.0)
          u = arith::MulFOp::create(b, loc, u, rb.splat(f32, scale));
        return output(u, factor32);
      });
      scf::YieldOp::create(b, loc, written);
    };
    auto pass = [&](bool special) {
      if (special)
        k = rowInfCount(rb, x, row, type);
      Value written =
          rb.sweep(rowOut, [&](Value col, Value mask, ValueRange acc) {
              if (next)
                rb.prefetch(*next, col);
              Value v = rb.read(x, row, col, mask, type);
              Value t = arith::SubFOp::create(b, loc, v, mv);
              if (scale != 1.0)
                t = arith::MulFOp::create(b, loc, t, rb.splat(type, scale));
              Value value =
                  output(arith::SubFOp::create(b, loc, t, tauv), factorv);
              if (special)
                value = selectSimplexSpecials(b, loc, value, v, m, k);
              return SmallVector<Value>{rb.write(value, acc[0], col, mask)};
            }).front();
      scf::YieldOp::create(b, loc, written);
    };
    // A finite row: lean where c's f64 rounding is far below f32's
    // resolution of u.
    auto finitePass = [&]() {
      if (!lean)
        return pass(/*special=*/false);
      Value small = arith::CmpFOp::create(
          b, loc, arith::CmpFPredicate::OLE, math::AbsFOp::create(b, loc, m),
          constant(b, loc, type, kLeanMaxMagnitude));
      auto ifOp = scf::IfOp::create(
          b, loc, small, [&](OpBuilder &, Location) { leanPass(); },
          [&](OpBuilder &, Location) { pass(/*special=*/false); });
      scf::YieldOp::create(b, loc, ifOp.getResult(0));
    };
    return scf::IfOp::create(
               b, loc, threshold.finite,
               [&](OpBuilder &, Location) { finitePass(); },
               [&](OpBuilder &, Location) { pass(/*special=*/true); })
        .getResult(0);
  };
  Value yes = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
  auto negate = [&](Value flag) -> Value {
    return arith::XOrIOp::create(b, loc, flag, yes);
  };
  Value y = tensor::EmptyOp::create(b, loc, rb.sizes, rb.elementType);
  Value grouped;
  if (rb.rank >= 2) {
    grouped = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, rb.n,
                                    rb.index(kShortSimplexRow));
    // A group's output pass prefetches the next group's rows (at most
    // kSimplexBatchEntries a batch, 1 MiB): with a group's
    // compute between its loads and its output pass, the loads of rows
    // still in memory stalled it (f32 on a Zen 5: 32768 x 128 sparsemax
    // 1.19x, entmax(1.5) 1.14x faster; 4096 x 1024 1.04x, 1.06x).
    Value xBuffer, lastRow;
    if (prefetch) {
      xBuffer = buildReadOnlyBuffer(b, loc, x);
      lastRow = arith::SubIOp::create(
          b, loc,
          getValueOrCreateConstantIndexOp(b, loc, rb.sizes[rb.rank - 2]),
          rb.index(1));
    }
    // Row `row` of the group `ahead` rows on (the last row past the end).
    auto groupAhead = [&](ValueRange row, int64_t ahead) {
      NextRowPrefetch next;
      if (!xBuffer)
        return next;
      next.buffers = {xBuffer};
      next.row.assign(row.begin(), row.end());
      next.row.back() = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, row.back(), rb.index(ahead)),
          lastRow);
      return next;
    };
    Value pairs = grouped;
    // Batches of a register's lanes of rows, then of half as many longer
    // rows, down to two: {rows, the rows' length above, at most}.
    struct BatchStage {
      int64_t lanes, above, longest;
    };
    SmallVector<BatchStage> stages;
    for (int64_t lanes = batched ? getBatchLanes(rb) : 0; lanes >= 2;
         lanes /= 2)
      stages.push_back({lanes, stages.empty() ? 0 : stages.back().longest,
                        kSimplexBatchEntries / lanes});
    for (const BatchStage &stage : stages) {
      int64_t lanes = stage.lanes;
      Value numRows =
          getValueOrCreateConstantIndexOp(b, loc, rb.sizes[rb.rank - 2]);
      Value inBatches = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, rb.n,
                                rb.index(stage.longest)),
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, numRows,
                                rb.index(lanes)));
      if (stage.above)
        inBatches = arith::AndIOp::create(
            b, loc, inBatches,
            arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rb.n,
                                  rb.index(stage.above)));
      pairs = arith::AndIOp::create(b, loc, pairs, negate(inBatches));
      grouped = arith::OrIOp::create(b, loc, grouped, inBatches);
      y = rb.forRowGroups(
          y, lanes, negate(inBatches),
          [&](ArrayRef<SmallVector<Value>> rows, ArrayRef<Value> places,
              Value groupOut) {
            // Row g of the group (a partial group repeats its last row).
            auto placeOf = [&](Value g) -> Value {
              return arith::MinUIOp::create(b, loc, g, places.back());
            };
            auto rowOf = [&](Value place) {
              SmallVector<Value> row(rows.front());
              row.back() = arith::AddIOp::create(b, loc, row.back(), place);
              return row;
            };
            // The group's rows, each once (a partial group's repeats of its
            // last row are not written again).
            auto overRows = [&](Value init,
                                function_ref<Value(Value, Value)> body) {
              Value count =
                  arith::AddIOp::create(b, loc, places.back(), rb.index(1));
              return scf::ForOp::create(
                         b, loc, rb.index(0), count, rb.index(1),
                         ValueRange{init},
                         [&](OpBuilder &, Location, Value g, ValueRange acc) {
                           scf::YieldOp::create(b, loc, body(g, acc[0]));
                         })
                  .getResult(0);
            };
            // The rows' maxima a lane per row: their lanes' maxima reduced
            // together (a tree: the columns' maximum, a chain of 15 NaN-
            // propagating maxima, made the rows' searches wait; entmax(1.5)
            // of 1024 x 128 1.06x slower).
            GroupReduction maxima(b, loc, lanes, [&](Value l, Value r) {
              return arith::MaximumFOp::create(b, loc, l, r).getResult();
            });
            SmallVector<Value> seeds;
            for (ValueRange row : rows) {
              seeds.push_back(rowMax(rb, x, row, type).laneMax);
              maxima.add(seeds.back());
            }
            Value maximaWide = castFloat(b, loc, VectorType::get({lanes}, type),
                                         maxima.getResult());
            RowBatch batch(rb, x, rows, seeds, maximaWide, scale);
            SmallVector<Value> found = batched->rounds(batch);
            return overRows(groupOut, [&](Value g, Value out) -> Value {
              Value place = placeOf(g);
              SmallVector<Value> row = rowOf(place);
              Value m = batch.lane(maximaWide, g);
              Value tau, rowFactor;
              std::tie(tau, rowFactor) =
                  batched->finish(batch, found, g, row, m);
              RowThreshold threshold{{m, Value()}, isFinite(m), tau, rowFactor};
              NextRowPrefetch next = groupAhead(row, lanes);
              Value rowOut =
                  outputRow(row, rb.extractGroupRow(out, place), threshold,
                            /*lean=*/type.isF64(), xBuffer ? &next : nullptr);
              return rb.insertGroupRow(rowOut, out, place);
            });
          });
    }
    y = rb.forRowGroups(
        y, group, negate(pairs),
        [&](ArrayRef<SmallVector<Value>> rows, ArrayRef<Value> places,
            Value groupOut) {
          SmallVector<RowThreshold> found = thresholds(rows, /*fine=*/true);
          for (auto [row, place, threshold] : llvm::zip(rows, places, found)) {
            NextRowPrefetch next = groupAhead(row, group);
            Value rowOut =
                outputRow(row, rb.extractGroupRow(groupOut, place), threshold,
                          /*lean=*/false, xBuffer ? &next : nullptr);
            groupOut = rb.insertGroupRow(rowOut, groupOut, place);
          }
          return groupOut;
        });
  }
  return rb.forRows(
      y, /*perRow=*/false,
      [&](ValueRange row, Value rowOut) {
        SmallVector<Value> rowValues(row);
        return outputRow(row, rowOut,
                         thresholds({rowValues}, /*fine=*/false).front());
      },
      grouped);
}

/// The options of sparsemax's and entmax's row loops: registers of
/// `simplexVectorBits` where narrower than `vectorBits` (AMD Zen 4, which
/// runs 512-bit instructions as two halves: compare_sparse.py at 256 bits
/// against 512, sparsemax 1.29x and 1.63x faster on rows of 128 and 1024,
/// entmax(1.5) 1.11x and 1.47x), with AVX2's left-pack there for
/// AVX-512's (every AVX-512 CPU has AVX2), or with `simplexWideLeftPack`
/// AVX-512's compress on the row loops' 16 lanes (AMD Zen 5: sparsemax
/// 1.05x-1.25x, entmax(1.5) 1.05x-1.12x faster on rows of 128 to 1024).
RowVectorizationOptions
getSimplexOptions(const RowVectorizationOptions &options) {
  RowVectorizationOptions simplex = options;
  if (options.simplexVectorBits <= 0 ||
      options.simplexVectorBits >= options.vectorBits)
    return simplex;
  simplex.vectorBits = options.simplexVectorBits;
  // (The row loops' vectors are two registers: 16 lanes at 256 bits.)
  simplex.leftPack = LeftPack::None;
  if (options.leftPack != LeftPack::None && simplex.vectorBits == 256)
    simplex.leftPack =
        options.leftPack == LeftPack::AVX512 && options.simplexWideLeftPack
            ? LeftPack::AVX512
            : LeftPack::AVX2;
  return simplex;
}

/// sparsemax of `x` (the input of `op`, sparsemax or entmax with alpha 2):
/// the simplex row loops with the support refinement of the decomposition
/// (tau = (sum of S - 1) / |S| over S = {t > tau}, t = x - m, until the
/// support stops shrinking) and max(t - tau, 0).
LogicalResult vectorizeSparsemax(RewriterBase &rewriter, Operation *op, Value x,
                                 const RowVectorizationOptions &options) {
  Location loc = op->getLoc();
  auto &b = rewriter;
  FamilyRowBuilder rb(rewriter, loc, x, options);
  FloatType sumType = rb.sumType;
  double inf = std::numeric_limits<double>::infinity();
  auto c = [&](double value) { return constant(b, loc, sumType, value); };
  auto cmp = [&](arith::CmpFPredicate predicate, Value l, Value r) {
    return arith::CmpFOp::create(b, loc, predicate, l, r).getResult();
  };
  // Per row (tau, |S|), and whether the row is done where rows go in
  // lockstep: a row's rounds stop when its support stops shrinking, the
  // loop when every row's have.
  auto refine = [&](ArrayRef<Candidates> rows, ArrayRef<Value> tau0s,
                    ArrayRef<Value> finites,
                    bool) -> SmallVector<std::pair<Value, Value>> {
    int64_t group = rows.size();
    bool lockstep = group > 1;
    int64_t perRow = lockstep ? 3 : 2;
    SmallVector<Type> types;
    SmallVector<Value> inits;
    for (Value tau0 : tau0s) {
      types.append({sumType, sumType});
      inits.append({tau0, c(inf)});
      if (lockstep) {
        types.push_back(b.getI1Type());
        inits.push_back(arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0));
      }
    }
    auto loop = scf::WhileOp::create(
        b, loc, types, inits,
        [&](OpBuilder &, Location, ValueRange args) {
          SmallVector<Value> results;
          Value more;
          for (auto [g, candidates, finite] : llvm::enumerate(rows, finites)) {
            ValueRange state = args.slice(g * perRow, perRow);
            Value tau = state[0], count = state[1];
            Value tauv = vector::BroadcastOp::create(
                b, loc, getFoldType(rb, candidates), tau);
            Value zero = rb.splatLike(tauv, 0.0);
            SmallVector<Value> sums = foldCandidates(
                rb, skipWhenDone(rb, candidates, lockstep ? state[2] : Value()),
                ValueRange{zero, zero}, [&](Value t, ValueRange acc) {
                  Value in = cmp(arith::CmpFPredicate::OGT, t, tauv);
                  return SmallVector<Value>{
                      arith::AddFOp::create(
                          b, loc, acc[0],
                          arith::SelectOp::create(b, loc, in, t, zero)),
                      arith::AddFOp::create(
                          b, loc, acc[1],
                          arith::SelectOp::create(
                              b, loc, in, rb.splatLike(tauv, 1.0), zero))};
                });
            Value sum = rb.treeSum(sums[0]), size = rb.treeSum(sums[1]);
            Value newTau = arith::DivFOp::create(
                b, loc, arith::SubFOp::create(b, loc, sum, c(1.0)), size);
            // A support that does not shrink ends the row.
            Value changed = arith::AndIOp::create(
                b, loc, finite, cmp(arith::CmpFPredicate::OLT, size, count));
            Value update = changed;
            if (lockstep)
              update = arith::AndIOp::create(
                  b, loc, changed,
                  arith::XOrIOp::create(
                      b, loc, state[2],
                      arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1)));
            results.push_back(
                arith::SelectOp::create(b, loc, update, newTau, tau));
            results.push_back(
                arith::SelectOp::create(b, loc, update, size, count));
            if (lockstep)
              results.push_back(arith::XOrIOp::create(
                  b, loc, update,
                  arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1)));
            more = more ? arith::OrIOp::create(b, loc, more, update).getResult()
                        : update;
          }
          scf::ConditionOp::create(b, loc, more, results);
        },
        [&](OpBuilder &, Location, ValueRange args) {
          scf::YieldOp::create(b, loc, args);
        });
    SmallVector<std::pair<Value, Value>> found;
    for (int64_t g = 0; g < group; ++g)
      found.push_back({loop.getResult(g * perRow), Value()});
    return found;
  };
  // The same rounds a lane per row in f32 (X > tau a compare, its sum and
  // count masked adds), then tau = (sum of S - 1) / |S| in the sum type over
  // the support found.
  // At most `maxRounds` rounds (0: until no row's support shrinks).
  auto batchedRounds = [&](RowBatch &batch, Value tau0, bool overSeeds,
                           int64_t maxRounds) -> SmallVector<Value> {
    Type f32 = batch.f32;
    VectorType groupType = batch.groupType;
    // A round counter only where the rounds are capped.
    SmallVector<Type> types{groupType, groupType};
    SmallVector<Value> inits{tau0, batch.splat(inf)};
    if (maxRounds > 0) {
      types.push_back(b.getIndexType());
      inits.push_back(rb.index(0));
    }
    auto loop = scf::WhileOp::create(
        b, loc, types, inits,
        [&](OpBuilder &, Location, ValueRange args) {
          Value tau = args[0], count = args[1];
          // Masked adds.
          auto accumulate = [&](Value, Value t, Value in,
                                ValueRange acc) -> SmallVector<Value> {
            return SmallVector<Value>{
                arith::SelectOp::create(
                    b, loc, in, arith::AddFOp::create(b, loc, acc[0], t),
                    acc[0]),
                arith::SelectOp::create(
                    b, loc, in,
                    arith::AddFOp::create(
                        b, loc, acc[1], constantLike(b, loc, t.getType(), 1.0)),
                    acc[1])};
          };
          Value sum, size;
          if (overSeeds) {
            Value zero = batch.splat(0.0);
            SmallVector<Value> acc =
                batch.sweepSeeds(tau, ValueRange{zero, zero}, accumulate);
            sum = acc[0];
            size = acc[1];
          } else {
            Value zero = rb.splat(f32, 0.0);
            SmallVector<Value> acc =
                batch.transposed()
                    ? batch.sweepColumns(
                          tau, {zero, zero}, {false, false},
                          [&](Value t, Value in, Value, ValueRange acc) {
                            return accumulate(Value(), t, in, acc);
                          })
                    : batch.sweepRows(
                          tau, ValueRange{zero, zero}, {false, false},
                          [&](int64_t, Value t, Value in, ValueRange acc) {
                            return accumulate(Value(), t, in, acc);
                          });
            sum = acc[0];
            size = acc[1];
          }
          Value newTau = arith::DivFOp::create(
              b, loc, arith::SubFOp::create(b, loc, sum, batch.splat(1.0)),
              size);
          // A row whose support does not shrink is done.
          Value changed = arith::AndIOp::create(
              b, loc, batch.finite,
              cmp(arith::CmpFPredicate::OLT, size, count));
          Value more = batch.orLanes(changed);
          SmallVector<Value> results{
              arith::SelectOp::create(b, loc, changed, newTau, tau),
              arith::SelectOp::create(b, loc, changed, size, count)};
          if (maxRounds > 0) {
            Value next = arith::AddIOp::create(b, loc, args[2], rb.index(1));
            more = arith::AndIOp::create(
                b, loc, more,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, next,
                                      rb.index(maxRounds)));
            results.push_back(next);
          }
          scf::ConditionOp::create(b, loc, more, results);
        },
        [&](OpBuilder &, Location, ValueRange args) {
          scf::YieldOp::create(b, loc, args);
        });
    return SmallVector<Value>(loop.getResults().take_front(2));
  };
  // The rounds on the rows' seeds first, from -1 (one round where the
  // candidates are packed after: a bound for the packing); on the rows
  // from there.
  BatchedSearch batched;
  batched.rounds = [&](RowBatch &batch) -> SmallVector<Value> {
    bool pack = options.leftPack != LeftPack::None;
    Value tau = batchedRounds(batch, batch.splat(-1.0), /*overSeeds=*/true,
                              pack ? kSparsemaxBoundRounds : 0)[0];
    if (pack) {
      batch.roomToTranspose = transposesCandidates(rb);
      batch.pack(tau, options.leftPack);
      if (transposesCandidates(rb))
        batch.transposeCandidates();
    }
    return batchedRounds(batch, tau, /*overSeeds=*/false, /*maxRounds=*/0);
  };
  // The support is counted again here, with the sum: the rounds' last
  // count is the previous round's, and an f32 round that lowers the
  // threshold by a rounding error can let an entry at it back in.
  batched.finish = [&](RowBatch &batch, ArrayRef<Value> found, Value g,
                       ValueRange row, Value m) -> std::pair<Value, Value> {
    Value zero = rb.splat(sumType, 0.0), one = rb.splat(sumType, 1.0);
    SmallVector<Value> acc = batch.sweepFinish(
        g, row, batch.lane(found[0], g), ValueRange{zero, zero},
        [&](Value v, Value, Value in, ValueRange acc) {
          return SmallVector<Value>{
              arith::SelectOp::create(
                  b, loc, in,
                  arith::AddFOp::create(b, loc, acc[0], batch.wide(v, m)),
                  acc[0]),
              arith::SelectOp::create(
                  b, loc, in, arith::AddFOp::create(b, loc, acc[1], one),
                  acc[1])};
        });
    Value sum = rb.treeSum(acc[0]), size = rb.treeSum(acc[1]);
    return {arith::DivFOp::create(
                b, loc, arith::SubFOp::create(b, loc, sum, c(1.0)), size),
            Value()};
  };
  Value y = buildSimplexRows(rb, x, sumType, /*scale=*/1.0, kSimplexGroup,
                             refine, &batched, options.prefetch,
                             /*factor=*/nullptr, [&](Value u, Value) -> Value {
                               return arith::MaximumFOp::create(
                                   b, loc, u, rb.splatLike(u, 0.0));
                             });
  rewriter.replaceOp(op, y);
  return success();
}

struct VectorizeSparsemax : OpRewritePattern<SparsemaxOp> {
  VectorizeSparsemax(MLIRContext *ctx, const RowVectorizationOptions &options)
      : OpRewritePattern<SparsemaxOp>(ctx),
        options(getSimplexOptions(options)) {}

  LogicalResult matchAndRewrite(SparsemaxOp op,
                                PatternRewriter &rewriter) const override {
    if (failed(checkApplicable(rewriter, op, op.getInput().getType(),
                               op.getDim())))
      return failure();
    return vectorizeSparsemax(rewriter, op, op.getInput(), options);
  }

  RowVectorizationOptions options;
};

/// entmax: the simplex row loops with the threshold search of the
/// decomposition (EntmaxMath: bracketed Newton steps, the exact quadratic
/// for alpha = 1.5) on the row's scalar (tau, lo, hi), then max(X - tau,
/// 0)^p rescaled by its row sum (over the packed candidates: the others are
/// 0). alpha = 2 goes as sparsemax.
struct VectorizeEntmax : OpRewritePattern<EntmaxOp> {
  VectorizeEntmax(MLIRContext *ctx, const RowVectorizationOptions &options)
      : OpRewritePattern<EntmaxOp>(ctx), options(getSimplexOptions(options)) {}

  LogicalResult matchAndRewrite(EntmaxOp op,
                                PatternRewriter &rewriter) const override {
    Value x = op.getInput();
    if (failed(checkApplicable(rewriter, op, x.getType(), op.getDim())))
      return failure();
    double alpha = op.getAlpha().convertToDouble();
    if (alpha == 2.0)
      return vectorizeSparsemax(rewriter, op, x, options);
    Location loc = op.getLoc();
    auto &b = rewriter;
    FamilyRowBuilder rb(rewriter, loc, x, options);
    FloatType type = EntmaxMath::getComputeType(rb.elementType, alpha);
    EntmaxMath em(type, alpha);
    // f32 sums (bf16 and f16 rows): their powers as polynomials, not a
    // libm powf a lane.
    em.approximatePowers = true;
    // f32 rows whose f64 powers would be libm calls: see the search and
    // the output below. Not for alpha > 2 (p < 1), whose f64 is for the
    // steep u^p at the threshold and whose rounds bisect.
    bool coarsePowers = rb.elementType.isF32() && type.isF64() && alpha < 2.0 &&
                        !em.exactQuadratic() && !em.productPowers();
    auto c = [&](double value) { return constant(b, loc, type, value); };
    // The threshold search over the first `count` entries of `scratch`
    // from the lower bound `tau0` (the bracket [tau0, 0]). For alpha = 1.5
    // a pass sums the moments of S = {X > tau} instead of the terms at tau:
    // |S|, M1 = sum X, M2 = sum X^2 (in f64) and min X over S give F = sum
    // (X - tau)^2 = M2 - tau (2 M1 - |S| tau) and D = 2 (M1 - |S| tau) in a
    // few scalar steps, an entry costs a compare and three adds, and the
    // last pass's moments give the row sum at the threshold found, so no
    // pass computes it. On S, X is in (tau, 0] with tau >= -1: the moments
    // are at most |S| and F is within |S| f64 ulps of the sum of squares.
    FloatType momentType = b.getF64Type();
    bool moments = em.exactQuadratic();
    auto toType = [&](Value v, Type to) { return castFloat(b, loc, to, v); };
    // F at `tau` from the moments (k, m1, m2), in the moments' type.
    auto squares = [&](Value tau, Value k, Value m1, Value m2) -> Value {
      Value t = toType(tau, momentType);
      Value kTau = arith::MulFOp::create(b, loc, k, t);
      Value twoM1 = arith::AddFOp::create(b, loc, m1, m1); // 2 M1, exactly.
      return arith::SubFOp::create(
          b, loc, m2,
          arith::MulFOp::create(b, loc, t,
                                arith::SubFOp::create(b, loc, twoM1, kTau)));
    };
    // Rows in lockstep carry their moments and whether they are done: a
    // row's state stays once its rounds end, the loop ends when every
    // row's have.
    auto search = [&](ArrayRef<Candidates> rows, ArrayRef<Value> tau0s,
                      ArrayRef<Value> finites,
                      bool boundOnly) -> SmallVector<std::pair<Value, Value>> {
      int64_t group = rows.size();
      // With `boundOnly` (the search on the lanes' maxima) a lower bound
      // after at most kEntmaxBoundRounds rounds: f is convex for alpha <= 2,
      // Newton's steps from either side stay below the root.
      bool capped = boundOnly && em.exactQuadratic();
      bool lockstep = group > 1;
      int64_t perRow = 3 + (lockstep ? 1 + (moments ? 3 : 0) : 0);
      Type indexType = b.getIndexType();
      SmallVector<Type> types;
      // The rounds from `starts` (the bracket [tau0, 0]) to `tolerance`;
      // with `coarse` on terms of f32 powers.
      auto buildRounds = [&](ArrayRef<Value> starts, bool coarse,
                             double tolerance) {
        types.clear();
        SmallVector<Value> inits;
        Value momentZero = constant(b, loc, momentType, 0.0);
        for (auto [start, tau0] : llvm::zip(starts, tau0s)) {
          types.append({type, type, type});
          inits.append({start, tau0, c(0.0)});
          if (lockstep && moments) {
            types.append(3, momentType);
            inits.append(3, momentZero);
          }
          if (lockstep) {
            types.push_back(b.getI1Type());
            inits.push_back(
                arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0));
          }
        }
        types.push_back(indexType);
        inits.push_back(rb.index(0));
        SmallVector<Type> resultTypes(types);
        if (!lockstep && moments)
          resultTypes.append(3, momentType);
        Value one = arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
        auto loop = scf::WhileOp::create(
            b, loc, resultTypes, inits,
            [&](OpBuilder &, Location, ValueRange args) {
              Value round = args.back();
              Value last = arith::CmpIOp::create(
                  b, loc, arith::CmpIPredicate::uge, round,
                  rb.index((capped ? kEntmaxBoundRounds : kEntmaxMaxRounds) -
                           1));
              SmallVector<Value> results, carried;
              Value more;
              for (auto [g, candidates, finite] :
                   llvm::enumerate(rows, finites)) {
                ValueRange state = args.slice(g * perRow, perRow);
                Value tau = state[0], lo = state[1], hi = state[2];
                Candidates read = skipWhenDone(
                    rb, candidates, lockstep ? state.back() : Value());
                VectorType foldType = getFoldType(rb, candidates);
                Value tauv = vector::BroadcastOp::create(b, loc, foldType, tau);
                SmallVector<Value> sums;
                carried.clear();
                if (moments) {
                  auto wide = VectorType::get(foldType.getShape(), momentType);
                  Value zero = constantLike(b, loc, wide, 0.0);
                  Value oneV = constantLike(b, loc, wide, 1.0);
                  Value inf =
                      constantLike(b, loc, foldType,
                                   std::numeric_limits<double>::infinity());
                  SmallVector<Value> acc = foldCandidates(
                      rb, read, ValueRange{zero, zero, zero, inf},
                      [&](Value v, ValueRange acc) {
                        Value in = arith::CmpFOp::create(
                            b, loc, arith::CmpFPredicate::OGT, v, tauv);
                        Value on = arith::SelectOp::create(
                            b, loc, in, toType(v, wide), zero);
                        // min X over S: X on S, else +inf, then v < acc ? v
                        // : acc, one vminpd on the loop's dependency chain (a
                        // compare and a masked move of X there set the loop's
                        // latency: entmax(1.5) of 4096 x 1024 uniform entries
                        // 8.1 -> 6.1 ms on a Zen 5), never NaN (a NaN is not
                        // in S; a row with a NaN stops after this round).
                        Value low = minIgnoringNaN(
                            b, loc, acc[3],
                            arith::SelectOp::create(b, loc, in, v, inf));
                        return SmallVector<Value>{
                            arith::AddFOp::create(b, loc, acc[0],
                                                  arith::SelectOp::create(
                                                      b, loc, in, oneV, zero)),
                            arith::AddFOp::create(b, loc, acc[1], on),
                            arith::AddFOp::create(
                                b, loc, acc[2],
                                arith::MulFOp::create(b, loc, on, on)),
                            low};
                      });
                  Value k = rb.treeSum(acc[0]), m1 = rb.treeSum(acc[1]),
                        m2 = rb.treeSum(acc[2]);
                  // No lane of acc[3] is NaN (a NaN entry is never in S):
                  // a min without the NaN checks (entmax(1.5) on 32768 x 128
                  // f32, AVX-512: 8.7 -> 8.1 ms).
                  Value minX = vector::ReductionOp::create(
                      b, loc, vector::CombiningKind::MINIMUMF, acc[3],
                      arith::FastMathFlags::nnan);
                  Value d = arith::SubFOp::create(
                      b, loc, m1,
                      arith::MulFOp::create(b, loc, k,
                                            toType(tau, momentType)));
                  sums = {toType(squares(tau, k, m1, m2), type),
                          toType(arith::AddFOp::create(b, loc, d, d), type),
                          toType(k, type),
                          arith::SubFOp::create(b, loc, minX, tau)};
                  carried = {k, m1, m2};
                } else {
                  SmallVector<Value> inits;
                  for (int64_t i = 0; i < em.numSums(); ++i)
                    inits.push_back(rb.splatLike(tauv, em.sumInit(i)));
                  SmallVector<Value> acc = foldCandidates(
                      rb, read, inits, [&](Value v, ValueRange acc) {
                        Value u = arith::SubFOp::create(b, loc, v, tauv);
                        if (!coarse)
                          return em.accumulate(b, loc, u, acc);
                        // The terms in f32 (approximated powers), summed in
                        // the sum type.
                        auto narrowType = VectorType::get(
                            cast<VectorType>(u.getType()).getShape(),
                            b.getF32Type());
                        auto [term, derivative] =
                            em.terms(b, loc, castFloat(b, loc, narrowType, u));
                        return SmallVector<Value>{
                            arith::AddFOp::create(
                                b, loc, acc[0],
                                castFloat(b, loc, u.getType(), term)),
                            arith::AddFOp::create(
                                b, loc, acc[1],
                                castFloat(b, loc, u.getType(), derivative))};
                      });
                  for (Value v : acc)
                    sums.push_back(rb.treeSum(v));
                }
                EntmaxUpdate next =
                    em.update(b, loc, tau, lo, hi, sums, last, tolerance);
                // A row stopped by the cap ends on a lower bound (its next
                // step could be a bisection's midpoint).
                if (capped)
                  next.tau = arith::SelectOp::create(b, loc, next.settled,
                                                     next.tau, next.lower);
                Value rowMore = arith::AndIOp::create(
                    b, loc, finite,
                    arith::XOrIOp::create(b, loc, next.converged, one));
                if (!lockstep) {
                  results.append({next.tau, next.lo, next.hi});
                  more = rowMore;
                  continue;
                }
                // A done row keeps its state.
                Value done = state.back();
                auto keep = [&](Value updated, Value old) -> Value {
                  return arith::SelectOp::create(b, loc, done, old, updated);
                };
                results.append({keep(next.tau, tau), keep(next.lo, lo),
                                keep(next.hi, hi)});
                for (auto [updated, old] :
                     llvm::zip(carried, state.slice(3, carried.size())))
                  results.push_back(keep(updated, old));
                Value rowActive = arith::AndIOp::create(
                    b, loc, rowMore, arith::XOrIOp::create(b, loc, done, one));
                results.push_back(
                    arith::XOrIOp::create(b, loc, rowActive, one));
                more = more ? arith::OrIOp::create(b, loc, more, rowActive)
                                  .getResult()
                            : rowActive;
              }
              results.push_back(
                  arith::AddIOp::create(b, loc, round, rb.index(1)));
              if (!lockstep)
                results.append(carried);
              scf::ConditionOp::create(b, loc, more, results);
            },
            [&](OpBuilder &, Location, ValueRange args) {
              scf::YieldOp::create(b, loc, args.take_front(types.size()));
            });
        return loop;
      };
      // Where the powers are libm calls on f64 (f32 rows, p not a product
      // of squares), the rounds on the candidates go on f32 powers first,
      // to kBatchedTolerance, then on exact ones from there: two or three
      // rounds of them, where every round made the calls.
      // The searches on the lanes' maxima (in registers) only bound the
      // packing from below: on f32 powers alone, less kCoarseBoundMargin.
      // Those on the candidates then end on exact ones from there, to
      // kCoarseExactTolerance: Newton's steps converge quadratically from
      // the coarse threshold, so a step below it leaves the threshold
      // within about its square (one exact round where three were).
      bool seeds = static_cast<bool>(rows.front().lanes);
      scf::WhileOp loop;
      if (coarsePowers && seeds) {
        loop = buildRounds(tau0s, /*coarse=*/true, kBatchedTolerance);
      } else if (coarsePowers) {
        scf::WhileOp coarse =
            buildRounds(tau0s, /*coarse=*/true, kBatchedTolerance);
        SmallVector<Value> starts;
        for (int64_t g = 0; g < group; ++g)
          starts.push_back(coarse.getResult(g * perRow));
        loop = buildRounds(starts, /*coarse=*/false, kCoarseExactTolerance);
      } else {
        loop = buildRounds(tau0s, /*coarse=*/false, em.tolerance());
      }
      // The total at the threshold found from the last pass's moments, over
      // S at that pass's tau: after the exact quadratic step S is the
      // support and F is 1 up to rounding; after a step within the
      // tolerance an entry of S at or below the new tau is within it and
      // adds its square at most (only a row stopped after the last allowed
      // round, inexact anyway, can be off more).
      SmallVector<std::pair<Value, Value>> found;
      for (int64_t g = 0; g < group; ++g) {
        Value tau = loop.getResult(g * perRow);
        if (coarsePowers && seeds)
          tau = arith::SubFOp::create(b, loc, tau, c(kCoarseBoundMargin));
        if (!moments) {
          found.push_back({tau, Value()});
          continue;
        }
        int64_t at = lockstep ? g * perRow + 3 : types.size();
        found.push_back({tau, toType(squares(tau, loop.getResult(at),
                                             loop.getResult(at + 1),
                                             loop.getResult(at + 2)),
                                     type)});
      }
      return found;
    };
    // 1 / the row sum of max(X - tau, 0)^p: `total` where the search found
    // it, else over the candidates.
    auto factor = [&](const Candidates &candidates, Value tau,
                      Value total) -> Value {
      if (!total) {
        Value foldTau = vector::BroadcastOp::create(
            b, loc, getFoldType(rb, candidates), tau);
        total = rb.sum(
            foldCandidates(
                rb, candidates, ValueRange{rb.splatLike(foldTau, 0.0)},
                [&](Value v, ValueRange acc) {
                  return SmallVector<Value>{arith::AddFOp::create(
                      b, loc, acc[0],
                      em.output(b, loc,
                                arith::SubFOp::create(b, loc, v, foldTau)))};
                })
                .front());
      }
      return arith::DivFOp::create(b, loc, c(1.0), total);
    };
    // For alpha = 1.5, the search a lane per row in f32: a round sums |S|,
    // U1 = sum u and U2 = sum u^2 over S = {u = X - tau > 0} and takes min
    // u; the exact quadratic's step delta = (U2 - 1) / (U1 + sqrt(U1^2 -
    // |S| (U2 - 1))) ends a row where min u >= delta (S is the support),
    // else a Newton step (a lower bound; see batchedRounds). Then
    // per row the exact step again in the compute type over the support
    // found, and F at it for the output's factor.
    auto select = [&](Value flag, Value l, Value r) -> Value {
      return arith::SelectOp::create(b, loc, flag, l, r);
    };
    auto cmp = [&](arith::CmpFPredicate predicate, Value l, Value r) {
      return arith::CmpFOp::create(b, loc, predicate, l, r).getResult();
    };
    // EntmaxMath's exact step from U1, F - 1 and the discriminant, on
    // scalars or vectors, the discriminant clamped at 0 (rounding; the min u
    // test decides); and from (k, U1, U2).
    auto stepFrom = [&](Value u1, Value f, Value disc) -> Value {
      return em.quadraticStep(
          b, loc, u1, f,
          arith::MaximumFOp::create(b, loc, disc,
                                    constantLike(b, loc, disc.getType(), 0.0)));
    };
    auto exactStep = [&](Value k, Value u1, Value u2) -> Value {
      Value f = arith::SubFOp::create(b, loc, u2,
                                      constantLike(b, loc, u2.getType(), 1.0));
      return stepFrom(u1, f, em.discriminant(b, loc, k, u1, f));
    };
    // The longest chain of adds a lane of a batch round's sums over rows
    // with `k` entries in S (a vector of the batch, f32 or the compute type)
    // makes: min(k, the row's vectors), then log2(lanes) in the tree and
    // two more.
    auto sumsChain = [&](Value k) -> Value {
      auto kType = cast<VectorType>(k.getType());
      Value vectors = arith::UIToFPOp::create(
          b, loc, kType.getElementType(),
          arith::IndexCastUIOp::create(
              b, loc, b.getI64Type(),
              arith::CeilDivUIOp::create(b, loc, rb.n, rb.index(rb.lanes))));
      return arith::AddFOp::create(
          b, loc,
          arith::MinimumFOp::create(
              b, loc, k, vector::BroadcastOp::create(b, loc, kType, vectors)),
          constantLike(b, loc, kType, llvm::Log2_64(rb.lanes) + 2));
    };
    // The rounds from `tau0`; over the rows (not `overSeeds`) they also
    // keep, a lane per row, the sums (|S|, U1, U2) of the round whose exact
    // step ended the row and the threshold they were summed at (then the
    // finish needs no sweep of its own where they are accurate enough),
    // and which rows ended so: {tau, k, U1, U2, tau at the sums, exact}.
    auto batchedRounds = [&](RowBatch &batch, Value tau0, bool overSeeds,
                             int64_t maxRounds) -> SmallVector<Value> {
      Type f32 = batch.f32;
      VectorType groupType = batch.groupType;
      int64_t group = batch.size();
      Type i1Group = VectorType::get({group}, b.getI1Type());
      SmallVector<Type> types{groupType, i1Group, b.getIndexType()};
      SmallVector<Value> inits{tau0, batch.finite, rb.index(0)};
      if (!overSeeds) {
        types.append({groupType, groupType, groupType, groupType, i1Group});
        inits.append(
            {batch.splat(0.0), batch.splat(0.0), batch.splat(0.0),
             batch.splat(0.0),
             arith::ConstantOp::create(
                 b, loc,
                 DenseElementsAttr::get(cast<ShapedType>(i1Group), false))});
      }
      // The rounds on packed rows of at least kCompactedSimplexRow compact
      // their candidates to S from the second round on: the first round's
      // step takes the threshold most of the way (rows of 32768 uniform
      // entries: 40% of a row packed, 15% in S at the second round, 8% at
      // the third), so the later rounds read fewer.
      bool compacting = !overSeeds && batch.scratch;
      if (compacting) {
        types.append(group, b.getIndexType());
        llvm::append_range(inits, batch.getCounts());
      }
      auto loop = scf::WhileOp::create(
          b, loc, types, inits,
          [&](OpBuilder &, Location, ValueRange args) {
            Value tau = args[0], active = args[1], round = args[2];
            Value compact;
            if (compacting) {
              batch.setCounts(args.take_back(group));
              compact = arith::AndIOp::create(
                  b, loc,
                  arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt,
                                        round, rb.index(0)),
                  arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, rb.n,
                                        rb.index(kCompactedSimplexRow)));
            }
            // u = X - tau in one rounding at `minusTau` = -tau (t's shape).
            auto residual = [&](Value t, Value minusTau) -> Value {
              return math::FmaOp::create(
                  b, loc, t, constantLike(b, loc, t.getType(), alpha - 1.0),
                  minusTau);
            };
            double inf = std::numeric_limits<double>::infinity();
            Value step, settled, exact, k, u1, u2;
            // On the seeds Newton's step on f, (U2 - 1) / (2 U1); on the
            // rows Newton's step on sqrt(F), F = U2 = f + 1: (U2 - sqrt(U2))
            // / U1. Both are lower bounds (f and sqrt(F), the 2-norm of the
            // convex (X - tau)+, are convex); the latter is 2 sqrt(F) / (1 +
            // sqrt(F)) times the former, up to twice as long far from the
            // root, and exact while S stays (sqrt(F) is linear in tau
            // there): rows of uniform entries end after 2.5 to 3.4 rounds
            // instead of 3.0 to 4.7 (rows of 128 to 1024; 1024 x 128 to 128
            // x 1024 in cache 1.12x-1.24x faster). Not on the seeds: their
            // square root lengthened the rounds' chain more than the tighter
            // bound saved (0.93x-0.94x on normal rows of 128 and 256).
            auto newtonStep = [&] {
              if (!overSeeds)
                return arith::DivFOp::create(
                    b, loc,
                    arith::SubFOp::create(b, loc, u2,
                                          math::SqrtOp::create(b, loc, u2)),
                    u1);
              return arith::DivFOp::create(
                  b, loc, arith::SubFOp::create(b, loc, u2, batch.splat(1.0)),
                  arith::AddFOp::create(b, loc, u1, u1));
            };
            auto small = [&](Value step) {
              return cmp(arith::CmpFPredicate::OLE,
                         math::AbsFOp::create(b, loc, step),
                         batch.splat(kBatchedTolerance));
            };
            if (overSeeds) {
              // On the seeds only a lower bound matters (the packing's):
              // Newton's steps alone, from U1 and U2, no square root or
              // min u on the rounds' chain (entmax(1.5) on 32768 x 128
              // 1.12x, 1024 x 128 in cache 1.07x faster; rows of uniform
              // entries, whose exact steps end sooner, 0.98x).
              Value minusTau = arith::NegFOp::create(b, loc, tau);
              Value zero = batch.splat(0.0);
              SmallVector<Value> sums = batch.sweepSeeds(
                  tau, ValueRange{zero, zero},
                  [&](Value, Value t, Value in, ValueRange acc) {
                    // Masked adds and a masked fma.
                    Value u = residual(t, minusTau);
                    return SmallVector<Value>{
                        select(in, arith::AddFOp::create(b, loc, acc[0], u),
                               acc[0]),
                        select(in, math::FmaOp::create(b, loc, u, u, acc[1]),
                               acc[1])};
                  });
              u1 = sums[0];
              u2 = sums[1];
              step = newtonStep();
              settled = small(step);
            } else {
              Value zero = rb.splat(f32, 0.0);
              // Masked adds, a masked fma and a masked min, at u = X -
              // tau (`minusTau` -tau in the lanes of t).
              auto accumulate = [&](Value t, Value in, Value minusTau,
                                    ValueRange acc) {
                Value u = residual(t, minusTau);
                return SmallVector<Value>{
                    select(in,
                           arith::AddFOp::create(
                               b, loc, acc[0],
                               constantLike(b, loc, t.getType(), 1.0)),
                           acc[0]),
                    select(in, arith::AddFOp::create(b, loc, acc[1], u),
                           acc[1]),
                    select(in, math::FmaOp::create(b, loc, u, u, acc[2]),
                           acc[2]),
                    // u on S, else +inf, then a min without NaN
                    // checks (no NaN in S): one vminps on the sweep's
                    // chain, where a masked compare and a masked move
                    // were two (rows of uniform entries in cache:
                    // 256 1.06x, 1024 1.23x faster).
                    minIgnoringNaN(b, loc, acc[3],
                                   select(in, u, rb.splat(f32, inf)))};
              };
              SmallVector<Value> inits{zero, zero, zero, rb.splat(f32, inf)};
              SmallVector<bool> minimum{false, false, false, true};
              SmallVector<Value> sums;
              if (batch.transposed()) {
                sums = batch.sweepColumns(
                    tau, inits, minimum,
                    [&](Value t, Value in, Value taus, ValueRange acc) {
                      return accumulate(
                          t, in, arith::NegFOp::create(b, loc, taus), acc);
                    });
              } else {
                SmallVector<Value> minusTaus;
                for (int64_t g = 0; g < group; ++g)
                  minusTaus.push_back(rb.broadcast(
                      arith::NegFOp::create(b, loc, batch.lane(tau, g))));
                sums = batch.sweepRows(
                    tau, inits, minimum,
                    [&](int64_t g, Value t, Value in, ValueRange acc) {
                      return accumulate(t, in, minusTaus[g], acc);
                    },
                    compact);
              }
              k = sums[0];
              u1 = sums[1];
              u2 = sums[2];
              Value f = arith::SubFOp::create(b, loc, u2, batch.splat(1.0));
              Value disc = em.discriminant(b, loc, k, u1, f);
              Value delta = stepFrom(u1, f, disc);
              // The exact step only where the discriminant U1^2 - k (U2 -
              // 1), a difference of products of the sums, is above their
              // rounding: each sum within `chain` 2^-24 of its magnitude
              // (see finishLanes), so each product within twice that. A
              // discriminant lost in it (rows of 67000 to 100000 equal
              // entries at 128 bits: its rounding 2^-23 4382 x 6.5e8, the
              // discriminant 7e4) gave a step past the root that min u
              // then passed as exact.
              Value chain = sumsChain(k);
              Value rounding = arith::MulFOp::create(
                  b, loc,
                  arith::MulFOp::create(
                      b, loc,
                      math::FmaOp::create(
                          b, loc, u1, u1,
                          arith::MulFOp::create(
                              b, loc, k, math::AbsFOp::create(b, loc, f))),
                      chain),
                  batch.splat(0x1p-23));
              exact = arith::AndIOp::create(
                  b, loc, cmp(arith::CmpFPredicate::OGE, sums[3], delta),
                  cmp(arith::CmpFPredicate::OGE, disc, rounding));
              step = select(exact, delta, newtonStep());
              settled = arith::OrIOp::create(b, loc, exact, small(step));
            }
            Value last = vector::BroadcastOp::create(
                b, loc, i1Group,
                arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge, round,
                                      rb.index(maxRounds - 1)));
            Value stop = arith::OrIOp::create(b, loc, settled, last);
            Value next =
                select(active, arith::AddFOp::create(b, loc, tau, step), tau);
            active = arith::AndIOp::create(
                b, loc, active,
                arith::XOrIOp::create(
                    b, loc, stop,
                    arith::ConstantOp::create(
                        b, loc,
                        DenseElementsAttr::get(cast<ShapedType>(i1Group),
                                               true))));
            SmallVector<Value> results{
                next, active,
                arith::AddIOp::create(b, loc, round, rb.index(1))};
            if (!overSeeds) {
              // A row that ends on its exact step now: its sums and tau.
              Value ends = arith::AndIOp::create(b, loc, args[1], exact);
              SmallVector<Value> sums{k, u1, u2, tau};
              for (auto [now, kept] : llvm::zip(sums, args.slice(3, 4)))
                results.push_back(select(ends, now, kept));
              results.push_back(
                  arith::OrIOp::create(b, loc, args[7], ends).getResult());
            }
            if (compacting)
              llvm::append_range(results, batch.getCounts());
            scf::ConditionOp::create(b, loc, batch.orLanes(active), results);
          },
          [&](OpBuilder &, Location, ValueRange args) {
            scf::YieldOp::create(b, loc, args);
          });
      SmallVector<Value> found{loop.getResult(0)};
      if (!overSeeds)
        llvm::append_range(found, loop.getResults().slice(3, 5));
      if (compacting)
        batch.setCounts(loop.getResults().take_back(group));
      return found;
    };
    // The threshold tau + delta and 1 / F at it from the sums (k, U1, U2)
    // at tau, all of the compute type: F = U2 - delta (2 U1 - k delta)
    // (`delta` the exact step from them, if known).
    auto exactFinish = [&](Value tau, Value k, Value u1, Value u2,
                           Value delta = Value()) -> SmallVector<Value> {
      if (!delta)
        delta = exactStep(k, u1, u2);
      Value total = arith::SubFOp::create(
          b, loc, u2,
          arith::MulFOp::create(
              b, loc, delta,
              arith::SubFOp::create(b, loc,
                                    arith::AddFOp::create(b, loc, u1, u1),
                                    arith::MulFOp::create(b, loc, k, delta))));
      return {arith::AddFOp::create(b, loc, tau, delta),
              arith::DivFOp::create(
                  b, loc, constantLike(b, loc, total.getType(), 1.0), total)};
    };
    // A row whose rounds ended on an exact step takes it again from that
    // round's f32 sums in the compute type where their rounding moves the
    // threshold by at most kBatchedSumsError: a sum of the round chains at
    // most min(k, its vectors) adds per lane, then log2(lanes) in the tree,
    // each within 2^-24 of the sums' magnitudes, U2 + 2 |delta| U1 (plus u's
    // and u^2's own rounding), and an error e in F moves the root by e / F'
    // = e / (2 (U1 - k delta)) (the sum of the u's at the root, at least 1).
    // Else (a large last step over many entries, or a row that ran out of
    // rounds) one sweep over the row in the compute type sums them again at
    // the threshold found. The steps, tests and divisions go over the
    // batch's lanes at once, vectors of the compute type (one vsqrtpd and
    // three vdivpd for 8 rows: each row's scalar chain of them, in the loop
    // that writes the outputs, held its output pass back): {whether a row's
    // sums are accurate, its threshold, its output factor}.
    auto finishLanes = [&](RowBatch &batch,
                           ArrayRef<Value> found) -> SmallVector<Value> {
      auto wideType = VectorType::get({batch.size()}, type);
      auto splat = [&](double value) {
        return constantLike(b, loc, wideType, value);
      };
      auto wide = [&](Value v) -> Value {
        return castFloat(b, loc, wideType, v);
      };
      Value kAt = wide(found[1]), u1At = wide(found[2]), u2At = wide(found[3]),
            tauAt = wide(found[4]);
      Value delta = exactStep(kAt, u1At, u2At);
      Value chain = sumsChain(kAt);
      Value magnitude =
          math::FmaOp::create(b, loc, arith::AddFOp::create(b, loc, u1At, u1At),
                              math::AbsFOp::create(b, loc, delta), u2At);
      Value slope = arith::MulFOp::create(
          b, loc, splat(2.0),
          arith::SubFOp::create(b, loc, u1At,
                                arith::MulFOp::create(b, loc, kAt, delta)));
      // error <= kBatchedSumsError as error * slope <= kBatchedSumsError *
      // slope: false where rounding made the slope 0, negative or NaN.
      Value error = arith::MulFOp::create(
          b, loc, arith::MulFOp::create(b, loc, magnitude, chain),
          splat(0x1p-24));
      Value accurate = arith::AndIOp::create(
          b, loc, found[5],
          cmp(arith::CmpFPredicate::OLE, error,
              arith::MulFOp::create(b, loc, slope, splat(kBatchedSumsError))));
      SmallVector<Value> finished = exactFinish(tauAt, kAt, u1At, u2At, delta);
      return {accurate, finished[0], finished[1]};
    };
    // With coarsePowers an output u^p (f32 rows, whose outputs are f32
    // anyway) takes the f32 power, and a vector with a lane where u > 0
    // but that power is below 2^-100 (where the approximation's exp
    // leaves the normal range, as u^p / F may not) takes the exact one.
    auto coarseOutput = [&](Value u, Value scale) -> Value {
      auto shape = cast<VectorType>(u.getType()).getShape();
      auto narrowType = VectorType::get(shape, b.getF32Type());
      Value narrowU = castFloat(b, loc, narrowType, u);
      Value power = em.output(b, loc, narrowU);
      Value tiny = arith::AndIOp::create(
          b, loc,
          cmp(arith::CmpFPredicate::OGT, narrowU,
              constantLike(b, loc, narrowType, 0.0)),
          cmp(arith::CmpFPredicate::OLT, power,
              constantLike(b, loc, narrowType, 0x1p-100)));
      Value anyTiny =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::OR, tiny);
      Value y = rb.ifElse(
          anyTiny, [&] { return em.output(b, loc, u); },
          [&] { return castFloat(b, loc, u.getType(), power); });
      return arith::MulFOp::create(b, loc, y, scale);
    };
    // The rounds on the rows' seeds first, from -1; on the rows from there.
    BatchedSearch batched;
    batched.rounds = [&](RowBatch &batch) -> SmallVector<Value> {
      bool pack = options.leftPack != LeftPack::None;
      Value tau = batchedRounds(batch, batch.splat(-1.0), /*overSeeds=*/true,
                                pack ? kEntmaxBoundRounds : kEntmaxMaxRounds)
                      .front();
      if (pack) {
        batch.roomToTranspose = transposesCandidates(rb);
        batch.pack(tau, options.leftPack);
        if (transposesCandidates(rb))
          batch.transposeCandidates();
      }
      SmallVector<Value> found =
          batchedRounds(batch, tau, /*overSeeds=*/false, kEntmaxMaxRounds);
      llvm::append_range(found, finishLanes(batch, found));
      return found;
    };
    // A row's threshold and factor: finishLanes' where its sums were
    // accurate, else from a sweep over the row.
    batched.finish = [&](RowBatch &batch, ArrayRef<Value> found, Value g,
                         ValueRange row, Value m) -> std::pair<Value, Value> {
      Value tau32 = batch.lane(found[0], g);
      auto ifOp = scf::IfOp::create(
          b, loc, batch.lane(found[6], g),
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(
                b, loc,
                ValueRange{batch.lane(found[7], g), batch.lane(found[8], g)});
          },
          [&](OpBuilder &, Location) {
            Value tau = castFloat(b, loc, type, tau32);
            Value tauv = rb.broadcast(tau);
            Value zero = rb.splat(type, 0.0), one = rb.splat(type, 1.0);
            SmallVector<Value> acc = batch.sweepFinish(
                g, row, tau32, ValueRange{zero, zero, zero},
                [&](Value v, Value, Value in, ValueRange acc) {
                  Value u =
                      arith::SubFOp::create(b, loc, batch.wide(v, m), tauv);
                  return SmallVector<Value>{
                      select(in, arith::AddFOp::create(b, loc, acc[0], one),
                             acc[0]),
                      select(in, arith::AddFOp::create(b, loc, acc[1], u),
                             acc[1]),
                      select(in, math::FmaOp::create(b, loc, u, u, acc[2]),
                             acc[2])};
                });
            scf::YieldOp::create(b, loc,
                                 exactFinish(tau, rb.treeSum(acc[0]),
                                             rb.treeSum(acc[1]),
                                             rb.treeSum(acc[2])));
          });
      return {ifOp.getResult(0), ifOp.getResult(1)};
    };
    Value y = buildSimplexRows(rb, x, type, alpha - 1.0, kSimplexGroup, search,
                               moments ? &batched : nullptr, options.prefetch,
                               factor, [&](Value u, Value scale) -> Value {
                                 if (coarsePowers)
                                   return coarseOutput(u, scale);
                                 return arith::MulFOp::create(
                                     b, loc, em.output(b, loc, u), scale);
                               });
    rewriter.replaceOp(op, y);
    return success();
  }

  RowVectorizationOptions options;
};

/// sparsemax_grad and entmax_grad: the decomposition's arithmetic
/// (buildSimplexGrad, in the sum type) in two passes over a row: the sums of
/// g dy and g, with g = y^(2 - alpha) on the support (y > 0) and 0 off it,
/// then dx = g (dy - sum(g dy) / sum(g)), 0 off the support whatever dy
/// holds there. Lanes past the row's end read y = 0: off the support. The
/// weight g of f32 rows is an f32 power for alpha <= 2 (a correctly
/// rounded square root for alpha = 1.5, within an f32 ulp of the f64 one;
/// alpha > 2 takes f64, where y^(2 - alpha) of a tiny y overflows f32),
/// the rest in f64:
/// f64 square roots made entmax_grad(1.5) of 4096 x 1024 twice as slow as
/// softmax_grad. The next row is prefetched during the second pass, as the
/// other gradients'.
template <typename OpTy> struct VectorizeSimplexGrad : OpRewritePattern<OpTy> {
  VectorizeSimplexGrad(MLIRContext *ctx, const RowVectorizationOptions &options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}

  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    Value y = op.getOutput(), dy = op.getOutputGrad();
    if (failed(checkApplicable(rewriter, op, y.getType(), op.getDim())))
      return failure();
    double alpha = 2.0;
    if constexpr (std::is_same_v<OpTy, EntmaxGradOp>)
      alpha = op.getAlpha().convertToDouble();
    Location loc = op.getLoc();
    auto &b = rewriter;
    FamilyRowBuilder rb(rewriter, loc, y, options);
    EntmaxMath em(rb.sumType, alpha);
    Value init = tensor::EmptyOp::create(b, loc, rb.sizes, rb.elementType);
    Value dx =
        rb.forRows(init, /*perRow=*/false, [&](ValueRange row, Value rowOut) {
          auto read = [&](Value source, Value col, Value mask) {
            return rb.read(source, row, col, mask, rb.sumType);
          };
          // g in the accumulator type, extended to the sum type; in the
          // sum type where alpha > 2 (a negative power of a small f32 y
          // overflows f32: a row of NaN).
          Type weightType = alpha > 2.0 ? rb.sumType : rb.accType;
          auto weight = [&](Value col, Value mask) -> Value {
            Value g =
                em.gradWeight(b, loc, rb.read(y, row, col, mask, weightType));
            return castFloat(b, loc, rb.vec(rb.sumType), g);
          };
          SmallVector<Value> acc = rb.sweep(
              {rb.splat(rb.sumType, 0.0), rb.splat(rb.sumType, 0.0)},
              [&](Value col, Value mask, ValueRange acc) {
                Value g = weight(col, mask);
                Value gdy = em.onGradSupport(
                    b, loc, g,
                    arith::MulFOp::create(b, loc, g, read(dy, col, mask)));
                return SmallVector<Value>{
                    arith::AddFOp::create(b, loc, acc[0], gdy),
                    arith::AddFOp::create(b, loc, acc[1], g)};
              });
          Value q = rb.broadcast(arith::DivFOp::create(
              b, loc, rb.treeSum(acc[0]), rb.treeSum(acc[1])));
          NextRowPrefetch next = options.gradPrefetch
                                     ? rb.prefetchNextRow({y, dy}, row, options)
                                     : NextRowPrefetch();
          return rb.writeRow(rowOut, [&](Value col, Value mask) {
            if (!mask && !next.buffers.empty())
              rb.prefetch(next, col);
            Value g = weight(col, mask);
            Value value = arith::MulFOp::create(
                b, loc, g,
                arith::SubFOp::create(b, loc, read(dy, col, mask), q));
            return em.onGradSupport(b, loc, g, value);
          });
        });
    rewriter.replaceOp(op, dx);
    return success();
  }

  RowVectorizationOptions options;
};

} // namespace

void mlir::softmax::populateFamilyVectorizationPatterns(
    RewritePatternSet &patterns, const RowVectorizationOptions &options) {
  patterns.add<VectorizeGrad<SoftmaxGradOp>, VectorizeGrad<LogSoftmaxGradOp>,
               VectorizeCrossEntropy<CrossEntropyOp>,
               VectorizeCrossEntropy<CrossEntropyGradOp>, VectorizeSparsemax,
               VectorizeEntmax, VectorizeSimplexGrad<SparsemaxGradOp>,
               VectorizeSimplexGrad<EntmaxGradOp>>(patterns.getContext(),
                                                   options);
}
