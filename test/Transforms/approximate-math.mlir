// RUN: softmax-opt %s --softmax-approximate-math | FileCheck %s

// f32 exp, scalar or vector, becomes a polynomial: no math.exp is left and
// no call into libm can come out of it.
// CHECK-LABEL: func.func @vector_exp
// CHECK-NOT: math.exp
// CHECK: math.fma %{{.*}} : vector<16xf32>
// CHECK: arith.shli %{{.*}} : vector<16xi32>
// CHECK: arith.bitcast %{{.*}} : vector<16xi32> to vector<16xf32>
func.func @vector_exp(%x: vector<16xf32>) -> vector<16xf32> {
  %y = math.exp %x : vector<16xf32>
  return %y : vector<16xf32>
}

// CHECK-LABEL: func.func @scalar_exp
// CHECK-NOT: math.exp
// CHECK: math.fma
func.func @scalar_exp(%x: f32) -> f32 {
  %y = math.exp %x : f32
  return %y : f32
}

// f32 powf that allows approximate functions (`afn`), as entmax's powers
// of f32 sums: exp(e log(x)), both polynomials.
// CHECK-LABEL: func.func @vector_powf
// CHECK-NOT: math.powf
// CHECK-NOT: math.log
// CHECK-NOT: math.exp
// CHECK: math.fma %{{.*}} : vector<16xf32>
// CHECK-NOT: math.powf
// CHECK-NOT: math.log
// CHECK-NOT: math.exp
// CHECK: return
func.func @vector_powf(%x: vector<16xf32>) -> vector<16xf32> {
  %e = arith.constant dense<1.33333337> : vector<16xf32>
  %y = math.powf %x, %e fastmath<afn> : vector<16xf32>
  return %y : vector<16xf32>
}

// Other types and other functions are left alone, and so is powf without
// `afn` or of f64.
// CHECK-LABEL: func.func @untouched
// CHECK: math.exp %{{.*}} : f64
// CHECK: math.log %{{.*}} : f32
// CHECK: math.powf %{{.*}}, %{{.*}} : f32
// CHECK: math.powf %{{.*}}, %{{.*}} fastmath<afn> : f64
func.func @untouched(%x: f64, %y: f32) -> (f64, f32, f32, f64) {
  %a = math.exp %x : f64
  %b = math.log %y : f32
  %c = math.powf %y, %y : f32
  %d = math.powf %x, %x fastmath<afn> : f64
  return %a, %b, %c, %d : f64, f32, f32, f64
}

// RUN: softmax-opt %s --softmax-approximate-math=nonpositive-exp=1 | FileCheck %s --check-prefix=NONPOS
// With `nonpositive`: the clamp at -88 as a compare and select that lets
// NaN through, the exponent bits (bias included) from the rounding constant
// 1.5 * 2^23 + 127, no compare against +88.
// NONPOS-LABEL: func.func @vector_exp
// NONPOS-NOT: math.exp
// NONPOS: %[[LOW:.*]] = arith.constant dense<-8.800000e+01> : vector<16xf32>
// NONPOS: %[[BELOW:.*]] = arith.cmpf olt, %[[T:.*]], %[[LOW]] : vector<16xf32>
// NONPOS: %[[CLAMPED:.*]] = arith.select %[[BELOW]], %[[LOW]], %[[T]]
// NONPOS: %[[MAGIC:.*]] = arith.constant dense<0x4B40007F> : vector<16xf32>
// NONPOS: %[[S:.*]] = math.fma %[[CLAMPED]], %{{.*}}, %[[MAGIC]]
// NONPOS-NOT: 8.800000e+01
// NONPOS: %[[BITS:.*]] = arith.bitcast %[[S]] : vector<16xf32> to vector<16xi32>
// NONPOS: %[[POW:.*]] = arith.shli %[[BITS]], %{{.*}} : vector<16xi32>
// NONPOS-NOT: arith.addi
// NONPOS: arith.bitcast %[[POW]] : vector<16xi32> to vector<16xf32>
// NONPOS: return
