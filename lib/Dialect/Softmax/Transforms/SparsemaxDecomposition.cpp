//===- SparsemaxDecomposition.cpp - sparsemax in linalg -------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites softmax.sparsemax into linalg on tensors and an scf.while that
// finds each row's threshold tau by support refinement (Michelot, 1986),
// on t = x - max(x) (so that no 1 is lost against a huge x): from
// tau = -1, a lower bound, repeat
//
//   S = {t > tau},  tau = (sum of S - 1) / |S|
//
// until no row's |S| shrinks. tau only grows and S only shrinks (it keeps
// the maximum), to the exact threshold in at most |S| rounds, a few in
// practice, each one pass over the rows (sums in f64 for f32, f32 for
// f16/bf16). Then y = max(t - tau, 0). Special values as for softmax: a NaN
// makes its row NaN, k +inf entries share the mass (1/k each), an all -inf row
// gives 0. softmax.sparsemax_grad becomes a row reduction over the support (y >
// 0) of dy and its size, then dx = dy - mean there, 0 elsewhere.
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

FailureOr<Value> mlir::softmax::decomposeSparsemax(RewriterBase &b,
                                                   SparsemaxOp op) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value x = op.getInput();
  auto elementType =
      cast<FloatType>(cast<RankedTensorType>(x.getType()).getElementType());
  FloatType sumType = getSumType(elementType);
  RowGeometry g(b, loc, x, op.getDim());
  double inf = std::numeric_limits<double>::infinity();

  // Per row: m = max(x) (NaN-propagating) and the number of +inf entries.
  Value rowMax, infCount;
  std::tie(rowMax, infCount) = buildRowMaxAndInfCount(b, loc, g, x, sumType);

  // In t = x - m (exact enough in the sum's type, and no 1 absorbed by a
  // huge x): tau = -1 (a lower bound), |S| = +inf (unknown) for rows with a
  // finite maximum; the others are settled.
  Value tauInit = tensor::EmptyOp::create(b, loc, g.rowSizes, sumType);
  SmallVector<AffineMap> rowMaps3(3, g.rowId);
  auto shiftedValue = [&](OpBuilder &nb, Location nl, Value v, Value m) {
    return arith::SubFOp::create(nb, nl, extend(nb, nl, v, sumType), m)
        .getResult();
  };
  auto init = linalg::GenericOp::create(
      b, loc, TypeRange{tauInit.getType(), tauInit.getType()},
      ValueRange{rowMax}, ValueRange{tauInit, tauInit}, rowMaps3,
      g.rowParallel(), [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value m = args[0];
        Value finite = arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::ONE,
                                             math::AbsFOp::create(nb, nl, m),
                                             constant(nb, nl, sumType, inf));
        Value count = arith::SelectOp::create(nb, nl, finite,
                                              constant(nb, nl, sumType, inf),
                                              constant(nb, nl, sumType, 0.0));
        linalg::YieldOp::create(
            nb, nl, ValueRange{constant(nb, nl, sumType, -1.0), count});
      });

  // The refinement, until no row's support shrinks: each round it does
  // (tau grows), or stays and the row is done; S always holds the maximum
  // (t = 0 > tau), so |S| >= 1 and the rounds are at most the row length.
  Type rowType = tauInit.getType();
  auto loop = scf::WhileOp::create(
      b, loc, TypeRange{rowType, rowType}, init.getResults(),
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value tau = args[0], count = args[1];
        Value zeros = filled(nb, nl, g.rowSizes, sumType, 0.0);
        auto sums = linalg::GenericOp::create(
            nb, nl, TypeRange{rowType, rowType}, ValueRange{x, rowMax, tau},
            ValueRange{zeros, zeros},
            ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap,
                                g.rowMap},
            g.reduction(), [&](OpBuilder &bb, Location bl, ValueRange a) {
              Value v = shiftedValue(bb, bl, a[0], a[1]);
              Value in = arith::CmpFOp::create(
                  bb, bl, arith::CmpFPredicate::OGT, v, a[2]);
              Value zero = constant(bb, bl, sumType, 0.0);
              linalg::YieldOp::create(
                  bb, bl,
                  ValueRange{arith::AddFOp::create(
                                 bb, bl, a[3],
                                 arith::SelectOp::create(bb, bl, in, v, zero)),
                             arith::AddFOp::create(
                                 bb, bl, a[4],
                                 arith::SelectOp::create(
                                     bb, bl, in, constant(bb, bl, sumType, 1.0),
                                     zero))});
            });
        // New (tau, |S|) where the maximum is finite; whether |S| shrank.
        Value flagInit =
            tensor::EmptyOp::create(nb, nl, g.rowSizes, nb.getI1Type());
        // Updated in place (the loop's own tensors: one-shot bufferization
        // needs the condition's values equivalent to the iteration's).
        SmallVector<AffineMap> maps(6, g.rowId);
        auto next = linalg::GenericOp::create(
            nb, nl, TypeRange{rowType, rowType, flagInit.getType()},
            ValueRange{rowMax, sums.getResult(0), sums.getResult(1)},
            ValueRange{tau, count, flagInit}, maps, g.rowParallel(),
            [&](OpBuilder &bb, Location bl, ValueRange a) {
              Value m = a[0], sum = a[1], n = a[2], oldTau = a[3],
                    oldCount = a[4];
              Value finite =
                  arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::ONE,
                                        math::AbsFOp::create(bb, bl, m),
                                        constant(bb, bl, sumType, inf));
              Value newTau = arith::DivFOp::create(
                  bb, bl,
                  arith::SubFOp::create(bb, bl, sum,
                                        constant(bb, bl, sumType, 1.0)),
                  n);
              // A support that does not shrink ends the row (one that
              // would grow by rounding is not taken).
              Value changed = arith::AndIOp::create(
                  bb, bl, finite,
                  arith::CmpFOp::create(bb, bl, arith::CmpFPredicate::OLT, n,
                                        oldCount));
              Value tauOut =
                  arith::SelectOp::create(bb, bl, changed, newTau, oldTau);
              Value countOut =
                  arith::SelectOp::create(bb, bl, changed, n, oldCount);
              linalg::YieldOp::create(bb, bl,
                                      ValueRange{tauOut, countOut, changed});
            });
        // Any row changed: reduce the flags to one.
        Value any =
            linalg::FillOp::create(
                nb, nl,
                ValueRange{
                    arith::ConstantOp::create(nb, nl, nb.getBoolAttr(false))},
                ValueRange{tensor::EmptyOp::create(nb, nl, ArrayRef<int64_t>{},
                                                   nb.getI1Type())})
                .getResult(0);
        SmallVector<utils::IteratorType> all(g.rank - 1,
                                             utils::IteratorType::reduction);
        Value anyChanged =
            linalg::GenericOp::create(
                nb, nl, TypeRange{any.getType()}, ValueRange{next.getResult(2)},
                ValueRange{any},
                ArrayRef<AffineMap>{
                    g.rowId, AffineMap::get(g.rank - 1, 0, nb.getContext())},
                all,
                [&](OpBuilder &bb, Location bl, ValueRange a) {
                  linalg::YieldOp::create(
                      bb, bl,
                      arith::OrIOp::create(bb, bl, a[0], a[1]).getResult());
                })
                .getResult(0);
        scf::ConditionOp::create(
            nb, nl, tensor::ExtractOp::create(nb, nl, anyChanged, ValueRange{}),
            ValueRange{next.getResult(0), next.getResult(1)});
      },
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        scf::YieldOp::create(nb, nl, args);
      });
  Value tau = loop.getResult(0);

  // y = max(x - tau, 0); +inf rows share the mass; all -inf rows give 0.
  Value empty = tensor::EmptyOp::create(b, loc, g.sizes, elementType);
  Value y = linalg::GenericOp::create(
                b, loc, TypeRange{empty.getType()},
                ValueRange{x, tau, rowMax, infCount}, ValueRange{empty},
                ArrayRef<AffineMap>{g.fullMap, g.rowMap, g.rowMap, g.rowMap,
                                    g.fullMap},
                g.parallel(),
                [&](OpBuilder &nb, Location nl, ValueRange args) {
                  Value v = extend(nb, nl, args[0], sumType), t = args[1],
                        m = args[2], k = args[3];
                  Value zero = constant(nb, nl, sumType, 0.0);
                  Value value = arith::MaximumFOp::create(
                      nb, nl,
                      arith::SubFOp::create(
                          nb, nl, arith::SubFOp::create(nb, nl, v, m), t),
                      zero);
                  value = selectSimplexSpecials(nb, nl, value, v, m, k);
                  if (sumType != elementType)
                    value = arith::TruncFOp::create(nb, nl, elementType, value);
                  linalg::YieldOp::create(nb, nl, value);
                })
                .getResult(0);
  b.replaceOp(op, y);
  return y;
}

FailureOr<Value> mlir::softmax::decomposeSparsemaxGrad(RewriterBase &b,
                                                       SparsemaxGradOp op) {
  // entmax's with alpha = 2: weights 1 on the support, dy minus its mean
  // there.
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Value dx = buildSimplexGrad(b, op.getLoc(), op.getOutput(),
                              op.getOutputGrad(), op.getDim(), /*alpha=*/2.0);
  b.replaceOp(op, dx);
  return dx;
}
