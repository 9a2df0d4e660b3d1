//===- CrossEntropyDecomposition.cpp - cross-entropy in linalg ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Rewrites softmax.cross_entropy into linalg.generic ops on tensors that
// never form the probabilities: per sample (a row along dim), m = max(x);
// s = sum(exp(t)) with t = x - m (and, with label smoothing, the row total
// of t); then lse = m + log(s) and
//
//   loss = (1 - e) (lse - x[label]) + e (lse - (m + total / classes))
//
// reading x[label] with tensor.extract. A label equal to ignore_index gives
// 0, one outside [0, classes) NaN (the read is clamped into the row). f16
// and bf16 compute in f32, f32 sums in f64; the loss is rounded once.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include <limits>

using namespace mlir;
using namespace mlir::softmax;

FailureOr<Value> mlir::softmax::decomposeCrossEntropy(RewriterBase &b,
                                                      CrossEntropyOp op) {
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPoint(op);
  Location loc = op.getLoc();
  Value logits = op.getLogits(), labels = op.getLabels();
  auto type = cast<RankedTensorType>(logits.getType());
  auto elementType = cast<FloatType>(type.getElementType());
  FloatType accType = getAccumulatorType(elementType);
  FloatType sumType =
      elementType.isF32() ? Float64Type::get(b.getContext()) : accType;
  int64_t dim = op.getDim(), rank = type.getRank();
  double smoothing = op.getLabelSmoothing().convertToDouble();
  MLIRContext *ctx = b.getContext();

  AffineMap fullMap = AffineMap::getMultiDimIdentityMap(rank, ctx);
  SmallVector<AffineExpr> rowExprs;
  for (int64_t i = 0; i < rank; ++i)
    if (i != dim)
      rowExprs.push_back(getAffineDimExpr(i, ctx));
  AffineMap rowMap = AffineMap::get(rank, /*symbolCount=*/0, rowExprs, ctx);
  AffineMap rowId = AffineMap::getMultiDimIdentityMap(rank - 1, ctx);
  SmallVector<OpFoldResult> sizes = tensor::getMixedSizes(b, loc, logits);
  SmallVector<OpFoldResult> rowSizes = sizes;
  rowSizes.erase(rowSizes.begin() + dim);
  SmallVector<utils::IteratorType> reduction(rank,
                                             utils::IteratorType::parallel);
  reduction[dim] = utils::IteratorType::reduction;
  SmallVector<utils::IteratorType> rowParallel(rank - 1,
                                               utils::IteratorType::parallel);

  auto constant = [](OpBuilder &nb, Location nl, Type t, double v) -> Value {
    return arith::ConstantOp::create(nb, nl, t, nb.getFloatAttr(t, v));
  };
  auto extend = [](OpBuilder &nb, Location nl, Value x, Type to) -> Value {
    return x.getType() == to ? x : arith::ExtFOp::create(nb, nl, to, x);
  };
  auto filledRow = [&](Type t, double v) -> Value {
    Value empty = tensor::EmptyOp::create(b, loc, rowSizes, t);
    return linalg::FillOp::create(b, loc, ValueRange{constant(b, loc, t, v)},
                                  ValueRange{empty})
        .getResult(0);
  };
  double negInf = -std::numeric_limits<double>::infinity();

  // m = max(x), NaN-propagating.
  Value maxInit = filledRow(accType, negInf);
  Value rowMax =
      linalg::GenericOp::create(
          b, loc, TypeRange{maxInit.getType()}, ValueRange{logits},
          ValueRange{maxInit}, ArrayRef<AffineMap>{fullMap, rowMap}, reduction,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            linalg::YieldOp::create(
                nb, nl,
                arith::MaximumFOp::create(
                    nb, nl, extend(nb, nl, args[0], accType), args[1])
                    .getResult());
          })
          .getResult(0);

  // s = sum(exp(t)), t = (x == m) ? 0 : x - m; the row total of x for
  // smoothing.
  SmallVector<Value> inits = {filledRow(sumType, 0.0)};
  if (smoothing != 0.0)
    inits.push_back(filledRow(sumType, 0.0));
  SmallVector<Type> sumTypes(inits.size(), inits[0].getType());
  SmallVector<AffineMap> sumMaps = {fullMap, rowMap};
  sumMaps.append(inits.size(), rowMap);
  auto sums = linalg::GenericOp::create(
      b, loc, sumTypes, ValueRange{logits, rowMax}, inits, sumMaps, reduction,
      [&](OpBuilder &nb, Location nl, ValueRange args) {
        Value x = extend(nb, nl, args[0], accType), m = args[1];
        Value isMax =
            arith::CmpFOp::create(nb, nl, arith::CmpFPredicate::OEQ, x, m);
        Value t = arith::SelectOp::create(nb, nl, isMax,
                                          constant(nb, nl, accType, 0.0),
                                          arith::SubFOp::create(nb, nl, x, m));
        Value e = extend(nb, nl, math::ExpOp::create(nb, nl, t), sumType);
        SmallVector<Value> results = {
            arith::AddFOp::create(nb, nl, args[2], e)};
        if (smoothing != 0.0)
          results.push_back(arith::AddFOp::create(nb, nl, args[3],
                                                  extend(nb, nl, t, sumType)));
        linalg::YieldOp::create(nb, nl, results);
      });

  // The loss per sample.
  auto lossType = cast<RankedTensorType>(op.getLoss().getType());
  Value lossInit = tensor::EmptyOp::create(b, loc, rowSizes, elementType);
  SmallVector<Value> rowInputs = {labels, rowMax, sums.getResult(0)};
  if (smoothing != 0.0)
    rowInputs.push_back(sums.getResult(1));
  SmallVector<AffineMap> lossMaps(rowInputs.size() + 1, rowId);
  Value classes = getValueOrCreateConstantIndexOp(b, loc, sizes[dim]);
  Value loss =
      linalg::GenericOp::create(
          b, loc, TypeRange{lossType}, rowInputs, ValueRange{lossInit},
          lossMaps, rowParallel,
          [&](OpBuilder &nb, Location nl, ValueRange args) {
            Value label = args[0], m = args[1], s = args[2];
            Type labelType = label.getType();
            // x[label], read at a label clamped into [0, classes).
            Value index =
                arith::IndexCastOp::create(nb, nl, nb.getIndexType(), label);
            Value zeroIndex = arith::ConstantIndexOp::create(nb, nl, 0);
            Value last = arith::SubIOp::create(
                nb, nl, classes, arith::ConstantIndexOp::create(nb, nl, 1));
            Value clamped = arith::MinSIOp::create(
                nb, nl, arith::MaxSIOp::create(nb, nl, index, zeroIndex), last);
            SmallVector<Value> at;
            for (int64_t i = 0, r = 0; i < rank; ++i)
              at.push_back(
                  i == dim ? clamped
                           : linalg::IndexOp::create(nb, nl, r++).getResult());
            Value xl = extend(
                nb, nl, tensor::ExtractOp::create(nb, nl, logits, at), sumType);
            // lse = m + log(s); an all -inf row has m = -inf (and loss NaN
            // from -inf - -inf, as in PyTorch).
            Value lse =
                arith::AddFOp::create(nb, nl, extend(nb, nl, m, sumType),
                                      math::LogOp::create(nb, nl, s));
            Value value = arith::SubFOp::create(nb, nl, lse, xl);
            if (smoothing != 0.0) {
              Value count = arith::UIToFPOp::create(
                  nb, nl, sumType,
                  arith::IndexCastUIOp::create(nb, nl, nb.getI64Type(),
                                               classes));
              // mean(x) = m + mean(t): the row total of t, not of x,
              // loses only what the spread of the row does.
              Value mean = arith::AddFOp::create(
                  nb, nl, extend(nb, nl, m, sumType),
                  arith::DivFOp::create(nb, nl, args[3], count));
              value = arith::AddFOp::create(
                  nb, nl,
                  arith::MulFOp::create(
                      nb, nl, constant(nb, nl, sumType, 1.0 - smoothing),
                      value),
                  arith::MulFOp::create(
                      nb, nl, constant(nb, nl, sumType, smoothing),
                      arith::SubFOp::create(nb, nl, lse, mean)));
            }
            // Ignored: 0; outside the classes: NaN.
            Value inRange = arith::AndIOp::create(
                nb, nl,
                arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::sge, index,
                                      zeroIndex),
                arith::CmpIOp::create(nb, nl, arith::CmpIPredicate::slt, index,
                                      classes));
            value = arith::SelectOp::create(
                nb, nl, inRange, value,
                constant(nb, nl, sumType,
                         std::numeric_limits<double>::quiet_NaN()));
            Value ignored = arith::CmpIOp::create(
                nb, nl, arith::CmpIPredicate::eq, label,
                arith::ConstantOp::create(
                    nb, nl, labelType,
                    nb.getIntegerAttr(labelType, op.getIgnoreIndex())));
            value = arith::SelectOp::create(
                nb, nl, ignored, constant(nb, nl, sumType, 0.0), value);
            if (sumType != elementType)
              value = arith::TruncFOp::create(nb, nl, elementType, value);
            linalg::YieldOp::create(nb, nl, value);
          })
          .getResult(0);
  b.replaceOp(op, loss);
  return loss;
}
