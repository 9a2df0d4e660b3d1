//===- DeviceMemory.cpp - the softmax-gpu-device-memory pass --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"

#include "mlir/IR/PatternMatch.h"

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

    // Globals that launches read from the host: a device copy for the call.
    SmallVector<memref::GetGlobalOp> globals;
    function.walk([&](memref::GetGlobalOp get) {
      if (llvm::any_of(get->getUses(), [](OpOperand &use) {
            return isa<gpu::LaunchFuncOp>(use.getOwner());
          }))
        globals.push_back(get);
    });
    for (memref::GetGlobalOp get : globals) {
      rewriter.setInsertionPointAfter(get);
      Location loc = get.getLoc();
      DeviceOps ops(rewriter, loc);
      Value copy = ops.alloc(get.getType(), {}, {});
      ops.memcpy(copy, get.getResult());
      rewriter.replaceUsesWithIf(get.getResult(), copy, [](OpOperand &use) {
        return isa<gpu::LaunchFuncOp>(use.getOwner());
      });
      for (func::ReturnOp ret : returns) {
        rewriter.setInsertionPoint(ret);
        DeviceOps(rewriter, loc).dealloc(copy);
      }
    }

    // The host never touches device memory; kernels take bare pointers.
    WalkResult checked =
        function.walk<WalkOrder::PreOrder>([&](Operation *op) {
          if (auto launch = dyn_cast<gpu::LaunchFuncOp>(op)) {
            for (Value operand : launch.getKernelOperands()) {
              auto type = dyn_cast<MemRefType>(operand.getType());
              if (type &&
                  (!type.hasStaticShape() || !type.getLayout().isIdentity())) {
                launch->emitError("the GPU pipeline compiles the ops around "
                                  "softmax for static shapes only (a kernel "
                                  "here would take ")
                    << type << ")";
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
