//===- RowKernels.cpp - GPU kernels for softmax rows ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A row kernel gives each row a group of threads (a warp, or a block) and
// each thread K vectors of the row: vector k of thread g holds the
// elements [(k G + g) V, (k G + g + 1) V) for a group of G threads and
// vectors of V elements, so that a group's loads of one k are contiguous
// (coalesced) and each thread's are 16 bytes. The row stays in registers
// from the load to the store:
//
//   m = max(x)                       thread, then group (NaN-propagating)
//   t = (x == m) ? 0 : x - m         +inf entries share the mass
//   e = exp2(t log2(e))
//   c = #(x == m), r = sum of the other e   thread, then group
//   y = e / (c + r)                  softmax; 0 for an all -inf row
//   y = t - log1p(c - 1 + r)         log_softmax; -inf for an all -inf row
//
// which is the dialect's contract for special values (the same as
// softmax-decompose), with f32 math for f16/bf16. Vectors past the end of a
// row (only in a thread's last k) are neither read nor written: their
// lanes hold -inf, which adds nothing.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/GPU/RowKernels.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// Slots of the shared buffer a block-per-row kernel combines its warps'
/// partial results in: one row of kGPUWarpSize per reduction.
enum SharedSlot { kMaxSlot = 0, kSumSlot = 1, kCountSlot = 2, kNumSlots = 3 };

class RowKernelBuilder {
public:
  RowKernelBuilder(OpBuilder &b, Location loc, const RowKernelConfig &config,
                   gpu::GPUFuncOp func)
      : b(b), loc(loc), config(config), func(func),
        elementType(config.elementType), accType(b.getF32Type()) {
    vectorElements = getRowKernelVectorElements(config);
    vectors = llvm::divideCeil(config.length, vectorElements);
    groupThreads = config.strategy == GPUStrategy::WarpRow
                       ? kGPUWarpSize
                       : getGPUBlockRowThreads(vectors);
    vectorsPerThread = llvm::divideCeil(vectors, groupThreads);
  }

  void build() {
    Value in = func.getArgument(0), out = func.getArgument(1);
    lane = gpu::ThreadIdOp::create(b, loc, gpu::Dimension::x);
    if (config.strategy == GPUStrategy::BlockRow) {
      Value row = gpu::BlockIdOp::create(b, loc, gpu::Dimension::x);
      buildRow(in, out, row);
      gpu::ReturnOp::create(b, loc);
      return;
    }
    Value row = arith::AddIOp::create(
        b, loc,
        arith::MulIOp::create(b, loc,
                              gpu::BlockIdOp::create(b, loc, gpu::Dimension::x),
                              index(kGPUWarpRowsPerBlock)),
        gpu::ThreadIdOp::create(b, loc, gpu::Dimension::y));
    if (config.rows % kGPUWarpRowsPerBlock == 0) {
      buildRow(in, out, row);
    } else {
      // A whole warp shares its row, so the test is uniform in the warp.
      Value inside = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ult,
                                           row, index(config.rows));
      auto ifOp = scf::IfOp::create(b, loc, inside, /*withElse=*/false);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      buildRow(in, out, row);
    }
    gpu::ReturnOp::create(b, loc);
  }

private:
  /// The kernel body for one row.
  void buildRow(Value in, Value out, Value row) {
    // Load: x[k][j], element j of the thread's vector k, in f32.
    SmallVector<SmallVector<Value>> x;
    for (int64_t k = 0; k < vectorsPerThread; ++k)
      x.push_back(loadVector(in, row, k));

    Value localMax = nullptr;
    for (ArrayRef<Value> v : x)
      for (Value value : v)
        localMax = localMax ? arith::MaximumFOp::create(b, loc, localMax, value)
                            : value;
    Value m = groupReduce(localMax, kMaxSlot, [&](Value a, Value c) -> Value {
      return arith::MaximumFOp::create(b, loc, a, c);
    });

    // t, e, and the thread's r and c.
    SmallVector<SmallVector<Value>> t(x.size()), e(x.size());
    Value r = constant(0.0), c = constant(0.0);
    for (auto [k, v] : llvm::enumerate(x)) {
      for (Value value : v) {
        Value isMax =
            arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OEQ, value, m);
        Value shifted =
            arith::SelectOp::create(b, loc, isMax, constant(0.0),
                                    arith::SubFOp::create(b, loc, value, m));
        Value exp = math::Exp2Op::create(
            b, loc,
            arith::MulFOp::create(b, loc, shifted,
                                  constant(llvm::numbers::log2e)));
        r = arith::AddFOp::create(
            b, loc, r,
            arith::SelectOp::create(b, loc, isMax, constant(0.0), exp));
        c = arith::AddFOp::create(b, loc, c,
                                  arith::SelectOp::create(b, loc, isMax,
                                                          constant(1.0),
                                                          constant(0.0)));
        t[k].push_back(shifted);
        e[k].push_back(exp);
      }
    }
    auto add = [&](Value a, Value d) -> Value {
      return arith::AddFOp::create(b, loc, a, d);
    };
    r = groupReduce(r, kSumSlot, add);
    c = groupReduce(c, kCountSlot, add);

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

    for (int64_t k = 0; k < vectorsPerThread; ++k) {
      SmallVector<Value> y;
      for (int64_t j = 0; j < vectorElements; ++j) {
        Value value =
            config.logarithmic
                ? arith::SubFOp::create(b, loc, t[k][j], factor).getResult()
                : arith::MulFOp::create(b, loc, e[k][j], factor).getResult();
        if (elementType != accType)
          value = arith::TruncFOp::create(b, loc, elementType, value);
        y.push_back(value);
      }
      storeVector(out, row, k, y);
    }
  }

  /// The first column of the thread's vector k.
  Value column(int64_t k) {
    Value chunk = arith::AddIOp::create(b, loc, index(k * groupThreads), lane);
    return arith::MulIOp::create(b, loc, chunk, index(vectorElements));
  }

  /// Whether the thread's vector k lies in the row for every thread.
  bool alwaysInRow(int64_t k) const {
    return (k + 1) * groupThreads <= vectors;
  }

  /// True where the thread's vector k lies in the row.
  Value inRow(int64_t k) {
    return arith::CmpIOp::create(
        b, loc, arith::CmpIPredicate::ult,
        arith::AddIOp::create(b, loc, index(k * groupThreads), lane),
        index(vectors));
  }

  /// The elements of the thread's vector k of `row`, in f32; -inf past the
  /// end of the row.
  SmallVector<Value> loadVector(Value in, Value row, int64_t k) {
    auto load = [&]() -> Value {
      Value col = column(k);
      if (vectorElements == 1)
        return memref::LoadOp::create(b, loc, in, ValueRange{row, col});
      return vector::LoadOp::create(
          b, loc, VectorType::get({vectorElements}, elementType), in,
          ValueRange{row, col}, /*nontemporal=*/false,
          b.getI64IntegerAttr(vectorElements * elementType.getWidth() / 8));
    };
    Value loaded;
    if (alwaysInRow(k)) {
      loaded = load();
    } else {
      Type type = vectorElements == 1
                      ? Type(elementType)
                      : VectorType::get({vectorElements}, elementType);
      auto ifOp = scf::IfOp::create(
          b, loc, inRow(k),
          [&](OpBuilder &, Location) {
            scf::YieldOp::create(b, loc, ValueRange{load()});
          },
          [&](OpBuilder &, Location) {
            TypedAttr negInf = b.getFloatAttr(
                elementType, APFloat::getInf(elementType.getFloatSemantics(),
                                             /*Negative=*/true));
            if (auto vectorType = dyn_cast<VectorType>(type))
              negInf = DenseElementsAttr::get(vectorType, negInf);
            scf::YieldOp::create(
                b, loc,
                ValueRange{arith::ConstantOp::create(b, loc, type, negInf)});
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

  /// Stores `elements` as the thread's vector k of `row`, where it lies in
  /// the row.
  void storeVector(Value out, Value row, int64_t k, ArrayRef<Value> elements) {
    auto store = [&]() {
      Value col = column(k);
      if (vectorElements == 1) {
        memref::StoreOp::create(b, loc, elements[0], out, ValueRange{row, col});
        return;
      }
      Value vector = vector::FromElementsOp::create(
          b, loc, VectorType::get({vectorElements}, elementType), elements);
      vector::StoreOp::create(
          b, loc, vector, out, ValueRange{row, col}, /*nontemporal=*/false,
          b.getI64IntegerAttr(vectorElements * elementType.getWidth() / 8));
    };
    if (alwaysInRow(k)) {
      store();
      return;
    }
    auto ifOp = scf::IfOp::create(b, loc, inRow(k), /*withElse=*/false);
    OpBuilder::InsertionGuard guard(b);
    b.setInsertionPointToStart(ifOp.thenBlock());
    store();
  }

  /// `combine` over the group's values of `value`: a butterfly of
  /// shuffles in each warp, then (block per row) the warps' results through
  /// row `slot` of the shared buffer. Every thread gets the result.
  Value groupReduce(Value value, SharedSlot slot,
                    function_ref<Value(Value, Value)> combine) {
    for (int64_t offset = kGPUWarpSize / 2; offset > 0; offset /= 2) {
      auto shuffle = gpu::ShuffleOp::create(b, loc, value, offset, kGPUWarpSize,
                                            gpu::ShuffleMode::XOR);
      value = combine(value, shuffle.getShuffleResult());
    }
    if (config.strategy == GPUStrategy::WarpRow)
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
    Value result = nullptr;
    for (int64_t w = 0; w < groupThreads / kGPUWarpSize; ++w) {
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
  gpu::GPUFuncOp func;
  FloatType elementType, accType;
  int64_t vectorElements, vectors, groupThreads, vectorsPerThread;
  Value lane;
};

} // namespace

int64_t
mlir::softmax::getRowKernelVectorElements(const RowKernelConfig &config) {
  FloatType elementType = config.elementType;
  return config.vectorized
             ? getGPUVectorElements(config.length, elementType.getWidth() / 8)
             : 1;
}

RowKernelLaunch
mlir::softmax::getRowKernelLaunch(const RowKernelConfig &config) {
  if (config.strategy == GPUStrategy::WarpRow)
    return {{llvm::divideCeilSigned(config.rows, kGPUWarpRowsPerBlock), 1, 1},
            {kGPUWarpSize, kGPUWarpRowsPerBlock, 1}};
  int64_t vectors =
      llvm::divideCeil(config.length, getRowKernelVectorElements(config));
  return {{config.rows, 1, 1}, {getGPUBlockRowThreads(vectors), 1, 1}};
}

gpu::GPUFuncOp mlir::softmax::buildRowKernel(OpBuilder &b, Location loc,
                                             StringRef name,
                                             const RowKernelConfig &config) {
  auto type = MemRefType::get({config.rows, config.length}, config.elementType);
  SmallVector<Type> workgroup;
  if (config.strategy == GPUStrategy::BlockRow)
    workgroup.push_back(
        MemRefType::get({kNumSlots * kGPUWarpSize}, b.getF32Type(), AffineMap(),
                        gpu::AddressSpaceAttr::get(
                            b.getContext(), gpu::AddressSpace::Workgroup)));
  auto func = gpu::GPUFuncOp::create(
      b, loc, name, b.getFunctionType({type, type}, {}), workgroup);
  func->setAttr(gpu::GPUDialect::getKernelFuncAttrName(), b.getUnitAttr());
  RowKernelLaunch launch = getRowKernelLaunch(config);
  func.setKnownBlockSizeAttr(
      b.getDenseI32ArrayAttr({static_cast<int32_t>(launch.block[0]),
                              static_cast<int32_t>(launch.block[1]),
                              static_cast<int32_t>(launch.block[2])}));
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(&func.getBody().front());
  RowKernelBuilder(b, loc, config, func).build();
  return func;
}
