//===- DecompositionTest.cpp - decomposeSoftmax through the C++ API -------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct Counts {
  int generics = 0, reductions = 0, exps = 0, logs = 0, extfs = 0, truncfs = 0,
      softmaxOps = 0, log1ps = 0;
};

Counts decomposeAndCount(const char *source) {
  MLIRContext context;
  context.loadDialect<SoftmaxDialect, func::FuncDialect, linalg::LinalgDialect,
                      tensor::TensorDialect, arith::ArithDialect,
                      math::MathDialect>();
  OwningOpRef<ModuleOp> module = parseSourceString<ModuleOp>(source, &context);
  EXPECT_TRUE(module);
  IRRewriter rewriter(&context);
  SmallVector<Operation *> ops;
  module->walk([&](Operation *op) {
    if (isa<SoftmaxOp, LogSoftmaxOp>(op))
      ops.push_back(op);
  });
  for (Operation *op : ops) {
    if (auto sm = dyn_cast<SoftmaxOp>(op))
      EXPECT_TRUE(succeeded(decomposeSoftmax(rewriter, sm)));
    else
      EXPECT_TRUE(
          succeeded(decomposeLogSoftmax(rewriter, cast<LogSoftmaxOp>(op))));
  }
  EXPECT_TRUE(succeeded(verify(*module)));
  Counts c;
  module->walk([&](Operation *op) {
    if (auto g = dyn_cast<linalg::GenericOp>(op)) {
      ++c.generics;
      if (g.getNumReductionLoops() > 0)
        ++c.reductions;
    }
    c.exps += isa<math::ExpOp>(op);
    c.logs += isa<math::LogOp>(op);
    c.log1ps += isa<math::Log1pOp>(op);
    c.extfs += isa<arith::ExtFOp>(op);
    c.truncfs += isa<arith::TruncFOp>(op);
    c.softmaxOps += isa<SoftmaxOp, LogSoftmaxOp>(op);
  });
  return c;
}
} // namespace

TEST(DecompositionTest, SoftmaxIsMaxSumScaleNormalize) {
  Counts c = decomposeAndCount(R"mlir(
    func.func @f(%x: tensor<3x?x5xf32>) -> tensor<3x?x5xf32> {
      %y = softmax.softmax %x dim(1) : tensor<3x?x5xf32>
      return %y : tensor<3x?x5xf32>
    })mlir");
  EXPECT_EQ(c.softmaxOps, 0);
  EXPECT_EQ(c.generics, 4);
  EXPECT_EQ(c.reductions, 2);
  EXPECT_EQ(c.exps, 2); // In the sum and in the normalisation.
  EXPECT_EQ(c.logs, 0);
  EXPECT_EQ(c.extfs, 1);   // f32 rows sum in f64...
  EXPECT_EQ(c.truncfs, 1); // ...and 1/s is rounded back to f32.
}

TEST(DecompositionTest, LogSoftmaxOfHalfComputesInF32) {
  Counts c = decomposeAndCount(R"mlir(
    func.func @f(%x: tensor<7xf16>) -> tensor<7xf16> {
      %y = softmax.log_softmax %x dim(0) : tensor<7xf16>
      return %y : tensor<7xf16>
    })mlir");
  EXPECT_EQ(c.softmaxOps, 0);
  EXPECT_EQ(c.generics, 4);
  EXPECT_EQ(c.exps, 1); // Only in the sum: log_softmax needs no second exp.
  EXPECT_EQ(c.logs, 0);
  EXPECT_EQ(c.log1ps, 1);
  EXPECT_EQ(c.extfs, 3); // x is extended in max, sum and output.
  EXPECT_EQ(c.truncfs, 1);
}
