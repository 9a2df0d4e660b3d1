//===- RaiseFamily.cpp - the family's unfused linalg forms to ops ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Recognises the softmax gradients written by hand as linalg.generic chains
// and rewrites them into softmax.softmax_grad and softmax.log_softmax_grad:
//
//   s  = sum over dim d of dy * y      (a reduction generic from a zero fill,
//                                       reading dy and y, or a product
//                                       generic of them)
//   dx = y * (dy - s)                  (an elementwise generic reading s
//                                       broadcast along d)
//
// and likewise s = sum(dy), dx = dy - exp(y) * s. Only the exact chain is
// raised: the sum must have no other use (the op does not expose it), its
// init must be a fill with 0, the maps must be identities over the tensor
// and the projection without d for s, and the payloads exactly these
// expressions (either operand order where the arithmetic commutes). The
// raised op sums in a wider type than a hand-written f32 sum (f64); that is
// the only difference.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/Matchers.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// The tensor an input block argument of `generic` reads, if `v` is one.
Value getInputTensor(linalg::GenericOp generic, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != generic.getBody() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return nullptr;
  return generic.getDpsInputOperand(arg.getArgNumber())->get();
}

/// The operand of `generic` that `v` (an input block argument) reads.
OpOperand *getInputOperand(linalg::GenericOp generic, Value v) {
  auto arg = dyn_cast<BlockArgument>(v);
  if (!arg || arg.getOwner() != generic.getBody() ||
      arg.getArgNumber() >= generic.getNumDpsInputs())
    return nullptr;
  return generic.getDpsInputOperand(arg.getArgNumber());
}

/// The value `generic` yields for its one result, if it has one result and
/// one init that it does not read except as the reduction's accumulator.
Value getYielded(linalg::GenericOp generic) {
  if (generic->getNumResults() != 1 || generic.getNumDpsInits() != 1)
    return nullptr;
  return generic.getBody()->getTerminator()->getOperand(0);
}

/// If `v` is `OpTy(a, b)`, its operands; both orders are tried by callers.
template <typename OpTy>
std::optional<std::pair<Value, Value>> binary(Value v) {
  auto op = v.getDefiningOp<OpTy>();
  if (!op)
    return std::nullopt;
  return std::make_pair(op->getOperand(0), op->getOperand(1));
}

/// The dim a map drops, if it is the projection of the identity over `rank`
/// dims without one dim.
std::optional<int64_t> getDroppedDim(AffineMap map, int64_t rank) {
  if (map.getNumDims() != rank || map.getNumResults() != rank - 1 ||
      map.getNumSymbols() != 0)
    return std::nullopt;
  std::optional<int64_t> dropped;
  for (int64_t i = 0, r = 0; i < rank; ++i) {
    auto expr = r < rank - 1 ? dyn_cast<AffineDimExpr>(map.getResult(r))
                             : AffineDimExpr(nullptr);
    if (expr && expr.getPosition() == static_cast<unsigned>(i)) {
      ++r;
      continue;
    }
    if (dropped)
      return std::nullopt;
    dropped = i;
  }
  return dropped;
}

/// Whether `v` is a linalg.fill of 0.0.
bool isZeroFill(Value v) {
  auto fill = v.getDefiningOp<linalg::FillOp>();
  return fill && matchPattern(fill.getInputs()[0], m_AnyZeroFloat());
}

/// Whether every map of `generic` is the identity except `rowOperand`'s, and
/// all its loops are parallel.
bool isElementwise(linalg::GenericOp generic, OpOperand *rowOperand) {
  if (generic.getNumReductionLoops() != 0)
    return false;
  for (OpOperand &operand : generic->getOpOperands())
    if (&operand != rowOperand &&
        !generic.getMatchingIndexingMap(&operand).isIdentity())
      return false;
  return true;
}

/// The sum along `dim` of the terms `isTerm` accepts: `s` must be the single-
/// use result of a reduction generic over `dim` from a zero fill whose
/// payload is `out + term`, the term either computed in the payload from
/// identity-mapped inputs or read from an elementwise producer of one
/// input. `isTerm(generic, value)` checks a term inside `generic`.
bool isRowSum(Value s, int64_t dim,
              function_ref<bool(linalg::GenericOp, Value)> isTerm) {
  auto sum = s.getDefiningOp<linalg::GenericOp>();
  if (!sum || !s.hasOneUse())
    return false;
  Value yielded = getYielded(sum);
  int64_t rank = sum.getNumLoops();
  OpOperand *init = sum.getDpsInitOperand(0);
  if (!yielded || !isZeroFill(init->get()) || sum.getNumReductionLoops() != 1 ||
      sum.getIteratorTypesArray()[dim] != utils::IteratorType::reduction ||
      getDroppedDim(sum.getMatchingIndexingMap(init), rank) != dim)
    return false;
  for (OpOperand *input : sum.getDpsInputOperands())
    if (!sum.getMatchingIndexingMap(input).isIdentity())
      return false;
  Value acc = sum.getMatchingBlockArgument(init);
  auto add = binary<arith::AddFOp>(yielded);
  if (!add)
    return false;
  Value term = add->first == acc    ? add->second
               : add->second == acc ? add->first
                                    : Value();
  if (!term)
    return false;
  if (isTerm(sum, term))
    return true;
  // The term read from an elementwise producer.
  Value produced = getInputTensor(sum, term);
  auto producer = produced ? produced.getDefiningOp<linalg::GenericOp>()
                           : linalg::GenericOp();
  if (!producer || !produced.hasOneUse() || !getYielded(producer) ||
      !isElementwise(producer, nullptr) ||
      producer.payloadUsesValueFromOperand(producer.getDpsInitOperand(0)))
    return false;
  return isTerm(producer, getYielded(producer));
}

/// Raises dx = y * (dy - s), s = sum(dy * y), to softmax.softmax_grad and
/// dx = dy - exp(y) * s, s = sum(dy), to softmax.log_softmax_grad.
struct RaiseGrad : OpRewritePattern<linalg::GenericOp> {
  using OpRewritePattern::OpRewritePattern;

  LogicalResult matchAndRewrite(linalg::GenericOp generic,
                                PatternRewriter &rewriter) const override {
    Value yielded = getYielded(generic);
    if (!yielded ||
        generic.payloadUsesValueFromOperand(generic.getDpsInitOperand(0)))
      return failure();
    auto type = dyn_cast<RankedTensorType>(generic->getResult(0).getType());
    if (!type || type.getRank() == 0 ||
        !isSupportedElementType(type.getElementType()))
      return failure();
    int64_t rank = type.getRank();

    // The full-shape inputs y and dy and the per-row s of the payload.
    Value y, dy;
    OpOperand *sOperand = nullptr;
    auto full = [&](Value v) -> Value {
      OpOperand *operand = getInputOperand(generic, v);
      if (!operand || !generic.getMatchingIndexingMap(operand).isIdentity() ||
          operand->get().getType() != type)
        return nullptr;
      return operand->get();
    };
    auto perRow = [&](Value v) -> OpOperand * {
      OpOperand *operand = getInputOperand(generic, v);
      if (!operand ||
          !getDroppedDim(generic.getMatchingIndexingMap(operand), rank))
        return nullptr;
      return operand;
    };
    bool logarithmic = false;
    // y * (dy - s), either order of the product.
    if (auto mul = binary<arith::MulFOp>(yielded)) {
      for (auto [a, b] : {*mul, std::make_pair(mul->second, mul->first)}) {
        auto sub = binary<arith::SubFOp>(b);
        if (!sub || !full(a) || !full(sub->first) || !perRow(sub->second))
          continue;
        y = full(a);
        dy = full(sub->first);
        sOperand = perRow(sub->second);
        break;
      }
    } else if (auto sub = binary<arith::SubFOp>(yielded)) {
      // dy - exp(y) * s, either order of the product.
      auto mul = binary<arith::MulFOp>(sub->second);
      if (mul && full(sub->first)) {
        for (auto [a, b] : {*mul, std::make_pair(mul->second, mul->first)}) {
          auto exp = a.getDefiningOp<math::ExpOp>();
          if (!exp || !full(exp.getOperand()) || !perRow(b))
            continue;
          y = full(exp.getOperand());
          dy = full(sub->first);
          sOperand = perRow(b);
          logarithmic = true;
          break;
        }
      }
    }
    if (!sOperand || !isElementwise(generic, sOperand))
      return rewriter.notifyMatchFailure(generic, "not a gradient's payload");
    int64_t dim =
        *getDroppedDim(generic.getMatchingIndexingMap(sOperand), rank);

    // s = sum(dy * y) or sum(dy) along dim.
    auto isTerm = [&](linalg::GenericOp g, Value term) {
      auto reads = [&](Value v, Value tensor) {
        return getInputTensor(g, v) == tensor;
      };
      if (logarithmic)
        return reads(term, dy);
      auto mul = binary<arith::MulFOp>(term);
      return mul && ((reads(mul->first, dy) && reads(mul->second, y)) ||
                     (reads(mul->first, y) && reads(mul->second, dy)));
    };
    if (!isRowSum(sOperand->get(), dim, isTerm))
      return rewriter.notifyMatchFailure(generic, "not a row sum of the terms");

    Value dx;
    if (logarithmic)
      dx = LogSoftmaxGradOp::create(rewriter, generic.getLoc(), type, y, dy,
                                    dim);
    else
      dx = SoftmaxGradOp::create(rewriter, generic.getLoc(), type, y, dy, dim);
    rewriter.replaceOp(generic, dx);
    return success();
  }
};

} // namespace

void mlir::softmax::populateSoftmaxRaisePatterns(RewritePatternSet &patterns) {
  patterns.add<RaiseGrad>(patterns.getContext());
}
