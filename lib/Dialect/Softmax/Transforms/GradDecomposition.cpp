//===- GradDecomposition.cpp - softmax gradients in linalg ----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites the gradient ops into two linalg.generic ops on tensors: a row
// reduction s = sum(dy * y) (softmax_grad) or s = sum(dy) (log_softmax_grad)
// along dim, then dx = y * (dy - s) or dx = dy - exp(y) * s elementwise.
// f16 and bf16 compute in f32, f32 sums and combines in f64 (a long row
// summed in f32 drifts by ~sqrt(n) ulps), and the result is rounded once.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

using namespace mlir;
using namespace mlir::softmax;
using namespace mlir::softmax::detail;

/// dx of the normalisation along `dim` whose output is `y`, given `dy`.
static Value buildGrad(RewriterBase &b, Location loc, Value y, Value dy,
                       int64_t dim, bool logarithmic) {
  auto elementType =
      cast<FloatType>(cast<RankedTensorType>(y.getType()).getElementType());
  FloatType accType = getAccumulatorType(elementType);
  FloatType sumType = getSumType(elementType);
  RowGeometry g(b, loc, y, dim);

  // s = sum(dy * y) or sum(dy) along dim.
  Value init = filled(b, loc, g.rowSizes, sumType, 0.0);
  Value rowSum =
      linalg::GenericOp::create(
          b, loc, init.getType(), ValueRange{y, dy}, ValueRange{init},
          ArrayRef<AffineMap>{g.fullMap, g.fullMap, g.rowMap}, g.reduction(),
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value term = extend(nb, nl, args[1], sumType);
            if (!logarithmic)
              term = arith::MulFOp::create(
                  nb, nl, extend(nb, nl, args[0], sumType), term);
            linalg::YieldOp::create(
                nb, nl,
                arith::AddFOp::create(nb, nl, args[2], term).getResult());
          })
          .getResult(0);

  // dx = y * (dy - s) or dy - exp(y) * s.
  Value empty =
      tensor::EmptyOp::create(b, loc, g.sizes, elementType).getResult();
  return linalg::GenericOp::create(
             b, loc, empty.getType(), ValueRange{y, dy, rowSum},
             ValueRange{empty},
             ArrayRef<AffineMap>{g.fullMap, g.fullMap, g.rowMap, g.fullMap},
             g.parallel(),
             [&](OpBuilder &nb, Location nl, ValueRange args) {
               Value yv = args[0], s = args[2];
               Value grad = extend(nb, nl, args[1], sumType);
               Value dx;
               if (logarithmic) {
                 Value p =
                     math::ExpOp::create(nb, nl, extend(nb, nl, yv, accType));
                 dx = arith::SubFOp::create(
                     nb, nl, grad,
                     arith::MulFOp::create(nb, nl, extend(nb, nl, p, sumType),
                                           s));
               } else {
                 dx = arith::MulFOp::create(
                     nb, nl, extend(nb, nl, yv, sumType),
                     arith::SubFOp::create(nb, nl, grad, s));
               }
               if (sumType != elementType)
                 dx = arith::TruncFOp::create(nb, nl, elementType, dx);
               linalg::YieldOp::create(nb, nl, dx);
             })
      .getResult(0);
}

/// Replaces `op` (a gradient op with y, dy and dim) with its decomposition.
static Value replaceWithGrad(RewriterBase &rewriter, Operation *op, Value y,
                             Value dy, int64_t dim, bool logarithmic) {
  OpBuilder::InsertionGuard guard(rewriter);
  rewriter.setInsertionPoint(op);
  Value result = buildGrad(rewriter, op->getLoc(), y, dy, dim, logarithmic);
  rewriter.replaceOp(op, result);
  return result;
}

FailureOr<Value> mlir::softmax::decomposeSoftmaxGrad(RewriterBase &rewriter,
                                                     SoftmaxGradOp op) {
  return replaceWithGrad(rewriter, op, op.getOutput(), op.getOutputGrad(),
                         op.getDim(), /*logarithmic=*/false);
}

FailureOr<Value> mlir::softmax::decomposeLogSoftmaxGrad(RewriterBase &rewriter,
                                                        LogSoftmaxGradOp op) {
  return replaceWithGrad(rewriter, op, op.getOutput(), op.getOutputGrad(),
                         op.getDim(), /*logarithmic=*/true);
}
