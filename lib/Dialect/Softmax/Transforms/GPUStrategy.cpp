//===- GPUStrategy.cpp - how a GPU kernel covers the rows -----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The cost model of the GPU strategies. Softmax moves each byte once and
// does little arithmetic per byte, so on a GPU it is bound by memory: the
// kernels keep the row in registers between the reductions and the output
// (one read and one write per element), load and store 16 bytes a thread
// where the row allows, and reduce with warp shuffles. A warp per row needs
// no block-wide synchronisation and suits rows of up to 1024 elements; a
// longer row spreads over a block, whose warps meet in shared memory; a
// row longer than a block holds, or one of a few long rows that would leave
// most of the GPU idle, is cut into chunks of a block each, read twice.
// Many short rows take a persistent grid: launching and retiring a block
// for every few rows costs more than their loads, so a grid the device
// holds at once loops over them, and a row shorter than two vectors a
// lane takes part of a warp. A row length known only at run time takes
// one of these for each range of lengths, chosen at run time.
// The thresholds are the design's. Measured on an H200
// (docs/performance/gpu-h200.md): warp rows reach 93-95% of the copy
// bandwidth for f32 rows of 128 to 1024, block rows 95-96% up to 12288;
// rows of 1025 (element-wise) 48% as block rows, 92% as warp rows, which
// now take rows up to 2048 (as PyTorch's kernel does); block rows of
// 16384 f32 (1024 threads of 64 registers: 50% occupancy) reach 75%.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/IR/BuiltinTypes.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/Support/MathExtras.h"

using namespace mlir;
using namespace mlir::softmax;

std::optional<GPUStrategy> mlir::softmax::parseGPUStrategy(StringRef name) {
  return llvm::StringSwitch<std::optional<GPUStrategy>>(name)
      .Case("warp_row", GPUStrategy::WarpRow)
      .Case("block_row", GPUStrategy::BlockRow)
      .Case("split_row", GPUStrategy::SplitRow)
      .Case("column", GPUStrategy::Column)
      .Case("persistent_row", GPUStrategy::PersistentRow)
      .Case("by_length", GPUStrategy::ByLength)
      .Default(std::nullopt);
}

StringRef mlir::softmax::stringifyGPUStrategy(GPUStrategy strategy) {
  switch (strategy) {
  case GPUStrategy::WarpRow:
    return "warp_row";
  case GPUStrategy::BlockRow:
    return "block_row";
  case GPUStrategy::SplitRow:
    return "split_row";
  case GPUStrategy::Column:
    return "column";
  case GPUStrategy::PersistentRow:
    return "persistent_row";
  case GPUStrategy::ByLength:
    return "by_length";
  }
  llvm_unreachable("unknown GPU strategy");
}

int64_t mlir::softmax::getGPUVectorElements(int64_t length,
                                            int64_t elementBytes) {
  int64_t elements = 16 / elementBytes;
  return length % elements == 0 ? elements : 1;
}

GPUStrategy mlir::softmax::chooseGPUStrategy(int64_t rows, int64_t length,
                                             int64_t elementBytes) {
  int64_t chunk = kGPUSplitChunkElements;
  bool fewRows = !ShapedType::isDynamic(rows) && rows < kGPUFewRows;
  if (length > kGPUMaxRowLength || (fewRows && length >= 2 * chunk))
    return GPUStrategy::SplitRow;
  if (length <= kGPUShortRowMaxLength)
    return ShapedType::isDynamic(rows) || rows >= kGPUPersistentMinRows
               ? GPUStrategy::PersistentRow
               : GPUStrategy::WarpRow;
  if (length <= kGPUWarpRowMaxLength)
    return GPUStrategy::WarpRow;
  return GPUStrategy::BlockRow;
}

int64_t mlir::softmax::getGPURowCount(ShapedType type, int64_t dim) {
  int64_t rows = 1;
  for (int64_t i = 0; i < dim; ++i) {
    if (type.isDynamicDim(i))
      return ShapedType::kDynamic;
    rows *= type.getDimSize(i);
  }
  return rows;
}

int64_t mlir::softmax::getGPUBlockRowThreads(int64_t vectors) {
  int64_t threads = llvm::PowerOf2Ceil(llvm::divideCeil(vectors, 4));
  return std::clamp<int64_t>(threads, 64, kGPUMaxBlockThreads);
}

int64_t mlir::softmax::getGPUPersistentGroupThreads(int64_t vectors) {
  return std::clamp<int64_t>(llvm::PowerOf2Ceil(llvm::divideCeil(vectors, 2)),
                             1, kGPUWarpSize);
}

int64_t mlir::softmax::getGPUPersistentBlocksPerMultiprocessor(
    int64_t elementsPerLane) {
  return elementsPerLane <= 8 ? 16 : 8;
}
