//===- SoftmaxOpsTest.cpp - builders and verifiers through the C++ API ----===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/Builders.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/Verifier.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {
class SoftmaxOpsTest : public ::testing::Test {
protected:
  SoftmaxOpsTest() : builder(&context) {
    context.loadDialect<SoftmaxDialect, func::FuncDialect>();
    module = ModuleOp::create(builder.getUnknownLoc());
    builder.setInsertionPointToStart(module->getBody());
  }

  /// A value of `type`, as the argument of a fresh function.
  Value makeValue(Type type) {
    auto func = func::FuncOp::create(builder, builder.getUnknownLoc(), "f",
                                     builder.getFunctionType({type}, {}));
    Block *block = func.addEntryBlock();
    builder.setInsertionPointToStart(block);
    return block->getArgument(0);
  }

  /// Verifies `op` and returns the first diagnostic ("" if it verified).
  std::string verifyMessage(Operation *op) {
    std::string message;
    ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
      if (message.empty())
        message = diag.str();
      return success();
    });
    if (succeeded(verify(op)))
      return "";
    return message;
  }

  MLIRContext context;
  OpBuilder builder;
  OwningOpRef<ModuleOp> module;
};
} // namespace

TEST_F(SoftmaxOpsTest, BuilderInfersTheResultType) {
  auto type =
      RankedTensorType::get({ShapedType::kDynamic, 8}, builder.getF16Type());
  Value x = makeValue(type);
  auto op = SoftmaxOp::create(builder, builder.getUnknownLoc(), x, 1);
  EXPECT_EQ(op.getType(), type);
  EXPECT_EQ(op.getDim(), 1);
  EXPECT_EQ(verifyMessage(op), "");
  auto logOp = LogSoftmaxOp::create(builder, builder.getUnknownLoc(), x, 0);
  EXPECT_EQ(verifyMessage(logOp), "");
}

TEST_F(SoftmaxOpsTest, DimOutOfRange) {
  Value x = makeValue(RankedTensorType::get({4, 8}, builder.getF32Type()));
  auto op = SoftmaxOp::create(builder, builder.getUnknownLoc(), x, 2);
  EXPECT_EQ(verifyMessage(op),
            "'softmax.softmax' op dim 2 is out of range for a tensor of "
            "rank 2 (expected 0 <= dim < 2)");
  auto negative = LogSoftmaxOp::create(builder, builder.getUnknownLoc(), x, -1);
  EXPECT_EQ(verifyMessage(negative),
            "'softmax.log_softmax' op dim -1 is out of range for a tensor of "
            "rank 2 (expected 0 <= dim < 2)");
}

TEST_F(SoftmaxOpsTest, RejectsIntegerUnrankedAndRankZero) {
  Value i = makeValue(RankedTensorType::get({4}, builder.getI32Type()));
  EXPECT_EQ(
      verifyMessage(SoftmaxOp::create(builder, builder.getUnknownLoc(), i, 0)),
      "'softmax.softmax' op expects an element type of f16, bf16, f32 or "
      "f64, but got 'i32'");
  Value u = makeValue(UnrankedTensorType::get(builder.getF32Type()));
  EXPECT_EQ(
      verifyMessage(SoftmaxOp::create(builder, builder.getUnknownLoc(), u, 0)),
      "'softmax.softmax' op expects a ranked tensor, but got "
      "'tensor<*xf32>'");
  Value s = makeValue(RankedTensorType::get({}, builder.getF32Type()));
  EXPECT_EQ(
      verifyMessage(SoftmaxOp::create(builder, builder.getUnknownLoc(), s, 0)),
      "'softmax.softmax' op expects a tensor of rank at least 1, but got "
      "'tensor<f32>'");
}

TEST_F(SoftmaxOpsTest, ResultTypeMustMatch) {
  Value x = makeValue(RankedTensorType::get({4}, builder.getF32Type()));
  auto op =
      SoftmaxOp::create(builder, builder.getUnknownLoc(),
                        RankedTensorType::get({4}, builder.getF64Type()), x,
                        /*mask=*/Value(), 0, /*scale=*/nullptr);
  EXPECT_NE(verifyMessage(op).find("input, output"), std::string::npos);
}

TEST_F(SoftmaxOpsTest, AccumulatorTypes) {
  EXPECT_TRUE(getAccumulatorType(builder.getF16Type()).isF32());
  EXPECT_TRUE(getAccumulatorType(builder.getBF16Type()).isF32());
  EXPECT_TRUE(getAccumulatorType(builder.getF32Type()).isF32());
  EXPECT_TRUE(getAccumulatorType(builder.getF64Type()).isF64());
}

TEST_F(SoftmaxOpsTest, GenericFormParsesAndPrintsCustomForm) {
  const char *source = R"mlir(
    func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
      %y = "softmax.softmax"(%x) <{dim = 1 : i64}>
          : (tensor<?x8xf32>) -> tensor<?x8xf32>
      return %y : tensor<?x8xf32>
    })mlir";
  OwningOpRef<ModuleOp> parsed = parseSourceString<ModuleOp>(source, &context);
  ASSERT_TRUE(parsed);
  std::string printed;
  llvm::raw_string_ostream os(printed);
  parsed->print(os);
  EXPECT_NE(printed.find("softmax.softmax %arg0 dim(1) : tensor<?x8xf32>"),
            std::string::npos)
      << printed;
}
