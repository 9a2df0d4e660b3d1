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

/// The op a kernel computes a row of: softmax or log_softmax (see
/// `logarithmic`, and RowMasking for their masking), or a relative of
/// theirs. The relatives take warp_row and block_row (rows held in
/// registers) with static shapes.
enum class RowKernelOp {
  Normalize,
  SoftmaxGrad,
  LogSoftmaxGrad,
  Sparsemax,
  SparsemaxGrad,
  Entmax,
  EntmaxGrad,
  CrossEntropy,
  CrossEntropyGrad
};

/// The masking of a softmax or log_softmax, applied to each element as it
/// is loaded: z = x * scale, then the mask (i1: -inf where false; a float:
/// added), then the causal mask (-inf where column > row + offset, the row
/// counted in the input's second innermost dim).
struct RowMasking {
  std::optional<double> scale = std::nullopt;
  /// The mask operand's element type (i1 or a float type), null without
  /// one; the mask passes as a flat buffer of maskElements.
  Type maskType = {};
  int64_t maskElements = 0;
  /// The input's dims before the innermost (row major), and the mask
  /// elements one step along each of them moves (0 where it broadcasts),
  /// and along the row (1, or 0: one mask element a row).
  SmallVector<int64_t, 0> rowShape = {}, maskRowStrides = {};
  int64_t maskColumnStride = 0;
  bool causal = false;
  int64_t causalOffset = 0;

  bool any() const { return scale || maskType || causal; }
};

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
  /// Any of the three may be dynamic; vectorized column kernels take 16
  /// bytes of neighbouring columns a thread (the inner size a whole number
  /// of vectors).
  int64_t inner = 1;
  /// Rows whose length is known at run time (an argument N of the kernels;
  /// vectorized kernels need N to be a whole number of vectors): `length`
  /// is then the longest row the kernel takes, which sizes its threads and
  /// registers (split_row: any row, in chunks counted at run time).
  bool dynamicLength = false;
  RowKernelOp op = RowKernelOp::Normalize;
  RowMasking masking = {};
  /// entmax, entmax_grad.
  double alpha = 2.0;
  /// cross_entropy, cross_entropy_grad: the labels' type and attributes.
  IntegerType labelType = {};
  int64_t ignoreIndex = -100;
  double smoothing = 0.0;
};

/// What a kernel of a config does.
enum class RowKernelRole {
  Row,        // warp_row, block_row: the whole row, in and out
  SplitStats, // split_row: each chunk's (max, sum, count) to the workspace
  SplitOutput // split_row: merge the row's partials, write the chunk
};

/// A variant of an op's kernels for the rows of minLength to maxLength
/// elements (maxLength -1: no bound), its kernels named with `suffix`.
struct LengthVariant {
  RowKernelConfig config;
  int64_t minLength, maxLength;
  std::string suffix;
};

/// The variants of a by_length op (`config` with a dynamic length), in
/// increasing lengths, which cover every length from 1 on: rows of up to
/// 32, 256, 1024, 4096 and 32768 elements, each with the strategy
/// chooseGPUStrategy gives its longest row, and split rows beyond.
SmallVector<LengthVariant> getLengthVariants(const RowKernelConfig &config,
                                             int64_t elementBytes);

/// The element-wise variant of `config`, for buffers that are not 16-byte
/// aligned (or rows of a length known at run time that are no whole number
/// of vectors). With a dynamic length, rows of more than 16 elements a
/// thread of a full block are split instead: a bounds test for each of 32
/// elements takes more than the 64 registers a thread has there.
RowKernelConfig getElementwiseConfig(const RowKernelConfig &config);

/// The launch a kernel needs: grid and block sizes (x, y, z); a grid size
/// known only at run time is ShapedType::kDynamic: the rows' blocks (one a
/// row, or a block per rowsPerBlock rows), or split_row's rows x chunks.
/// Grids are one-dimensional (up to 2^31 - 1 blocks): split_row and column
/// blocks find their row (outer index) and chunk (columns) by division.
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

/// Whether a column config has a size known only at run time: its kernel
/// then takes stubs of the buffers and the rows, length and inner size.
bool hasDynamicColumnSizes(const RowKernelConfig &config);

/// The roles of the kernels `config` takes, in launch order.
SmallVector<RowKernelRole> getRowKernelRoles(const RowKernelConfig &config);

/// The launch of the kernels for `config` (all of them take the same one).
RowKernelLaunch getRowKernelLaunch(const RowKernelConfig &config);

/// The chunks a split_row row is cut into (ShapedType::kDynamic for a
/// dynamic length), and the type of the workspace that holds their (max,
/// sum, count): memref<rows x chunks x 3 x f32>.
int64_t getSplitRowChunks(const RowKernelConfig &config);
MemRefType getSplitRowWorkspaceType(MLIRContext *context,
                                    const RowKernelConfig &config);

/// The arguments of the `role` kernel for `config`: (in, out) for Row,
/// (in, workspace) for SplitStats, (in, out, workspace) for SplitOutput; in
/// and out are memref<rows x length x T>. With dynamic rows, each buffer is
/// its first row's static view instead (memref<length x T>, the workspace
/// memref<chunks x 3 x f32>) and the rows follow as an index: every buffer
/// argument has a static shape and passes as a bare pointer. With a dynamic
/// length, each buffer is a memref<1xT> stub (memref<3xf32> for the
/// workspace) and the rows M and the length N follow.
SmallVector<Type> getRowKernelArgumentTypes(MLIRContext *context,
                                            const RowKernelConfig &config,
                                            RowKernelRole role);

/// Whether `config` is a relative of softmax or a masked softmax (the
/// kernels of getFamilyKernelParameters).
bool isFamilyKernel(const RowKernelConfig &config);

/// The elements a thread of a family kernel holds at most (a lane of a
/// warp_row kernel with `warp`, else a thread of a block_row block), and so
/// the longest row a config's strategy takes (a block of up to 1024
/// threads).
int64_t getFamilyElementsPerThread(const RowKernelConfig &config, bool warp);
int64_t getFamilyMaxRowLength(const RowKernelConfig &config);

/// The parameters of a family kernel, as the kernel description names them
/// (bare pointers: "ptr:in", "ptr:mask", "ptr:out", "ptr:y", "ptr:dy",
/// "ptr:logits", "ptr:labels", "ptr:loss", "ptr:dloss"), in order.
SmallVector<StringRef> getFamilyKernelParameters(const RowKernelConfig &config);

/// Builds the `role` kernel `name` for `config` at the builder's insertion
/// point, which must be in a gpu.module, marked with its known block size,
/// with the arguments getRowKernelArgumentTypes gives.
gpu::GPUFuncOp buildRowKernel(OpBuilder &b, Location loc, StringRef name,
                              const RowKernelConfig &config,
                              RowKernelRole role = RowKernelRole::Row);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_CONVERSION_GPU_ROWKERNELS_H
