//===- CHeaderTest.cpp - the C ABI description and header -----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/CPU/CPUTarget.h"
#include "softmax-mlir/Transforms/CABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/ExecutionEngine/CRunnerUtils.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/Parser/Parser.h"

#include "gtest/gtest.h"

#include <cstddef>

using namespace mlir;
using namespace mlir::softmax;

namespace {
OwningOpRef<ModuleOp> parse(MLIRContext &context, const char *source) {
  context.loadDialect<func::FuncDialect>();
  return parseSourceString<ModuleOp>(source, &context);
}

// The header spells MLIR's descriptor field by field; this mirror must have
// exactly StridedMemRefType's layout for the ABI to hold.
struct Descriptor2DF32 {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};
using MLIRDescriptor2DF32 = StridedMemRefType<float, 2>;
static_assert(sizeof(Descriptor2DF32) == sizeof(MLIRDescriptor2DF32));
static_assert(offsetof(Descriptor2DF32, offset) ==
              offsetof(MLIRDescriptor2DF32, offset));
static_assert(offsetof(Descriptor2DF32, sizes) ==
              offsetof(MLIRDescriptor2DF32, sizes));
static_assert(offsetof(Descriptor2DF32, strides) ==
              offsetof(MLIRDescriptor2DF32, strides));
} // namespace

TEST(CABITest, InputsThenOutputs) {
  MLIRContext context;
  OwningOpRef<ModuleOp> module = parse(context, R"mlir(
    func.func @f(%a: tensor<?x8xf32>, %b: tensor<2xf16>, %c: tensor<3xf64>)
        -> (tensor<3xf64>, tensor<?x8xf32>) {
      return %c, %a : tensor<3xf64>, tensor<?x8xf32>
    }
    func.func private @helper(%a: i32) -> i32 {
      return %a : i32
    })mlir");
  ASSERT_TRUE(module);
  auto funcs = llvm::to_vector(module->getOps<func::FuncOp>());
  ASSERT_EQ(funcs.size(), 2u);
  EXPECT_TRUE(isExportedThroughCABI(funcs[0]));
  EXPECT_FALSE(isExportedThroughCABI(funcs[1]));
  FailureOr<SmallVector<CABIParam>> params = getCABIParams(funcs[0]);
  ASSERT_TRUE(succeeded(params));
  ASSERT_EQ(params->size(), 5u);
  EXPECT_FALSE((*params)[0].isOutput);
  EXPECT_FALSE((*params)[1].isOutput);
  EXPECT_FALSE((*params)[2].isOutput);
  EXPECT_TRUE((*params)[3].isOutput);
  EXPECT_TRUE((*params)[4].isOutput);
  EXPECT_TRUE((*params)[1].type.getElementType().isF16());
  EXPECT_TRUE((*params)[3].type.getElementType().isF64());
  EXPECT_TRUE((*params)[4].type.getElementType().isF32());
  EXPECT_EQ(getCABISymbolName(funcs[0]), "_mlir_ciface_f");
}

TEST(CABITest, HeaderDeclaresDescriptorsAndFunctions) {
  MLIRContext context;
  OwningOpRef<ModuleOp> module = parse(context, R"mlir(
    func.func @probs(%a: tensor<?x8xf32>) -> tensor<?x8xf32> {
      return %a : tensor<?x8xf32>
    }
    func.func @half(%a: tensor<4xbf16>) -> tensor<4xbf16> {
      return %a : tensor<4xbf16>
    })mlir");
  ASSERT_TRUE(module);
  std::string header;
  llvm::raw_string_ostream os(header);
  ASSERT_TRUE(succeeded(emitCHeader(*module, "MY_GUARD_H", os)));
  EXPECT_NE(header.find("#ifndef MY_GUARD_H"), std::string::npos);
  EXPECT_NE(header.find("typedef struct {\n  float *allocated;\n  float "
                        "*aligned;\n  int64_t offset;\n  int64_t sizes[2];\n"
                        "  int64_t strides[2];\n} softmax_mlir_memref_2d_f32;"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("void _mlir_ciface_probs(const "
                        "softmax_mlir_memref_2d_f32 *in0, "
                        "softmax_mlir_memref_2d_f32 *out0);"),
            std::string::npos)
      << header;
  EXPECT_NE(header.find("uint16_t *aligned;"), std::string::npos);
  EXPECT_NE(header.find("void _mlir_ciface_half(const "
                        "softmax_mlir_memref_1d_bf16 *in0, "
                        "softmax_mlir_memref_1d_bf16 *out0);"),
            std::string::npos);
  // One typedef per descriptor kind, however often it is used.
  EXPECT_EQ(header.find("} softmax_mlir_memref_2d_f32;"),
            header.rfind("} softmax_mlir_memref_2d_f32;"));
}

TEST(CABITest, UnsupportedTypeIsAnErrorAtTheFunction) {
  MLIRContext context;
  OwningOpRef<ModuleOp> module = parse(context, R"mlir(
    func.func @f(%a: f32) -> f32 {
      return %a : f32
    })mlir");
  ASSERT_TRUE(module);
  std::string message;
  ScopedDiagnosticHandler handler(&context, [&](Diagnostic &diag) {
    message = diag.str();
    return success();
  });
  std::string header;
  llvm::raw_string_ostream os(header);
  EXPECT_TRUE(failed(emitCHeader(*module, "G", os)));
  EXPECT_EQ(message, "argument #0 of public function '@f' has type 'f32', "
                     "which the C ABI does not support (expected a ranked "
                     "tensor of f16, bf16, f32, f64, i1, i8, i16, i32 or "
                     "i64)");
  EXPECT_TRUE(header.empty());
}
