//===- RowKernels.cpp - GPU kernels for softmax rows ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A kernel gives each row (or, for split_row, each chunk of a row) a group
// of G threads (a warp, a power-of-two part of one for persistent_row, or a
// block) and each thread K vectors of V elements: vector k of thread g
// holds the elements
// [base + (k G + g) V, base + (k G + g + 1) V), so that a group's loads of
// one k are contiguous (coalesced) and each thread's are 16 bytes. The
// elements stay in registers from the load to the store:
//
//   m = max(x)                       thread, then group (NaN-propagating)
//   t = (x == m) ? 0 : x - m         +inf entries share the mass
//   e = exp2(t log2(e))
//   c = #(x == m), r = sum of the other e   thread, then group
//   y = e / (c + r)                  softmax; 0 for an all -inf row
//   y = t - log1p(c - 1 + r)         log_softmax; -inf for an all -inf row
//
// which is the dialect's contract for special values (the same as
// softmax-decompose), with f32 math for f16/bf16. A split row's chunks
// each write (m, r, c); the output kernel merges them: M = max m,
// C = sum of c over the chunks at M, R = the rest rescaled by exp(m - M).
// Vectors past the end of a row are neither read nor written: their lanes
// hold -inf, which adds nothing.
//
// The rest of the family (RowKernelOp) and masked softmax hold a row per
// warp or block the same way, each op's arithmetic that of its CPU
// decomposition (EntmaxMath for the threshold searches, whose rounds are
// an scf.while with the group's reductions, uniform across the group). A
// block's partials meet in shared memory of the op's sum type, one load a
// thread and a butterfly across the warps.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/GPU/RowKernels.h"

// The family's arithmetic, shared with the CPU's decompositions.
#include "../../Dialect/Softmax/Transforms/EntmaxMath.h"
#include "../../Dialect/Softmax/Transforms/RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// The type a kernel's reductions are in: f32 for softmax's (as the
/// softmax kernels), else the CPU's sum types (f64 for f32; entmax with
/// alpha > 2 f64 for every type).
FloatType getFamilyReduceType(const RowKernelConfig &config) {
  FloatType f32 = Float32Type::get(config.elementType.getContext());
  switch (config.op) {
  case RowKernelOp::Normalize:
    return f32;
  case RowKernelOp::Entmax:
    return softmax::detail::EntmaxMath::getComputeType(config.elementType,
                                                       config.alpha);
  default:
    return softmax::detail::getSumType(config.elementType);
  }
}

/// Slots of the shared buffer a block combines its warps' partial results
/// in: one row of kGPUWarpSize per reduction (the family's kernels number
/// theirs, up to kFamilySlots).
enum SharedSlot { kMaxSlot = 0, kSumSlot = 1, kCountSlot = 2, kNumSlots = 3 };
constexpr int64_t kFamilySlots = 8;

/// The elements of the thread's part of a row (or chunk), in f32, by
/// vector.
using Elements = SmallVector<SmallVector<Value>>;

class RowKernelBuilder {
public:
  RowKernelBuilder(OpBuilder &b, Location loc, const RowKernelConfig &config,
                   RowKernelRole role, gpu::GPUFuncOp func)
      : b(b), loc(loc), config(config), role(role), func(func),
        elementType(config.elementType), accType(b.getF32Type()),
        reduceType(getFamilyReduceType(config)) {
    vectorElements = getRowKernelVectorElements(config);
    vectors = llvm::divideCeil(config.length, vectorElements);
    // The threads of a row or chunk: a warp of a warp_row block, else the
    // block.
    groupThreads = config.strategy == GPUStrategy::WarpRow ? kGPUWarpSize
                   : config.strategy == GPUStrategy::PersistentRow
                       ? getGPUPersistentGroupThreads(vectors)
                       : getRowKernelLaunch(config).block[0];
    if (config.strategy == GPUStrategy::Column) {
      chunkVectors = vectorsPerThread = 0;
    } else if (config.strategy == GPUStrategy::SplitRow) {
      chunkVectors =
          kGPUSplitChunkElements / std::max<int64_t>(vectorElements, 1);
      vectorsPerThread = chunkVectors / groupThreads;
    } else {
      chunkVectors = vectors;
      vectorsPerThread = llvm::divideCeil(vectors, groupThreads);
    }
  }

  void build() {
    setUpBuffers();
    lane = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    switch (config.strategy) {
    case GPUStrategy::ByLength:
      llvm_unreachable("by_length builds its variants' strategies");
    case GPUStrategy::WarpRow:
      buildWarpRows();
      break;
    case GPUStrategy::PersistentRow:
      buildPersistentRows();
      break;
    case GPUStrategy::BlockRow:
      base = index(0);
      buildRow(gpu::BlockIdOp::create(b, loc, gpu::Dimension::x));
      break;
    case GPUStrategy::Column:
      buildColumn();
      break;
    case GPUStrategy::SplitRow: {
      // A block a chunk, row by row along the grid's x.
      Value id = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
      Value chunks = chunkCount();
      Value chunk = arith::RemUIOp::create(b, loc, id, chunks);
      Value row = arith::DivUIOp::create(b, loc, id, chunks);
      base = arith::MulIOp::create(b, loc, chunk, index(chunkVectors));
      if (role == RowKernelRole::SplitStats)
        buildChunkStats(row, chunk);
      else
        buildChunkOutput(row);
      break;
    }
    }
    gpu::ReturnOp::create(b, loc);
  }

private:
  /// The kernel's buffers as [rows x length] (and the workspace as [rows x
  /// chunks x 3]). With dynamic rows the arguments are one row's static
  /// view (so that they pass as bare pointers) and the row count: the full
  /// views are built here.
  void setUpBuffers() {
    if (isFamilyKernel(config)) {
      // (in, [second, [third,]] out), of static shapes.
      unsigned count = func.getNumArguments();
      in = func.getArgument(0);
      out = func.getArgument(count - 1);
      if (count > 2)
        second = func.getArgument(1);
      if (count > 3)
        third = func.getArgument(2);
      vectorCount = index(vectors);
      return;
    }
    unsigned next = 0;
    in = func.getArgument(next++);
    if (role != RowKernelRole::SplitStats)
      out = func.getArgument(next++);
    if (role != RowKernelRole::Row)
      workspace = func.getArgument(next++);
    vectorCount = index(vectors);
    if (config.strategy == GPUStrategy::Column) {
      setUpColumnBuffers(next);
      return;
    }
    if (config.dynamicLength) {
      setUpDynamicLengthBuffers(next);
      return;
    }
    if (!ShapedType::isDynamic(config.rows))
      return;
    rowsArgument = func.getArgument(next);
    auto view = [&](Value buffer, ArrayRef<int64_t> inner) -> Value {
      auto type = cast<MemRefType>(buffer.getType());
      SmallVector<int64_t> shape = {ShapedType::kDynamic};
      shape.append(inner.begin(), inner.end());
      SmallVector<OpFoldResult> sizes = {rowsArgument};
      SmallVector<OpFoldResult> strides;
      int64_t stride = 1;
      for (int64_t size : llvm::reverse(inner)) {
        strides.insert(strides.begin(), b.getIndexAttr(stride));
        stride *= size;
      }
      strides.insert(strides.begin(), b.getIndexAttr(stride));
      for (int64_t size : inner)
        sizes.push_back(b.getIndexAttr(size));
      return memref::ReinterpretCastOp::create(
          b, loc, MemRefType::get(shape, type.getElementType()), buffer,
          b.getIndexAttr(0), sizes, strides);
    };
    in = view(in, {config.length});
    if (out)
      out = view(out, {config.length});
    if (workspace)
      workspace = view(workspace, {getSplitRowChunks(config), 3});
  }

  /// `buffer` (a stub) as a row-major view of `sizes`: strides static as
  /// long as the sizes inside are.
  Value view(Value buffer, ArrayRef<OpFoldResult> sizes) {
    SmallVector<OpFoldResult> strides(sizes.size());
    SmallVector<int64_t> shape, staticStrides(sizes.size());
    OpFoldResult stride = b.getIndexAttr(1);
    for (size_t i = sizes.size(); i-- > 0;) {
      strides[i] = stride;
      std::optional<int64_t> known = getConstantIntValue(stride);
      staticStrides[i] = known ? *known : ShapedType::kDynamic;
      std::optional<int64_t> size = getConstantIntValue(sizes[i]);
      if (known && size)
        stride = b.getIndexAttr(*known * *size);
      else
        stride = arith::MulIOp::create(
                     b, loc, getValueOrCreateConstantIndexOp(b, loc, stride),
                     getValueOrCreateConstantIndexOp(b, loc, sizes[i]))
                     .getResult();
    }
    for (OpFoldResult size : sizes)
      shape.push_back(getConstantIntValue(size).value_or(ShapedType::kDynamic));
    auto type = cast<MemRefType>(buffer.getType());
    return memref::ReinterpretCastOp::create(
        b, loc,
        MemRefType::get(
            shape, type.getElementType(),
            StridedLayoutAttr::get(b.getContext(), 0, staticStrides)),
        buffer, b.getIndexAttr(0), sizes, strides);
  }

  /// A dynamic length: the buffers are stubs, the rows M and the length N
  /// follow; views [M x N] (the workspace [M x chunks x 3]).
  void setUpDynamicLengthBuffers(unsigned next) {
    rowsArgument = func.getArgument(next++);
    lengthArgument = func.getArgument(next);
    in = view(in, {rowsArgument, lengthArgument});
    if (out)
      out = view(out, {rowsArgument, lengthArgument});
    if (workspace)
      workspace =
          view(workspace, {rowsArgument, chunkCount(), b.getIndexAttr(3)});
    vectorCount = vectorElements == 1
                      ? lengthArgument
                      : arith::DivUIOp::create(b, loc, lengthArgument,
                                               index(vectorElements))
                            .getResult();
  }

  /// The chunks of a split row.
  Value chunkCount() {
    if (!config.dynamicLength)
      return index(getSplitRowChunks(config));
    return arith::CeilDivUIOp::create(b, loc, lengthArgument,
                                      index(kGPUSplitChunkElements));
  }

  /// column: [rows x length x inner], static, or with a size known at run
  /// time stubs followed by the three sizes.
  void setUpColumnBuffers(unsigned next) {
    if (!hasDynamicColumnSizes(config)) {
      rowsValue = index(config.rows);
      lengthValue = index(config.length);
      innerValue = index(config.inner);
      return;
    }
    rowsValue = func.getArgument(next++);
    lengthValue = func.getArgument(next++);
    innerValue = func.getArgument(next);
    in = view(in, {rowsValue, lengthValue, innerValue});
    out = view(out, {rowsValue, lengthValue, innerValue});
  }

  /// column: a thread per (outer, inner) column of [rows x length x
  /// inner]; neighbouring threads read neighbouring elements. Pass 1 keeps
  /// an online (max M, count C at M, rescaled sum R of the rest); pass 2
  /// writes the outputs.
  void buildColumn() {
    // A thread takes V neighbouring columns (one 16-byte vector where the
    // inner size allows); the blocks of an outer index's columns, outer
    // index by outer index along the grid's x.
    Value id = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
    Value groups =
        vectorElements == 1
            ? innerValue
            : arith::DivUIOp::create(b, loc, innerValue, index(vectorElements))
                  .getResult();
    Value blocks =
        arith::CeilDivUIOp::create(b, loc, groups, index(kGPUColumnThreads));
    Value group = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc,
                              arith::RemUIOp::create(b, loc, id, blocks),
                              index(kGPUColumnThreads)),
        lane);
    Value column = arith::MulIOp::create(b, loc, group, index(vectorElements));
    Value outer = arith::DivUIOp::create(b, loc, id, blocks);
    auto ifOp = scf::IfOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, group, groups),
        /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    int64_t width = elementType.getWidth() / 8;
    auto load = [&](Value k) -> SmallVector<Value> {
      SmallVector<Value> elements;
      if (vectorElements == 1) {
        elements.push_back(
            memref::LoadOp::create(b, loc, in, ValueRange{outer, k, column}));
      } else {
        Value v = vector::LoadOp::create(
            b, loc, VectorType::get({vectorElements}, elementType), in,
            ValueRange{outer, k, column}, /*nontemporal=*/false,
            b.getI64IntegerAttr(vectorElements * width));
        for (int64_t j = 0; j < vectorElements; ++j)
          elements.push_back(vector::ExtractOp::create(b, loc, v, j));
      }
      for (Value &x : elements)
        if (elementType != accType)
          x = arith::ExtFOp::create(b, loc, accType, x);
      return elements;
    };
    // Per column: (M, C, R) = (max, count at it, the rest's sum rescaled).
    SmallVector<Value> init;
    for (int64_t j = 0; j < vectorElements; ++j)
      init.append({constant(-std::numeric_limits<double>::infinity()),
                   constant(0.0), constant(0.0)});
    auto sums = scf::ForOp::create(
        b, loc, index(0), lengthValue, index(1), init,
        [&](OpBuilder &, Location, Value k, ValueRange acc) {
          SmallVector<Value> xs = load(k), next;
          for (auto [j, x] : llvm::enumerate(xs)) {
            Value m = acc[3 * j], c = acc[3 * j + 1], r = acc[3 * j + 2];
            // M' = max(M, x), NaN-propagating. Same maximum: x joins C (at
            // it) or R. A new one (or NaN): C = [x at it], R = (C + R)
            // rescaled (0 from -inf, NaN from NaN).
            Value max = arith::MaximumFOp::create(b, loc, m, x);
            Value same = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, m, max);
            Value atMax = arith::CmpFOp::create(
                b, loc, arith::CmpFPredicate::OEQ, x, max);
            Value one = arith::SelectOp::create(b, loc, atMax, constant(1.0),
                                                constant(0.0));
            Value sameC = arith::AddFOp::create(b, loc, c, one);
            Value sameR = arith::AddFOp::create(
                b, loc, r,
                arith::SelectOp::create(
                    b, loc, atMax, constant(0.0),
                    exp(arith::SubFOp::create(b, loc, x, max))));
            Value newR = arith::MulFOp::create(
                b, loc, arith::AddFOp::create(b, loc, c, r),
                exp(arith::SubFOp::create(b, loc, m, max)));
            next.append({max, arith::SelectOp::create(b, loc, same, sameC, one),
                         arith::SelectOp::create(b, loc, same, sameR, newR)});
          }
          scf::YieldOp::create(b, loc, next);
        });
    scf::ForOp::create(
        b, loc, index(0), lengthValue, index(1), ValueRange{},
        [&](OpBuilder &, Location, Value k, ValueRange) {
          SmallVector<Value> ys;
          for (auto [j, x] : llvm::enumerate(load(k))) {
            Value m = sums.getResult(3 * j), c = sums.getResult(3 * j + 1),
                  r = sums.getResult(3 * j + 2);
            ys.push_back(normalize(shift({{x}}, m), m, c, r)[0][0]);
          }
          if (vectorElements == 1) {
            memref::StoreOp::create(b, loc, ys[0], out,
                                    ValueRange{outer, k, column});
          } else {
            vector::StoreOp::create(
                b, loc,
                vector::FromElementsOp::create(
                    b, loc, VectorType::get({vectorElements}, elementType), ys),
                out, ValueRange{outer, k, column}, /*nontemporal=*/false,
                b.getI64IntegerAttr(vectorElements * width));
          }
          scf::YieldOp::create(b, loc);
        });
  }

  /// A warp per row, kGPUWarpRowsPerBlock rows a block.
  void buildWarpRows() {
    base = index(0);
    Value row = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc,
                              gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                              index(kGPUWarpRowsPerBlock)),
        gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y));
    bool dynamicRows = ShapedType::isDynamic(config.rows);
    if (!dynamicRows && config.rows % kGPUWarpRowsPerBlock == 0) {
      buildRow(row);
      return;
    }
    // A whole warp shares its row, so the test is uniform in the warp.
    Value rows = dynamicRows ? rowsArgument : index(config.rows);
    Value inside =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult, row, rows);
    auto ifOp = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    buildRow(row);
  }

  /// persistent_row: groups of G lanes take a row each, 32 / G rows a
  /// warp, R rows a block; the grid's blocks loop over the rows, R x the
  /// grid apart. The loop's bounds are the same for the whole block (the
  /// shuffles need every lane of a warp): a group past the last row loads
  /// nothing, reduces -inf and stores nothing.
  void buildPersistentRows() {
    base = index(0);
    int64_t groupsPerWarp = kGPUWarpSize / groupThreads;
    int64_t rowsPerBlock = getRowKernelLaunch(config).rowsPerBlock;
    Value x = lane;
    Value group = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y);
    if (groupsPerWarp > 1) {
      lane = arith::RemUIOp::create(b, loc, x, index(groupThreads));
      group = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, group, index(groupsPerWarp)),
          arith::DivUIOp::create(b, loc, x, index(groupThreads)));
    }
    bool dynamicRows = ShapedType::isDynamic(config.rows);
    Value rows = dynamicRows ? rowsArgument : index(config.rows);
    Value start = arith::MulIOp::create(
        b, loc, gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
        index(rowsPerBlock));
    Value step = arith::MulIOp::create(
        b, loc, gpu::GridDimOp::create(b, loc, gpu::Dimension::x),
        index(rowsPerBlock));
    scf::ForOp::create(b, loc, start, rows, step, ValueRange{},
                       [&](OpBuilder &, Location, Value blockRow, ValueRange) {
                         Value row =
                             arith::AddIOp::create(b, loc, blockRow, group);
                         if (dynamicRows || config.rows % rowsPerBlock != 0)
                           rowValid = arith::CmpIOp::create(
                               b, loc, arith::CmpIPredicate::ult, row, rows);
                         buildRow(row);
                         rowValid = nullptr;
                         scf::YieldOp::create(b, loc);
                       });
  }

  /// A whole row, in and out.
  void buildRow(Value row) {
    if (isFamilyKernel(config)) {
      buildFamilyRow(row);
      return;
    }
    Elements x = loadElements(in, row);
    Value m = groupReduce(localMax(x), kMaxSlot, maxFn());
    Shifted s = shift(x, m);
    Value r = groupReduce(s.r, kSumSlot, addFn());
    Value c = groupReduce(s.c, kCountSlot, addFn());
    storeElements(out, row, normalize(s, m, c, r));
  }

  /// split_row, first kernel: (m, r, c) of the chunk to the workspace.
  void buildChunkStats(Value row, Value chunk) {

    Elements x = loadElements(in, row);
    Value m = groupReduce(localMax(x), kMaxSlot, maxFn());
    Shifted s = shift(x, m);
    Value r = groupReduce(s.r, kSumSlot, addFn());
    Value c = groupReduce(s.c, kCountSlot, addFn());
    Value isFirst =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
    auto ifOp = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    // Named: a braced list's array would not outlive the loop's range.
    Value stats[] = {m, r, c};
    for (auto [i, value] : llvm::enumerate(stats))
      memref::StoreOp::create(b, loc, value, workspace,
                              ValueRange{row, chunk, index(i)});
  }

  /// split_row, second kernel: merge the row's partials, write the chunk.
  void buildChunkOutput(Value row) {

    // The chunk's loads first: they overlap the merge, unless the partials
    // are merged in a loop (a row length known at run time), around which
    // ptxas spills some of them.
    Elements x;
    if (!config.dynamicLength)
      x = loadElements(in, row);
    // The row's partials, a chunk a thread at a time: first their maximum
    // M, then the counts at M and the other sums rescaled to it.
    Value chunks = chunkCount();
    Value rounds =
        arith::CeilDivUIOp::create(b, loc, chunks, index(groupThreads));
    auto loadPartial = [&](Value round) -> SmallVector<Value> {
      Value chunk = arith::AddIOp::create(
          b, loc, arith::MulIOp::create(b, loc, round, index(groupThreads)),
          lane);
      // Past the last chunk: m = -inf, r = c = 0 (no contribution).
      Value inRange = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                            chunk, chunks);
      auto ifOp = scf::IfOp::create(
          b, loc, inRange,
          [&](OpBuilder &, Location) {
            SmallVector<Value> values;
            for (int64_t j = 0; j < 3; ++j)
              values.push_back(memref::LoadOp::create(
                  b, loc, workspace, ValueRange{row, chunk, index(j)}));
            scf::YieldOp::create(b, loc, values);
          },
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(
                b, loc,
                ValueRange{constant(-std::numeric_limits<double>::infinity()),
                           constant(0.0), constant(0.0)});
          });
      return SmallVector<Value>(ifOp.getResults());
    };
    // The first round is peeled: rows of up to a chunk a thread (4M
    // elements) need no other, and a loop around it keeps more registers.
    SmallVector<Value> first = loadPartial(index(0));
    auto maxLoop = scf::ForOp::create(
        b, loc, index(1), rounds, index(1), ValueRange{first[0]},
        [&](OpBuilder &, Location, Value round, ValueRange acc) {
          scf::YieldOp::create(b, loc,
                               ValueRange{arith::MaximumFOp::create(
                                   b, loc, acc[0], loadPartial(round)[0])});
        });
    Value m = groupReduce(maxLoop.getResult(0), kMaxSlot, maxFn());
    // Chunks at the maximum keep their count and sum apart (for log1p);
    // the others are rescaled into the sum.
    auto merge = [&](ArrayRef<Value> partial, Value c,
                     Value r) -> SmallVector<Value> {
      Value pm = partial[0], pr = partial[1], pc = partial[2];
      Value atMax =
          arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, pm, m);
      Value scaled =
          arith::MulFOp::create(b, loc, arith::AddFOp::create(b, loc, pc, pr),
                                exp(arith::SubFOp::create(b, loc, pm, m)));
      return {
          arith::AddFOp::create(
              b, loc, c,
              arith::SelectOp::create(b, loc, atMax, pc, constant(0.0))),
          arith::AddFOp::create(
              b, loc, r, arith::SelectOp::create(b, loc, atMax, pr, scaled))};
    };
    auto sumLoop = scf::ForOp::create(
        b, loc, index(1), rounds, index(1),
        merge(first, constant(0.0), constant(0.0)),
        [&](OpBuilder &, Location, Value round, ValueRange acc) {
          scf::YieldOp::create(b, loc,
                               merge(loadPartial(round), acc[0], acc[1]));
        });
    Value c = sumLoop.getResult(0), r = sumLoop.getResult(1);
    c = groupReduce(c, kCountSlot, addFn());
    r = groupReduce(r, kSumSlot, addFn());
    if (config.dynamicLength)
      x = loadElements(in, row);
    storeElements(out, row, normalize(shift(x, m), m, c, r));
  }

  //===--------------------------------------------------------------------===//
  // The family: masked softmax and the relatives, a row per group (warp_row,
  // block_row), its elements in registers from the load to the store.
  //===--------------------------------------------------------------------===//

  void buildFamilyRow(Value row) {
    switch (config.op) {
    case RowKernelOp::Normalize:
      buildMaskedRow(row);
      return;
    case RowKernelOp::SoftmaxGrad:
    case RowKernelOp::LogSoftmaxGrad:
    case RowKernelOp::SparsemaxGrad:
    case RowKernelOp::EntmaxGrad:
      buildGradRow(row);
      return;
    case RowKernelOp::Sparsemax:
      buildSparsemaxRow(row);
      return;
    case RowKernelOp::Entmax:
      buildEntmaxRow(row);
      return;
    case RowKernelOp::CrossEntropy:
    case RowKernelOp::CrossEntropyGrad:
      buildCrossEntropyRow(row);
      return;
    }
  }

  /// `value` (a float) as `type`.
  Value convert(Value value, Type type) {
    auto from = cast<FloatType>(value.getType());
    auto to = cast<FloatType>(type);
    if (from == to)
      return value;
    if (from.getWidth() < to.getWidth())
      return arith::ExtFOp::create(b, loc, to, value);
    return arith::TruncFOp::create(b, loc, to, value);
  }

  Value constantOf(Type type, double value) {
    return arith::ConstantOp::create(b, loc, type, b.getFloatAttr(type, value));
  }

  Value cmp(arith::CmpFPredicate predicate, Value l, Value r) {
    return arith::CmpFOp::create(b, loc, predicate, l, r);
  }

  Value select(Value condition, Value t, Value f) {
    return arith::SelectOp::create(b, loc, condition, t, f);
  }

  /// The column of element j of the thread's vector k.
  Value column(int64_t k, int64_t j) {
    Value first =
        arith::MulIOp::create(b, loc, vectorIndex(k), index(vectorElements));
    return j == 0 ? first : arith::AddIOp::create(b, loc, first, index(j));
  }

  /// `value` where the thread's vector k is in the row, else `pad`.
  Value inRowOr(int64_t k, Value value, Value pad) {
    Value valid = accessed(k);
    return valid ? select(valid, value, pad) : value;
  }

  /// The thread's sum of `term(k, j)` over its elements (in the term's
  /// type), counting only those in the row.
  Value localSum(Type type, function_ref<Value(int64_t, int64_t)> term) {
    Value sum = constantOf(type, 0.0);
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      Value vectorSum = nullptr;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value value = term(k, j);
        vectorSum =
            vectorSum
                ? arith::AddFOp::create(b, loc, vectorSum, value).getResult()
                : value;
      }
      sum = arith::AddFOp::create(b, loc, sum,
                                  inRowOr(k, vectorSum, constantOf(type, 0.0)));
    }
    return sum;
  }

  /// A barrier where a block's threads reuse shared slots in a loop: every
  /// thread has read this round's partials before any writes the next.
  void endRound() {
    if (config.strategy == GPUStrategy::BlockRow)
      gpu::BarrierOp::create(b, loc);
  }

  /// Stores `value` (one a row) at `buffer[row]` from the group's first
  /// thread.
  void storeRowValue(Value buffer, Value row, Value value) {
    Value isFirst =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, lane, index(0));
    auto ifOp = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    memref::StoreOp::create(b, loc, value, buffer, ValueRange{row});
  }

  /// The mask's element offset of `row` (its broadcast dims at 0).
  Value maskRowOffset(Value row) {
    const RowMasking &masking = config.masking;
    Value offset = index(0), rest = row;
    for (size_t i = masking.rowShape.size(); i-- > 0;) {
      Value at =
          arith::RemUIOp::create(b, loc, rest, index(masking.rowShape[i]));
      rest = arith::DivUIOp::create(b, loc, rest, index(masking.rowShape[i]));
      if (masking.maskRowStrides[i] != 0)
        offset = arith::AddIOp::create(
            b, loc, offset,
            arith::MulIOp::create(b, loc, at,
                                  index(masking.maskRowStrides[i])));
    }
    return offset;
  }

  /// The mask's elements for the thread's vector k (true or 0 past the end
  /// of the row, never read there).
  SmallVector<Value> loadMaskVector(Value offset, int64_t k) {
    Type maskType = config.masking.maskType;
    auto load = [&]() {
      SmallVector<Value> values;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value at = offset;
        if (config.masking.maskColumnStride != 0)
          at = arith::AddIOp::create(b, loc, offset, column(k, j));
        values.push_back(
            memref::LoadOp::create(b, loc, second, ValueRange{at}));
      }
      return values;
    };
    Value valid = accessed(k);
    if (!valid)
      return load();
    auto ifOp = scf::IfOp::create(
        b, loc, valid,
        [&](OpBuilder &, Location) { scf::YieldOp::create(b, loc, load()); },
        [&](OpBuilder &, Location) {
          Value pad = maskType.isInteger(1)
                          ? arith::ConstantIntOp::create(b, loc, maskType, 1)
                                .getResult()
                          : constantOf(maskType, 0.0);
          scf::YieldOp::create(b, loc, SmallVector<Value>(vectorElements, pad));
        });
    return SmallVector<Value>(ifOp.getResults());
  }

  /// softmax or log_softmax of the masked row (RowMasking): the masking on
  /// the loaded elements, then the plain row.
  void buildMaskedRow(Value row) {
    const RowMasking &masking = config.masking;
    double inf = std::numeric_limits<double>::infinity();
    Elements x = loadElements(in, row);
    Value negInf = constant(-inf);
    Value maskOffset = masking.maskType ? maskRowOffset(row) : nullptr;
    Value limit;
    if (masking.causal) {
      // Kept where column <= i + offset, i the row's index in the second
      // innermost dim (signed: the offset may be negative).
      Value i =
          arith::RemUIOp::create(b, loc, row, index(masking.rowShape.back()));
      limit = arith::AddIOp::create(
          b, loc, arith::IndexCastOp::create(b, loc, b.getI64Type(), i),
          arith::ConstantIntOp::create(b, loc, b.getI64Type(),
                                       masking.causalOffset));
    }
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> maskValues;
      if (masking.maskType)
        maskValues = loadMaskVector(maskOffset, k);
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value v = x[k][j];
        if (masking.scale)
          v = arith::MulFOp::create(b, loc, v, constant(*masking.scale));
        if (masking.maskType) {
          Value m = maskValues[j];
          v = masking.maskType.isInteger(1)
                  ? select(m, v, negInf)
                  : arith::AddFOp::create(b, loc, v, convert(m, accType))
                        .getResult();
        }
        if (masking.causal) {
          Value col =
              arith::IndexCastOp::create(b, loc, b.getI64Type(), column(k, j));
          v = select(arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sle,
                                           col, limit),
                     v, negInf);
        }
        // Past the end of the row: -inf, whatever the masking made of it.
        x[k][j] = inRowOr(k, v, negInf);
      }
    }
    Value m = groupReduce(localMax(x), kMaxSlot, maxFn());
    Shifted s = shift(x, m);
    Value r = groupReduce(s.r, kSumSlot, addFn());
    Value c = groupReduce(s.c, kCountSlot, addFn());
    storeElements(out, row, normalize(s, m, c, r));
  }

  /// The gradients: softmax's y (dy - sum(y dy)), log_softmax's
  /// dy - exp(y) sum(dy), and the simplex's g (dy - sum(g dy) / sum(g))
  /// with g = y^(2 - alpha) on the support (y > 0); sums in reduceType (f64
  /// for f32), as the CPU's.
  void buildGradRow(Value row) {
    Type sumType = reduceType;
    Elements y = loadElements(in, row, 0.0);
    Elements dy = loadElements(second, row, 0.0);
    auto ext = [&](Value v) { return convert(v, sumType); };
    softmax::detail::EntmaxMath em(
        cast<FloatType>(sumType),
        config.op == RowKernelOp::EntmaxGrad ? config.alpha : 2.0);
    auto weight = [&](Value yv) { return em.gradWeight(b, loc, ext(yv)); };
    Value s, q;
    switch (config.op) {
    case RowKernelOp::SoftmaxGrad:
      s = groupReduce(localSum(sumType,
                               [&](int64_t k, int64_t j) -> Value {
                                 return arith::MulFOp::create(
                                     b, loc, ext(y[k][j]), ext(dy[k][j]));
                               }),
                      0, addFn());
      break;
    case RowKernelOp::LogSoftmaxGrad:
      s = groupReduce(
          localSum(sumType,
                   [&](int64_t k, int64_t j) { return ext(dy[k][j]); }),
          0, addFn());
      break;
    default: {
      Value gdy = groupReduce(
          localSum(sumType,
                   [&](int64_t k, int64_t j) -> Value {
                     Value g = weight(y[k][j]);
                     return em.onGradSupport(
                         b, loc, g,
                         arith::MulFOp::create(b, loc, g, ext(dy[k][j])));
                   }),
          0, addFn());
      Value g = groupReduce(
          localSum(sumType,
                   [&](int64_t k, int64_t j) { return weight(y[k][j]); }),
          1, addFn());
      q = arith::DivFOp::create(b, loc, gdy, g);
      break;
    }
    }
    Elements dx;
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> values;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value yv = ext(y[k][j]), dyv = ext(dy[k][j]), value;
        if (config.op == RowKernelOp::SoftmaxGrad) {
          value = arith::MulFOp::create(b, loc, yv,
                                        arith::SubFOp::create(b, loc, dyv, s));
        } else if (config.op == RowKernelOp::LogSoftmaxGrad) {
          Value e = ext(math::ExpOp::create(b, loc, y[k][j]));
          value = arith::SubFOp::create(b, loc, dyv,
                                        arith::MulFOp::create(b, loc, e, s));
        } else {
          Value g = weight(y[k][j]);
          value = arith::MulFOp::create(b, loc, g,
                                        arith::SubFOp::create(b, loc, dyv, q));
          // Off the support 0, not 0 * NaN (a NaN dy there, or a row
          // without support).
          value = em.onGradSupport(b, loc, g, value);
        }
        values.push_back(convert(value, elementType));
      }
      dx.push_back(values);
    }
    storeElements(out, row, dx);
  }

  /// The row's maximum m and number of +inf entries, in reduceType.
  std::pair<Value, Value> simplexStats(const Elements &x) {
    double inf = std::numeric_limits<double>::infinity();
    Value m = groupReduce(convert(localMax(x), reduceType), 0, maxFn());
    Value k =
        groupReduce(localSum(reduceType,
                             [&](int64_t kk, int64_t j) {
                               return select(cmp(arith::CmpFPredicate::OEQ,
                                                 x[kk][j], constant(inf)),
                                             constantOf(reduceType, 1.0),
                                             constantOf(reduceType, 0.0));
                             }),
                    1, addFn());
    return {m, k};
  }

  /// Whether `m` is finite (false for NaN).
  Value isFinite(Value m) {
    return cmp(
        arith::CmpFPredicate::ONE, math::AbsFOp::create(b, loc, m),
        constantOf(m.getType(), std::numeric_limits<double>::infinity()));
  }

  /// sparsemax as softmax-decompose's: on t = x - m, from tau = -1 the
  /// support refinement tau = (sum of S - 1) / |S| over S = {t > tau},
  /// while |S| shrinks; y = max(t - tau, 0) with the special rows.
  void buildSparsemaxRow(Value row) {
    Type type = reduceType;
    double inf = std::numeric_limits<double>::infinity();
    Elements x = loadElements(in, row);
    Value m, infCount;
    std::tie(m, infCount) = simplexStats(x);
    Value finite = isFinite(m);
    auto t = [&](int64_t k, int64_t j) -> Value {
      return arith::SubFOp::create(b, loc, convert(x[k][j], type), m);
    };
    SmallVector<Value> init = {
        constantOf(type, -1.0),
        select(finite, constantOf(type, inf), constantOf(type, 0.0))};
    auto loop = scf::WhileOp::create(
        b, loc, TypeRange{type, type}, init,
        [&](OpBuilder &, Location, ValueRange args) {
          Value tau = args[0], count = args[1];
          auto inS = [&](int64_t k, int64_t j) {
            return cmp(arith::CmpFPredicate::OGT, t(k, j), tau);
          };
          Value sum = groupReduce(localSum(type,
                                           [&](int64_t k, int64_t j) {
                                             return select(inS(k, j), t(k, j),
                                                           constantOf(type, 0));
                                           }),
                                  2, addFn());
          Value n = groupReduce(localSum(type,
                                         [&](int64_t k, int64_t j) {
                                           return select(inS(k, j),
                                                         constantOf(type, 1.0),
                                                         constantOf(type, 0.0));
                                         }),
                                3, addFn());
          endRound();
          Value newTau = arith::DivFOp::create(
              b, loc, arith::SubFOp::create(b, loc, sum, constantOf(type, 1.0)),
              n);
          // A support that does not shrink ends the row.
          Value changed = arith::AndIOp::create(
              b, loc, finite, cmp(arith::CmpFPredicate::OLT, n, count));
          scf::ConditionOp::create(b, loc, changed,
                                   ValueRange{select(changed, newTau, tau),
                                              select(changed, n, count)});
        },
        [&](OpBuilder &, Location, ValueRange args) {
          scf::YieldOp::create(b, loc, args);
        });
    Value tau = loop.getResult(0);
    Elements y;
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> values;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value value = arith::MaximumFOp::create(
            b, loc, arith::SubFOp::create(b, loc, t(k, j), tau),
            constantOf(type, 0.0));
        value = softmax::detail::selectSimplexSpecials(
            b, loc, value, convert(x[k][j], type), m, infCount);
        values.push_back(convert(value, elementType));
      }
      y.push_back(values);
    }
    storeElements(out, row, y);
  }

  /// alpha-entmax as softmax-decompose's: on X = (alpha - 1)(x - m), the
  /// threshold in [-1, 0] by EntmaxMath's rounds, then y = max(X - tau,
  /// 0)^p rescaled to sum 1, with the special rows.
  void buildEntmaxRow(Value row) {
    auto type = cast<FloatType>(reduceType);
    softmax::detail::EntmaxMath em(type, config.alpha);
    Elements x = loadElements(in, row);
    Value m, infCount;
    std::tie(m, infCount) = simplexStats(x);
    Value finite = isFinite(m);
    auto u = [&](int64_t k, int64_t j, Value tau) -> Value {
      return arith::SubFOp::create(
          b, loc, em.scaled(b, loc, convert(x[k][j], type), m), tau);
    };
    Value notFinite = arith::XOrIOp::create(
        b, loc, finite, arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
    SmallVector<Value> init = {em.c(b, loc, -1.0), em.c(b, loc, -1.0),
                               em.c(b, loc, 0.0), notFinite, index(0)};
    SmallVector<Type> types = {type, type, type, b.getI1Type(),
                               b.getIndexType()};
    auto loop = scf::WhileOp::create(
        b, loc, types, init,
        [&](OpBuilder &, Location, ValueRange args) {
          Value more = arith::XOrIOp::create(
              b, loc, args[3],
              arith::ConstantIntOp::create(b, loc, b.getI1Type(), 1));
          scf::ConditionOp::create(b, loc, more, args);
        },
        [&](OpBuilder &, Location, ValueRange args) {
          Value tau = args[0], lo = args[1], hi = args[2], round = args[4];
          // The thread's sums, then the group's.
          SmallVector<Value> sums;
          for (int64_t i = 0; i < em.numSums(); ++i)
            sums.push_back(em.c(b, loc, em.sumInit(i)));
          for (int64_t k = 0; k < vectorsPerThread; ++k) {
            SmallVector<Value> vectorSums(sums);
            for (int64_t j = 0; j < vectorElements; ++j)
              vectorSums = em.accumulate(b, loc, u(k, j, tau), vectorSums);
            // Elements past the end of the row are -inf: u = -inf adds
            // nothing, so the sums need no test.
            sums = vectorSums;
          }
          for (size_t i = 0; i < sums.size(); ++i) {
            Combine combine = addFn();
            if (i == 3)
              combine = [this](Value l, Value r) -> Value {
                return arith::MinimumFOp::create(b, loc, l, r);
              };
            sums[i] = groupReduce(sums[i], 2 + i, combine);
          }
          endRound();
          Value last = arith::CmpIOp::create(
              b, loc, arith::CmpIPredicate::uge, round,
              index(softmax::detail::kEntmaxMaxRounds - 1));
          softmax::detail::EntmaxUpdate next =
              em.update(b, loc, tau, lo, hi, sums, last);
          scf::YieldOp::create(
              b, loc,
              ValueRange{next.tau, next.lo, next.hi, next.converged,
                         arith::AddIOp::create(b, loc, round, index(1))});
        });
    Value tau = loop.getResult(0);
    auto power = [&](int64_t k, int64_t j) {
      Value pos =
          arith::MaximumFOp::create(b, loc, u(k, j, tau), em.c(b, loc, 0.0));
      return em.power(b, loc, pos, em.p);
    };
    // Past the end of the row u = -inf gives 0^p: 0 (or 1 for p = 0, never:
    // p = 1 / (alpha - 1) > 0).
    Value total = groupReduce(localSum(type, power), 6, addFn());
    Value isNaN = cmp(arith::CmpFPredicate::UNO, m, m);
    Elements y;
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> values;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value value = arith::DivFOp::create(b, loc, power(k, j), total);
        value = softmax::detail::selectSimplexSpecials(
            b, loc, value, convert(x[k][j], type), m, infCount);
        value = select(isNaN, m, value);
        values.push_back(convert(value, elementType));
      }
      y.push_back(values);
    }
    storeElements(out, row, y);
  }

  /// cross_entropy and its gradient: the row's m, c and r as softmax's
  /// (and, with smoothing, the total of t); then per row
  ///   loss = L - t_l,  L = log1p(c - 1 + r) = log(sum exp(t)),
  /// t_l the label's t (with smoothing (1 - e)(L - t_l) + e (L - total /
  /// N)), or per element
  ///   dx = (p - target) dloss,  p = e / (c + r),
  /// where at the label p - 1 = -(c - 1 + r) / (c + r) if it is a maximum
  /// (no cancellation for a confident prediction). A row whose maximum is
  /// not finite follows the log_softmax contract as on the CPU
  /// (buildNonFiniteCrossEntropy, buildCrossEntropyInverse); ignore_index
  /// gives 0, a label outside the classes NaN. Much as on the CPU, f32 rows
  /// reduce in f64 and combine the loss there, the smoothing's total of t
  /// summed in f64 (in f32, x - m of a row spanning more than the largest
  /// f32 overflowed it to -inf), and their gradient takes t and exp(t) in
  /// f64: exp2(t log2(e)) in f32 is some 1e-6 off where t is large (both
  /// found by the torture suite's f32 rows on an H200).
  void buildCrossEntropyRow(Value row) {
    double nan = std::numeric_limits<double>::quiet_NaN();
    bool grad = config.op == RowKernelOp::CrossEntropyGrad;
    double e = config.smoothing;
    int64_t classes = config.length;
    // The sums' type (f64 for f32 rows, else f32), and the type of t and
    // exp(t) (the sums' for the gradient, f32 for the loss).
    FloatType wide = reduceType;
    FloatType shiftType = grad ? wide : accType;
    auto cw = [&](double v) { return constantOf(wide, v); };
    auto cs = [&](double v) { return constantOf(shiftType, v); };
    Elements x = loadElements(in, row);
    Value m = convert(
        groupReduce(convert(localMax(x), wide), kMaxSlot, maxFn()), accType);
    Value mw = convert(m, wide);
    Value ms = convert(m, shiftType);
    // t (0 at the maximum: +inf entries share the mass) and exp(t) of each
    // element, from x.
    auto isMaxAt = [&](int64_t k, int64_t j) {
      return cmp(arith::CmpFPredicate::OEQ, x[k][j], m);
    };
    auto tAt = [&](int64_t k, int64_t j, Type type, Value mt) -> Value {
      Value xt = convert(x[k][j], type);
      return select(isMaxAt(k, j), constantOf(type, 0.0),
                    arith::SubFOp::create(b, loc, xt, mt));
    };
    auto expAt = [&](int64_t k, int64_t j) -> Value {
      Value t = tAt(k, j, shiftType, ms);
      if (shiftType == accType)
        return exp(t);
      return math::ExpOp::create(b, loc, t);
    };
    // The gradient keeps exp(t) for its output pass; the loss sums it
    // as it goes (the row's elements dead after the thread's partials).
    Elements ex;
    if (grad) {
      for (int64_t k = 0; k < vectorsPerThread; ++k) {
        SmallVector<Value> values;
        for (int64_t j = 0; j < vectorElements; ++j)
          values.push_back(expAt(k, j));
        ex.push_back(values);
      }
    }
    // The thread's partials first, then the group's: the entries at the
    // maximum (not the padding, at an all -inf row's maximum too), the sum
    // of the others' exp(t) and, with smoothing, the total of t.
    // (The loss's thread partials of exp(t) in f32, as softmax's: in f64
    // its kernel spilled at 512 threads of 128 registers.)
    FloatType partialType = grad ? wide : accType;
    Value c = convert(localSum(partialType,
                               [&](int64_t k, int64_t j) {
                                 return select(isMaxAt(k, j),
                                               constantOf(partialType, 1.0),
                                               constantOf(partialType, 0.0));
                               }),
                      wide);
    Value r = convert(
        localSum(partialType,
                 [&](int64_t k, int64_t j) {
                   return select(
                       isMaxAt(k, j), constantOf(partialType, 0.0),
                       convert(grad ? ex[k][j] : expAt(k, j), partialType));
                 }),
        wide);
    Value total;
    if (!grad && e != 0.0)
      total = localSum(
          wide, [&](int64_t k, int64_t j) { return tAt(k, j, wide, mw); });
    r = groupReduce(r, kSumSlot, addFn());
    c = groupReduce(c, kCountSlot, addFn());
    if (total)
      total = groupReduce(total, 3, addFn());
    // The label: clamped into the row for the read.
    Value label = memref::LoadOp::create(b, loc, second, ValueRange{row});
    Value labelIndex =
        arith::IndexCastOp::create(b, loc, b.getIndexType(), label);
    Value labelI64 =
        arith::IndexCastOp::create(b, loc, b.getI64Type(), labelIndex);
    auto i64 = [&](int64_t v) {
      return arith::ConstantIntOp::create(b, loc, b.getI64Type(), v);
    };
    Value inRange = arith::AndIOp::create(
        b, loc,
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sge, labelI64,
                              i64(0)),
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::slt, labelI64,
                              i64(classes)));
    Value ignored = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq, label,
        arith::ConstantOp::create(
            b, loc, config.labelType,
            b.getIntegerAttr(config.labelType, config.ignoreIndex)));
    auto finish = [&](Value value) {
      value = select(inRange, value, constantOf(value.getType(), nan));
      value = select(ignored, constantOf(value.getType(), 0.0), value);
      return convert(value, elementType);
    };
    Value finite = isFinite(m);
    Value rest = arith::AddFOp::create(
        b, loc, arith::SubFOp::create(b, loc, c, cw(1.0)), r);
    if (!grad) {
      Value clamped = arith::MinSIOp::create(
          b, loc, arith::MaxSIOp::create(b, loc, labelI64, i64(0)),
          i64(classes - 1));
      Value xl =
          convert(memref::LoadOp::create(
                      b, loc, in,
                      ValueRange{row, arith::IndexCastOp::create(
                                          b, loc, b.getIndexType(), clamped)}),
                  wide);
      Value logSum = math::Log1pOp::create(b, loc, rest);
      Value tl = select(cmp(arith::CmpFPredicate::OEQ, xl, mw), cw(0.0),
                        arith::SubFOp::create(b, loc, xl, mw));
      // Finite m: L - t_l; else what -log_softmax gives, as on the CPU.
      Value loss = arith::SubFOp::create(b, loc, logSum, tl);
      if (e != 0.0) {
        Value meanT = arith::DivFOp::create(b, loc, total, cw(double(classes)));
        Value uniform = arith::SubFOp::create(b, loc, logSum, meanT);
        loss = arith::AddFOp::create(
            b, loc, arith::MulFOp::create(b, loc, cw(1.0 - e), loss),
            arith::MulFOp::create(b, loc, cw(e), uniform));
      }
      loss = select(finite, loss,
                    softmax::detail::buildNonFiniteCrossEntropy(
                        b, loc, mw, xl, arith::AddFOp::create(b, loc, c, r), c,
                        cw(double(classes)), e));
      storeRowValue(out, row, finish(loss));
      return;
    }
    Value dloss =
        convert(memref::LoadOp::create(b, loc, third, ValueRange{row}), wide);
    // 1 / s, 0 for an all -inf row (as on the CPU).
    Value inverse = softmax::detail::buildCrossEntropyInverse(
        b, loc, mw, arith::AddFOp::create(b, loc, c, r));
    // p - 1 at a label that is a maximum.
    Value atMaxMinusOne = arith::MulFOp::create(
        b, loc, arith::NegFOp::create(b, loc, rest), inverse);
    double uniform = e / double(classes);
    Elements dx;
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> values;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value p = arith::MulFOp::create(b, loc, ex[k][j], inverse);
        Value atLabel = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq,
                                              column(k, j), labelIndex);
        Value labelAtMax = arith::AndIOp::create(b, loc, finite, isMaxAt(k, j));
        // At the label: (p - 1) + e - e / N.
        Value pMinusOne = select(labelAtMax, atMaxMinusOne,
                                 arith::SubFOp::create(b, loc, p, cs(1.0)));
        Value atLabelValue =
            arith::AddFOp::create(b, loc, pMinusOne, cs(e - uniform));
        Value value = select(atLabel, atLabelValue,
                             arith::SubFOp::create(b, loc, p, cs(uniform)));
        value = arith::MulFOp::create(b, loc, value, dloss);
        values.push_back(finish(value));
      }
      dx.push_back(values);
    }
    storeElements(out, row, dx);
  }

  /// t and e of each element, and the thread's r and c.
  struct Shifted {
    Elements t, e;
    Value r, c;
  };

  Value localMax(const Elements &x) {
    Value result = nullptr;
    for (ArrayRef<Value> v : x)
      for (Value value : v)
        result =
            result ? arith::MaximumFOp::create(b, loc, result, value) : value;
    return result;
  }

  Value exp(Value t) {
    return math::Exp2Op::create(
        b, loc,
        arith::MulFOp::create(b, loc, t, constant(llvm::numbers::log2e)));
  }

  Shifted shift(const Elements &x, Value m) {
    Shifted s;
    s.r = constant(0.0);
    s.c = constant(0.0);
    for (ArrayRef<Value> v : x) {
      SmallVector<Value> t, e;
      for (Value value : v) {
        Value isMax =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, value, m);
        Value shifted =
            arith::SelectOp::create(b, loc, isMax, constant(0.0),
                                    arith::SubFOp::create(b, loc, value, m));
        Value power = exp(shifted);
        s.r = arith::AddFOp::create(
            b, loc, s.r,
            arith::SelectOp::create(b, loc, isMax, constant(0.0), power));
        s.c = arith::AddFOp::create(b, loc, s.c,
                                    arith::SelectOp::create(b, loc, isMax,
                                                            constant(1.0),
                                                            constant(0.0)));
        t.push_back(shifted);
        e.push_back(power);
      }
      s.t.push_back(t);
      s.e.push_back(e);
    }
    return s;
  }

  /// The outputs, in the element type.
  Elements normalize(const Shifted &s, Value m, Value c, Value r) {
    Value isNegInf = arith::CmpFOp::create(
        b, loc, arith::CmpFPredicate::OEQ, m,
        constant(-std::numeric_limits<double>::infinity()));
    Value factor;
    if (config.logarithmic) {
      Value logSum = math::Log1pOp::create(
          b, loc,
          arith::AddFOp::create(
              b, loc, arith::SubFOp::create(b, loc, c, constant(1.0)), r));
      factor = arith::SelectOp::create(
          b, loc, isNegInf, constant(std::numeric_limits<double>::infinity()),
          logSum);
    } else {
      Value inverse = arith::DivFOp::create(
          b, loc, constant(1.0), arith::AddFOp::create(b, loc, c, r));
      factor =
          arith::SelectOp::create(b, loc, isNegInf, constant(0.0), inverse);
    }
    Elements y;
    for (size_t k = 0; k < s.t.size(); ++k) {
      SmallVector<Value> values;
      for (size_t j = 0; j < s.t[k].size(); ++j) {
        Value value =
            config.logarithmic
                ? arith::SubFOp::create(b, loc, s.t[k][j], factor).getResult()
                : arith::MulFOp::create(b, loc, s.e[k][j], factor).getResult();
        if (elementType != accType)
          value = arith::TruncFOp::create(b, loc, elementType, value);
        values.push_back(value);
      }
      y.push_back(values);
    }
    return y;
  }

  /// The index, in vectors, of the thread's vector k.
  Value vectorIndex(int64_t k) {
    return arith::AddIOp::create(
        b, loc, base,
        arith::AddIOp::create(b, loc, index(k * groupThreads), lane));
  }

  /// Whether the thread's vector k lies in the row for every thread and
  /// chunk.
  bool alwaysInRow(int64_t k) const {
    if (config.dynamicLength || (k + 1) * groupThreads > chunkVectors)
      return false;
    return config.strategy != GPUStrategy::SplitRow ||
           vectors % chunkVectors == 0;
  }

  /// True where the thread's vector k lies in the row.
  Value inRow(int64_t k) {
    return arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                 vectorIndex(k), vectorCount);
  }

  /// Whether the thread accesses its vector k (in its row, of a row that
  /// exists), or null when it always does.
  Value accessed(int64_t k) {
    Value valid = alwaysInRow(k) ? nullptr : inRow(k);
    if (!rowValid)
      return valid;
    return valid ? arith::AndIOp::create(b, loc, rowValid, valid).getResult()
                 : rowValid;
  }

  Elements loadElements(Value in, Value row,
                        double pad = -std::numeric_limits<double>::infinity()) {
    Elements x;
    for (int64_t k = 0; k < vectorsPerThread; ++k)
      x.push_back(loadVector(in, row, k, pad));
    return x;
  }

  /// The elements of the thread's vector k of `row`, in f32; `pad` past the
  /// end of the row.
  SmallVector<Value> loadVector(Value in, Value row, int64_t k, double pad) {
    auto load = [&]() -> Value {
      Value col =
          arith::MulIOp::create(b, loc, vectorIndex(k), index(vectorElements));
      if (vectorElements == 1)
        return memref::LoadOp::create(b, loc, in, ValueRange{row, col});
      return vector::LoadOp::create(
          b, loc, VectorType::get({vectorElements}, elementType), in,
          ValueRange{row, col}, /*nontemporal=*/false,
          b.getI64IntegerAttr(vectorElements * elementType.getWidth() / 8));
    };
    Value loaded;
    if (Value valid = accessed(k); !valid) {
      loaded = load();
    } else {
      Type type = vectorElements == 1
                      ? Type(elementType)
                      : VectorType::get({vectorElements}, elementType);
      auto ifOp = scf::IfOp::create(
          b, loc, valid,
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(b, loc, ValueRange{load()});
          },
          [&](OpBuilder &, Location) {
            TypedAttr padding = b.getFloatAttr(elementType, pad);
            if (auto vectorType = dyn_cast<VectorType>(type))
              padding = DenseElementsAttr::get(vectorType, padding);
            scf::YieldOp::create(
                b, loc,
                ValueRange{arith::ConstantOp::create(b, loc, type, padding)});
          });
      loaded = ifOp.getResult(0);
    }
    SmallVector<Value> elements;
    for (int64_t j = 0; j < vectorElements; ++j) {
      Value value = vectorElements == 1
                        ? loaded
                        : vector::ExtractOp::create(b, loc, loaded, j);
      if (elementType != accType)
        value = arith::ExtFOp::create(b, loc, accType, value);
      elements.push_back(value);
    }
    return elements;
  }

  /// Stores each vector of `y` where it lies in the row.
  void storeElements(Value out, Value row, const Elements &y) {
    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      auto store = [&]() {
        Value col = arith::MulIOp::create(b, loc, vectorIndex(k),
                                          index(vectorElements));
        if (vectorElements == 1) {
          memref::StoreOp::create(b, loc, y[k][0], out, ValueRange{row, col});
          return;
        }
        Value vector = vector::FromElementsOp::create(
            b, loc, VectorType::get({vectorElements}, elementType), y[k]);
        vector::StoreOp::create(
            b, loc, vector, out, ValueRange{row, col}, /*nontemporal=*/false,
            b.getI64IntegerAttr(vectorElements * elementType.getWidth() / 8));
      };
      Value valid = accessed(k);
      if (!valid) {
        store();
        continue;
      }
      auto ifOp = scf::IfOp::create(b, loc, valid, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      store();
    }
  }

  using Combine = std::function<Value(Value, Value)>;
  Combine maxFn() {
    return [this](Value a, Value c) -> Value {
      return arith::MaximumFOp::create(b, loc, a, c);
    };
  }
  Combine addFn() {
    return [this](Value a, Value c) -> Value {
      return arith::AddFOp::create(b, loc, a, c);
    };
  }

  /// `combine` over the group's values of `value`: a butterfly of
  /// shuffles in each warp, then (a block per group) the warps' results
  /// through row `slot` of the shared buffer. Every thread gets the result.
  Value groupReduce(Value value, int64_t slot, const Combine &combine) {
    // A group of fewer lanes than a warp is aligned to its size: the
    // butterfly stays inside it.
    int64_t width = std::min(groupThreads, kGPUWarpSize);
    for (int64_t offset = width / 2; offset > 0; offset /= 2) {
      auto shuffle = gpu::ShuffleOp::create(b, loc, value, offset, kGPUWarpSize,
                                            gpu::ShuffleMode::XOR);
      value = combine(value, shuffle.getShuffleResult());
    }
    if (config.strategy == GPUStrategy::WarpRow ||
        config.strategy == GPUStrategy::PersistentRow)
      return value;

    Value shared = func.getWorkgroupAttributions()[0];
    Value warp = arith::DivUIOp::create(b, loc, lane, index(kGPUWarpSize));
    Value isFirst = arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::eq,
        arith::RemUIOp::create(b, loc, lane, index(kGPUWarpSize)), index(0));
    auto ifOp = scf::IfOp::create(b, loc, isFirst, /*withElse=*/false);
    {
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      memref::StoreOp::create(b, loc, value, shared,
                              ValueRange{arith::AddIOp::create(
                                  b, loc, index(slot * kGPUWarpSize), warp)});
    }
    // Each reduction has its own slot, so one barrier orders its stores
    // before every thread's loads, and no later store overwrites them.
    gpu::BarrierOp::create(b, loc);
    int64_t warps = groupThreads / kGPUWarpSize;
    if (isFamilyKernel(config)) {
      // Each lane reads one warp's partial (lane mod warps) and the warps'
      // partials meet in a butterfly of shuffles: one load a thread, not
      // one a warp, which the compiler would keep in registers at once.
      Value partial = memref::LoadOp::create(
          b, loc, shared,
          ValueRange{arith::AddIOp::create(
              b, loc, index(slot * kGPUWarpSize),
              arith::RemUIOp::create(b, loc, lane, index(warps)))});
      for (int64_t offset = warps / 2; offset > 0; offset /= 2) {
        auto shuffle = gpu::ShuffleOp::create(
            b, loc, partial, offset, kGPUWarpSize, gpu::ShuffleMode::XOR);
        partial = combine(partial, shuffle.getShuffleResult());
      }
      return partial;
    }
    Value result = nullptr;
    for (int64_t w = 0; w < warps; ++w) {
      Value partial = memref::LoadOp::create(
          b, loc, shared, ValueRange{index(slot * kGPUWarpSize + w)});
      result = result ? combine(result, partial) : partial;
    }
    return result;
  }

  Value index(int64_t value) {
    return arith::ConstantIndexOp::create(b, loc, value);
  }

  Value constant(double value) {
    return arith::ConstantOp::create(b, loc, accType,
                                     b.getFloatAttr(accType, value));
  }

  OpBuilder &b;
  Location loc;
  const RowKernelConfig &config;
  RowKernelRole role;
  gpu::GPUFuncOp func;
  FloatType elementType, accType;
  /// The type the family's reductions are in (and shared memory holds).
  FloatType reduceType;
  int64_t vectorElements, vectors, groupThreads, chunkVectors, vectorsPerThread;
  Value lane, base;
  Value in, out, workspace, rowsArgument, lengthArgument;
  /// Family kernels: the operands between the first and the output (dy,
  /// the mask, the labels; dloss).
  Value second, third;

  /// column: the sizes of [rows x length x inner].
  Value rowsValue, lengthValue, innerValue;
  /// The vectors of a row (at run time for a dynamic length).
  Value vectorCount;
  /// persistent_row: whether the group's row exists (null: it does).
  Value rowValid;
};

} // namespace

int64_t
mlir::softmax::getRowKernelVectorElements(const RowKernelConfig &config) {
  FloatType elementType = config.elementType;
  int64_t bytes = elementType.getWidth() / 8;
  if (!config.vectorized)
    return 1;
  // Columns: vectors across the inner dim (a size known at run time is
  // checked to be a whole number of them).
  if (config.strategy == GPUStrategy::Column)
    return ShapedType::isDynamic(config.inner)
               ? 16 / bytes
               : getGPUVectorElements(config.inner, bytes);
  return getGPUVectorElements(config.length, bytes);
}

bool mlir::softmax::isFamilyKernel(const RowKernelConfig &config) {
  return config.op != RowKernelOp::Normalize || config.masking.any();
}

int64_t mlir::softmax::getFamilyElementsPerThread(const RowKernelConfig &config,
                                                  bool warp) {
  // What a thread's registers hold of a row without spilling, by how much a
  // kernel keeps per element and how heavy its arithmetic is (measured with
  // ptxas for sm_90 and sm_80: up to 255 registers a lane of a warp_row
  // kernel, 64 a thread of a block of 1024).
  auto cheapPower = [](double e) {
    return e == 0.0 || e == 1.0 || e == 2.0 || e == 0.5;
  };
  switch (config.op) {
  case RowKernelOp::CrossEntropy:
    // The loss keeps no element past the thread's partials.
    return 32;
  case RowKernelOp::Normalize:
  case RowKernelOp::CrossEntropyGrad:
  case RowKernelOp::LogSoftmaxGrad:
    return warp ? 32 : 16;
  case RowKernelOp::SoftmaxGrad:
  case RowKernelOp::SparsemaxGrad:
  case RowKernelOp::Sparsemax:
    return warp ? 32 : 8;
  case RowKernelOp::EntmaxGrad:
    return cheapPower(2.0 - config.alpha) ? (warp ? 16 : 4) : (warp ? 8 : 2);
  case RowKernelOp::Entmax:
    // alpha > 2 bisects in f64 for every type.
    if (config.alpha > 2.0)
      return warp ? 16 : 2;
    return cheapPower(1.0 / (config.alpha - 1.0)) ? (warp ? 16 : 4)
                                                  : (warp ? 8 : 2);
  }
  llvm_unreachable("unknown row kernel op");
}

/// A family block_row thread's vectors.
static int64_t getFamilyBlockVectorsPerThread(const RowKernelConfig &config) {
  return std::max<int64_t>(1, getFamilyElementsPerThread(config, false) /
                                  getRowKernelVectorElements(config));
}

int64_t mlir::softmax::getFamilyMaxRowLength(const RowKernelConfig &config) {
  // The element-wise twin of a kernel holds as much as the vector one.
  if (config.strategy == GPUStrategy::WarpRow)
    return kGPUWarpSize * getFamilyElementsPerThread(config, true);
  return kGPUMaxBlockThreads * getFamilyElementsPerThread(config, false);
}

SmallVector<StringRef>
mlir::softmax::getFamilyKernelParameters(const RowKernelConfig &config) {
  switch (config.op) {
  case RowKernelOp::Normalize:
    if (config.masking.maskType)
      return {"ptr:in", "ptr:mask", "ptr:out"};
    return {"ptr:in", "ptr:out"};
  case RowKernelOp::Sparsemax:
  case RowKernelOp::Entmax:
    return {"ptr:in", "ptr:out"};
  case RowKernelOp::SoftmaxGrad:
  case RowKernelOp::LogSoftmaxGrad:
  case RowKernelOp::SparsemaxGrad:
  case RowKernelOp::EntmaxGrad:
    return {"ptr:y", "ptr:dy", "ptr:out"};
  case RowKernelOp::CrossEntropy:
    return {"ptr:logits", "ptr:labels", "ptr:loss"};
  case RowKernelOp::CrossEntropyGrad:
    return {"ptr:logits", "ptr:labels", "ptr:dloss", "ptr:out"};
  }
  llvm_unreachable("unknown row kernel op");
}

SmallVector<Type> mlir::softmax::getRowKernelArgumentTypes(
    MLIRContext *context, const RowKernelConfig &config, RowKernelRole role) {
  if (isFamilyKernel(config)) {
    // Static shapes: [rows x length] buffers, one value a row for the
    // labels and losses, the mask flat.
    auto rowsType =
        MemRefType::get({config.rows, config.length}, config.elementType);
    auto perRow = MemRefType::get({config.rows}, config.elementType);
    SmallVector<Type> arguments;
    for (StringRef parameter : getFamilyKernelParameters(config)) {
      if (parameter == "ptr:mask")
        arguments.push_back(MemRefType::get({config.masking.maskElements},
                                            config.masking.maskType));
      else if (parameter == "ptr:labels")
        arguments.push_back(MemRefType::get({config.rows}, config.labelType));
      else if (parameter == "ptr:loss" || parameter == "ptr:dloss")
        arguments.push_back(perRow);
      else
        arguments.push_back(rowsType);
    }
    return arguments;
  }
  if (config.dynamicLength) {
    // Stubs of the buffers, then the rows and the length.
    auto stub = MemRefType::get({1}, config.elementType);
    SmallVector<Type> arguments = {stub};
    if (role != RowKernelRole::SplitStats)
      arguments.push_back(stub);
    if (role != RowKernelRole::Row)
      arguments.push_back(MemRefType::get({3}, Float32Type::get(context)));
    arguments.append(2, IndexType::get(context));
    return arguments;
  }
  // Dynamic rows: one row's (one row's chunks') static view and the rows.
  bool dynamicRows = ShapedType::isDynamic(config.rows);
  if (config.strategy == GPUStrategy::Column) {
    if (hasDynamicColumnSizes(config)) {
      // Stubs, then the rows, the length and the inner size.
      auto stub = MemRefType::get({1}, config.elementType);
      auto indexType = IndexType::get(context);
      return {stub, stub, indexType, indexType, indexType};
    }
    auto type = MemRefType::get({config.rows, config.length, config.inner},
                                config.elementType);
    return {type, type};
  }
  auto type = dynamicRows ? MemRefType::get({config.length}, config.elementType)
                          : MemRefType::get({config.rows, config.length},
                                            config.elementType);
  SmallVector<Type> arguments = {type};
  if (role != RowKernelRole::SplitStats)
    arguments.push_back(type);
  if (role != RowKernelRole::Row) {
    MemRefType workspace = getSplitRowWorkspaceType(context, config);
    arguments.push_back(dynamicRows
                            ? MemRefType::get(workspace.getShape().drop_front(),
                                              workspace.getElementType())
                            : workspace);
  }
  if (dynamicRows)
    arguments.push_back(IndexType::get(context));
  return arguments;
}

SmallVector<RowKernelRole>
mlir::softmax::getRowKernelRoles(const RowKernelConfig &config) {
  if (config.strategy == GPUStrategy::SplitRow)
    return {RowKernelRole::SplitStats, RowKernelRole::SplitOutput};
  return {RowKernelRole::Row};
}

int64_t mlir::softmax::getSplitRowChunks(const RowKernelConfig &config) {
  if (config.dynamicLength)
    return ShapedType::kDynamic;
  return llvm::divideCeil(config.length, kGPUSplitChunkElements);
}

MemRefType
mlir::softmax::getSplitRowWorkspaceType(MLIRContext *context,
                                        const RowKernelConfig &config) {
  return MemRefType::get({config.rows, getSplitRowChunks(config), 3},
                         Float32Type::get(context));
}

RowKernelLaunch
mlir::softmax::getRowKernelLaunch(const RowKernelConfig &config) {
  switch (config.strategy) {
  case GPUStrategy::ByLength:
    llvm_unreachable("by_length launches its variants' strategies");
  case GPUStrategy::WarpRow:
    return {{ShapedType::isDynamic(config.rows)
                 ? ShapedType::kDynamic
                 : llvm::divideCeilSigned(config.rows, kGPUWarpRowsPerBlock),
             1, 1},
            {kGPUWarpSize, kGPUWarpRowsPerBlock, 1},
            kGPUWarpRowsPerBlock};
  case GPUStrategy::PersistentRow: {
    int64_t vectorElements = getRowKernelVectorElements(config);
    int64_t vectors = llvm::divideCeil(config.length, vectorElements);
    int64_t lanes = getGPUPersistentGroupThreads(vectors);
    int64_t rowsPerBlock = kGPUWarpSize / lanes * kGPUWarpRowsPerBlock;
    return {{ShapedType::isDynamic(config.rows)
                 ? ShapedType::kDynamic
                 : llvm::divideCeilSigned(config.rows, rowsPerBlock),
             1, 1},
            {kGPUWarpSize, kGPUWarpRowsPerBlock, 1},
            rowsPerBlock,
            getGPUPersistentBlocksPerMultiprocessor(
                llvm::divideCeil(vectors, lanes) * vectorElements)};
  }
  case GPUStrategy::BlockRow: {
    int64_t vectors =
        llvm::divideCeil(config.length, getRowKernelVectorElements(config));
    if (isFamilyKernel(config))
      return {{config.rows, 1, 1},
              {std::clamp<int64_t>(
                   llvm::PowerOf2Ceil(llvm::divideCeil(
                       vectors, getFamilyBlockVectorsPerThread(config))),
                   64, kGPUMaxBlockThreads),
               1, 1}};
    return {{config.rows, 1, 1}, {getGPUBlockRowThreads(vectors), 1, 1}};
  }
  case GPUStrategy::SplitRow: {
    int64_t chunks = getSplitRowChunks(config);
    bool dynamic =
        ShapedType::isDynamic(chunks) || ShapedType::isDynamic(config.rows);
    return {{dynamic ? ShapedType::kDynamic : chunks * config.rows, 1, 1},
            {kGPUSplitThreads, 1, 1}};
  }
  case GPUStrategy::Column: {
    if (ShapedType::isDynamic(config.rows) ||
        ShapedType::isDynamic(config.inner))
      return {{ShapedType::kDynamic, 1, 1}, {kGPUColumnThreads, 1, 1}};
    int64_t groups = config.inner / getRowKernelVectorElements(config);
    return {
        {llvm::divideCeilSigned(groups, kGPUColumnThreads) * config.rows, 1, 1},
        {kGPUColumnThreads, 1, 1}};
  }
  }
  llvm_unreachable("unknown GPU strategy");
}

gpu::GPUFuncOp mlir::softmax::buildRowKernel(OpBuilder &b, Location loc,
                                             StringRef name,
                                             const RowKernelConfig &config,
                                             RowKernelRole role) {
  SmallVector<Type> arguments =
      getRowKernelArgumentTypes(b.getContext(), config, role);
  SmallVector<Type> workgroup;
  bool family = isFamilyKernel(config);
  if (config.strategy == GPUStrategy::BlockRow ||
      config.strategy == GPUStrategy::SplitRow)
    workgroup.push_back(MemRefType::get(
        {(family ? kFamilySlots : kNumSlots) * kGPUWarpSize},
        family ? getFamilyReduceType(config) : b.getF32Type(), AffineMap(),
        gpu::AddressSpaceAttr::get(b.getContext(),
                                   gpu::AddressSpace::Workgroup)));
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, b.getFunctionType(arguments, {}), workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  RowKernelLaunch launch = getRowKernelLaunch(config);
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(launch.block[0]),
                              static_cast<int32_t>(launch.block[1]),
                              static_cast<int32_t>(launch.block[2])}));
  // The blocks a persistent grid counts on being resident together: ptxas
  // keeps the registers low enough for them.
  if (launch.blocksPerMultiprocessor)
    func->setAttr("nvvm.minctasm",
                  b.getI32IntegerAttr(launch.blocksPerMultiprocessor));
  // A family kernel's block needs only to fit once: every register a
  // thread may have (ptxas would otherwise aim at more blocks, spilling).
  if (family)
    func->setAttr("nvvm.minctasm", b.getI32IntegerAttr(1));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  RowKernelBuilder(b, loc, config, role, func).build();
  return func;
}

SmallVector<LengthVariant>
mlir::softmax::getLengthVariants(const RowKernelConfig &config,
                                 int64_t elementBytes) {
  SmallVector<LengthVariant> variants;
  int64_t minLength = 1;
  for (int64_t maxLength : {32, 256, 1024, 4096, 32768}) {
    RowKernelConfig c = config;
    c.dynamicLength = true;
    c.length = maxLength;
    c.strategy = chooseGPUStrategy(config.rows, maxLength, elementBytes);
    variants.push_back(
        {c, minLength, maxLength, "_n" + std::to_string(maxLength)});
    minLength = maxLength + 1;
  }
  RowKernelConfig c = config;
  c.dynamicLength = true;
  // Any length in chunks: its vectors are 16 bytes.
  c.length = kGPUSplitChunkElements;
  c.strategy = GPUStrategy::SplitRow;
  variants.push_back({c, minLength, -1, "_long"});
  return variants;
}

RowKernelConfig
mlir::softmax::getElementwiseConfig(const RowKernelConfig &config) {
  RowKernelConfig scalar = config;
  scalar.vectorized = false;
  if (config.dynamicLength && config.strategy == GPUStrategy::BlockRow &&
      config.length > kGPUMaxBlockThreads * kGPUMaxElementsPerThread / 2)
    scalar.strategy = GPUStrategy::SplitRow;
  return scalar;
}

bool mlir::softmax::hasDynamicColumnSizes(const RowKernelConfig &config) {
  return ShapedType::isDynamic(config.rows) ||
         ShapedType::isDynamic(config.length) ||
         ShapedType::isDynamic(config.inner);
}
