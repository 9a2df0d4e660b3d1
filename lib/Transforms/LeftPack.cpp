//===- LeftPack.cpp - softmax.left_pack as x86 instructions ---------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/LeftPack.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/SymbolTable.h"

using namespace mlir;
using namespace mlir::softmax;

/// The name of AVX2's table in a module.
static constexpr StringLiteral kAVX2TableName = "__softmax_left_pack_avx2";

/// AVX2's table, 256 rows of 8 lane indices (row `bits`: the lanes set in
/// `bits`, then the others, each in order), added to `module` once.
static memref::GlobalOp getOrCreateAVX2Table(RewriterBase &rewriter,
                                             ModuleOp module) {
  if (auto global = module.lookupSymbol<memref::GlobalOp>(kAVX2TableName))
    return global;
  SmallVector<int32_t> entries;
  for (int32_t bits = 0; bits < 256; ++bits) {
    for (int32_t lane = 0; lane < 8; ++lane)
      if (bits & (1 << lane))
        entries.push_back(lane);
    for (int32_t lane = 0; lane < 8; ++lane)
      if (!(bits & (1 << lane)))
        entries.push_back(lane);
  }
  auto type = MemRefType::get({int64_t(entries.size())}, rewriter.getI32Type());
  auto tensorType =
      RankedTensorType::get(type.getShape(), type.getElementType());
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPointToStart(module.getBody());
  return memref::GlobalOp::create(
      rewriter, module.getLoc(), kAVX2TableName,
      rewriter.getStringAttr("private"), type,
      DenseIntElementsAttr::get(tensorType, ArrayRef<int32_t>(entries)),
      /*constant=*/true, rewriter.getI64IntegerAttr(32));
}

namespace {
struct LowerLeftPack : OpRewritePattern<LeftPackOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(LeftPackOp op,
                                PatternRewriter &rewriter) const override {
    auto module = op->getParentOfType<ModuleOp>();
    if (!module)
      return rewriter.notifyMatchFailure(op, "not in a module");
    Location loc = op.getLoc();
    VectorType type = op.getInput().getType();
    int64_t lanes = type.getNumElements();
    // The mask's bits, and how many it sets.
    Value bits = vector::ExtractOp::create(
        rewriter, loc,
        vector::BitCastOp::create(
            rewriter, loc, VectorType::get({1}, rewriter.getIntegerType(lanes)),
            op.getKeep()),
        ArrayRef<int64_t>{0});
    bits = arith::ExtUIOp::create(rewriter, loc, rewriter.getI32Type(), bits);
    Value count = arith::IndexCastUIOp::create(
        rewriter, loc, rewriter.getIndexType(),
        math::CtPopOp::create(rewriter, loc, bits));
    Value packed;
    if (op.getTarget() == "avx512") {
      packed = LLVM::CallIntrinsicOp::create(
                   rewriter, loc, type,
                   rewriter.getStringAttr("llvm.x86.avx512.mask.compress"),
                   ValueRange{op.getInput(), op.getInput(), op.getKeep()})
                   .getResult(0);
    } else {
      memref::GlobalOp table = getOrCreateAVX2Table(rewriter, module);
      Value tableRef = memref::GetGlobalOp::create(
          rewriter, loc, table.getType(), table.getSymName());
      Value row = arith::IndexCastUIOp::create(
          rewriter, loc, rewriter.getIndexType(),
          arith::MulIOp::create(rewriter, loc, bits,
                                arith::ConstantIntOp::create(
                                    rewriter, loc, rewriter.getI32Type(), 8)));
      Value indices = vector::LoadOp::create(
          rewriter, loc, VectorType::get({8}, rewriter.getI32Type()), tableRef,
          ValueRange{row});
      packed = LLVM::CallIntrinsicOp::create(
                   rewriter, loc, type,
                   rewriter.getStringAttr("llvm.x86.avx2.permps"),
                   ValueRange{op.getInput(), indices})
                   .getResult(0);
    }
    rewriter.replaceOp(op, {packed, count});
    return success();
  }
};
} // namespace

void mlir::softmax::populateLeftPackLoweringPatterns(
    RewritePatternSet &patterns) {
  patterns.add<LowerLeftPack>(patterns.getContext());
}
