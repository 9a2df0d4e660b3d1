//===- NonPositiveExp.cpp - exp(t) for t <= 0 in f32 ----------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Softmax only ever takes exp(t) of t = x - max(x) <= 0, which lets exp drop
// the overflow half of a general implementation. The form is the classic
// one (Cody-Waite reduction t = k ln2 + r, |r| <= ln2/2, a degree-6
// minimax polynomial 1 + r + r^2 q(r) for exp(r), evaluated by Estrin's
// scheme, and 2^k built in the exponent bits), arranged so that it costs 15
// vector instructions, 9 of them FMAs or multiplies:
//
//   t' = (t < -88) ? -88 : t              (a single vmaxps; NaN stays NaN)
//   s  = fma(t', log2(e), 1.5 * 2^23 + 127)  (k + 127 in s's low bits)
//   k  = s - (1.5 * 2^23 + 127)
//   r  = fma(k, -ln2_lo, fma(k, -ln2_hi, t'))
//   p  = 1 + r + r^2 q(r)
//   y  = p * bitcast(bitcast(s) << 23)
//
// k >= -127 after the clamp, and k = -127 gives an all-zero exponent field,
// so exp(-inf) and anything below about -87.7 is exactly 0 (the true value
// there is below 2^-126). The error is within 2 ulp elsewhere, and a NaN
// argument gives NaN (k and r are NaN, so is the polynomial).
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/NonPositiveExp.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/IR/BuiltinTypes.h"
#include "mlir/IR/TypeUtilities.h"

using namespace mlir;

Value mlir::softmax::buildNonPositiveExp(OpBuilder &b, Location loc, Value t) {
  Type type = t.getType();
  if (!getElementTypeOrSelf(type).isF32())
    return math::ExpOp::create(b, loc, t);
  auto shaped = dyn_cast<ShapedType>(type);
  Type intType = b.getI32Type();
  if (shaped)
    intType = shaped.clone(intType);
  auto f = [&](double value) -> Value {
    Attribute attr = b.getF32FloatAttr(value);
    if (shaped)
      attr = DenseElementsAttr::get(shaped, attr);
    return arith::ConstantOp::create(b, loc, type, cast<TypedAttr>(attr));
  };
  auto i = [&](int32_t value) -> Value {
    Attribute attr = b.getI32IntegerAttr(value);
    if (shaped)
      attr = DenseElementsAttr::get(cast<ShapedType>(intType), attr);
    return arith::ConstantOp::create(b, loc, intType, cast<TypedAttr>(attr));
  };
  auto fma = [&](Value a, Value c, Value d) -> Value {
    return math::FmaOp::create(b, loc, a, c, d);
  };

  // (t < -88) ? -88 : t: one x86 max instruction that passes a NaN t
  // through, so that exp(NaN) is NaN.
  Value low = f(-88.0);
  Value below =
      arith::CmpFOp::create(b, loc, arith::CmpFPredicate::OLT, t, low);
  Value clamped = arith::SelectOp::create(b, loc, below, low, t);
  // k = round(t' log2 e) lands in the low mantissa bits of s; the magic
  // constant carries the exponent bias 127 with it, so that s << 23 is
  // already the bit pattern of 2^k.
  const double magic = 12582912.0 + 127.0; // 1.5 * 2^23 + 127
  Value shiftedK = fma(clamped, f(1.44269504088896341), f(magic));
  Value k = arith::SubFOp::create(b, loc, shiftedK, f(magic));
  Value r = fma(k, f(-0.693359375), clamped);
  r = fma(k, f(2.12194440e-4), r);

  // q(r) = c2 + c3 r + c4 r^2 + c5 r^3 + c6 r^4, minimax for the relative
  // error of exp on [-ln2/2, ln2/2] (0.05 ulp with these f32 coefficients,
  // found by Lawson's algorithm), by Estrin's scheme: two independent pairs,
  // then two steps (Horner's scheme saves the multiply and the add but
  // measured slower: its chain is longer than the out-of-order window
  // hides).
  Value r2 = arith::MulFOp::create(b, loc, r, r);
  Value q01 = fma(f(0.1666652113199234), r, f(0.4999999701976776));
  Value q23 = fma(f(0.00836872961372137), r, f(0.04166722670197487));
  Value q = fma(fma(f(0.0013879673788323998), r2, q23), r2, q01);
  Value p = fma(q, r2, r);
  p = arith::AddFOp::create(b, loc, p, f(1.0));

  Value bits = arith::BitcastOp::create(b, loc, intType, shiftedK);
  Value scale = arith::BitcastOp::create(
      b, loc, type, arith::ShLIOp::create(b, loc, bits, i(23)));
  return arith::MulFOp::create(b, loc, p, scale);
}
