//===- EntmaxMath.h - alpha-entmax's threshold search -----------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What the decomposition of softmax.entmax (EntmaxDecomposition.cpp, on
// whole tensors) and its vector row loops (FamilyVectorization.cpp, a row
// at a time) share: the terms each pass sums at the current threshold and
// the update of a row's (tau, lo, hi) from those sums, on scalars or
// vectors alike. See EntmaxDecomposition.cpp for the method.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ENTMAXMATH_H
#define SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ENTMAXMATH_H

#include "RowGeometry.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/PatternMatch.h"
#include "mlir/IR/TypeUtilities.h"

#include <cmath>

namespace mlir::softmax::detail {

/// Rounds after which a row stops refining even if its steps have not fallen
/// below the tolerance (rounding noise in the sums of very long rows):
/// bisection alone would have shrunk the bracket [-1, 0] below an f64 ulp.
inline constexpr int64_t kEntmaxMaxRounds = 64;

/// The next threshold of a row and whether the row is done.
struct EntmaxUpdate {
  Value tau, lo, hi, converged;
  /// A lower bound of the root (p >= 1, a convex F^(1/p): Newton's step from
  /// either side, the bracket's low end, the exact step), and whether the
  /// row converged before `last` forced it.
  Value lower, settled;
};

/// Builds alpha-entmax's arithmetic in its sum type, on scalars or vectors
/// of it.
struct EntmaxMath {
  EntmaxMath(FloatType sumType, double alpha)
      : sumType(sumType), alpha(alpha), p(1.0 / (alpha - 1.0)) {}

  /// The type entmax computes in: the sum type, f64 for every element type
  /// when alpha > 2 (y = u^p with p < 1 amplifies the threshold's error
  /// near it, dy/dtau = p u^(p-1)).
  static FloatType getComputeType(FloatType elementType, double alpha) {
    return alpha > 2.0 ? Float64Type::get(elementType.getContext())
                       : getSumType(elementType);
  }

  /// `value` of the type of `like` (a splat for a vector).
  Value c(OpBuilder &b, Location loc, Value like, double value) const {
    return constantLike(b, loc, like.getType(), value);
  }
  Value c(OpBuilder &b, Location loc, double value) const {
    return constant(b, loc, sumType, value);
  }

  /// X = (alpha - 1) * (x - m), x already in the sum type.
  Value scaled(OpBuilder &b, Location loc, Value x, Value m) const {
    Value t = arith::SubFOp::create(b, loc, x, m);
    return arith::MulFOp::create(b, loc, t, c(b, loc, t, alpha - 1.0));
  }

  /// v^e for v > 0: 1 for e = 0; for a whole or half-whole e up to 16
  /// (alpha = 1 + 1/n or 1 + 2/(2n + 1): p and p - 1 both such) products of
  /// v's squares and a square root, a few roundings where math.powf lowers
  /// to a libm call a lane (entmax alpha = 1.25, one thread, 4096 x 1024
  /// and 128 x 32768 f32: 42x-79x faster); else math.powf, marked `afn`
  /// (approximate functions allowed) on f32 with approximatePowers.
  Value power(OpBuilder &b, Location loc, Value v, double e) const {
    if (e == 0.0)
      return c(b, loc, v, 1.0);
    if (!isProduct(e)) {
      bool approximate =
          approximatePowers && getElementTypeOrSelf(v.getType()).isF32();
      return math::PowFOp::create(b, loc, v, c(b, loc, v, e),
                                  approximate ? arith::FastMathFlags::afn
                                              : arith::FastMathFlags::none);
    }
    auto whole = static_cast<int64_t>(e);
    Value result = e != static_cast<double>(whole)
                       ? math::SqrtOp::create(b, loc, v).getResult()
                       : Value();
    auto times = [&](Value lhs, Value rhs) -> Value {
      return lhs ? arith::MulFOp::create(b, loc, lhs, rhs).getResult() : rhs;
    };
    // v^whole by squaring: the squares of v whose bits are set in `whole`.
    for (Value square = v; whole != 0; whole >>= 1) {
      if (whole & 1)
        result = times(result, square);
      if (whole > 1)
        square = arith::MulFOp::create(b, loc, square, square);
    }
    return result;
  }

  /// Whether power() makes v^e of products (and a square root).
  static bool isProduct(double e) {
    return e == 0.0 || (e > 0.0 && e <= 16.0 && std::floor(2.0 * e) == 2.0 * e);
  }
  /// Whether the search's and the output's powers (p and p - 1) are.
  bool productPowers() const { return isProduct(p) && isProduct(p - 1.0); }

  /// `value` where v > 0, else 0.
  Value onSupport(OpBuilder &b, Location loc, Value v, Value value) const {
    Value in = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, v,
                                     c(b, loc, v, 0.0));
    return arith::SelectOp::create(b, loc, in, value, c(b, loc, v, 0.0));
  }

  /// A simplex gradient's weight at an output `y` (of the sum type): g =
  /// y^(2 - alpha) on the support (y > 0), 0 off it, NaN where y is NaN (a
  /// NaN output spreads through the row's sums to its support).
  Value gradWeight(OpBuilder &b, Location loc, Value y) const {
    Value g = onSupport(b, loc, y, power(b, loc, y, 2.0 - alpha));
    Value isNaN =
        arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNO, y, y);
    return arith::SelectOp::create(b, loc, isNaN, y, g);
  }

  /// `value` where the weight `g` (gradWeight) is not 0, else 0: off the
  /// support the Jacobian's column is zero, so whatever dy holds there (NaN,
  /// +-inf) takes no part.
  Value onGradSupport(OpBuilder &b, Location loc, Value g, Value value) const {
    Value in = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::UNE, g,
                                     c(b, loc, g, 0.0));
    return arith::SelectOp::create(b, loc, in, value, c(b, loc, value, 0.0));
  }

  /// max(u, 0)^p: the unnormalised output at u = X - tau.
  Value output(OpBuilder &b, Location loc, Value u) const {
    return power(b, loc,
                 arith::MaximumFOp::create(b, loc, u, c(b, loc, u, 0.0)), p);
  }

  bool exactQuadratic() const { return p == 2.0; }

  /// For alpha = 1.5, the exact quadratic's step from the moments of S about
  /// tau (k = |S|, U1 = sum u, F = sum u^2 - 1), on scalars or vectors: the
  /// discriminant U1^2 - k F, and delta = F / (U1 + sqrt(disc)), the
  /// smaller root of k d^2 - 2 U1 d + F (exact when every u on S is at
  /// least delta).
  Value discriminant(OpBuilder &b, Location loc, Value k, Value u1,
                     Value f) const {
    return arith::SubFOp::create(b, loc, arith::MulFOp::create(b, loc, u1, u1),
                                 arith::MulFOp::create(b, loc, k, f));
  }
  Value quadraticStep(OpBuilder &b, Location loc, Value u1, Value f,
                      Value disc) const {
    return arith::DivFOp::create(
        b, loc, f,
        arith::AddFOp::create(b, loc, u1, math::SqrtOp::create(b, loc, disc)));
  }
  /// How many sums a pass makes: F and D, and |S| and min u for the exact
  /// quadratic.
  int64_t numSums() const { return exactQuadratic() ? 4 : 2; }
  /// The sums' initial values.
  double sumInit(int64_t i) const {
    return i == 3 ? std::numeric_limits<double>::infinity() : 0.0;
  }

  /// The terms of a pass's first two sums at u = X - tau: u^p and p
  /// u^(p-1) on the support (u > 0), else 0.
  std::pair<Value, Value> terms(OpBuilder &b, Location loc, Value u) const {
    Value pos = arith::MaximumFOp::create(b, loc, u, c(b, loc, u, 0.0));
    Value term = power(b, loc, pos, p);
    // u^(p - 1) as u^p / u where it is not a product: one power a term,
    // not two (0 / 0 off the support, which onSupport drops).
    Value lower = isProduct(p - 1.0)
                      ? power(b, loc, pos, p - 1)
                      : arith::DivFOp::create(b, loc, term, pos).getResult();
    Value derivative = arith::MulFOp::create(b, loc, c(b, loc, u, p), lower);
    return {onSupport(b, loc, u, term), onSupport(b, loc, u, derivative)};
  }

  /// The pass's sums `acc` updated with the terms at u = X - tau: u^p and
  /// p u^(p-1) on the support (u > 0), and its size and smallest u.
  SmallVector<Value> accumulate(OpBuilder &b, Location loc, Value u,
                                ValueRange acc) const {
    auto [term, derivative] = terms(b, loc, u);
    SmallVector<Value> results{
        arith::AddFOp::create(b, loc, acc[0], term),
        arith::AddFOp::create(b, loc, acc[1], derivative)};
    if (exactQuadratic()) {
      results.push_back(arith::AddFOp::create(
          b, loc, acc[2], onSupport(b, loc, u, c(b, loc, u, 1.0))));
      Value in = arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OGT, u,
                                       c(b, loc, u, 0.0));
      results.push_back(arith::SelectOp::create(
          b, loc, in, arith::MinimumFOp::create(b, loc, acc[3], u), acc[3]));
    }
    return results;
  }

  /// Two ulps at 1: at the scale of the bracket [-1, 0], a bracket that
  /// bisection can no longer split or a Newton step of rounding noise.
  double tolerance() const {
    return std::ldexp(
        1.0, 2 - static_cast<int>(FloatType(sumType).getFPMantissaWidth()));
  }

  /// A row's next (tau, lo, hi) from the pass's scalar `sums` at `tau`, and
  /// whether it is done (`last`: the last round allowed).
  EntmaxUpdate update(OpBuilder &b, Location loc, Value tau, Value lo, Value hi,
                      ValueRange sums, Value last) const {
    return update(b, loc, tau, lo, hi, sums, last, tolerance());
  }
  /// The same, done at steps or brackets of at most `tolerance`.
  EntmaxUpdate update(OpBuilder &b, Location loc, Value tau, Value lo, Value hi,
                      ValueRange sums, Value last, double tolerance) const {
    auto cmp = [&](arith::CmpFPredicate predicate, Value l, Value r) {
      return arith::CmpFOp::create(b, loc, predicate, l, r).getResult();
    };
    Value big = sums[0], deriv = sums[1];
    Value f = arith::SubFOp::create(b, loc, big, c(b, loc, 1.0));
    Value left = cmp(arith::CmpFPredicate::OGE, f, c(b, loc, 0.0));
    Value newLo = arith::SelectOp::create(b, loc, left, tau, lo);
    Value newHi = arith::SelectOp::create(b, loc, left, hi, tau);
    // Newton's step, or the midpoint outside (lo, hi). For p >= 1 on h =
    // F^(1/p) - 1, the p-norm of (X - tau)+ less 1, rather than on f = F -
    // 1 (h' = -F^(1/p - 1) D / p): p (F - F^(1 - 1/p)) / D, 2 F^(1/p) / (1
    // + F^(1/p)) times f / D for p = 2. Both are convex, so from either side
    // the step lands at or below the root, but h is flatter far from it
    // (linear in tau while the support stays): rows of 1024 to 32768
    // standard normal or uniform entries take 3.6-6.0 rounds for alpha =
    // 1.5 instead of 4.7-11.8, 8.2-10 instead of 10.8-15.0 for alpha =
    // 1.75, 12-18 instead of 24-32 for alpha = 1.25 (a float64 model of
    // these rounds from tau = -1). Where F = 0 (no support), f / D: -inf.
    Value step = arith::DivFOp::create(b, loc, f, deriv);
    if (p > 1.0) {
      Value excess =
          arith::SubFOp::create(b, loc, big, power(b, loc, big, 1.0 - 1.0 / p));
      Value flatter = arith::DivFOp::create(
          b, loc, arith::MulFOp::create(b, loc, c(b, loc, p), excess), deriv);
      step = arith::SelectOp::create(
          b, loc, cmp(arith::CmpFPredicate::OGT, big, c(b, loc, 0.0)), flatter,
          step);
    }
    Value newton = arith::AddFOp::create(b, loc, tau, step);
    Value inside = arith::AndIOp::create(
        b, loc, cmp(arith::CmpFPredicate::OGT, newton, newLo),
        cmp(arith::CmpFPredicate::OLT, newton, newHi));
    Value mid = arith::MulFOp::create(
        b, loc, arith::AddFOp::create(b, loc, newLo, newHi), c(b, loc, 0.5));
    // For p < 1 (alpha > 2) f is concave, with an unbounded derivative
    // where an entry meets tau: Newton could stall there, so the bracket is
    // bisected.
    Value next =
        p >= 1.0
            ? arith::SelectOp::create(b, loc, inside, newton, mid).getResult()
            : mid;
    // f = 0: tau is the root (as at tau = -1 when the maximum alone is the
    // support), which bisection would step away from.
    Value root = cmp(arith::CmpFPredicate::OEQ, f, c(b, loc, 0.0));
    next = arith::SelectOp::create(b, loc, root, tau, next);
    Value tol = c(b, loc, tolerance);
    Value converged = arith::OrIOp::create(
        b, loc,
        cmp(arith::CmpFPredicate::OLE,
            math::AbsFOp::create(b, loc,
                                 arith::SubFOp::create(b, loc, next, tau)),
            tol),
        cmp(arith::CmpFPredicate::OLE,
            arith::SubFOp::create(b, loc, newHi, newLo), tol));
    converged = arith::OrIOp::create(b, loc, converged, root);
    Value exactStep;
    if (exactQuadratic()) {
      // delta = (U2 - 1) / (U1 + sqrt(U1^2 - k (U2 - 1))), with U1 = D / 2;
      // exact when every u on S is at least delta.
      Value count = sums[2], minU = sums[3];
      Value u1 = arith::MulFOp::create(b, loc, deriv, c(b, loc, 0.5));
      Value disc = discriminant(b, loc, count, u1, f);
      Value delta = quadraticStep(b, loc, u1, f, disc);
      Value exact = arith::AndIOp::create(
          b, loc, left,
          arith::AndIOp::create(
              b, loc, cmp(arith::CmpFPredicate::OGE, disc, c(b, loc, 0.0)),
              cmp(arith::CmpFPredicate::OGE, minU, delta)));
      next = arith::SelectOp::create(
          b, loc, exact, arith::AddFOp::create(b, loc, tau, delta), next);
      converged = arith::OrIOp::create(b, loc, converged, exact);
      exactStep = exact;
    }
    Value lower = arith::MaximumFOp::create(b, loc, newLo, newton);
    if (exactQuadratic())
      lower = arith::SelectOp::create(b, loc, exactStep, next, lower);
    Value settled = converged;
    converged = arith::OrIOp::create(b, loc, converged, last);
    return {next, newLo, newHi, converged, lower, settled};
  }

  FloatType sumType;
  double alpha, p;
  /// Whether f32 powers other than power()'s products may be approximated
  /// (see softmax-approximate-math): where the sums and outputs they feed
  /// are f32 anyway, whose rounding their few ulps stay within.
  bool approximatePowers = false;
};

/// The gradient of entmax with `alpha` (sparsemax's for alpha = 2) along
/// `dim` from its output `y` and `dy`: with g = y^(2 - alpha) on the support
/// (y > 0) and 0 elsewhere, g * (dy - sum(g dy) / sum(g)) as two
/// linalg.generic ops (sums in f64 for f32, f32 for f16/bf16).
Value buildSimplexGrad(RewriterBase &b, Location loc, Value y, Value dy,
                       int64_t dim, double alpha);

} // namespace mlir::softmax::detail

#endif // SOFTMAX_MLIR_LIB_DIALECT_SOFTMAX_TRANSFORMS_ENTMAXMATH_H
