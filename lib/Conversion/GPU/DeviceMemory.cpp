//===- DeviceMemory.cpp - the softmax-gpu-device-memory pass --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"

#include "mlir/IR/IRMapping.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/Interfaces/ViewLikeInterface.h"
#include "llvm/ADT/StringMap.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXGPUDEVICEMEMORY
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// gpu.alloc, gpu.dealloc and gpu.memcpy as gpu-to-llvm lowers them: on a
/// stream (`gpu.wait async`), which the host then waits for, so that they
/// are done before the host goes on, as the launches are.
struct DeviceOps {
  DeviceOps(OpBuilder &b, Location loc) : b(b), loc(loc) {}

  Value alloc(MemRefType type, ValueRange sizes, ValueRange symbols) {
    auto op = gpu::AllocOp::create(b, loc, type, tokenType(), {start()}, sizes,
                                   symbols);
    finish(op.getAsyncToken());
    return op.getMemref();
  }
  void dealloc(Value buffer) {
    finish(gpu::DeallocOp::create(b, loc, tokenType(), {start()}, buffer)
               .getAsyncToken());
  }
  void memcpy(Value dst, Value src) {
    finish(gpu::MemcpyOp::create(b, loc, tokenType(), {start()}, dst, src)
               .getAsyncToken());
  }

private:
  Type tokenType() { return gpu::AsyncTokenType::get(b.getContext()); }
  Value start() {
    return gpu::WaitOp::create(b, loc, tokenType(), ValueRange{})
        .getAsyncToken();
  }
  void finish(Value token) {
    gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
  }

  OpBuilder &b;
  Location loc;
};

struct SoftmaxGPUDeviceMemoryPass
    : softmax::impl::SoftmaxGPUDeviceMemoryBase<SoftmaxGPUDeviceMemoryPass> {
  void runOnOperation() override {
    for (auto function : getOperation().getOps<func::FuncOp>())
      if (isDeviceFunction(function) && failed(convert(function)))
        return signalPassFailure();
  }

  LogicalResult convert(func::FuncOp function) {
    IRRewriter rewriter(&getContext());
    // Buffers in device memory, freed when the call returns (the kernels
    // of a call run in order, each done before the next host step).
    SmallVector<memref::AllocOp> allocs;
    WalkResult nested = function.walk([&](Operation *op) {
      if (isa<memref::DeallocOp>(op)) {
        op->emitError("the GPU pipeline frees the buffers it allocates "
                      "itself");
        return WalkResult::interrupt();
      }
      auto alloc = dyn_cast<memref::AllocOp>(op);
      if (!alloc)
        return WalkResult::advance();
      if (alloc->getBlock() != &function.getBody().front()) {
        alloc->emitError("the GPU pipeline allocates buffers in a "
                         "function's body only, not in a nested region");
        return WalkResult::interrupt();
      }
      allocs.push_back(alloc);
      return WalkResult::advance();
    });
    if (nested.wasInterrupted())
      return failure();
    SmallVector<func::ReturnOp> returns;
    function.walk([&](func::ReturnOp ret) { returns.push_back(ret); });
    for (memref::AllocOp alloc : allocs) {
      rewriter.setInsertionPoint(alloc);
      Value device = DeviceOps(rewriter, alloc.getLoc())
                         .alloc(alloc.getType(), alloc.getDynamicSizes(),
                                alloc.getSymbolOperands());
      rewriter.replaceOp(alloc, device);
      for (func::ReturnOp ret : returns) {
        rewriter.setInsertionPoint(ret);
        DeviceOps(rewriter, ret.getLoc()).dealloc(device);
      }
    }

    // Globals (or views of them) that launches read from the host: a device
    // copy for the call, made when it starts, the views rebuilt on it.
    llvm::StringMap<Value> copies;
    auto getCopy = [&](memref::GetGlobalOp get) -> Value {
      Value &copy = copies[get.getName()];
      if (copy)
        return copy;
      OpBuilder::InsertionGuard guard(rewriter);
      rewriter.setInsertionPointToStart(&function.getBody().front());
      Location loc = get.getLoc();
      auto host = cast<memref::GetGlobalOp>(rewriter.clone(*get));
      DeviceOps ops(rewriter, loc);
      copy = ops.alloc(get.getType(), {}, {});
      ops.memcpy(copy, host.getResult());
      for (func::ReturnOp ret : returns) {
        rewriter.setInsertionPoint(ret);
        DeviceOps(rewriter, loc).dealloc(copy);
      }
      return copy;
    };
    SmallVector<gpu::LaunchFuncOp> launches;
    function.walk(
        [&](gpu::LaunchFuncOp launch) { launches.push_back(launch); });
    for (gpu::LaunchFuncOp launch : launches) {
      for (OpOperand &operand : launch->getOpOperands()) {
        if (!isa<BaseMemRefType>(operand.get().getType()))
          continue;
        Value root = getBufferRoot(operand.get());
        if (root.getDefiningOp<memref::AllocaOp>())
          return launch->emitError("the GPU pipeline would pass a kernel a "
                                   "buffer on the host stack");
        auto get = root.getDefiningOp<memref::GetGlobalOp>();
        if (!get)
          continue;
        // The views from the global to the operand, outermost last.
        SmallVector<Operation *> views;
        for (Value view = operand.get(); view != root;
             view = cast<ViewLikeOpInterface>(view.getDefiningOp())
                        .getViewSource())
          views.push_back(view.getDefiningOp());
        IRMapping mapping;
        mapping.map(root, getCopy(get));
        rewriter.setInsertionPoint(launch);
        for (Operation *view : llvm::reverse(views))
          rewriter.clone(*view, mapping);
        rewriter.modifyOpInPlace(
            launch, [&] { operand.set(mapping.lookup(operand.get())); });
      }
    }

    // The host never touches device memory; kernels take bare pointers.
    WalkResult checked =
        function.walk<WalkOrder::PreOrder>([&](Operation *op) {
          if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
            for (Value operand : launch.getKernelOperands()) {
              auto type = dyn_cast<MemRefType>(operand.getType());
              if (type && !type.hasStaticShape()) {
                launch->emitError("the GPU pipeline compiles the ops around "
                                  "softmax for static shapes only (a kernel "
                                  "here would take ")
                    << type << ")";
                return WalkResult::interrupt();
              }
              if (type && !type.getLayout().isIdentity()) {
                launch->emitError("the GPU pipeline passes its kernels whole "
                                  "buffers (the identity layout), not ")
                    << type;
                return WalkResult::interrupt();
              }
            }
            return WalkResult::skip();
          }
          if (isa<gpu::GPUDialect>(op->getDialect()))
            return WalkResult::skip();
          if (op->getNumRegions() == 0 && findDeviceAccess(op)) {
            op->emitError("'")
                << op->getName()
                << "' would touch device memory on the host (the GPU "
                   "pipeline found no kernel for it)";
            return WalkResult::interrupt();
          }
          return WalkResult::advance();
        });
    return failure(checked.wasInterrupted());
  }
};

} // namespace
