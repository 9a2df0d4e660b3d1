//===- RowKernels.h - GPU kernels for softmax rows --------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Builds the gpu.func kernels that `convert-softmax-to-gpu` launches: one
// per softmax op, normalising the rows of a [rows x length] buffer in one
// read and one write of each element (see GPUStrategy in
// Dialect/Softmax/Transforms/Transforms.h for the strategies).
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H
#define SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <array>

namespace mlir::softmax {

/// What one row kernel computes.
struct RowKernelConfig {
  GPUStrategy strategy;
  bool logarithmic;
  FloatType elementType;
  int64_t rows;
  int64_t length;
  /// Access the row in 16-byte vectors where its length allows (the
  /// buffers must then be 16-byte aligned), else element by element.
  bool vectorized = true;
};

/// Elements of one access of the kernel for `config`.
int64_t getRowKernelVectorElements(const RowKernelConfig &config);

/// The launch a row kernel needs: grid and block sizes (x, y, z).
struct RowKernelLaunch {
  std::array<int64_t, 3> grid;
  std::array<int64_t, 3> block;
};

/// The launch of the kernel for `config`.
RowKernelLaunch getRowKernelLaunch(const RowKernelConfig &config);

/// Builds the kernel `name` for `config` at the builder's insertion point,
/// which must be in a gpu.module: `(in, out: memref<rows x length x T>)`,
/// marked with its known block size.
gpu::GPUFuncOp buildRowKernel(OpBuilder &b, Location loc, StringRef name,
                              const RowKernelConfig &config);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H
