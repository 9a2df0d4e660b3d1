//===- NontemporalStores.cpp - the softmax-nontemporal-stores pass --------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Transforms/NontemporalStores.h"

#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/IRMapping.h"
#include "llvm/ADT/SetVector.h"
#include "llvm/Support/MathExtras.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXNONTEMPORALSTORES
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

/// The memref a whole-vector write `op` writes and its indices, if it can
/// become a streaming store: 1-D, unmasked, in bounds, to a memref whose
/// innermost stride is 1.
static std::optional<std::pair<Value, ValueRange>>
getStreamable(Operation *op) {
  if (auto store = dyn_cast<vector::StoreOp>(op)) {
    if (store.getVectorType().getRank() != 1 ||
        !store.getMemRefType().isLastDimUnitStride())
      return std::nullopt;
    return std::make_pair(store.getBase(), store.getIndices());
  }
  auto write = dyn_cast<vector::TransferWriteOp>(op);
  auto type = write ? dyn_cast<MemRefType>(write.getShapedType()) : nullptr;
  if (!type || write.getMask() || write.getVectorType().getRank() != 1 ||
      write.hasOutOfBoundsDim() ||
      !write.getPermutationMap().isMinorIdentity() ||
      !type.isLastDimUnitStride())
    return std::nullopt;
  return std::make_pair(write.getBase(), write.getIndices());
}

/// True if the address `indices` select moves by `step` elements when the
/// induction variable of `loop` does: the innermost index is the induction
/// variable, or it plus or minus a value defined outside the loop; the
/// others are defined outside the loop.
static bool stepsWithLoop(scf::ForOp loop, ValueRange indices) {
  auto isInvariant = [&](Value v) { return loop.isDefinedOutsideOfLoop(v); };
  if (!llvm::all_of(indices.drop_back(), isInvariant))
    return false;
  Value last = indices.back();
  if (last == loop.getInductionVar())
    return true;
  Operation *def = last.getDefiningOp();
  if (!isa_and_nonnull<arith::AddIOp, arith::SubIOp>(def))
    return false;
  Value lhs = def->getOperand(0), rhs = def->getOperand(1);
  return (lhs == loop.getInductionVar() && isInvariant(rhs)) ||
         (isa<arith::AddIOp>(def) && rhs == loop.getInductionVar() &&
          isInvariant(lhs));
}

Value mlir::softmax::buildElementAddress(OpBuilder &b, Location loc,
                                         Value memref, ValueRange indices) {
  auto metadata = memref::ExtractStridedMetadataOp::create(b, loc, memref);
  Value element = metadata.getOffset();
  for (auto [index, stride] : llvm::zip_equal(indices, metadata.getStrides()))
    element = arith::AddIOp::create(
        b, loc, element, arith::MulIOp::create(b, loc, index, stride));
  Value base = memref::ExtractAlignedPointerAsIndexOp::create(b, loc, memref);
  int64_t bytes =
      cast<MemRefType>(memref.getType()).getElementTypeBitWidth() / 8;
  return arith::AddIOp::create(
      b, loc, base,
      arith::MulIOp::create(b, loc, element,
                            arith::ConstantIndexOp::create(b, loc, bytes)));
}

/// Versions `loop` on the alignment of its streamable writes: if every one
/// starts on an `alignment`-byte boundary (and, stepping by a multiple of
/// it, stays on one), a copy of the loop writes them with streaming stores;
/// otherwise the loop runs as it was. False if it has no write that can
/// stream.
static bool versionForStreaming(OpBuilder &b, scf::ForOp loop,
                                int64_t alignment) {
  std::optional<int64_t> step = getConstantIntValue(loop.getStep());
  SmallVector<Operation *> writes;
  for (Operation &op : loop.getBody()->without_terminator()) {
    auto streamable = getStreamable(&op);
    if (!streamable || !step || !stepsWithLoop(loop, streamable->second))
      continue;
    int64_t bytes =
        cast<MemRefType>(streamable->first.getType()).getElementTypeBitWidth() /
        8;
    if ((*step * bytes) % alignment == 0)
      writes.push_back(&op);
  }
  if (writes.empty())
    return false;

  // The first iteration's address of each write.
  Location loc = loop.getLoc();
  b.setInsertionPoint(loop);
  Value zero = arith::ConstantIndexOp::create(b, loc, 0);
  Value aligned;
  for (Operation *op : writes) {
    auto [memref, indices] = *getStreamable(op);
    SmallVector<Value> first(indices);
    if (Value last = indices.back(); last == loop.getInductionVar()) {
      first.back() = loop.getLowerBound();
    } else {
      IRMapping map;
      map.map(loop.getInductionVar(), loop.getLowerBound());
      first.back() = b.clone(*last.getDefiningOp(), map)->getResult(0);
    }
    Value offset = arith::RemUIOp::create(
        b, loc, softmax::buildElementAddress(b, loc, memref, first),
        arith::ConstantIndexOp::create(b, loc, alignment));
    Value isAligned =
        arith::CmpIOp::create(b, loc, arith::CmpIPredicate::eq, offset, zero);
    aligned =
        aligned ? arith::AndIOp::create(b, loc, aligned, isAligned).getResult()
                : isAligned;
  }

  auto ifOp = scf::IfOp::create(
      b, loc, aligned,
      [&](OpBuilder &nested, Location) {
        IRMapping map;
        Operation *copy = nested.clone(*loop, map);
        for (Operation *op : writes) {
          Operation *write = map.lookup(op);
          auto [memref, indices] = *getStreamable(write);
          nested.setInsertionPoint(write);
          vector::StoreOp::create(
              nested, write->getLoc(), write->getOperand(0), memref, indices,
              /*nontemporal=*/true, llvm::MaybeAlign(alignment));
          write->erase();
        }
        nested.setInsertionPointAfter(copy);
        scf::YieldOp::create(nested, loc, copy->getResults());
      },
      [&](OpBuilder &nested, Location) {
        Operation *copy = nested.clone(*loop);
        scf::YieldOp::create(nested, loc, copy->getResults());
      });
  loop->replaceAllUsesWith(ifOp.getResults());
  loop->erase();
  return true;
}

/// The outermost op around `op` that one thread runs as a whole: the
/// ancestor in the body of the enclosing OpenMP parallel region (the
/// worksharing loop, run once by every thread) or of the function.
static Operation *getThreadWork(Operation *op) {
  Operation *work = op;
  while (Operation *parent = work->getParentOp()) {
    if (isa<omp::ParallelOp>(parent) ||
        parent->hasTrait<OpTrait::IsIsolatedFromAbove>())
      break;
    work = parent;
  }
  return work;
}

namespace {
struct SoftmaxNontemporalStoresPass
    : softmax::impl::SoftmaxNontemporalStoresBase<
          SoftmaxNontemporalStoresPass> {
  using Base::Base;

  void runOnOperation() override {
    SmallVector<scf::ForOp> loops;
    getOperation()->walk([&](scf::ForOp loop) {
      if (loop->hasAttr(softmax::kNontemporalLoopAttrName))
        loops.push_back(loop);
    });
    OpBuilder b(&getContext());
    // The ops after which a fence goes, in the order they were found.
    llvm::SetVector<Operation *> fenced;
    for (scf::ForOp loop : loops) {
      auto alignment =
          loop->getAttrOfType<IntegerAttr>(softmax::kNontemporalLoopAttrName);
      if (!alignment || alignment.getInt() <= 0 ||
          !llvm::isPowerOf2_64(alignment.getInt())) {
        loop.emitError() << "softmax-nontemporal-stores: "
                         << softmax::kNontemporalLoopAttrName
                         << " must be a positive power-of-two alignment in "
                            "bytes";
        return signalPassFailure();
      }
      loop->removeAttr(softmax::kNontemporalLoopAttrName);
      Operation *work = getThreadWork(loop);
      if (versionForStreaming(b, loop, alignment.getInt()) && fence)
        fenced.insert(work);
    }
    for (Operation *work : fenced) {
      b.setInsertionPointAfter(work);
      LLVM::CallIntrinsicOp::create(
          b, work->getLoc(), TypeRange{}, "llvm.x86.sse.sfence", ValueRange{},
          LLVM::FastmathFlags::none, {}, nullptr, nullptr, nullptr);
    }
  }
};
} // namespace
