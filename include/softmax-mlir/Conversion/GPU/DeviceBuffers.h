//===- DeviceBuffers.h - what GPU host code may touch -----------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the GPU pipeline's host-side passes (softmax-gpu-map-loops,
// softmax-gpu-device-memory) agree on: which functions run on the host over
// device memory, and which buffers are device memory.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_CONVERSION_GPU_DEVICEBUFFERS_H
#define SOFTMAX_MLIR_CONVERSION_GPU_DEVICEBUFFERS_H

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/IR/BuiltinOps.h"

namespace mlir::softmax {

/// The `gpu.module @softmax_kernels` of `module` that the GPU pipeline's
/// kernels go in (convert-softmax-to-gpu's, the outlined ones), created at
/// its end if missing; `module` is marked a GPU container module.
gpu::GPUModuleOp getOrCreateKernelModule(ModuleOp module);

/// Whether `function` is one softmax-export-c-abi exported (it has a body
/// and `llvm.emit_c_interface`): for the GPU its arguments are device
/// pointers.
bool isDeviceFunction(func::FuncOp function);

/// The buffer `buffer` is a view of (through views and casts), or itself.
Value getBufferRoot(Value buffer);

/// Whether `buffer`, in a device function, may be device memory: anything
/// but a view of a `memref.alloca` or a `memref.get_global` (host memory).
bool isDeviceBuffer(Value buffer);

/// The first op in `op` (itself included, regions and all) that reads or
/// writes device memory, or null. Ops of the gpu dialect are not counted:
/// they are what runs on the device or moves its memory.
Operation *findDeviceAccess(Operation *op);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_CONVERSION_GPU_DEVICEBUFFERS_H
