//===- SoftmaxVectorization.cpp - vector row loops for softmax ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites a softmax op that reduces along its innermost (contiguous)
// dimension into scf.forall loops over rows (the outer dims) whose bodies
// make three vector passes over a row: max; exp and sum; normalise. f32 and
// f64 rows keep exp(x - max) in the output row between the last two passes
// ("store-exp"), so exp is computed once per element; f16 and bf16 rows
// recompute it, since a 16-bit copy would round it twice.
// Accumulators stay in vector registers across the row and are reduced
// horizontally once per row; the row tail is one masked vector, skipped when
// the row ends on a whole vector.
//
// Rows with a finite maximum take a lean form (no per-element selects);
// others the general one, with the decomposition's special-value contract.
// Three row forms cover the rows (RowForm): one row per parallel iteration;
// short rows in lockstep groups; few long rows split into column chunks
// whose (max, sum) pairs are merged. They are chained, all but one over an
// empty range, chosen at run time unless softmax.row_form pins one. An
// elementwise producer marked by softmax-fuse is evaluated in every read of
// the input. Pass 2 of a row prefetches the next row (and log_softmax's
// output row, for writing). Long log_softmax rows take an online form
// instead (softmax.pass_form): passes 1 and 2 in one pass over blocks, the
// sums rescaled when the running maximum grows.
// Long rows whose output pass is the only one writing the output stream
// it (softmax.store_form): a masked vector up to an aligned column, then a
// loop that softmax-nontemporal-stores turns into streaming stores.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "RowGeometry.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Transforms/NonPositiveExp.h"
#include "softmax-mlir/Transforms/NontemporalStores.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/Matchers.h"
#include "llvm/ADT/APFloat.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// Vectors summed in accumulator-type lanes before they are added to the
/// sum-type lanes: each f32 lane adds at most 32 terms, ~1e-6 relative.
constexpr int64_t kSumBlock = 32;

constexpr int64_t kMinChunk = kMinChunkLength;
constexpr int64_t kMaxChunks = kMaxRowChunks;
constexpr int64_t kShortRow = kShortRowLength;

/// Bytes per cache line, the prefetch granule.

/// Rows processed in lockstep when they are short, so that the per-row
/// latency chains (horizontal reductions, the row factor) of one row overlap
/// the others': log_softmax has the longer chain (log1p), and gains from
/// more rows (measured on AVX2: 16384x32 takes 2.0 ns/element with 2 rows,
/// 1.8 with 4; softmax 1.47 with 2, 1.63 with 4).
static int64_t rowsPerGroup(bool logarithmic) { return logarithmic ? 4 : 2; }

/// Registers per vector value for each row of a group: log_softmax shares
/// the unroll among its rows (its pass 2 spills otherwise), softmax gives
/// each row all of them (measured on AVX2, 2 rows of 4 registers against 2
/// of 2: 16384x32 1.50 -> 1.40 ns/element, 4096x128 1.19 -> 1.07; log_softmax
/// 4 rows of 1 register against 2: 1.61 -> 1.85 at 16384x32).
static int64_t groupUnroll(bool logarithmic, int64_t unroll) {
  return logarithmic ? std::max<int64_t>(1, unroll / rowsPerGroup(true))
                     : unroll;
}

/// Columns [lo, mainEnd) of a row in whole vectors, then one masked vector
/// at mainEnd if hasTail; the span ends at hi.
struct Span {
  Value lo, mainEnd, hasTail, hi;
};

/// What the first two passes learn of a row (or a chunk of one): the output
/// (holding exp(x - m) where exp is stored), the maximum m, and the sum of
/// exp(x - m) split into c (the entries at m) + r (the rest), in the sum
/// type.
struct Stats {
  Value out, m, r, c;
};

/// Buffers prefetched in pass 2 of a row: every vector of the row reads the
/// same columns of the next row of `inputs` (at `next`, a row of the outer
/// dims) and, when set, the matching lines of the output row `out` for
/// writing.
struct Prefetch {
  SmallVector<Value> inputs;
  SmallVector<Value> next;
  Value out;
};

/// Emits the vector row loops of one softmax op that reduces its innermost
/// dimension.
class RowLoopBuilder {
public:
  /// `outType` is the element type of the tensor written: the input's, or
  /// that of a fused cast consumer.
  RowLoopBuilder(OpBuilder &b, Location loc, RankedTensorType type,
                 FloatType outType, bool logarithmic,
                 const RowVectorizationOptions &options)
      : b(b), loc(loc), logarithmic(logarithmic), options(options),
        elementType(cast<FloatType>(type.getElementType())),
        accType(getAccumulatorType(elementType)),
        sumType(elementType.isF32() ? Float64Type::get(b.getContext())
                                    : accType),
        outType(outType),
        storeExp(keepsExpInOutput(logarithmic, elementType, outType)) {
    registerLanes =
        std::max<int64_t>(1, options.vectorBits / accType.getWidth());
    lanes = registerLanes * std::max<int64_t>(1, options.unroll);
    elementVec = VectorType::get({lanes}, elementType);
    accVec = VectorType::get({lanes}, accType);
    outVec = VectorType::get({lanes}, outType);
    // f64 sums are kept in one register's worth of f32 lanes.
    sumVec =
        VectorType::get({sumType == accType ? lanes : registerLanes}, sumType);
    // Ties are counted in one register: integer adds are cheap to chain,
    // registers are not (log_softmax would spill otherwise).
    countVec = VectorType::get({registerLanes}, b.getI32Type());
  }

  /// The normalised tensor of `x`. Rows are the indices of the outer dims;
  /// with more than one thread, fewer rows than threads and long rows, each
  /// row is split into column chunks instead (decided at run time).
  Value build(Value x, linalg::GenericOp fusedProducer = nullptr,
              std::optional<RowForm> pinnedForm = std::nullopt,
              std::optional<PassForm> pinnedPassForm = std::nullopt,
              std::optional<StoreForm> pinnedStoreForm = std::nullopt) {
    pinned = pinnedForm;
    pinnedPasses = pinnedPassForm;
    auto type = cast<RankedTensorType>(x.getType());
    input = x;
    producer = fusedProducer;
    // Sizes from the producer's output operand: x itself must keep no use.
    SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(
        b, loc, producer ? producer.getDpsInitOperand(0)->get() : x);
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    rowLength = n;
    outRow.assign(type.getRank() - 1, index(0));
    streaming = streamingCondition(pinnedStoreForm);
    // The output keeps the static sizes of the input.
    Value init = tensor::EmptyOp::create(b, loc, sizes, outType).getResult();
    int64_t rank = type.getRank();
    int64_t threads = options.threads;
    if (threads == 1 && rank == 1 && pinned != RowForm::Split)
      return buildRows(x, init, sizes, {b.getIndexAttr(1)});

    // The forms below are chained, all but one over an empty range: the
    // output then flows through the loops in one chain, so that
    // bufferization writes it in place (an scf.if between would cost a
    // copy). An empty loop costs a compare (softmax-skip-empty-foralls).
    Value y = init;
    auto constant = [&](bool value) -> Value {
      return arith::ConstantIntOp::create(b, loc, b.getI1Type(), value);
    };
    Value special = constant(false);
    if (threads != 1 || pinned == RowForm::Split) {
      // Chunks per row: enough to give every thread work, none shorter
      // than kMinChunk.
      Value rows = index(1);
      for (OpFoldResult size : ArrayRef(sizes).drop_back())
        rows = arith::MulIOp::create(
            b, loc, rows, getValueOrCreateConstantIndexOp(b, loc, size));
      // (No rows: no chunks, and no division by zero.)
      Value wanted = arith::CeilDivUIOp::create(
          b, loc, index(threads > 0 ? threads : kMaxChunks),
          arith::MaxUIOp::create(b, loc, rows, index(1)));
      Value chunks = arith::MinUIOp::create(
          b, loc, wanted, arith::DivUIOp::create(b, loc, n, index(kMinChunk)));
      Value split = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::uge,
                                          chunks, index(2));
      if (pinned) {
        // Pinned: split into at least two chunks, or not at all.
        split = constant(*pinned == RowForm::Split);
        chunks = arith::MaxUIOp::create(b, loc, chunks, index(2));
      }
      y = buildSplitRows(
          x, y, sizes,
          arith::SelectOp::create(b, loc, split, chunks, index(0)));
      special = split;
    }
    if (rank >= 2 && pinned != RowForm::Rows && pinned != RowForm::Split) {
      // Short rows, a group at a time, each with its share of the
      // registers (pinned or not, only rows that fit one block of sums).
      int64_t group = rowsPerGroup(logarithmic);
      RowVectorizationOptions groupOptions = options;
      groupOptions.unroll = groupUnroll(logarithmic, options.unroll);
      RowLoopBuilder grouped(b, loc, type, outType, logarithmic, groupOptions);
      grouped.outRow = outRow;
      grouped.input = input;
      grouped.producer = producer;
      grouped.rowLength = rowLength;
      grouped.streaming = streaming;
      // One f32 block of partial sums holds a whole short row.
      int64_t shortRow = std::min(kShortRow, grouped.lanes * kSumBlock);
      Value isShort = arith::AndIOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, n,
                                index(shortRow)),
          arith::XOrIOp::create(b, loc, special, constant(true)));
      Value groups = arith::CeilDivUIOp::create(
          b, loc, getValueOrCreateConstantIndexOp(b, loc, sizes[rank - 2]),
          index(group));
      y = grouped.buildGroupedRows(
          x, y, sizes,
          arith::SelectOp::create(b, loc, isShort, groups, index(0)));
      special = arith::OrIOp::create(b, loc, special, isShort);
    }
    // Every other row on its own.
    Value firstBound = getValueOrCreateConstantIndexOp(
        b, loc, rank == 1 ? b.getIndexAttr(1) : sizes.front());
    SmallVector<OpFoldResult> bounds(ArrayRef(sizes).drop_back());
    if (bounds.empty())
      bounds.push_back(b.getIndexAttr(1));
    bounds.front() =
        arith::SelectOp::create(b, loc, special, index(0), firstBound)
            .getResult();
    return buildRows(x, y, sizes, bounds);
  }

private:
  /// Whether the last pass of a row writes the output with streaming
  /// stores: null for never (the form pinned "cached", or a vector that does
  /// not cover whole aligned blocks), a constant, or the cost model of
  /// chooseStoreForm evaluated at run time. Only passes that write the
  /// output once use it.
  Value streamingCondition(std::optional<StoreForm> form) {
    int64_t alignment = options.vectorBits / 8;
    int64_t outBytes = outType.getWidth() / 8;
    if (!options.nontemporal || form == StoreForm::Cached ||
        (lanes * outBytes) % alignment != 0)
      return nullptr;
    if (form == StoreForm::Nontemporal)
      return arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1);
    int64_t maxCached = getPrefetchRowBytes(options.caches) /
                        (elementType.getIntOrFloatBitWidth() / 8);
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rowLength,
                                 index(maxCached));
  }

  /// True if every row streams its output.
  bool alwaysStreams() { return streaming && matchPattern(streaming, m_One()); }

  /// One parallel iteration per row, each writing its own [1, .., 1, n]
  /// slice of the output: independent, so they may run on any thread.
  /// `bounds` are the loop bounds: the outer sizes, or fewer (a rank-1 input
  /// gets a loop of bounds[0] iterations over its one row). A loop of one
  /// row too keeps the output as its init, so that the output is written in
  /// place (see buildSoftmaxCPUPipeline).
  Value buildRows(Value x, Value init, ArrayRef<OpFoldResult> sizes,
                  ArrayRef<OpFoldResult> bounds) {
    int64_t rank = sizes.size();
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    Span span = spanOf(index(0), n);
    auto forall = scf::ForallOp::create(
        b, loc, bounds, ValueRange{init}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.drop_back().take_front(rank - 1);
          Value out = args.back();
          SmallVector<OpFoldResult> offsets = rowOffsets(row, index(0));
          SmallVector<OpFoldResult> rowSizes = sliceSizes(rank, sizes.back());
          Value rowOut = extractRow(out, offsets, rowSizes);
          if (options.prefetch && rank >= 2)
            prefetch = prefetchFor(x, rowOut, row, sizes);
          Value result = buildRowWithPasses(x, rowOut, row, span);
          prefetch.reset();
          inParallel([&] { insertRow(result, out, offsets, rowSizes); });
        });
    return forall.getResult(0);
  }

  /// Rows split into `chunks` column chunks. A first parallel loop over
  /// (row, chunk) makes the first two passes of every chunk, with its own
  /// maximum; a second one merges the (max, sum) pairs of the row, rescaling
  /// each chunk's sum by exp(m_chunk - m_row), and normalises its chunk.
  Value buildSplitRows(Value x, Value init, ArrayRef<OpFoldResult> sizes,
                       Value chunks) {
    int64_t rank = sizes.size();
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    // Whole vectors per chunk; `chunks` may be 0 (no split).
    Value divisor = arith::MaxUIOp::create(b, loc, chunks, index(1));
    Value chunkSize = arith::MulIOp::create(
        b, loc,
        arith::CeilDivUIOp::create(
            b, loc, arith::CeilDivUIOp::create(b, loc, n, divisor),
            index(lanes)),
        index(lanes));
    SmallVector<OpFoldResult> loopSizes(sizes.drop_back());
    loopSizes.push_back(chunks);
    Value partialM = tensor::EmptyOp::create(b, loc, loopSizes, accType);
    Value partialR = tensor::EmptyOp::create(b, loc, loopSizes, sumType);
    Value partialC = tensor::EmptyOp::create(b, loc, loopSizes, sumType);

    // The chunk [lo, hi) of chunk index `k`; the last ones may be empty.
    auto chunkBounds = [&](Value k) -> std::pair<Value, Value> {
      Value lo = arith::MinUIOp::create(
          b, loc, arith::MulIOp::create(b, loc, k, chunkSize), n);
      Value hi = arith::MinUIOp::create(
          b, loc, arith::AddIOp::create(b, loc, lo, chunkSize), n);
      return {lo, hi};
    };

    auto statsLoop = scf::ForallOp::create(
        b, loc, loopSizes, ValueRange{init, partialM, partialR, partialC},
        std::nullopt, [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.take_front(rank - 1);
          Value k = args[rank - 1];
          ValueRange outs = args.drop_front(rank);
          auto [lo, hi] = chunkBounds(k);
          Value len = arith::SubIOp::create(b, loc, hi, lo);
          SmallVector<OpFoldResult> offsets = rowOffsets(row, lo);
          SmallVector<OpFoldResult> chunkSizes = sliceSizes(rank, len);
          Value chunkOut = extractRow(outs[0], offsets, chunkSizes);
          outOffset = lo;
          Stats stats = rowStats(x, chunkOut, row, spanOf(lo, hi));
          outOffset = nullptr;
          SmallVector<OpFoldResult> at(row.begin(), row.end());
          at.push_back(k);
          SmallVector<OpFoldResult> ones(rank, b.getIndexAttr(1));
          Value m = scalarTensor(stats.m, rank),
                r = scalarTensor(stats.r, rank),
                c = scalarTensor(stats.c, rank);
          inParallel([&] {
            insertRow(stats.out, outs[0], offsets, chunkSizes);
            insertRow(m, outs[1], at, ones);
            insertRow(r, outs[2], at, ones);
            insertRow(c, outs[3], at, ones);
          });
        });
    Value exps = statsLoop.getResult(0);
    Value ms = statsLoop.getResult(1), rs = statsLoop.getResult(2),
          cs = statsLoop.getResult(3);

    auto normalizeLoop = scf::ForallOp::create(
        b, loc, loopSizes, ValueRange{exps}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange row = args.take_front(rank - 1);
          Value k = args[rank - 1];
          Value out = args.back();
          auto at = [&](Value j) {
            SmallVector<Value> indices(row);
            indices.push_back(j);
            return indices;
          };
          // m = the largest chunk maximum (NaN propagates).
          auto maxLoop = scf::ForOp::create(
              b, loc, index(0), chunks, index(1),
              ValueRange{scalar(accType, negInf(accType))},
              [&](OpBuilder &, Location, Value j, ValueRange acc) {
                Value mj = tensor::ExtractOp::create(b, loc, ms, at(j));
                scf::YieldOp::create(
                    b, loc,
                    ValueRange{arith::MaximumFOp::create(b, loc, acc[0], mj)});
              });
          Value m = maxLoop.getResult(0);
          // A chunk's share: 1 if its maximum is the row's (+inf - +inf
          // must not enter an exp), else exp(m_chunk - m) (0 for -inf).
          auto weightOf = [&](Value mj) -> Value {
            Value isMax =
                arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mj, m);
            // Exact in the sum type.
            Value diff = arith::SubFOp::create(b, loc, toSum(mj), toSum(m));
            return arith::SelectOp::create(b, loc, isMax, scalar(sumType, 1.0),
                                           math::ExpOp::create(b, loc, diff));
          };
          // c counts the entries at m; r sums the rest, rescaled.
          auto sumLoop = scf::ForOp::create(
              b, loc, index(0), chunks, index(1),
              ValueRange{scalar(sumType, 0.0), scalar(sumType, 0.0)},
              [&](OpBuilder &, Location, Value j, ValueRange acc) {
                Value mj = tensor::ExtractOp::create(b, loc, ms, at(j));
                Value rj = tensor::ExtractOp::create(b, loc, rs, at(j));
                Value cj = tensor::ExtractOp::create(b, loc, cs, at(j));
                Value isMax = arith::CmpFOp::create(
                    b, loc, arith::CmpFPredicate::OEQ, mj, m);
                Value zero = scalar(sumType, 0.0);
                Value c = arith::AddFOp::create(
                    b, loc, acc[0],
                    arith::SelectOp::create(b, loc, isMax, cj, zero));
                Value rescaled = arith::MulFOp::create(
                    b, loc, arith::AddFOp::create(b, loc, cj, rj),
                    weightOf(mj));
                Value r = arith::AddFOp::create(
                    b, loc, acc[1],
                    arith::SelectOp::create(b, loc, isMax, rj, rescaled));
                scf::YieldOp::create(b, loc, ValueRange{c, r});
              });
          Value weight;
          if (storeExp)
            weight = weightOf(tensor::ExtractOp::create(b, loc, ms, at(k)));
          Value factor =
              rowFactor(m, sumLoop.getResult(1), sumLoop.getResult(0), weight);

          auto [lo, hi] = chunkBounds(k);
          Value len = arith::SubIOp::create(b, loc, hi, lo);
          SmallVector<OpFoldResult> offsets = rowOffsets(row, lo);
          SmallVector<OpFoldResult> chunkSizes = sliceSizes(rank, len);
          Value chunkOut = extractRow(out, offsets, chunkSizes);
          outOffset = lo;
          Value result = normalize(x, chunkOut, row, spanOf(lo, hi), m, factor);
          outOffset = nullptr;
          inParallel([&] { insertRow(result, out, offsets, chunkSizes); });
        });
    return normalizeLoop.getResult(0);
  }

  /// Rows of a rank >= 2 input a group at a time: one parallel iteration per
  /// group of the second-innermost dim (`groups` of them, or none). A full
  /// group whose rows all have a finite maximum runs the lean form in
  /// lockstep, every pass handling all of its rows at each column; any
  /// other group (the last, partial one, or one with a special row) runs
  /// its rows one after the other as `buildRow` does. The rows must fit one
  /// block of partial sums (lanes * kSumBlock columns).
  Value buildGroupedRows(Value x, Value init, ArrayRef<OpFoldResult> sizes,
                         Value groups) {
    int64_t rank = sizes.size();
    int64_t group = rowsPerGroup(logarithmic);
    Value n = getValueOrCreateConstantIndexOp(b, loc, sizes.back());
    Value numRows = getValueOrCreateConstantIndexOp(b, loc, sizes[rank - 2]);
    Span span = spanOf(index(0), n);
    SmallVector<OpFoldResult> bounds(sizes.take_front(rank - 2));
    bounds.push_back(groups);
    auto forall = scf::ForallOp::create(
        b, loc, bounds, ValueRange{init}, std::nullopt,
        [&](OpBuilder &, Location, ValueRange args) {
          ValueRange outer = args.take_front(rank - 2);
          softmax::detail::RowGroupSlice slice =
              softmax::detail::getRowGroupSlice(b, loc, outer, args[rank - 2],
                                                numRows, group, sizes);
          Value first = slice.first, count = slice.count;
          Value out = args.back();
          SmallVector<OpFoldResult> &offsets = slice.offsets;
          SmallVector<OpFoldResult> &groupSizes = slice.sizes;
          SmallVector<int64_t> shape(rank - 2, 1);
          shape.push_back(ShapedType::kDynamic);
          std::optional<int64_t> len = getConstantIntValue(sizes.back());
          shape.push_back(len ? *len : ShapedType::kDynamic);
          SmallVector<OpFoldResult> strides(rank, b.getIndexAttr(1));
          Value groupOut = tensor::ExtractSliceOp::create(
              b, loc, RankedTensorType::get(shape, outType), out, offsets,
              groupSizes, strides);
          auto rowOf = [&](Value g) {
            SmallVector<Value> row(outer);
            row.push_back(arith::AddIOp::create(b, loc, first, g));
            return row;
          };
          // The output indices of row g of the group, and the rows one by one.
          auto outIndices = [&](Value g) {
            SmallVector<Value> indices(rank - 2, index(0));
            indices.push_back(g);
            return indices;
          };
          auto oneByOne = [&](Value groupT, Value rowCount) -> Value {
            auto loop = scf::ForOp::create(
                b, loc, index(0), rowCount, index(1), ValueRange{groupT},
                [&](OpBuilder &, Location, Value g, ValueRange acc) {
                  SmallVector<OpFoldResult> at(rank - 2, b.getIndexAttr(0));
                  at.push_back(g);
                  at.push_back(b.getIndexAttr(0));
                  SmallVector<OpFoldResult> rowSizes =
                      sliceSizes(rank, sizes.back());
                  Value rowOut = extractRow(acc[0], at, rowSizes);
                  Value result = buildRow(x, rowOut, rowOf(g), span);
                  Value inserted = tensor::InsertSliceOp::create(
                      b, loc, result, acc[0], at, rowSizes, strides);
                  scf::YieldOp::create(b, loc, inserted);
                });
            return loop.getResult(0);
          };

          // Pass 1 for every row of a full group; a partial group reports
          // "not finite" without reading past the last row.
          Value full = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                             count, index(group));
          SmallVector<SmallVector<Value>> rows;
          for (int64_t g = 0; g < group; ++g)
            rows.push_back(rowOf(index(g)));
          auto ifFull = scf::IfOp::create(
              b, loc, full,
              [&](OpBuilder &, Location) {
                SmallVector<Value> maxVecs = reduceColumns(
                    x, rows, span, splat(accVec, negInf(accType)),
                    [&](Value acc, Value v) { return maxIgnoringNaN(acc, v); });
                SmallVector<Value> results;
                Value allFinite;
                for (int64_t g = 0; g < group; ++g) {
                  results.push_back(vector::ReductionOp::create(
                      b, loc, vector::CombiningKind::MAXNUMF, maxVecs[g],
                      arith::FastMathFlags::nnan));
                  Value finite = isFinite(results.back());
                  allFinite =
                      allFinite
                          ? arith::AndIOp::create(b, loc, allFinite, finite)
                                .getResult()
                          : finite;
                }
                results.insert(results.begin(), allFinite);
                scf::YieldOp::create(b, loc, results);
              },
              [&](OpBuilder &, Location) {
                SmallVector<Value> results{
                    arith::ConstantIntOp::create(b, loc, b.getI1Type(), 0)};
                results.append(group, scalar(accType, negInf(accType)));
                scf::YieldOp::create(b, loc, results);
              });
          SmallVector<Value> m(ifFull.getResults().drop_front());
          auto ifLockstep = scf::IfOp::create(
              b, loc, ifFull.getResult(0),
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(
                    b, loc,
                    lockstepRows(x, groupOut, rows, m, span, outIndices));
              },
              [&](OpBuilder &, Location) {
                scf::YieldOp::create(b, loc, oneByOne(groupOut, count));
              });
          inParallel([&] {
            tensor::ParallelInsertSliceOp::create(b, loc,
                                                  ifLockstep.getResult(0), out,
                                                  offsets, groupSizes, strides);
          });
        });
    return forall.getResult(0);
  }

  /// Passes 2 and 3 of the lean form for the group of rows `rows` with finite
  /// maxima `m`, in lockstep; `out` holds the group's rows, row g at
  /// `outIndices(g)`.
  Value lockstepRows(Value x, Value out, ArrayRef<SmallVector<Value>> rows,
                     ArrayRef<Value> m, Span span,
                     function_ref<SmallVector<Value>(Value)> outIndices) {
    int64_t group = rows.size();
    SmallVector<Value> mVecs;
    SmallVector<SmallVector<Value>> outAt;
    for (int64_t g = 0; g < group; ++g) {
      mVecs.push_back(vector::BroadcastOp::create(b, loc, accVec, m[g]));
      outAt.push_back(outIndices(index(g)));
    }
    Value zeroCount = zeroCountVec();
    // Pass 2: iter args are the output, then r and c of every row.
    auto step = [&](Value col, bool inBounds,
                    ValueRange acc) -> SmallVector<Value> {
      Value outT = acc[0];
      SmallVector<Value> r(acc.slice(1, group)), c(acc.slice(1 + group, group));
      for (int64_t g = 0; g < group; ++g) {
        Value t = arith::SubFOp::create(b, loc, read(x, rows[g], col, inBounds),
                                        mVecs[g]);
        if (Value e = leanSumStep(t, r[g], c[g]); e && storeExp)
          outT = writeAt(e, outT, outAt[g], col, inBounds, /*isFinal=*/false);
      }
      SmallVector<Value> next{outT};
      next.append(r);
      next.append(c);
      return next;
    };
    SmallVector<Value> init{out};
    init.append(group, zeroAcc());
    init.append(group, zeroCount);
    auto sumLoop = forColumns(span, init, [&](Value col, ValueRange acc) {
      return step(col, /*inBounds=*/true, acc);
    });
    SmallVector<Value> sums = ifTail(span, sumLoop.getResults(), [&] {
      return step(span.mainEnd, /*inBounds=*/false, sumLoop.getResults());
    });
    Value zeroSum = zeroSumVec();
    SmallVector<Value> factors;
    for (int64_t g = 0; g < group; ++g) {
      Value r = vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                            flush(zeroSum, sums[1 + g]),
                                            arith::FastMathFlags::reassoc);
      Value c = arith::SIToFPOp::create(
          b, loc, sumType,
          vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                      sums[1 + group + g]));
      factors.push_back(vector::BroadcastOp::create(
          b, loc, accVec, rowFactor(m[g], r, c, /*weight=*/nullptr)));
    }
    // Pass 3.
    auto normalizeStep = [&](Value col, bool inBounds, Value outT) -> Value {
      for (int64_t g = 0; g < group; ++g) {
        Value y;
        if (storeExp) {
          y = arith::MulFOp::create(b, loc, read(outT, outAt[g], col, inBounds),
                                    factors[g]);
        } else {
          Value t = arith::SubFOp::create(
              b, loc, read(x, rows[g], col, inBounds), mVecs[g]);
          y = unstoredValue(t, factors[g]);
        }
        outT = writeAt(y, outT, outAt[g], col, inBounds, /*isFinal=*/true);
      }
      return outT;
    };
    auto loop = forColumns(span, {sums[0]}, [&](Value col, ValueRange acc) {
      return SmallVector<Value>{normalizeStep(col, /*inBounds=*/true, acc[0])};
    });
    return ifTail(span, {loop.getResult(0)}, [&] {
      return SmallVector<Value>{
          normalizeStep(span.mainEnd, /*inBounds=*/false, loop.getResult(0))};
    })[0];
  }

  /// Writes an accumulator-type vector at `indices` + [col] of `outT`.
  Value writeAt(Value y, Value outT, ArrayRef<Value> indices, Value col,
                bool inBounds, bool isFinal) {
    return vector::TransferWriteOp::create(b, loc, isFinal ? finalValue(y) : y,
                                           outT, at(indices, col),
                                           ArrayRef<bool>{inBounds})
        .getResult();
  }

  /// An output vector from the accumulator-type result `y`: rounded to the
  /// element type, then cast as the fused consumer casts it. (exp(x - m)
  /// kept in the output is written as it is: the output then has the
  /// accumulator type.)
  Value finalValue(Value y) {
    if (elementType != accType)
      y = arith::TruncFOp::create(b, loc, elementVec, y);
    if (outType.getWidth() < elementType.getWidth())
      return arith::TruncFOp::create(b, loc, outVec, y);
    if (outType.getWidth() > elementType.getWidth())
      return arith::ExtFOp::create(b, loc, outVec, y);
    return y;
  }

  /// One row in the pass form softmax.pass_form pins, or else the one
  /// choosePassForm picks at run time.
  Value buildRowWithPasses(Value x, Value out, ValueRange row, Span span) {
    if (pinnedPasses == PassForm::Online)
      return buildOnlineRow(x, out, row, span);
    // The model never picks the online form for softmax.
    if (pinnedPasses == PassForm::ThreePass || !logarithmic)
      return buildRow(x, out, row, span);
    int64_t bytes = elementType.getIntOrFloatBitWidth() / 8;
    Value online =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ugt, rowLength,
                              index(getOnlineRowBytes(options.caches) / bytes));
    auto ifOp = scf::IfOp::create(
        b, loc, online,
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, buildOnlineRow(x, out, row, span));
        },
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, buildRow(x, out, row, span));
        });
    return ifOp.getResult(0);
  }

  /// One row in the online form: one pass over the row keeps a running
  /// maximum and a sum rescaled when the maximum grows (per block of
  /// lanes * kSumBlock columns, so that the rescaling is rare and the block
  /// is read a second time from L1), prefetching the next block; a second
  /// pass writes the output, recomputing exp for softmax. Rows whose
  /// maximum is not finite take the general form.
  Value buildOnlineRow(Value x, Value out, ValueRange row, Span span) {
    bool keepsExp = storeExp;
    storeExp = false;
    Value m, r, c;
    std::tie(m, r, c) = onlineSums(x, row, span);
    auto ifOp = scf::IfOp::create(
        b, loc, isFinite(m),
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, ValueRange{out, m, r, c});
        },
        [&](OpBuilder &, Location) {
          Stats stats = generalSums(x, out, row, span);
          scf::YieldOp::create(
              b, loc, ValueRange{stats.out, stats.m, stats.r, stats.c});
        });
    Value factor = rowFactor(ifOp.getResult(1), ifOp.getResult(2),
                             ifOp.getResult(3), /*weight=*/nullptr);
    Value result =
        normalize(x, ifOp.getResult(0), row, span, ifOp.getResult(1), factor);
    storeExp = keepsExp;
    return result;
  }

  /// The online pass over `span`: the maximum m (NaN ignored) and the sums
  /// r and c of the lean form relative to it, in the sum type. Each block
  /// takes its maximum first; when it exceeds the running one, the sums so
  /// far are rescaled by exp(m_old - m_new) in the sum type (the entries
  /// counted at m_old join r). The values are those of the lean form when
  /// m is finite, and unused otherwise.
  std::tuple<Value, Value, Value> onlineSums(Value x, ValueRange row,
                                             Span span) {
    Value zeroSum = zeroSumVec();
    Value zeroCount = zeroCountVec();
    Value blockSize = index(lanes * kSumBlock);
    // Prefetched ahead by a block: the block's two reads leave the hardware
    // prefetcher idle while the exps are computed.
    SmallVector<Value> buffers;
    if (prefetch)
      buffers = prefetch->inputs;
    else if (options.prefetch)
      buffers = prefetchInputs(x);
    Value lastColumn = arith::SubIOp::create(
        b, loc, arith::MaxUIOp::create(b, loc, rowLength, index(1)), index(1));

    // One block [lo, hi) of whole vectors, or the masked tail vector at lo.
    auto block = [&](Value lo, Value hi, bool tail,
                     ValueRange acc) -> SmallVector<Value> {
      Value m = acc[0], r = acc[1], c = acc[2], rc = acc[3];
      Value maxVec = splat(accVec, negInf(accType));
      if (tail) {
        maxVec = maxIgnoringNaN(maxVec, read(x, row, lo, /*inBounds=*/false));
      } else {
        auto loop = scf::ForOp::create(
            b, loc, lo, hi, index(lanes), ValueRange{maxVec},
            [&](OpBuilder &, Location, Value col, ValueRange args) {
              scf::YieldOp::create(
                  b, loc,
                  maxIgnoringNaN(args[0],
                                 read(x, row, col, /*inBounds=*/true)));
            });
        maxVec = loop.getResult(0);
      }
      Value blockMax =
          vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXNUMF,
                                      maxVec, arith::FastMathFlags::nnan);
      Value grows =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, blockMax, m);
      Value mNew = arith::SelectOp::create(b, loc, grows, blockMax, m);
      // Rescale: r, and the counted entries (rc: those of earlier
      // rescalings, c: this maximum's), by exp(m - mNew); exp(-inf) = 0.
      auto rescale = scf::IfOp::create(
          b, loc, grows,
          [&](OpBuilder &, Location) {
            Value scale = math::ExpOp::create(
                b, loc, arith::SubFOp::create(b, loc, toSum(m), toSum(mNew)));
            Value counted = arith::AddFOp::create(
                b, loc, rc,
                arith::SIToFPOp::create(
                    b, loc, sumType,
                    vector::ReductionOp::create(
                        b, loc, vector::CombiningKind::ADD, c)));
            scf::YieldOp::create(
                b, loc,
                ValueRange{arith::MulFOp::create(b, loc, r,
                                                 vector::BroadcastOp::create(
                                                     b, loc, sumVec, scale)),
                           zeroCount,
                           arith::MulFOp::create(b, loc, counted, scale)});
          },
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(b, loc, ValueRange{r, c, rc});
          });
      // t = x - mNew; an all -inf prefix (mNew = -inf) subtracts 0 instead,
      // so that its exps are 0, not NaN.
      Value isNegInf =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, mNew,
                                scalar(accType, negInf(accType)));
      Value mVec = vector::BroadcastOp::create(
          b, loc, accVec,
          arith::SelectOp::create(
              b, loc, isNegInf,
              scalar(accType, APFloat::getZero(accType.getFloatSemantics())),
              mNew));
      auto step = [&](Value col, bool inBounds, Value rBlock,
                      Value cBlock) -> std::pair<Value, Value> {
        if (inBounds)
          prefetchColumns(col);
        if (inBounds && options.prefetch) {
          forEachLine(col, [&](Value c) {
            Value ahead = arith::MinUIOp::create(
                b, loc, arith::AddIOp::create(b, loc, c, blockSize),
                lastColumn);
            for (Value buffer : buffers)
              prefetchAt(buffer, at(row, ahead), /*isWrite=*/false);
          });
        }
        Value t =
            arith::SubFOp::create(b, loc, read(x, row, col, inBounds), mVec);
        leanSumStep(t, rBlock, cBlock);
        return {rBlock, cBlock};
      };
      Value rBlock = zeroAcc(), cBlock = rescale.getResult(1);
      if (tail) {
        std::tie(rBlock, cBlock) = step(lo, /*inBounds=*/false, rBlock, cBlock);
      } else {
        auto loop = scf::ForOp::create(
            b, loc, lo, hi, index(lanes), ValueRange{rBlock, cBlock},
            [&](OpBuilder &, Location, Value col, ValueRange args) {
              auto [rNext, cNext] =
                  step(col, /*inBounds=*/true, args[0], args[1]);
              scf::YieldOp::create(b, loc, ValueRange{rNext, cNext});
            });
        rBlock = loop.getResult(0);
        cBlock = loop.getResult(1);
      }
      return {mNew, flush(rescale.getResult(0), rBlock), cBlock,
              rescale.getResult(2)};
    };

    SmallVector<Value> init{scalar(accType, negInf(accType)), zeroSum,
                            zeroCount, scalar(sumType, 0.0)};
    auto blockLoop = scf::ForOp::create(
        b, loc, span.lo, span.mainEnd, blockSize, init,
        [&](OpBuilder &, Location, Value lo, ValueRange acc) {
          Value hi = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, lo, blockSize),
              span.mainEnd);
          scf::YieldOp::create(b, loc, block(lo, hi, /*tail=*/false, acc));
        });
    SmallVector<Value> last = ifTail(span, blockLoop.getResults(), [&] {
      return block(span.mainEnd, span.mainEnd, /*tail=*/true,
                   blockLoop.getResults());
    });
    Value r = arith::AddFOp::create(
        b, loc,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD, last[1],
                                    arith::FastMathFlags::reassoc),
        last[3]);
    Value c = arith::SIToFPOp::create(
        b, loc, sumType,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                    last[2]));
    return {last[0], r, c};
  }

  /// One row: `out` is this row of the output ([1, .., 1, n]); `row`
  /// indexes the outer dims of `x`.
  Value buildRow(Value x, Value out, ValueRange row, Span span) {
    Stats stats = rowStats(x, out, row, span);
    Value factor = rowFactor(stats.m, stats.r, stats.c, /*weight=*/nullptr);
    return normalize(x, stats.out, row, span, stats.m, factor);
  }

  /// What pass 2 of row `row` (of an op of sizes `sizes`, rank >= 2)
  /// prefetches: the input (or the fused producer's elementwise inputs) at
  /// the next row of the innermost outer dim, if the row is short enough
  /// (else the row itself, which costs nothing); and for log_softmax, which
  /// writes nothing in pass 2, the output row, so that pass 3 finds its
  /// lines owned instead of fetching them on a store miss.
  Prefetch prefetchFor(Value x, Value rowOut, ValueRange row,
                       ArrayRef<OpFoldResult> sizes) {
    Prefetch result;
    result.inputs = prefetchInputs(x);
    Value last = arith::SubIOp::create(
        b, loc,
        getValueOrCreateConstantIndexOp(b, loc, sizes[sizes.size() - 2]),
        index(1));
    Value following = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, row.back(), index(1)), last);
    int64_t maxLength = getPrefetchRowBytes(options.caches) /
                        (elementType.getIntOrFloatBitWidth() / 8);
    Value isShort = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule,
                                          rowLength, index(maxLength));
    result.next.assign(row.begin(), row.end());
    result.next.back() =
        arith::SelectOp::create(b, loc, isShort, following, row.back());
    // Streamed lines would be brought in only to be evicted.
    if (!storeExp && !alwaysStreams())
      result.out = readOnlyBuffer(rowOut);
    return result;
  }

  /// The buffers that hold what reading `x` reads: `x`, or the fused
  /// producer's elementwise inputs.
  SmallVector<Value> prefetchInputs(Value x) {
    if (!producer)
      return {readOnlyBuffer(x)};
    SmallVector<Value> buffers;
    int64_t rank = cast<RankedTensorType>(x.getType()).getRank();
    for (OpOperand *operand : producer.getDpsInputOperands())
      if (classifyProducerOperand(producer.getMatchingIndexingMap(operand),
                                  rank) == ProducerOperandKind::Element)
        buffers.push_back(readOnlyBuffer(operand->get()));
    return buffers;
  }

  /// `tensor` as a buffer that is only read (prefetched).
  Value readOnlyBuffer(Value tensor) {
    return softmax::detail::buildReadOnlyBuffer(b, loc, tensor);
  }

  /// The prefetches of the vector at column `col` in pass 2, one per cache
  /// line.
  void prefetchColumns(Value col) {
    if (!prefetch)
      return;
    forEachLine(col, [&](Value c) {
      for (Value input : prefetch->inputs)
        prefetchAt(input, at(prefetch->next, c), /*isWrite=*/false);
      if (prefetch->out)
        prefetchAt(prefetch->out, at(outRow, c), /*isWrite=*/true);
    });
  }

  /// Calls `body` with the first column of each cache line of the input
  /// vector at `col`, in order.
  void forEachLine(Value col, function_ref<void(Value)> body) {
    int64_t bytes = lanes * elementType.getIntOrFloatBitWidth() / 8;
    int64_t step = softmax::detail::kCacheLineBytes * 8 /
                   elementType.getIntOrFloatBitWidth();
    body(col);
    for (int64_t line = 1; line * softmax::detail::kCacheLineBytes < bytes;
         ++line)
      body(arith::AddIOp::create(b, loc, col, index(line * step)));
  }

  /// A prefetch of `buffer` at `indices` into L1.
  void prefetchAt(Value buffer, ArrayRef<Value> indices, bool isWrite) {
    memref::PrefetchOp::create(b, loc, buffer, indices, isWrite,
                               /*localityHint=*/3, /*isDataCache=*/true);
  }

  /// Passes 1 and 2 over `span`.
  Stats rowStats(Value x, Value out, ValueRange row, Span span) {
    // Pass 1: m = max(x) over the entries that are not NaN, one x86 max
    // instruction a vector; NaN reaches the result through the sum below.
    Value maxVec = reduceColumns(
        x, row, span, splat(accVec, negInf(accType)),
        [&](Value acc, Value v) { return maxIgnoringNaN(acc, v); });
    // The lanes hold no NaN, so nnan is exact here.
    Value m =
        vector::ReductionOp::create(b, loc, vector::CombiningKind::MAXNUMF,
                                    maxVec, arith::FastMathFlags::nnan);

    // A finite maximum (the common case) takes the lean form; an all -inf
    // row, an all NaN row and a row with +inf take the general one.
    auto ifOp = scf::IfOp::create(
        b, loc, isFinite(m),
        [&](OpBuilder &, Location) {
          Stats stats = finiteMaxSums(x, out, row, span, m);
          scf::YieldOp::create(
              b, loc, ValueRange{stats.out, stats.m, stats.r, stats.c});
        },
        [&](OpBuilder &, Location) {
          Stats stats = generalSums(x, out, row, span);
          scf::YieldOp::create(
              b, loc, ValueRange{stats.out, stats.m, stats.r, stats.c});
        });
    return {ifOp.getResult(0), ifOp.getResult(1), ifOp.getResult(2),
            ifOp.getResult(3)};
  }

  /// Pass 2 when m = max(x) is finite: t = x - m needs no select, exp(t)
  /// propagates a NaN entry into the sum and from there into every output.
  /// Softmax sums every exp (an entry at the maximum adds exactly 1) and
  /// leaves c = 0; log_softmax keeps r and c apart for log1p (an f32 lane
  /// holding 1 would absorb the small terms that log1p(r) needs).
  Stats finiteMaxSums(Value x, Value out, ValueRange row, Span span, Value m) {
    Value mVec = vector::BroadcastOp::create(b, loc, accVec, m);
    auto [sumOut, r, c] =
        sumRow(out, span,
               [&](Value col, bool inBounds, Value outT, Value r,
                   Value c) -> SmallVector<Value> {
                 if (inBounds)
                   prefetchColumns(col);
                 // Lanes past the end of the row read -inf: exp = 0.
                 Value t = arith::SubFOp::create(
                     b, loc, read(x, row, col, inBounds), mVec);
                 if (Value e = leanSumStep(t, r, c); e && storeExp)
                   outT = writeOut(e, outT, col, inBounds, /*isFinal=*/false);
                 return {outT, r, c};
               });
    return {sumOut, m, r, c};
  }

  /// Adds one vector of t = x - m (m finite) to the lean form's sums:
  /// softmax adds exp(t) to r and returns it (to be stored); log_softmax
  /// counts the entries at m (t == 0 exactly) in c and lets them enter the
  /// exp as -inf, so that r sums the others, and returns null. x and the
  /// mask die before the exp, which keeps the loop within the registers.
  Value leanSumStep(Value t, Value &r, Value &c) {
    if (!logarithmic) {
      Value e = buildNonPositiveExp(b, loc, t);
      r = arith::AddFOp::create(b, loc, r, e);
      return e;
    }
    Value isMax =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, t, zeroAcc());
    c = addCount(c, isMax);
    Value below = arith::SelectOp::create(b, loc, isMax,
                                          splat(accVec, negInf(accType)), t);
    r = arith::AddFOp::create(b, loc, r, buildNonPositiveExp(b, loc, below));
    return nullptr;
  }

  /// The output from t (= x - m, or the general form's shifted t) when exp
  /// is not stored: t - log(s), or exp(t) * (1/s).
  Value unstoredValue(Value t, Value factorVec) {
    if (logarithmic)
      return arith::SubFOp::create(b, loc, t, factorVec);
    return arith::MulFOp::create(b, loc, buildNonPositiveExp(b, loc, t),
                                 factorVec);
  }

  /// Passes 1 and 2 for any row, with the decomposition's special-value
  /// contract: a NaN-propagating max, and t = (x == m) ? 0 : x - m so that
  /// +inf entries share the mass (and an all -inf row counts its entries).
  Stats generalSums(Value x, Value out, ValueRange row, Span span) {
    Value maxVec =
        reduceColumns(x, row, span, splat(accVec, negInf(accType)),
                      [&](Value acc, Value v) -> Value {
                        return arith::MaximumFOp::create(b, loc, acc, v);
                      });
    Value m = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::MAXIMUMF, maxVec);
    Value mVec = vector::BroadcastOp::create(b, loc, accVec, m);
    auto [sumOut, r, c] = sumRow(
        out, span,
        [&](Value col, bool inBounds, Value outT, Value r,
            Value c) -> SmallVector<Value> {
          Value v = read(x, row, col, inBounds);
          Value isMax =
              arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, v, mVec);
          Value e = buildNonPositiveExp(b, loc, shifted(v, mVec, isMax));
          if (storeExp)
            outT = writeOut(e, outT, col, inBounds, /*isFinal=*/false);
          r = arith::AddFOp::create(
              b, loc, r, arith::SelectOp::create(b, loc, isMax, zeroAcc(), e));
          c = addCount(c, isMax);
          return {outT, r, c};
        });
    return {sumOut, m, r, c};
  }

  using SumStep = function_ref<SmallVector<Value>(Value col, bool inBounds,
                                                  Value out, Value r, Value c)>;

  /// Pass 2 over `span`: `step` returns the output row and the updated
  /// partial sum r and count c. The partial sums stay in accumulator-type
  /// lanes for a block of kSumBlock vectors, are then folded to one
  /// register and added to sum-type (f64 for f32) lanes: as accurate as
  /// summing in f64 throughout, at the cost of f32 adds. Returns the output
  /// row, r and c as sum-type scalars.
  std::tuple<Value, Value, Value> sumRow(Value out, Span span, SumStep step) {
    Value zeroSum = zeroSumVec();
    Value zeroCount = zeroCountVec();
    Value blockSize = index(lanes * kSumBlock);
    auto blockLoop = scf::ForOp::create(
        b, loc, span.lo, span.mainEnd, blockSize,
        ValueRange{out, zeroSum, zeroCount},
        [&](OpBuilder &, Location, Value block, ValueRange acc) {
          Value end = arith::MinUIOp::create(
              b, loc, arith::AddIOp::create(b, loc, block, blockSize),
              span.mainEnd);
          auto inner = scf::ForOp::create(
              b, loc, block, end, index(lanes),
              ValueRange{acc[0], zeroAcc(), acc[2]},
              [&](OpBuilder &, Location, Value col, ValueRange inAcc) {
                scf::YieldOp::create(
                    b, loc,
                    step(col, /*inBounds=*/true, inAcc[0], inAcc[1], inAcc[2]));
              });
          scf::YieldOp::create(b, loc,
                               ValueRange{inner.getResult(0),
                                          flush(acc[1], inner.getResult(1)),
                                          inner.getResult(2)});
        });
    SmallVector<Value> last = ifTail(
        span, {blockLoop.getResult(0), zeroAcc(), blockLoop.getResult(2)}, [&] {
          return step(span.mainEnd, /*inBounds=*/false, blockLoop.getResult(0),
                      zeroAcc(), blockLoop.getResult(2));
        });
    // The lanes are partial sums in no particular order already: adding
    // them as a tree (reassoc) instead of one lane after another shortens a
    // per-row chain of dependent adds.
    Value r = vector::ReductionOp::create(
        b, loc, vector::CombiningKind::ADD,
        flush(blockLoop.getResult(1), last[1]), arith::FastMathFlags::reassoc);
    Value c = arith::SIToFPOp::create(
        b, loc, sumType,
        vector::ReductionOp::create(b, loc, vector::CombiningKind::ADD,
                                    last[2]));
    return {last[0], r, c};
  }

  /// c + the number of true lanes of `isMax`, lane-wise folded to one
  /// register.
  Value addCount(Value c, Value isMax) {
    Value ones = arith::ExtUIOp::create(
        b, loc, VectorType::get({lanes}, b.getI32Type()), isMax);
    for (int64_t offset = 0; offset < lanes; offset += registerLanes)
      c = arith::AddIOp::create(b, loc, c,
                                vector::ExtractStridedSliceOp::create(
                                    b, loc, ones, ArrayRef<int64_t>{offset},
                                    ArrayRef<int64_t>{registerLanes},
                                    ArrayRef<int64_t>{1}));
    return c;
  }

  /// Adds accumulator-type partial sums to the sum-type total.
  Value flush(Value total, Value partial) {
    if (sumType != accType) {
      // One register of lanes first: fewer conversions and f64 adds.
      Value folded;
      for (int64_t offset = 0; offset < lanes; offset += registerLanes) {
        Value part = vector::ExtractStridedSliceOp::create(
            b, loc, partial, ArrayRef<int64_t>{offset},
            ArrayRef<int64_t>{registerLanes}, ArrayRef<int64_t>{1});
        folded = folded ? arith::AddFOp::create(b, loc, folded, part) : part;
      }
      partial = arith::ExtFOp::create(b, loc, sumVec, folded);
    }
    return arith::AddFOp::create(b, loc, total, partial);
  }

  /// The row factor from the maximum m and the sum s = c + r: weight/s (1/s
  /// without a weight), or log(s) = log1p(c - 1 + r), in the accumulator
  /// type. An all -inf row (m = -inf) gives 0 or +inf, a NaN m gives NaN.
  Value rowFactor(Value m, Value r, Value c, Value weight) {
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
      factor = arith::DivFOp::create(b, loc, weight ? weight : one,
                                     arith::AddFOp::create(b, loc, c, r));
      if (sumType != accType)
        factor = arith::TruncFOp::create(b, loc, accType, factor);
    }
    Value isNegInf = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, m,
                                           scalar(accType, negInf(accType)));
    Value special = scalar(
        accType, logarithmic ? APFloat::getInf(accType.getFloatSemantics())
                             : APFloat::getZero(accType.getFloatSemantics()));
    factor = arith::SelectOp::create(b, loc, isNegInf, special, factor);
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, m, m);
    return arith::SelectOp::create(b, loc, isNaN, m, factor);
  }

  /// Pass 3 over `span`: y = e * factor from the stored exp, or exp(t) *
  /// factor, or t - factor, with t = x - m (t = (x == m) ? 0 : x - m when m
  /// is not finite).
  Value normalize(Value x, Value out, ValueRange row, Span span, Value m,
                  Value factor) {
    Value factorVec = vector::BroadcastOp::create(b, loc, accVec, factor);
    if (storeExp)
      return normalizeColumns(
          out, span, [&](Value col, bool inBounds, Value outT) -> Value {
            return arith::MulFOp::create(
                b, loc, read(outT, outRow, outColumn(col), inBounds),
                factorVec);
          });
    Value mVec = vector::BroadcastOp::create(b, loc, accVec, m);
    auto normalizeWith = [&](bool finite) {
      return normalizeColumns(
          out, span, [&](Value col, bool inBounds, Value) -> Value {
            Value v = read(x, row, col, inBounds);
            Value t;
            if (finite) {
              t = arith::SubFOp::create(b, loc, v, mVec);
            } else {
              Value isMax = arith::CmpFOp::create(
                  b, loc, arith::CmpFPredicate::OEQ, v, mVec);
              t = shifted(v, mVec, isMax);
            }
            return unstoredValue(t, factorVec);
          });
    };
    auto ifOp = scf::IfOp::create(
        b, loc, isFinite(m),
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, normalizeWith(true));
        },
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, normalizeWith(false));
        });
    return ifOp.getResult(0);
  }

  /// Writes `value(col, inBounds, out)` (accumulator type) to every vector
  /// of `span` in the output, with streaming stores where `streaming` says
  /// so and the pass is the only one that writes the output.
  Value normalizeColumns(Value out, Span span,
                         function_ref<Value(Value, bool, Value)> value) {
    if (storeExp || !streaming)
      return writeColumns(out, span, value);
    if (alwaysStreams())
      return streamedColumns(out, span, value);
    auto ifOp = scf::IfOp::create(
        b, loc, streaming,
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, streamedColumns(out, span, value));
        },
        [&](OpBuilder &, Location) {
          scf::YieldOp::create(b, loc, writeColumns(out, span, value));
        });
    return ifOp.getResult(0);
  }

  /// normalizeColumns with streaming stores: a masked vector up to the first
  /// column whose address in the output is aligned to a hardware vector,
  /// whole vectors from there in a loop marked for
  /// softmax-nontemporal-stores (each store then aligned), the masked tail.
  Value streamedColumns(Value out, Span span,
                        function_ref<Value(Value, bool, Value)> value) {
    int64_t alignment = options.vectorBits / 8;
    int64_t outBytes = outType.getWidth() / 8;
    Value misalignment = arith::RemUIOp::create(
        b, loc, outAddress(out, span.lo), index(alignment));
    Value gap = arith::DivUIOp::create(
        b, loc,
        arith::RemUIOp::create(
            b, loc,
            arith::SubIOp::create(b, loc, index(alignment), misalignment),
            index(alignment)),
        index(outBytes));
    Value alignedLo = arith::MinUIOp::create(
        b, loc, arith::AddIOp::create(b, loc, span.lo, gap), span.hi);
    Value head = arith::SubIOp::create(b, loc, alignedLo, span.lo);
    auto headIf = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, head, index(0)),
        [&](OpBuilder &, Location) {
          Value y = finalValue(value(span.lo, /*inBounds=*/false, out));
          Value mask = vector::CreateMaskOp::create(
              b, loc, VectorType::get({lanes}, b.getI1Type()),
              ValueRange{head});
          SmallVector<Value> indices = at(outRow, outColumn(span.lo));
          Value written = vector::TransferWriteOp::create(
                              b, loc, y, out, indices,
                              AffineMapAttr::get(AffineMap::getMinorIdentityMap(
                                  indices.size(), 1, b.getContext())),
                              mask, b.getBoolArrayAttr({true}))
                              .getResult();
          scf::YieldOp::create(b, loc, written);
        },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, out); });
    Span aligned = spanOf(alignedLo, span.hi);
    return writeColumns(headIf.getResult(0), aligned, value, alignment);
  }

  /// The address in memory of column `col` of the output row `out`.
  Value outAddress(Value out, Value col) {
    return buildElementAddress(b, loc, readOnlyBuffer(out),
                               at(outRow, outColumn(col)));
  }

  /// The loop of normalizeColumns, then its masked tail; with `alignment`,
  /// the loop is marked to stream its stores, which the caller aligned to
  /// that many bytes.
  Value writeColumns(Value out, Span span,
                     function_ref<Value(Value, bool, Value)> value,
                     std::optional<int64_t> alignment = std::nullopt) {
    auto loop = forColumns(span, {out}, [&](Value col, ValueRange acc) {
      return SmallVector<Value>{writeOut(value(col, /*inBounds=*/true, acc[0]),
                                         acc[0], col, /*inBounds=*/true,
                                         /*isFinal=*/true)};
    });
    if (alignment)
      loop->setAttr(kNontemporalLoopAttrName, b.getI64IntegerAttr(*alignment));
    return ifTail(span, {loop.getResult(0)}, [&] {
      return SmallVector<Value>{
          writeOut(value(span.mainEnd, /*inBounds=*/false, loop.getResult(0)),
                   loop.getResult(0), span.mainEnd, /*inBounds=*/false,
                   /*isFinal=*/true)};
    })[0];
  }

  /// Folds every vector of `span` of `x` into `init` with `combine`.
  Value reduceColumns(Value x, ValueRange row, Span span, Value init,
                      function_ref<Value(Value, Value)> combine) {
    SmallVector<Value> rows[] = {SmallVector<Value>(row)};
    return reduceColumns(x, rows, span, init, combine)[0];
  }

  /// The same for several rows at once, one accumulator each.
  SmallVector<Value> reduceColumns(Value x, ArrayRef<SmallVector<Value>> rows,
                                   Span span, Value init,
                                   function_ref<Value(Value, Value)> combine) {
    auto step = [&](Value col, bool inBounds,
                    ValueRange acc) -> SmallVector<Value> {
      SmallVector<Value> next;
      for (auto [g, row] : llvm::enumerate(rows))
        next.push_back(combine(acc[g], read(x, row, col, inBounds)));
      return next;
    };
    SmallVector<Value> inits(rows.size(), init);
    auto loop = forColumns(span, inits, [&](Value col, ValueRange acc) {
      return step(col, /*inBounds=*/true, acc);
    });
    return ifTail(span, loop.getResults(), [&] {
      return step(span.mainEnd, /*inBounds=*/false, loop.getResults());
    });
  }

  /// The span [lo, hi).
  Span spanOf(Value lo, Value hi) {
    Value len = arith::SubIOp::create(b, loc, hi, lo);
    Value rem = arith::RemUIOp::create(b, loc, len, index(lanes));
    return {
        lo, arith::SubIOp::create(b, loc, hi, rem),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rem, index(0)),
        hi};
  }

  /// The row tail of `span`: `tail()` if it does not end on a whole vector,
  /// else `skip`. A branch per row costs less than a fully masked vector op.
  SmallVector<Value> ifTail(Span span, ValueRange skip,
                            function_ref<SmallVector<Value>()> tail) {
    auto ifOp = scf::IfOp::create(
        b, loc, span.hasTail,
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, tail()); },
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, skip); });
    return SmallVector<Value>(ifOp.getResults());
  }

  /// A loop over the whole vectors of `span`, carrying `iterArgs`.
  scf::ForOp
  forColumns(Span span, ValueRange iterArgs,
             function_ref<SmallVector<Value>(Value, ValueRange)> body) {
    return scf::ForOp::create(
        b, loc, span.lo, span.mainEnd, index(lanes), iterArgs,
        [&](OpBuilder &, Location, Value col, ValueRange args) {
          scf::YieldOp::create(b, loc, body(col, args));
        });
  }

  /// One vector of `source` at [row, col], extended to the accumulator type.
  /// Lanes past the end of the row read as -inf.
  Value read(Value source, ValueRange row, Value col, bool inBounds) {
    if (producer && source == input)
      return readProducer(row, col, inBounds);
    // The input, or the output holding exp(x - m).
    auto type = cast<FloatType>(
        cast<RankedTensorType>(source.getType()).getElementType());
    Value padding = arith::ConstantOp::create(
        b, loc, type, b.getFloatAttr(type, negInf(type)));
    Value v = vector::TransferReadOp::create(
        b, loc, VectorType::get({lanes}, type), source, at(row, col), padding,
        ArrayRef<bool>{inBounds});
    if (type != accType)
      v = arith::ExtFOp::create(b, loc, accVec, v);
    return v;
  }

  /// The fused producer's result at [row, col]: its inputs read elementwise,
  /// per column or per row, its payload evaluated on vectors. Lanes past
  /// the end of the row are -inf, as an unfused read pads them.
  Value readProducer(ValueRange row, Value col, bool inBounds) {
    int64_t rank = row.size() + 1;
    Block *body = producer.getBody();
    IRMapping map;
    auto vectorOf = [&](Type type) { return VectorType::get({lanes}, type); };
    auto zero = [&](Type type) -> Value {
      return arith::ConstantOp::create(b, loc, type, b.getZeroAttr(type));
    };
    for (OpOperand *operand : producer.getDpsInputOperands()) {
      Value source = operand->get();
      Type type = cast<RankedTensorType>(source.getType()).getElementType();
      Value value;
      switch (classifyProducerOperand(producer.getMatchingIndexingMap(operand),
                                      rank)) {
      case ProducerOperandKind::Element:
        value = vector::TransferReadOp::create(b, loc, vectorOf(type), source,
                                               at(row, col), zero(type),
                                               ArrayRef<bool>{inBounds});
        break;
      case ProducerOperandKind::Column:
        value = vector::TransferReadOp::create(b, loc, vectorOf(type), source,
                                               ValueRange{col}, zero(type),
                                               ArrayRef<bool>{inBounds});
        break;
      case ProducerOperandKind::Row:
        value = vector::BroadcastOp::create(
            b, loc, vectorOf(type),
            tensor::ExtractOp::create(b, loc, source, row));
        break;
      case ProducerOperandKind::Unsupported:
        llvm_unreachable("getFusableProducer admits no such operand");
      }
      map.map(body->getArgument(operand->getOperandNumber()), value);
    }
    // Values from outside the payload are scalars: broadcast them.
    auto lookup = [&](Value v) -> Value {
      if (Value mapped = map.lookupOrNull(v))
        return mapped;
      return vector::BroadcastOp::create(b, loc, vectorOf(v.getType()), v);
    };
    for (Operation &op : body->without_terminator()) {
      if (auto constant = dyn_cast<arith::ConstantOp>(op)) {
        auto type = vectorOf(constant.getType());
        map.map(constant.getResult(),
                arith::ConstantOp::create(
                    b, loc, type,
                    DenseElementsAttr::get(type, constant.getValue())));
        continue;
      }
      SmallVector<Value> operands;
      for (Value operand : op.getOperands())
        operands.push_back(lookup(operand));
      Operation *vectorOp =
          b.create(loc, op.getName().getIdentifier(), operands,
                   {vectorOf(op.getResult(0).getType())}, op.getAttrs());
      map.map(op.getResult(0), vectorOp->getResult(0));
    }
    Value v = lookup(body->getTerminator()->getOperand(0));
    if (!inBounds) {
      Value len = arith::SubIOp::create(b, loc, rowLength, col);
      Value mask = vector::CreateMaskOp::create(
          b, loc, VectorType::get({lanes}, b.getI1Type()), ValueRange{len});
      v = arith::SelectOp::create(b, loc, mask, v,
                                  splat(elementVec, negInf(elementType)));
    }
    if (elementType != accType)
      v = arith::ExtFOp::create(b, loc, accVec, v);
    return v;
  }

  /// Writes an accumulator-type vector to column `col` of the output row.
  Value writeOut(Value y, Value outT, Value col, bool inBounds, bool isFinal) {
    return vector::TransferWriteOp::create(b, loc, isFinal ? finalValue(y) : y,
                                           outT, at(outRow, outColumn(col)),
                                           ArrayRef<bool>{inBounds})
        .getResult();
  }

  /// Column `col` of `x` in the output slice being written.
  Value outColumn(Value col) {
    return outOffset ? arith::SubIOp::create(b, loc, col, outOffset).getResult()
                     : col;
  }

  /// The indices of column `col` of row `row`.
  static SmallVector<Value> at(ValueRange row, Value col) {
    SmallVector<Value> indices(row);
    indices.push_back(col);
    return indices;
  }

  SmallVector<OpFoldResult> rowOffsets(ValueRange row, Value col) {
    SmallVector<OpFoldResult> offsets(row.begin(), row.end());
    offsets.push_back(col);
    return offsets;
  }
  SmallVector<OpFoldResult> sliceSizes(int64_t rank, OpFoldResult len) {
    SmallVector<OpFoldResult> sizes(rank - 1, b.getIndexAttr(1));
    sizes.push_back(len);
    return sizes;
  }

  /// A rank-preserving [1, .., 1, len] slice of the output: a rank-reduced
  /// one is ambiguous when len is 1, and bufferization may then drop the
  /// wrong unit dim.
  Value extractRow(Value out, ArrayRef<OpFoldResult> offsets,
                   ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
    SmallVector<int64_t> shape(sizes.size() - 1, 1);
    std::optional<int64_t> len = getConstantIntValue(sizes.back());
    shape.push_back(len ? *len : ShapedType::kDynamic);
    return tensor::ExtractSliceOp::create(b, loc,
                                          RankedTensorType::get(shape, outType),
                                          out, offsets, sizes, strides);
  }
  void insertRow(Value source, Value out, ArrayRef<OpFoldResult> offsets,
                 ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(sizes.size(), b.getIndexAttr(1));
    tensor::ParallelInsertSliceOp::create(b, loc, source, out, offsets, sizes,
                                          strides);
  }
  /// A [1, .., 1] tensor of rank `rank` holding `value`.
  Value scalarTensor(Value value, int64_t rank) {
    auto type =
        RankedTensorType::get(SmallVector<int64_t>(rank, 1), value.getType());
    return tensor::FromElementsOp::create(b, loc, type, value);
  }
  Value toSum(Value v) {
    return sumType == accType
               ? v
               : arith::ExtFOp::create(b, loc, sumType, v).getResult();
  }
  /// Builds the terminator of the enclosing scf.forall body.
  void inParallel(function_ref<void()> body) {
    auto op = scf::InParallelOp::create(b, loc);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(op.getBody());
    body();
  }

  Value isFinite(Value m) {
    Value aboveNegInf = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OGT, m, scalar(accType, negInf(accType)));
    Value belowInf = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OLT, m,
        scalar(accType, APFloat::getInf(accType.getFloatSemantics())));
    return arith::AndIOp::create(b, loc, aboveNegInf, belowInf);
  }

  /// softmax::detail::maxIgnoringNaN at this builder's location.
  Value maxIgnoringNaN(Value acc, Value v) {
    return softmax::detail::maxIgnoringNaN(b, loc, acc, v);
  }

  /// t = (x == m) ? 0 : x - m (see the decomposition).
  Value shifted(Value v, Value mVec, Value isMax) {
    Value diff = arith::SubFOp::create(b, loc, v, mVec);
    return arith::SelectOp::create(b, loc, isMax, zeroAcc(), diff);
  }

  /// Zero sums (sum-type lanes) and tie counts.
  Value zeroSumVec() {
    return splat(sumVec, APFloat::getZero(sumType.getFloatSemantics()));
  }
  Value zeroCountVec() {
    return arith::ConstantOp::create(
        b, loc, countVec,
        DenseElementsAttr::get(countVec, b.getI32IntegerAttr(0)));
  }

  Value zeroAcc() {
    return splat(accVec, APFloat::getZero(accType.getFloatSemantics()));
  }
  Value splat(VectorType type, const APFloat &value) {
    return arith::ConstantOp::create(
        b, loc, type,
        DenseElementsAttr::get(type,
                               b.getFloatAttr(type.getElementType(), value)));
  }
  Value scalar(FloatType type, const APFloat &value) {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
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
  RowVectorizationOptions options;
  FloatType elementType, accType, sumType, outType;
  bool storeExp;
  /// Accumulator-type lanes of one hardware register, and of a vector value.
  int64_t registerLanes, lanes;
  /// Zeros for the unit outer dims of the output row.
  SmallVector<Value> outRow;
  /// The column of `x` where the output slice being written starts (null:
  /// column 0).
  Value outOffset;
  /// The row form softmax.row_form pins, if any.
  std::optional<RowForm> pinned;
  /// What pass 2 of the row being built prefetches, if anything.
  std::optional<Prefetch> prefetch;
  /// The pass form softmax.pass_form pins, if any.
  std::optional<PassForm> pinnedPasses;
  /// Whether rows stream their output (see streamingCondition).
  Value streaming;
  /// The op's input, its fused producer (or null) and the row length.
  Value input, rowLength;
  linalg::GenericOp producer;
  VectorType elementVec, accVec, outVec, sumVec, countVec;
};

/// Vectorizes softmax (or log_softmax) of `input` along its last dim.
FailureOr<Value> vectorizeNormalize(RewriterBase &rewriter, Operation *op,
                                    Value input, int64_t dim, bool logarithmic,
                                    const RowVectorizationOptions &options) {
  auto type = cast<RankedTensorType>(input.getType());
  int64_t rank = type.getRank();
  if (dim != rank - 1)
    return rewriter.notifyMatchFailure(op, "reduces along an outer dim");
  if (llvm::is_contained(type.getShape(), 0))
    return rewriter.notifyMatchFailure(op, "an empty tensor: nothing to do");
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();

  // A producer marked by softmax-fuse that still qualifies is computed in
  // the row loops, and goes.
  linalg::GenericOp producer;
  if (op->hasAttr(kFuseProducerAttrName))
    producer = getFusableProducer(input, dim);
  // A cast consumer marked by softmax-fuse that still qualifies is written
  // by the row loops, and goes.
  linalg::GenericOp consumer = getMarkedConsumer(op, dim);
  FloatType outType = getWrittenElementType(op, consumer);
  std::optional<RowForm> form;
  if (auto name = op->getAttrOfType<StringAttr>(kRowFormAttrName))
    form = parseRowForm(name.getValue());
  std::optional<PassForm> passForm;
  if (auto name = op->getAttrOfType<StringAttr>(kPassFormAttrName))
    passForm = parsePassForm(name.getValue());
  std::optional<StoreForm> storeForm;
  if (auto name = op->getAttrOfType<StringAttr>(kStoreFormAttrName))
    storeForm = parseStoreForm(name.getValue());
  RowLoopBuilder builder(rewriter, loc, type, outType, logarithmic, options);
  Value result = builder.build(input, producer, form, passForm, storeForm);
  if (consumer) {
    rewriter.replaceOp(consumer, result);
    rewriter.eraseOp(op);
  } else {
    rewriter.replaceOp(op, result);
  }
  if (producer && producer->use_empty())
    rewriter.eraseOp(producer);
  return result;
}

template <typename OpTy> struct VectorizePattern : OpRewritePattern<OpTy> {
  VectorizePattern(MLIRContext *ctx, RowVectorizationOptions options)
      : OpRewritePattern<OpTy>(ctx), options(options) {}
  LogicalResult matchAndRewrite(OpTy op,
                                PatternRewriter &rewriter) const override {
    if (op.hasMasking())
      return rewriter.notifyMatchFailure(
          op, "masking is expanded first (softmax-expand-mask)");
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
