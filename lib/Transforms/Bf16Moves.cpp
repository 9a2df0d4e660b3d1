//===- Bf16Moves.cpp - bf16 data movement as i16 --------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// x86 without AVX512-BF16 has no bf16 vector registers' worth of operations:
// LLVM legalizes a masked load, masked store or select of bf16 vectors by
// promoting each element to float and back, one __truncsfbf2 libcall per
// element. The same ops on i16 are single instructions, and the bits they
// move are the same.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Bf16Moves.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"

using namespace mlir;

namespace {

/// `type` with bf16 elements (or bf16 itself) as i16; null if it has none.
Type asI16(Type type) {
  if (type.isBF16())
    return IntegerType::get(type.getContext(), 16);
  auto vector = dyn_cast<VectorType>(type);
  if (vector && vector.getElementType().isBF16())
    return vector.clone(IntegerType::get(type.getContext(), 16));
  return nullptr;
}

/// Rewrites a data-movement op whose operands or results hold bf16 into the
/// same op on i16: bf16 operands are bitcast to i16 before it, its i16
/// results back to bf16 after it (the bitcast pairs fold away where the
/// values were bitcast anyway, as arith-expand's bf16 conversions do).
struct MoveBf16AsI16 : RewritePattern {
  MoveBf16AsI16(MLIRContext *context)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, context) {}

  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    if (!isa<LLVM::LoadOp, LLVM::StoreOp, LLVM::MaskedLoadOp,
             LLVM::MaskedStoreOp, LLVM::SelectOp, LLVM::ShuffleVectorOp,
             LLVM::InsertElementOp, LLVM::ExtractElementOp>(op))
      return failure();
    auto holdsBf16 = [](Type type) { return asI16(type) != nullptr; };
    if (llvm::none_of(op->getOperandTypes(), holdsBf16) &&
        llvm::none_of(op->getResultTypes(), holdsBf16))
      return failure();

    Location loc = op->getLoc();
    Operation *moved = rewriter.clone(*op);
    rewriter.setInsertionPoint(moved);
    rewriter.modifyOpInPlace(moved, [&] {
      for (OpOperand &operand : moved->getOpOperands())
        if (Type to = asI16(operand.get().getType()))
          operand.set(
              LLVM::BitcastOp::create(rewriter, loc, to, operand.get()));
      for (OpResult result : moved->getResults())
        if (Type to = asI16(result.getType()))
          result.setType(to);
      // Fast-math flags mean nothing on an integer select.
      if (auto select = dyn_cast<LLVM::SelectOp>(moved))
        select.setFastmathFlags(LLVM::FastmathFlags::none);
    });
    rewriter.setInsertionPointAfter(moved);
    SmallVector<Value> results;
    for (auto [old, result] : llvm::zip(op->getResults(), moved->getResults()))
      results.push_back(
          old.getType() == result.getType()
              ? Value(result)
              : LLVM::BitcastOp::create(rewriter, loc, old.getType(), result));
    rewriter.replaceOp(op, results);
    return success();
  }
};

} // namespace

void mlir::softmax::populateBf16MovesAsI16Patterns(
    RewritePatternSet &patterns) {
  patterns.add<MoveBf16AsI16>(patterns.getContext());
}
