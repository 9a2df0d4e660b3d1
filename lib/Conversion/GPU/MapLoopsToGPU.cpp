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
#include "mlir/Interfaces/CallInterfaces.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"

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

/// Moves `ops` (in order, of one block) into a new parallel loop of one
/// iteration where the last one was, which runs them as one thread of one
/// block (the side-effect-free ops among them that stay behind read
/// nothing they compute).
scf::ParallelOp wrapInLoop(RewriterBase &rewriter, ArrayRef<Operation *> ops) {
  rewriter.setInsertionPoint(ops.back());
  Location loc = ops.back()->getLoc();
  Value zero = arith::ConstantIndexOp::create(rewriter, loc, 0);
  Value one = arith::ConstantIndexOp::create(rewriter, loc, 1);
  auto wrapper = scf::ParallelOp::create(rewriter, loc, ValueRange{zero},
                                         ValueRange{one}, ValueRange{one});
  for (Operation *op : ops)
    rewriter.moveOpBefore(op, wrapper.getBody()->getTerminator());
  return wrapper;
}

/// Makes the reduction dims of `op` its innermost (a named op generalized
/// first), so that its loops are parallel loops with the reductions
/// sequential in them rather than a host loop of launches.
LogicalResult putReductionsInside(RewriterBase &rewriter,
                                  linalg::LinalgOp &op) {
  SmallVector<utils::IteratorType> iterators = op.getIteratorTypesArray();
  SmallVector<unsigned> order;
  for (auto [i, iterator] : llvm::enumerate(iterators))
    if (iterator == utils::IteratorType::parallel)
      order.push_back(i);
  for (auto [i, iterator] : llvm::enumerate(iterators))
    if (iterator != utils::IteratorType::parallel)
      order.push_back(i);
  if (llvm::equal(order, llvm::seq<unsigned>(0, order.size())))
    return success();
  auto generic = dyn_cast<linalg::GenericOp>(op.getOperation());
  if (!generic) {
    rewriter.setInsertionPoint(op);
    FailureOr<linalg::GenericOp> generalized =
        linalg::generalizeNamedOp(rewriter, op);
    if (failed(generalized))
      return op->emitError("the GPU pipeline cannot reorder this op's loops");
    generic = *generalized;
  }
  FailureOr<linalg::GenericOp> interchanged =
      linalg::interchangeGenericOp(rewriter, generic, order);
  if (failed(interchanged))
    return generic->emitError("the GPU pipeline cannot reorder this op's "
                              "loops");
  op = cast<linalg::LinalgOp>(interchanged->getOperation());
  return success();
}

struct SoftmaxGPUMapLoopsPass
    : softmax::impl::SoftmaxGPUMapLoopsBase<SoftmaxGPUMapLoopsPass> {
  void runOnOperation() override {
    func::FuncOp function = getOperation();
    if (!isDeviceFunction(function))
      return;
    IRRewriter rewriter(&getContext());

    // Copies and linalg ops as parallel loops (a copy of a buffer onto
    // itself, which bufferization leaves for an output written in place,
    // as nothing).
    SmallVector<memref::CopyOp> copies;
    function.walk([&](memref::CopyOp copy) { copies.push_back(copy); });
    for (memref::CopyOp copy : copies) {
      rewriter.setInsertionPoint(copy);
      if (copy.getSource() != copy.getTarget())
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
      if (failed(putReductionsInside(rewriter, op)))
        return signalPassFailure();
      // An op without parallel dims (a reduction to a scalar, a rank-0
      // op) runs as one thread.
      if (op.getNumParallelLoops() == 0 &&
          !op->getParentOfType<scf::ParallelOp>())
        wrapInLoop(rewriter, {op.getOperation()});
      rewriter.setInsertionPoint(op);
      if (failed(linalg::linalgOpToParallelLoops(rewriter, op))) {
        op->emitError("the GPU pipeline cannot lower this op to loops");
        return signalPassFailure();
      }
      rewriter.eraseOp(op);
    }

    // The outermost parallel loops, and the host code around buffers
    // outside them, which goes into loops of one iteration: runs of it
    // (with the side-effect-free ops between them) a loop each.
    SmallVector<scf::ParallelOp> roots;
    SmallVector<SmallVector<Operation *>> runs;
    std::function<LogicalResult(Block &)> visit =
        [&](Block &block) -> LogicalResult {
      SmallVector<Operation *> run;
      auto endRun = [&]() {
        while (!run.empty() && !findDeviceAccess(run.back()))
          run.pop_back();
        if (!run.empty())
          runs.push_back(run);
        run.clear();
      };
      for (Operation &op : block) {
        if (auto loop = dyn_cast<scf::ParallelOp>(op)) {
          endRun();
          roots.push_back(loop);
          continue;
        }
        Operation *access = isa<gpu::GPUDialect>(op.getDialect())
                                ? nullptr
                                : findDeviceAccess(&op);
        if (!access) {
          // Side-effect-free ops and new buffers between the run's ops go
          // with them or stay before them.
          if (!run.empty() && op.getNumRegions() == 0 &&
              (isMemoryEffectFree(&op) || isa<memref::AllocOp>(op)))
            run.push_back(&op);
          else
            endRun();
          continue;
        }
        // Host control flow around launches stays on the host.
        bool launches =
            op.walk([](Operation *nested) {
                return isa<gpu::LaunchFuncOp, gpu::LaunchOp, scf::ParallelOp>(
                           nested)
                           ? WalkResult::interrupt()
                           : WalkResult::advance();
              }).wasInterrupted();
        if (launches) {
          endRun();
          for (Region &region : op.getRegions())
            for (Block &nested : region)
              if (failed(visit(nested)))
                return failure();
          continue;
        }
        // A call or an op of unknown effects cannot run in a kernel.
        WalkResult calls = op.walk([&](Operation *nested) {
          if (!isa<CallOpInterface>(nested) &&
              (isa<MemoryEffectOpInterface>(nested) ||
               nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>()))
            return WalkResult::advance();
          nested->emitError("the GPU pipeline cannot run '")
              << nested->getName()
              << "' on the device, and the host cannot touch device memory";
          return WalkResult::interrupt();
        });
        if (calls.wasInterrupted())
          return failure();
        run.push_back(&op);
      }
      endRun();
      return success();
    };
    for (Block &block : function.getBody())
      if (failed(visit(block)))
        return signalPassFailure();
    for (ArrayRef<Operation *> run : runs) {
      llvm::SmallPtrSet<Operation *, 8> inRun(run.begin(), run.end());
      SmallVector<Operation *> moved;
      for (Operation *op : run) {
        bool usedOutside = llvm::any_of(op->getUsers(), [&](Operation *user) {
          return !inRun.contains(op->getBlock()->findAncestorOpInBlock(*user));
        });
        // A new buffer stays on the host (a kernel would allocate it from
        // the device's heap and never free it).
        if (!usedOutside && !isa<memref::AllocOp>(op)) {
          moved.push_back(op);
          continue;
        }
        // A side-effect-free op the host needs, or a new buffer, stays on
        // the host if it reads nothing the run computes.
        bool readsRun = llvm::any_of(op->getOperands(), [&](Value operand) {
          Operation *def = operand.getDefiningOp();
          return def && inRun.contains(def);
        });
        if (findDeviceAccess(op) || readsRun) {
          op->emitError("the GPU pipeline runs every computation over "
                        "buffers on the device, but the host uses this op's "
                        "result");
          return signalPassFailure();
        }
        inRun.erase(op);
      }
      roots.push_back(wrapInLoop(rewriter, moved));
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
      // No iterations, no launch (a grid of size 0 is an error in CUDA).
      if (llvm::any_of(llvm::seq<unsigned>(0, loop.getNumLoops()),
                       [&](unsigned dim) {
                         std::optional<int64_t> count = getTripCount(loop, dim);
                         return count && *count == 0;
                       })) {
        rewriter.eraseOp(loop);
        continue;
      }
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
