//===- EntmaxDecomposition.cpp - alpha-entmax in linalg -------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites softmax.entmax into linalg on tensors and an scf.while that finds
// each row's threshold. With X = (alpha - 1) * (x - max(x)) (so X <= 0, and
// the maximum at 0) and p = 1 / (alpha - 1), the threshold tau solves
//
//   f(tau) = sum max(X - tau, 0)^p - 1 = 0,
//
// f decreasing, f(-1) >= 0 (the maximum alone gives 1) and f(0) = -1: the
// root is bracketed in [-1, 0]. Each round is one pass over the rows giving
// f and f' at the current tau; the bracket shrinks to the side of the root
// tau is on, and the next tau is the Newton step, or the bracket's midpoint
// where that step leaves the bracket. For p >= 1 (alpha <= 2) f is convex,
// so Newton steps from the left stay left of the root and converge
// quadratically; for p < 1 (alpha > 2) its derivative is unbounded where an
// entry meets tau, and the bracket is bisected instead. A row is done when the
// step or the bracket falls below a few ulps of the sum type (f64 for f32), or
// after kMaxRounds rounds.
//
// For alpha = 1.5 (p = 2) a round also solves the quadratic of its support
// S = {X > tau}: with u = X - tau over S, U1 = sum u, U2 = sum u^2 and
// k = |S|, the delta with sum (u - delta)^2 = 1 is
// (U2 - 1) / (U1 + sqrt(U1^2 - k (U2 - 1))). When every u is at least delta,
// tau + delta is the exact threshold (the entries outside S contribute 0
// there too) and the row is done: a few rounds, the support shrinking to the
// true one as tau grows. alpha = 2 is sparsemax and decomposes as such.
//
// Then y = max(X - tau, 0)^p, rescaled so that the row sums to 1 (as the
// entmax package's bisection does). Special values as for sparsemax: a NaN
// makes its row NaN, k +inf entries share the mass, an all -inf row gives 0.
//
// softmax.entmax_grad becomes, with g = y^(2 - alpha) on the support (y > 0)
// and 0 elsewhere, the row sums of g * dy and g, then
// dx = g * (dy - sum(g * dy) / sum(g)).
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "EntmaxMath.h"
#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

/// `value` in `type`; f64 through f32 to a 16-bit type, whose truncation
/// from f32 is all that arith-expand turns into integer arithmetic (LLVM
/// would call __truncdfbf2 otherwise).
static Value truncate(OpBuilder &b, Location loc, Value value, FloatType type) {
  if (value.getType() == type)
    return value;
  if (type.getWidth() < 32 && value.getType().isF64())
    value = arith::TruncFOp::create(b, loc, b.getF32Type(), value);
  return arith::TruncFOp::create(b, loc, type, value);
}

FailureOr<Value> mlir::softmax::decomposeEntmax(RewriterBase &b, EntmaxOp op) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  double alpha = op.getAlpha().convertToDouble();
  if (alpha == 2.0) {
    auto sparsemax =
        SparsemaxOp::create(b, loc, x.getType(), x, op.getDimAttr());
    b.replaceOp(op, sparsemax.getResult());
    return decomposeSparsemax(b, sparsemax);
  }
  auto elementType =
      cast<FloatType>(cast<RankedTensorType>(x.getType()).getElementType());
  FloatType sumType = EntmaxMath::getComputeType(elementType, alpha);
  EntmaxMath em(sumType, alpha);
  RowGeometry g(b, loc, x, op.getDim());
  double inf = std::numeric_limits<double>::infinity();
  MLIRContext *ctx = b.getContext();

  // Per row: m = max(x) (NaN-propagating) and the number of +inf entries.
  Value rowMax, infCount;
  std::tie(rowMax, infCount) = buildRowMaxAndInfCount(b, loc, g, x, sumType);

  // tau = lo = -1, hi = 0; rows whose maximum is not finite are done.
  auto rowType = RankedTensorType::get(
      cast<RankedTensorType>(rowMax.getType()).getShape(), sumType);
  auto flagType = RankedTensorType::get(rowType.getShape(), b.getI1Type());
  Value rowEmpty = tensor::EmptyOp::create(b, loc, g.rowSizes, sumType);
  Value flagEmpty = tensor::EmptyOp::create(b, loc, g.rowSizes, b.getI1Type());
  auto init = linalg::GenericOp::create(
      b, loc, TypeRange{rowType, rowType, rowType, flagType},
      ValueRange{rowMax}, ValueRange{rowEmpty, rowEmpty, rowEmpty, flagEmpty},
      SmallVector<AffineMap>(5, g.rowId), g.rowParallel(),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value finite = arith::CmpFOp::create(
            nb, nl, arith::CmpFPredicate::ONE,
            math::AbsFOp::create(nb, nl, args[0]), em.c(nb, nl, inf));
        Value done = arith::XOrIOp::create(
            nb, nl, finite,
            arith::ConstantIntOp::create(nb, nl, nb.getI1Type(), 1));
        linalg::YieldOp::create(nb, nl,
                                ValueRange{em.c(nb, nl, -1.0),
                                           em.c(nb, nl, -1.0),
                                           em.c(nb, nl, 0.0), done});
      });

  // The rounds, while any row is not done.
  Value zeroIndex = arith::ConstantIndexOp::create(b, loc, 0);
  SmallVector<Value> loopInit(init.getResults());
  loopInit.push_back(zeroIndex);
  SmallVector<Type> loopTypes{rowType, rowType, rowType, flagType,
                              b.getIndexType()};
  auto loop = scf::WhileOp::create(
      b, loc, loopTypes, loopInit,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value tau = args[0], lo = args[1], hi = args[2], done = args[3],
              round = args[4];
        // One pass: F = sum u^p and D = p * sum u^(p-1) over u = X - tau > 0;
        // for the exact quadratic, also |S| and the smallest u there.
        int64_t numSums = em.numSums();
        Value zeros = filled(nb, nl, g.rowSizes, sumType, 0.0);
        SmallVector<Value> sumInits;
        for (int64_t i = 0; i < numSums; ++i)
          sumInits.push_back(
              i == 3 ? filled(nb, nl, g.rowSizes, sumType, em.sumInit(i))
                     : zeros);
        SmallVector<AffineMap> passMaps{g.fullMap, g.rowMap, g.rowMap};
        passMaps.append(numSums, g.rowMap);
        auto pass = linalg::GenericOp::create(
            nb, nl, SmallVector<Type>(numSums, rowType),
            ValueRange{x, rowMax, tau}, sumInits, passMaps, g.reduction(),
            [&](OpBuilder &bb, Location bl, ValueRange a) {
              Value u = arith::SubFOp::create(
                  bb, bl,
                  em.scaled(bb, bl, extend(bb, bl, a[0], sumType), a[1]), a[2]);
              linalg::YieldOp::create(
                  bb, bl, em.accumulate(bb, bl, u, a.drop_front(3)));
            });

        // The next (tau, lo, hi, done), in place in the loop's own tensors
        // (one-shot bufferization needs the condition's values equivalent
        // to the iteration's).
        SmallVector<Value> updateInputs(pass.getResults());
        Value last = arith::CmpIOp::create(
            nb, nl, arith::CmpIPredicate::uge, round,
            arith::ConstantIndexOp::create(nb, nl, kEntmaxMaxRounds - 1));
        auto update = linalg::GenericOp::create(
            nb, nl, TypeRange{rowType, rowType, rowType, flagType},
            updateInputs, ValueRange{tau, lo, hi, done},
            SmallVector<AffineMap>(numSums + 4, g.rowId), g.rowParallel(),
            [&](OpBuilder &bb, Location bl, ValueRange a) {
              Value oldTau = a[numSums], oldLo = a[numSums + 1],
                    oldHi = a[numSums + 2], oldDone = a[numSums + 3];
              EntmaxUpdate next = em.update(bb, bl, oldTau, oldLo, oldHi,
                                            a.take_front(numSums), last);
              // Rows already done keep their values.
              auto keep = [&](Value fresh, Value old) -> Value {
                return arith::SelectOp::create(bb, bl, oldDone, old, fresh);
              };
              linalg::YieldOp::create(
                  bb, bl,
                  ValueRange{
                      keep(next.tau, oldTau), keep(next.lo, oldLo),
                      keep(next.hi, oldHi),
                      arith::OrIOp::create(bb, bl, oldDone, next.converged)});
            });
        // Whether every row is done: the flags reduced to one.
        Value all =
            linalg::FillOp::create(
                nb, nl,
                ValueRange{
                    arith::ConstantOp::create(nb, nl, nb.getBoolAttr(true))},
                ValueRange{tensor::EmptyOp::create(nb, nl, ArrayRef<int64_t>{},
                                                   nb.getI1Type())})
                .getResult(0);
        SmallVector<utils::IteratorType> reduceAll(
            g.rank - 1, utils::IteratorType::reduction);
        Value allDone =
            linalg::GenericOp::create(
                nb, nl, TypeRange{all.getType()},
                ValueRange{update.getResult(3)}, ValueRange{all},
                ArrayRef<AffineMap>{g.rowId,
                                    AffineMap::get(g.rank - 1, 0, ctx)},
                reduceAll,
                [&](OpBuilder &bb, Location bl, ValueRange a) {
                  linalg::YieldOp::create(
                      bb, bl,
                      arith::AndIOp::create(bb, bl, a[0], a[1]).getResult());
                })
                .getResult(0);
        Value more = arith::XOrIOp::create(
            nb, nl, tensor::ExtractOp::create(nb, nl, allDone, ValueRange{}),
            arith::ConstantIntOp::create(nb, nl, nb.getI1Type(), 1));
        Value nextRound = arith::AddIOp::create(
            nb, nl, round, arith::ConstantIndexOp::create(nb, nl, 1));
        scf::ConditionOp::create(
            nb, nl, more,
            ValueRange{update.getResult(0), update.getResult(1),
                       update.getResult(2), update.getResult(3), nextRound});
      },
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        scf::YieldOp::create(nb, nl, args);
      });
  Value tau = loop.getResult(0);

  // The row sums of max(X - tau, 0)^p, to rescale by.
  Value zeros = filled(b, loc, g.rowSizes, sumType, 0.0);
  Value total =
      linalg::GenericOp::create(
          b, loc, TypeRange{rowType}, ValueRange{x, rowMax, tau},
          ValueRange{zeros},
          ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap},
          g.reduction(),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value u = arith::SubFOp::create(
                nb, nl, em.scaled(nb, nl, extend(nb, nl, a[0], sumType), a[1]),
                a[2]);
            Value pos = arith::MaximumFOp::create(nb, nl, u, em.c(nb, nl, 0));
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, a[3], em.power(nb, nl, pos, em.p))
                    .getResult());
          })
          .getResult(0);

  // y = max(X - tau, 0)^p / total; NaN rows stay NaN, +inf rows share the
  // mass, all -inf rows give 0.
  Value empty = tensor::EmptyOp::create(b, loc, g.sizes, elementType);
  Value y =
      linalg::GenericOp::create(
          b, loc, TypeRange{empty.getType()},
          ValueRange{x, rowMax, tau, total, infCount}, ValueRange{empty},
          ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap, g.rowMap,
                              g.fullMap},
          g.parallel(),
          [&](OpBuilder &nb, Location nl, ValueRange a) {
            Value m = a[1], k = a[4];
            Value zero = em.c(nb, nl, 0.0);
            Value u = arith::SubFOp::create(
                nb, nl, em.scaled(nb, nl, extend(nb, nl, a[0], sumType), m),
                a[2]);
            Value pos = arith::MaximumFOp::create(nb, nl, u, zero);
            Value value = arith::DivFOp::create(
                nb, nl, em.power(nb, nl, pos, em.p), a[3]);
            value = selectSimplexSpecials(nb, nl, value,
                                          extend(nb, nl, a[0], sumType), m, k);
            Value isNaN =
                arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::UNO, m, m);
            value = arith::SelectOp::create(nb, nl, isNaN, m, value);
            value = truncate(nb, nl, value, elementType);
            linalg::YieldOp::create(nb, nl, value);
          })
          .getResult(0);
  b.replaceOp(op, y);
  return y;
}

Value mlir::softmax::detail::buildSimplexGrad(RewriterBase &b, Location loc,
                                              Value y, Value dy, int64_t dim,
                                              double alpha) {
  auto elementType =
      cast<FloatType>(cast<RankedTensorType>(y.getType()).getElementType());
  FloatType sumType = getSumType(elementType);
  EntmaxMath em(sumType, alpha);
  RowGeometry g(b, loc, y, dim);

  // g = y^(2 - alpha) on the support, else 0 (NaN where y is NaN).
  auto weight = [&](OpBuilder &nb, Location nl, Value yv) {
    return em.gradWeight(nb, nl, extend(nb, nl, yv, sumType));
  };
  Value zeros = filled(b, loc, g.rowSizes, sumType, 0.0);
  auto sums = linalg::GenericOp::create(
      b, loc, TypeRange{zeros.getType(), zeros.getType()}, ValueRange{y, dy},
      ValueRange{zeros, zeros},
      ArrayRef<AffineMap>{g.fullMap, g.fullMap, g.rowMap, g.rowMap},
      g.reduction(), [&](OpBuilder &nb, Location nl, ValueRange a) {
        Value w = weight(nb, nl, a[0]);
        Value wdy = em.onGradSupport(
            nb, nl, w,
            arith::MulFOp::create(nb, nl, w, extend(nb, nl, a[1], sumType)));
        linalg::YieldOp::create(
            nb, nl,
            ValueRange{arith::AddFOp::create(nb, nl, a[2], wdy),
                       arith::AddFOp::create(nb, nl, a[3], w)});
      });
  Value empty = tensor::EmptyOp::create(b, loc, g.sizes, elementType);
  Value dx = linalg::GenericOp::create(
                 b, loc, TypeRange{empty.getType()},
                 ValueRange{y, dy, sums.getResult(0), sums.getResult(1)},
                 ValueRange{empty},
                 ArrayRef<AffineMap>{g.fullMap, g.fullMap, g.rowMap, g.rowMap,
                                     g.fullMap},
                 g.parallel(),
                 [&](OpBuilder &nb, Location nl, ValueRange a) {
                   Value w = weight(nb, nl, a[0]);
                   Value q = arith::DivFOp::create(nb, nl, a[2], a[3]);
                   Value value = arith::MulFOp::create(
                       nb, nl, w,
                       arith::SubFOp::create(nb, nl,
                                             extend(nb, nl, a[1], sumType), q));
                   // Off the support 0, not 0 * NaN (a NaN dy there, or a row
                   // without support).
                   value = em.onGradSupport(nb, nl, w, value);
                   value = truncate(nb, nl, value, elementType);
                   linalg::YieldOp::create(nb, nl, value);
                 })
                 .getResult(0);
  return dx;
}

FailureOr<Value> mlir::softmax::decomposeEntmaxGrad(RewriterBase &b,
                                                    EntmaxGradOp op) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Value dx =
      buildSimplexGrad(b, op.getLoc(), op.getOutput(), op.getOutputGrad(),
                       op.getDim(), op.getAlpha().convertToDouble());
  b.replaceOp(op, dx);
  return dx;
}
