//===- MapLoopsToGPU.cpp - the softmax-gpu-map-loops pass -----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"

#include "mlir/Dialect/ControlFlow/IR/ControlFlowOps.h"
#include "mlir/Dialect/GPU/Transforms/ParallelLoopMapper.h"
#include "mlir/Dialect/Linalg/Transforms/Transforms.h"
#include "mlir/Dialect/Linalg/Utils/Utils.h"
#include "mlir/Dialect/SCF/Transforms/Transforms.h"
#include "mlir/Dialect/Utils/StaticValueUtils.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXGPUMAPLOOPS
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// The most threads a block of a mapped loop has.
constexpr int64_t kMaxThreads = 256;
/// The most blocks along a grid's y and z.
constexpr int64_t kMaxGridYZ = 65535;

/// The iterations of dim `i` of `loop`, where its bounds and step are
/// constants.
std::optional<int64_t> getTripCount(scf::ParallelOp loop, unsigned i) {
  std::optional<int64_t> lower = getConstantIntValue(loop.getLowerBound()[i]);
  std::optional<int64_t> upper = getConstantIntValue(loop.getUpperBound()[i]);
  std::optional<int64_t> step = getConstantIntValue(loop.getStep()[i]);
  if (!lower || !upper || !step || *step <= 0)
    return std::nullopt;
  return *upper <= *lower ? 0 : llvm::divideCeil(*upper - *lower, *step);
}

void setMapping(scf::ParallelOp loop, ArrayRef<gpu::Processor> processors) {
  OpBuilder b(loop);
  SmallVector<gpu::ParallelLoopDimMappingAttr> mapping;
  for (gpu::Processor processor : processors)
    mapping.push_back(b.getAttr<gpu::ParallelLoopDimMappingAttr>(
        processor, b.getDimIdentityMap(), b.getDimIdentityMap()));
  (void)gpu::setMappingAttr(loop, mapping);
}

/// Maps the outermost parallel loop `loop` (and what it nests) to a grid.
void mapLoop(scf::ParallelOp loop) {
  unsigned dims = loop.getNumLoops();
  // Nested parallel loops run in their thread.
  loop.getBody()->walk([](scf::ParallelOp nested) {
    setMapping(nested, SmallVector<gpu::Processor>(nested.getNumLoops(),
                                                   gpu::Processor::Sequential));
  });
  // Threads along the innermost dim: a tile of it a block (the counts are
  // the untiled loop's, whose steps are constants).
  SmallVector<std::optional<int64_t>> counts;
  for (unsigned dim = 0; dim < dims; ++dim)
    counts.push_back(getTripCount(loop, dim));
  std::optional<int64_t> innermost = counts.back();
  int64_t threads = kMaxThreads;
  if (innermost)
    threads = std::min<int64_t>(kMaxThreads, llvm::alignTo(*innermost, 32));
  scf::ParallelOp inner;
  if (!innermost || *innermost > 1) {
    SmallVector<int64_t> tiles(dims, 1);
    tiles.back() = threads;
    std::tie(loop, inner) =
        scf::tileParallelLoop(loop, tiles, /*noMinMaxBounds=*/true);
  }
  // Blocks: the innermost dim's tiles along x, the next dims along y and z
  // where they fit.
  SmallVector<gpu::Processor> blocks(dims, gpu::Processor::Sequential);
  const gpu::Processor grid[] = {gpu::Processor::BlockX, gpu::Processor::BlockY,
                                 gpu::Processor::BlockZ};
  for (unsigned level = 0; level < 3 && level < dims; ++level) {
    unsigned dim = dims - 1 - level;
    std::optional<int64_t> count = counts[dim];
    if (level > 0 && (!count || *count > kMaxGridYZ))
      continue;
    blocks[dim] = grid[level];
  }
  setMapping(loop, blocks);
  if (inner) {
    SmallVector<gpu::Processor> lanes(dims, gpu::Processor::Sequential);
    lanes.back() = gpu::Processor::ThreadX;
    setMapping(inner, lanes);
  }
}

/// Moves `op` into a new parallel loop of one iteration, which runs it as
/// one thread of one block.
scf::ParallelOp wrapInLoop(RewriterBase &rewriter, Operation *op) {
  rewriter.setInsertionPoint(op);
  Location loc = op->getLoc();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto wrapper = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                         ValueRange{one}, ValueRange{one});
  rewriter.moveOpBefore(op, wrapper.getBody()->getTerminator());
  return wrapper;
}

struct SoftmaxGPUMapLoopsPass
    : softmax::impl::SoftmaxGPUMapLoopsBase<SoftmaxGPUMapLoopsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (!isDeviceFunction(function))
      return;
    IRRewriter rewriter(&getContext());

    // Copies and linalg ops as parallel loops.
    SmallVector<memref::CopyOp> copies;
    function.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      linalg::makeMemRefCopyOp(rewriter, copy.getLoc(), copy.getSource(),
                               copy.getTarget());
      rewriter.eraseOp(copy);
    }
    SmallVector<linalg::LinalgOp> linalgOps;
    WalkResult tensors = function.walk([&](linalg::LinalgOp op) {
      if (!op.hasPureBufferSemantics()) {
        op->emitError("the GPU pipeline found a linalg op on tensors after "
                      "bufferization");
        return WalkResult::interrupt();
      }
      linalgOps.push_back(op);
      return WalkResult::advance();
    });
    if (tensors.wasInterrupted())
      return signalPassFailure();
    for (linalg::LinalgOp op : linalgOps) {
      // An op without parallel dims (a reduction to a scalar, a rank-0
      // op) runs as one thread.
      if (op.getNumParallelLoops() == 0 &&
          !op->getParentOfType<scf::ParallelOp>())
        wrapInLoop(rewriter, op);
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
        op->emitError("the GPU pipeline cannot lower this op to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }

    // The outermost parallel loops, and the host code around buffers
    // outside them, which goes into loops of one iteration.
    SmallVector<scf::ParallelOp> roots;
    SmallVector<Operation *> strays;
    std::function<void(Block &)> visit = [&](Block &block) {
      for (Operation &op : block) {
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          roots.push_back(loop);
          continue;
        }
        if (isa<gpu::GPUDialect>(op.getDialect()) || !findDeviceAccess(&op))
          continue;
        // Host control flow around launches stays on the host.
        bool launches =
            op.walk([](Operation *nested) {
                return isa<gpu::LaunchFuncOp, gpu::LaunchOp, scf::ParallelOp>(
                           nested)
                           ? WalkResult::interrupt()
                           : WalkResult::advance();
              }).wasInterrupted();
        if (!launches) {
          strays.push_back(&op);
          continue;
        }
        for (Region &region : op.getRegions())
          for (Block &nested : region)
            visit(nested);
      }
    };
    for (Block &block : function.getBody())
      visit(block);
    for (Operation *op : strays) {
      if (!op->use_empty()) {
        op->emitError("the GPU pipeline runs every computation over buffers "
                      "on the device, but the host uses this op's result");
        return signalPassFailure();
      }
      roots.push_back(wrapInLoop(rewriter, op));
    }
    // An assertion (torch-mlir's index checks) in an scf.if of its failure:
    // convert-parallel-loops-to-gpu takes no cf.assert directly in a body.
    SmallVector<cf::AssertOp> asserts;
    for (scf::ParallelOp loop : roots)
      loop.walk([&](cf::AssertOp assertion) { asserts.push_back(assertion); });
    for (cf::AssertOp assertion : asserts) {
      rewriter.setInsertionPoint(assertion);
      Location loc = assertion.getLoc();
      Value failed = arith::XOrIOp::create(
          rewriter, loc, assertion.getArg(),
          arith::ConstantIntOp::create(rewriter, loc, rewriter.getI1Type(), 1));
      auto ifOp = scf::IfOp::create(rewriter, loc, failed, /*withElse=*/false);
      rewriter.moveOpBefore(assertion, ifOp.thenBlock()->getTerminator());
    }
    for (scf::ParallelOp loop : roots) {
      if (!loop.getInitVals().empty()) {
        loop->emitError("the GPU pipeline maps parallel loops without "
                        "reductions only");
        return signalPassFailure();
      }
      mapLoop(loop);
    }
  }
};

} // namespace
