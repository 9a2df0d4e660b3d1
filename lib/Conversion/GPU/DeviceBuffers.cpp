//===- DeviceBuffers.cpp - what GPU host code may touch -------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/SideEffectInterfaces.h"
#include "mlir/Interfaces/ViewLikeInterface.h"

using namespace mlir;

gpu::GPUModuleOp mlir::softmax::getOrCreateKernelModule(ModuleOp module) {
  module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                  UnitAttr::get(module.getContext()));
  if (auto kernels = dyn_cast_or_null<gpu::GPUModuleOp>(
          SymbolTable::lookupSymbolIn(module, kGPUKernelModuleName)))
    return kernels;
  OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
  return gpu::GPUModuleOp::create(b, module.getLoc(), kGPUKernelModuleName);
}

bool mlir::softmax::isDeviceFunction(func::FuncOp function) {
  return !function.isExternal() &&
         function->hasAttr(LLVM::LLVMDialect::getEmitCWrapperAttrName());
}

Value mlir::softmax::getBufferRoot(Value buffer) {
  while (auto view = buffer.getDefiningOp<ViewLikeOpInterface>())
    buffer = view.getViewSource();
  return buffer;
}

bool mlir::softmax::isDeviceBuffer(Value buffer) {
  // Everything but what is known to be on the host: a buffer of unknown
  // origin (a select, an scf.if's result, a loop's iter_arg) may be device
  // memory.
  Value root = getBufferRoot(buffer);
  return !root.getDefiningOp<memref::AllocaOp>() &&
         !root.getDefiningOp<memref::GetGlobalOp>();
}

Operation *mlir::softmax::findDeviceAccess(Operation *op) {
  Operation *found = nullptr;
  op->walk<WalkOrder::PreOrder>([&](Operation *nested) {
    if (isa<gpu::GPUDialect>(nested->getDialect()))
      return WalkResult::skip();
    auto effects = dyn_cast<MemoryEffectOpInterface>(nested);
    if (!effects) {
      // An op of unknown effects (a call) that takes device memory may
      // touch it; one that has recursive effects is judged by its body.
      if (nested->hasTrait<OpTrait::HasRecursiveMemoryEffects>())
        return WalkResult::advance();
      if (llvm::any_of(nested->getOperands(), [](Value operand) {
            return isa<BaseMemRefType>(operand.getType()) &&
                   isDeviceBuffer(operand);
          })) {
        found = nested;
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    }
    SmallVector<MemoryEffects::EffectInstance> instances;
    effects.getEffects(instances);
    for (const MemoryEffects::EffectInstance &instance : instances) {
      if (!isa<MemoryEffects::Read, MemoryEffects::Write>(instance.getEffect()))
        continue;
      Value value = instance.getValue();
      if (value && isa<BaseMemRefType>(value.getType()) &&
          isDeviceBuffer(value)) {
        found = nested;
        return WalkResult::interrupt();
      }
    }
    return WalkResult::advance();
  });
  return found;
}
