//===- GPUStrategyTest.cpp - the GPU cost model and launch geometry -------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Invariants the kernels rely on, over every row length the strategies
// take: a thread holds at most kGPUMaxElementsPerThread elements (more
// spill registers), the threads of a row or chunk cover it exactly once,
// and the launch matches the strategy.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/GPU/RowKernels.h"

#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/MLIRContext.h"
#include "llvm/Support/MathExtras.h"

#include <gtest/gtest.h>

using namespace mlir;
using namespace mlir::softmax;

namespace {

TEST(GPUStrategy, Choice) {
  EXPECT_EQ(chooseGPUStrategy(4096, 1024, 4), GPUStrategy::WarpRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 1025, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 32768, 2), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 32769, 4), GPUStrategy::SplitRow);
  // Few rows: split from two chunks on; dynamic rows count as many.
  EXPECT_EQ(chooseGPUStrategy(8, 16384, 4), GPUStrategy::SplitRow);
  EXPECT_EQ(chooseGPUStrategy(8, 16383, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(64, 16384, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(ShapedType::kDynamic, 16384, 4),
            GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(ShapedType::kDynamic, 65536, 4),
            GPUStrategy::SplitRow);
}

TEST(GPUStrategy, Names) {
  for (GPUStrategy s :
       {GPUStrategy::WarpRow, GPUStrategy::BlockRow, GPUStrategy::SplitRow})
    EXPECT_EQ(parseGPUStrategy(stringifyGPUStrategy(s)), s);
  EXPECT_FALSE(parseGPUStrategy("thread_row"));
}

/// Every length up to 40000 of every type, vectorized or not: the threads
/// of a row (or chunk) cover it, and none holds more than the limit.
TEST(GPUStrategy, Coverage) {
  MLIRContext context;
  Builder b(&context);
  for (FloatType type : {FloatType(b.getF32Type()), FloatType(b.getF16Type()),
                         FloatType(b.getBF16Type())}) {
    for (int64_t length = 1; length <= 40000; length += 1 + length / 64) {
      for (bool vectorized : {true, false}) {
        RowKernelConfig config{chooseGPUStrategy(1000, length, 4),
                               false,
                               type,
                               1000,
                               length,
                               vectorized};
        RowKernelLaunch launch = getRowKernelLaunch(config);
        int64_t elements = getRowKernelVectorElements(config);
        int64_t vectors = llvm::divideCeil(length, elements);
        EXPECT_EQ(vectors * elements, length) << "partial vectors";
        int64_t threads = launch.block[0];
        int64_t span = vectors; // vectors a group covers
        if (config.strategy == GPUStrategy::SplitRow) {
          span = kGPUSplitThreads * kGPUSplitElementsPerThread / elements;
          EXPECT_EQ(launch.grid[0] * span * elements >= length, true);
          EXPECT_LT((launch.grid[0] - 1) * span * elements, length);
          EXPECT_EQ(launch.grid[1], 1000);
        } else if (config.strategy == GPUStrategy::WarpRow) {
          EXPECT_EQ(launch.block[1], kGPUWarpRowsPerBlock);
          EXPECT_EQ(launch.grid[0], 250);
        } else {
          EXPECT_EQ(launch.grid[0], 1000);
        }
        EXPECT_TRUE(llvm::isPowerOf2_64(threads));
        EXPECT_LE(threads, kGPUMaxBlockThreads);
        int64_t perThread = llvm::divideCeil(span, threads) * elements;
        EXPECT_LE(perThread, kGPUMaxElementsPerThread)
            << "length " << length << " "
            << stringifyGPUStrategy(config.strategy).str();
      }
    }
  }
}

TEST(GPUStrategy, SplitWorkspace) {
  MLIRContext context;
  Builder b(&context);
  RowKernelConfig config{GPUStrategy::SplitRow, true, b.getF32Type(), 4,
                         1048576};
  EXPECT_EQ(getSplitRowChunks(config), 128);
  MemRefType workspace = getSplitRowWorkspaceType(&context, config);
  EXPECT_EQ(workspace.getShape(), ArrayRef<int64_t>({4, 128, 3}));
  EXPECT_EQ(getRowKernelRoles(config).size(), 2u);
}

} // namespace
