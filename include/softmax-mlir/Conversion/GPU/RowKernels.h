//===- RowKernels.h - GPU kernels for softmax rows --------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Builds the gpu.func kernels that `convert-softmax-to-gpu` launches for
// one softmax op over a [rows x length] buffer (see GPUStrategy in
// Dialect/Softmax/Transforms/Transforms.h for the strategies): one kernel
// for warp_row, persistent_row and block_row, which read and write each
// element once; two for split_row, whose blocks each take a chunk of a row:
// the first writes each chunk's (max, sum, count) to a workspace, the
// second merges a row's partials and writes its chunk.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H
#define SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/GPU/IR/GPUDialect.h"

#include <array>

namespace mlir::softmax {

/// What one softmax op's kernels compute.
struct RowKernelConfig {
  GPUStrategy strategy;
  bool logarithmic;
  FloatType elementType;
  /// ShapedType::kDynamic when known only at run time.
  int64_t rows;
  int64_t length;
  /// Access the row in 16-byte vectors where its length allows (the
  /// buffers must then be 16-byte aligned), else element by element.
  bool vectorized = true;
  /// column: the product of the dims after the reduced one (rows: of those
  /// before it; length: its size); the buffers are rows x length x inner.
  int64_t inner = 1;
};

/// What a kernel of a config does.
enum class RowKernelRole {
  Row,        // warp_row, block_row: the whole row, in and out
  SplitStats, // split_row: each chunk's (max, sum, count) to the workspace
  SplitOutput // split_row: merge the row's partials, write the chunk
};

/// The launch a kernel needs: grid and block sizes (x, y, z); a grid size
/// that depends on dynamic rows is ShapedType::kDynamic (a block per row,
/// or a block per rowsPerBlock rows).
struct RowKernelLaunch {
  std::array<int64_t, 3> grid;
  std::array<int64_t, 3> block;
  /// Rows a block takes at a time (warp_row, persistent_row), else 1.
  int64_t rowsPerBlock = 1;
  /// persistent_row: grid.x is at most this many blocks a multiprocessor
  /// (times the device's multiprocessors, known at run time); else 0.
  int64_t blocksPerMultiprocessor = 0;
};

/// Elements of one access of the kernels for `config`.
int64_t getRowKernelVectorElements(const RowKernelConfig &config);

/// The roles of the kernels `config` takes, in launch order.
SmallVector<RowKernelRole> getRowKernelRoles(const RowKernelConfig &config);

/// The launch of the kernels for `config` (all of them take the same one).
RowKernelLaunch getRowKernelLaunch(const RowKernelConfig &config);

/// The chunks a split_row row is cut into, and the type of the workspace
/// that holds their (max, sum, count): memref<rows x chunks x 3 x f32>.
int64_t getSplitRowChunks(const RowKernelConfig &config);
MemRefType getSplitRowWorkspaceType(MLIRContext *context,
                                    const RowKernelConfig &config);

/// The arguments of the `role` kernel for `config`: (in, out) for Row,
/// (in, workspace) for SplitStats, (in, out, workspace) for SplitOutput; in
/// and out are memref<rows x length x T>. With dynamic rows, each buffer is
/// its first row's static view instead (memref<length x T>, the workspace
/// memref<chunks x 3 x f32>) and the rows follow as an index: every buffer
/// argument has a static shape and passes as a bare pointer.
SmallVector<Type> getRowKernelArgumentTypes(MLIRContext *context,
                                            const RowKernelConfig &config,
                                            RowKernelRole role);

/// Builds the `role` kernel `name` for `config` at the builder's insertion
/// point, which must be in a gpu.module, marked with its known block size,
/// with the arguments getRowKernelArgumentTypes gives.
gpu::GPUFuncOp buildRowKernel(OpBuilder &b, Location loc, StringRef name,
                              const RowKernelConfig &config,
                              RowKernelRole role = RowKernelRole::Row);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H
