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
  // Up to 2048 a warp row (64 elements a lane), whatever the rows.
  EXPECT_EQ(chooseGPUStrategy(4096, 1025, 4), GPUStrategy::WarpRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 2048, 2), GPUStrategy::WarpRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 2049, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 32768, 2), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(4096, 32769, 4), GPUStrategy::SplitRow);
  // Few rows: split from two chunks on; dynamic rows count as many.
  EXPECT_EQ(chooseGPUStrategy(8, 16384, 4), GPUStrategy::SplitRow);
  EXPECT_EQ(chooseGPUStrategy(8, 16383, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(64, 16384, 4), GPUStrategy::BlockRow);
  EXPECT_EQ(chooseGPUStrategy(ShapedType::kDynamic, 16384, 4),
            GPUStrategy::BlockRow);
  // Many short rows, or short rows counted at run time: a persistent grid.
  EXPECT_EQ(chooseGPUStrategy(kGPUPersistentMinRows - 1, 1024, 4),
            GPUStrategy::WarpRow);
  EXPECT_EQ(chooseGPUStrategy(kGPUPersistentMinRows, 1024, 4),
            GPUStrategy::PersistentRow);
  EXPECT_EQ(chooseGPUStrategy(ShapedType::kDynamic, 7, 2),
            GPUStrategy::PersistentRow);
  EXPECT_EQ(chooseGPUStrategy(1 << 20, 1025, 4), GPUStrategy::WarpRow);
  EXPECT_EQ(chooseGPUStrategy(ShapedType::kDynamic, 65536, 4),
            GPUStrategy::SplitRow);
}

TEST(GPUStrategy, Names) {
  for (GPUStrategy s :
       {GPUStrategy::WarpRow, GPUStrategy::BlockRow, GPUStrategy::SplitRow,
        GPUStrategy::Column, GPUStrategy::PersistentRow, GPUStrategy::ByLength})
    EXPECT_EQ(parseGPUStrategy(stringifyGPUStrategy(s)), s);
  EXPECT_FALSE(parseGPUStrategy("thread_row"));
}

/// Every length up to 40000 of every type, vectorized or not: the threads
/// of a row (or chunk) cover it, and none holds more than the limit (64
/// elements a lane of a warp row, 32 a thread otherwise).
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
          // A block a chunk of each of the 1000 rows, along x.
          span = kGPUSplitChunkElements / elements;
          EXPECT_EQ(launch.grid[0] % 1000, 0);
          int64_t chunks = launch.grid[0] / 1000;
          EXPECT_EQ(chunks, getSplitRowChunks(config));
          EXPECT_GE(chunks * span * elements, length);
          EXPECT_LT((chunks - 1) * span * elements, length);
          EXPECT_EQ(launch.grid[1], 1);
        } else if (config.strategy == GPUStrategy::WarpRow) {
          EXPECT_EQ(launch.block[1], kGPUWarpRowsPerBlock);
          EXPECT_EQ(launch.grid[0], 250);
        } else {
          EXPECT_EQ(launch.grid[0], 1000);
        }
        EXPECT_TRUE(llvm::isPowerOf2_64(threads));
        EXPECT_LE(threads, kGPUMaxBlockThreads);
        int64_t perThread = llvm::divideCeil(span, threads) * elements;
        // A warp row's lane holds up to twice a block thread's elements.
        EXPECT_LE(perThread, config.strategy == GPUStrategy::WarpRow
                                 ? kGPUWarpRowMaxLength / kGPUWarpSize
                                 : kGPUMaxElementsPerThread)
            << "length " << length << " "
            << stringifyGPUStrategy(config.strategy).str();
      }
    }
  }
}

/// persistent_row, every length a warp holds: a group of lanes (a power of
/// two, aligned in its warp) covers its row, a lane holds at most the limit
/// and at least two vectors when the row has that many per lane of a
/// smaller group; the blocks asked to be resident fit a multiprocessor
/// (2048 threads, 64K registers) with the registers a lane's elements need.
TEST(GPUStrategy, PersistentGroups) {
  MLIRContext context;
  Builder b(&context);
  for (FloatType type : {FloatType(b.getF32Type()), FloatType(b.getF16Type()),
                         FloatType(b.getBF16Type())}) {
    for (int64_t length = 1; length <= kGPUWarpSize * kGPUMaxElementsPerThread;
         ++length) {
      for (bool vectorized : {true, false}) {
        for (int64_t rows : {int64_t(100000), ShapedType::kDynamic}) {
          RowKernelConfig config{GPUStrategy::PersistentRow,
                                 false,
                                 type,
                                 rows,
                                 length,
                                 vectorized};
          RowKernelLaunch launch = getRowKernelLaunch(config);
          int64_t elements = getRowKernelVectorElements(config);
          int64_t vectors = llvm::divideCeil(length, elements);
          int64_t lanes = getGPUPersistentGroupThreads(vectors);
          ASSERT_TRUE(llvm::isPowerOf2_64(lanes));
          ASSERT_LE(lanes, kGPUWarpSize);
          int64_t perLane = llvm::divideCeil(vectors, lanes);
          EXPECT_GE(lanes * perLane, vectors);
          EXPECT_LE(perLane * elements, kGPUMaxElementsPerThread);
          if (lanes > 1)
            EXPECT_GE(perLane, 2) << "length " << length;
          EXPECT_EQ(launch.block[0], kGPUWarpSize);
          EXPECT_EQ(launch.block[1], kGPUWarpRowsPerBlock);
          EXPECT_EQ(launch.rowsPerBlock,
                    kGPUWarpSize / lanes * kGPUWarpRowsPerBlock);
          EXPECT_EQ(launch.grid[0],
                    ShapedType::isDynamic(rows)
                        ? ShapedType::kDynamic
                        : llvm::divideCeil(rows, launch.rowsPerBlock));
          int64_t blocks = launch.blocksPerMultiprocessor;
          int64_t threads = blocks * kGPUWarpSize * kGPUWarpRowsPerBlock;
          EXPECT_LE(threads, 2048);
          // Registers a thread may use then, against its elements plus
          // what the kernel needs besides (addresses, sums): 24.
          EXPECT_GE(65536 / threads, perLane * elements + 24)
              << "length " << length;
        }
      }
    }
  }
}

/// by_length: the variants cover every length from 1 on, in order, each
/// with a strategy that holds its longest row (at most the register limit
/// a thread, vectorized or element-wise), whatever the rows.
TEST(GPUStrategy, LengthVariants) {
  MLIRContext context;
  Builder b(&context);
  for (FloatType type : {FloatType(b.getF32Type()), FloatType(b.getF16Type()),
                         FloatType(b.getBF16Type())}) {
    for (int64_t rows : {int64_t(1), int64_t(8), int64_t(4096),
                         int64_t(1) << 20, ShapedType::kDynamic}) {
      RowKernelConfig config{GPUStrategy::ByLength, false, type, rows,
                             ShapedType::kDynamic};
      SmallVector<LengthVariant> variants =
          getLengthVariants(config, type.getWidth() / 8);
      ASSERT_FALSE(variants.empty());
      int64_t next = 1;
      for (const LengthVariant &variant : variants) {
        EXPECT_EQ(variant.minLength, next);
        EXPECT_TRUE(variant.config.dynamicLength);
        EXPECT_EQ(variant.config.rows, rows);
        for (const RowKernelConfig &c :
             {variant.config, getElementwiseConfig(variant.config)}) {
          if (c.strategy == GPUStrategy::SplitRow)
            continue; // any length, a chunk a block
          ASSERT_NE(variant.maxLength, -1);
          EXPECT_LE(variant.maxLength, c.length);
          int64_t elements = getRowKernelVectorElements(c);
          int64_t vectors = llvm::divideCeil(c.length, elements);
          int64_t threads = c.strategy == GPUStrategy::BlockRow
                                ? getRowKernelLaunch(c).block[0]
                            : c.strategy == GPUStrategy::PersistentRow
                                ? getGPUPersistentGroupThreads(vectors)
                                : kGPUWarpSize;
          int64_t perThread = llvm::divideCeil(vectors, threads) * elements;
          EXPECT_LE(perThread, kGPUMaxElementsPerThread);
          // Element-wise with a bounds test each: at most 16 a thread of a
          // full block.
          if (!c.vectorized && c.strategy == GPUStrategy::BlockRow &&
              threads == kGPUMaxBlockThreads)
            EXPECT_LE(perThread, kGPUMaxElementsPerThread / 2);
        }
        next = variant.maxLength + 1;
      }
      EXPECT_EQ(variants.back().maxLength, -1);
      EXPECT_EQ(variants.back().config.strategy, GPUStrategy::SplitRow);
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
