//===- MaskExpansion.cpp - masked softmax as an elementwise producer ------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites a softmax or log_softmax with a mask operand, a scale or the
// causal mask into a linalg.generic computing the masked input
//
//   z = x * scale;  z = mask ? z : -inf  (i1 mask)  or  z + mask  (float);
//   z = (j <= i + causal_offset) ? z : -inf  (causal, over the last two dims)
//
// (the mask read through a broadcasting map: its dims of static size 1 at
// index 0) and the same op without masking on z. f16 and bf16 compute z in
// f32 and round the normalised result once (a linalg.generic truncation
// after the op, which softmax-fuse takes into the row loops); f32 and f64
// in their own type. A fully masked row is all -inf, which the op maps to
// zeros (log_softmax: -inf). The producer is elementwise over the input, so
// softmax-fuse can compute it in the vector row loops where its operands
// qualify.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

namespace {
template <typename OpTy>
FailureOr<Operation *> expand(RewriterBase &b, OpTy op) {
  if (!op.hasMasking())
    return failure();
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value x = op.getInput(), mask = op.getMask();
  auto type = cast<RankedTensorType>(x.getType());
  auto elementType = cast<FloatType>(type.getElementType());
  FloatType computeType = getAccumulatorType(elementType);
  int64_t rank = type.getRank();
  MLIRContext *ctx = b.getContext();
  AffineMap identity = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<Value> inputs = {x};
  SmallVector<AffineMap> maps = {identity};
  if (mask) {
    auto maskType = cast<RankedTensorType>(mask.getType());
    SmallVector<AffineExpr> exprs;
    for (int64_t i = 0, e = maskType.getRank(); i < e; ++i)
      exprs.push_back(maskType.getDimSize(i) == 1
                          ? getAffineConstantExpr(0, ctx)
                          : getAffineDimExpr(rank - e + i, ctx));
    inputs.push_back(mask);
    maps.push_back(AffineMap::get(rank, 0, exprs, ctx));
  }
  maps.push_back(identity);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, x);
  Value init = tensor::EmptyOp::create(b, loc, sizes, computeType);
  std::optional<APFloat> scale = op.getScale();
  bool causal = op.getCausal();
  int64_t offset = op.getCausalOffset();
  double inf = std::numeric_limits<double>::infinity();
  Value z =
      linalg::GenericOp::create(
          b, loc, TypeRange{init.getType()}, inputs, ValueRange{init}, maps,
          SmallVector<utils::IteratorType>(rank, utils::IteratorType::parallel),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value v = extend(nb, nl, args[0], computeType);
            Value negInf = constant(nb, nl, computeType, -inf);
            if (scale)
              v = arith::MulFOp::create(
                  nb, nl, v,
                  constant(nb, nl, computeType, scale->convertToDouble()));
            if (mask) {
              Value m = args[1];
              if (m.getType().isInteger(1)) {
                v = arith::SelectOp::create(nb, nl, m, v, negInf);
              } else {
                auto maskType = cast<FloatType>(m.getType());
                if (maskType.getWidth() > computeType.getWidth())
                  m = arith::TruncFOp::create(nb, nl, computeType, m);
                else
                  m = extend(nb, nl, m, computeType);
                v = arith::AddFOp::create(nb, nl, v, m);
              }
            }
            if (causal) {
              auto asI64 = [&](int64_t d) -> Value {
                return arith::IndexCastOp::create(
                    nb, nl, nb.getI64Type(),
                    linalg::IndexOp::create(nb, nl, d));
              };
              Value limit =
                  arith::AddIOp::create(nb, nl, asI64(rank - 2),
                                        arith::ConstantIntOp::create(
                                            nb, nl, nb.getI64Type(), offset));
              Value kept = arith::CmpIOp::create(
                  nb, nl, arith::CmpIPredicate::sle, asI64(rank - 1), limit);
              v = arith::SelectOp::create(nb, nl, kept, v, negInf);
            }
            linalg::YieldOp::create(nb, nl, v);
          })
          .getResult(0);
  auto plain = OpTy::create(b, loc, z, op.getDim());
  Value y = plain.getResult();
  if (computeType != elementType) {
    Value out = tensor::EmptyOp::create(b, loc, sizes, elementType);
    y = linalg::GenericOp::create(
            b, loc, TypeRange{out.getType()}, ValueRange{y}, ValueRange{out},
            ArrayRef<AffineMap>{identity, identity},
            SmallVector<utils::IteratorType>(rank,
                                             utils::IteratorType::parallel),
            [&](OpBuilder &nb, Location nl, ValueRange args) {
              linalg::YieldOp::create(
                  nb, nl,
                  arith::TruncFOp::create(nb, nl, elementType, args[0])
                      .getResult());
            })
            .getResult(0);
  }
  b.replaceOp(op, y);
  return plain.getOperation();
}
} // namespace

FailureOr<Operation *> mlir::softmax::expandMasking(RewriterBase &rewriter,
                                                    Operation *op) {
  if (auto softmax = dyn_cast<SoftmaxOp>(op))
    return expand(rewriter, softmax);
  if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op))
    return expand(rewriter, logSoftmax);
  return failure();
}

namespace {
struct ExpandMaskPattern : RewritePattern {
  ExpandMaskPattern(MLIRContext *ctx)
      : RewritePattern(MatchAnyOpTypeTag(), /*benefit=*/1, ctx) {}
  LogicalResult matchAndRewrite(Operation *op,
                                PatternRewriter &rewriter) const override {
    return success(succeeded(expandMasking(rewriter, op)));
  }
};
} // namespace

void mlir::softmax::populateSoftmaxExpandMaskPatterns(
    RewritePatternSet &patterns) {
  patterns.add<ExpandMaskPattern>(patterns.getContext());
}
