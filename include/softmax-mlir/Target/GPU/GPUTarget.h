//===- GPUTarget.h - PTX/cubin and kernel sidecars --------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What `softmax-compile --target=cuda` writes: the kernels' module (PTX or
// cubin) from the gpu.binary softmax-gpu-pipeline makes, and a JSON sidecar
// per kernel that tells any CUDA host how to launch it.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TARGET_GPU_GPUTARGET_H
#define SOFTMAX_MLIR_TARGET_GPU_GPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Support/LLVM.h"

#include <string>

namespace mlir::softmax {

/// One kernel of `gpu.module @softmax_kernels`, as its `softmax.kernel`
/// attribute describes it.
struct GPUKernelInfo {
  std::string name;
  DictionaryAttr info;
};

/// The kernels convert-softmax-to-gpu built in `module`.
SmallVector<GPUKernelInfo> collectGPUKernels(ModuleOp module);

/// The contents of the one object of `gpu.binary @softmax_kernels`, or a
/// diagnostic on `module`.
FailureOr<std::string> getGPUKernelBinary(ModuleOp module);

/// True for the chips softmax-compile accepts (sm_75 to sm_90a).
bool isSupportedGPUChip(StringRef chip);

/// The JSON sidecar of `kernel`, whose module is the file `moduleFile`
/// (relative to the sidecar) of kind `moduleKind` ("ptx" or "cubin").
std::string renderGPUKernelSidecar(const GPUKernelInfo &kernel,
                                   StringRef moduleKind, StringRef moduleFile,
                                   StringRef chip);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TARGET_GPU_GPUTARGET_H
