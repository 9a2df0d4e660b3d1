// RUN: softmax-opt %s --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --mlir-print-op-generic | softmax-opt | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --softmax-decompose --canonicalize | FileCheck %s

// entmax(1.5): the row max (and +inf count); an scf.while whose rounds make
// one pass over the rows for F = sum u^2, D = 2 sum u, |S| and min u over
// u = X - tau > 0 (X = 0.5 (x - m)), then a per-row update of the bracket,
// the Newton step and the exact quadratic (sqrt), until every row is done;
// then the sum of the powers and the rescaled output. Newton's step is on
// sqrt(F) - 1: 2 (F - sqrt(F)) / D where F > 0 (else (F - 1) / D).
// ROUND-LABEL: func.func @entmax15
// ROUND: softmax.entmax %arg0 dim(1) alpha(1.500000e+00) : tensor<?x?xf32>
// CHECK-LABEL: func.func @entmax15
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f64
// CHECK: %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x?xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.maximumf
// CHECK: %[[INIT:.*]]:4 = linalg.generic {{.*}} ins(%[[STATS]]#0 : tensor<?xf64>) outs({{.*}} : tensor<?xf64>, tensor<?xf64>, tensor<?xf64>, tensor<?xi1>)
// CHECK: %[[LOOP:.*]]:5 = scf.while (%[[TAU:.*]] = %[[INIT]]#0, %[[LO:.*]] = %[[INIT]]#1, %[[HI:.*]] = %[[INIT]]#2, %[[DONE:.*]] = %[[INIT]]#3, %{{.*}} = %{{.*}}) : (tensor<?xf64>, tensor<?xf64>, tensor<?xf64>, tensor<?xi1>, index)
// CHECK: %[[SUMS:.*]]:4 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[STATS]]#0, %[[TAU]] : tensor<?x?xf32>, tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.mulf %{{.*}}, %[[HALF]] : f64
// CHECK: arith.minimumf
// CHECK: %[[NEXT:.*]]:4 = linalg.generic {{.*}} ins(%[[SUMS]]#0, %[[SUMS]]#1, %[[SUMS]]#2, %[[SUMS]]#3 : {{.*}}) outs(%[[TAU]], %[[LO]], %[[HI]], %[[DONE]] : tensor<?xf64>, tensor<?xf64>, tensor<?xf64>, tensor<?xi1>)
// CHECK-NEXT: ^bb0(%[[F:.*]]: f64, %[[D:.*]]: f64, %{{.*}}: f64, %{{.*}}: f64, %[[OLD:.*]]: f64, %{{.*}}: f64, %{{.*}}: f64, %{{.*}}: i1):
// CHECK: %[[FSTEP:.*]] = arith.divf %{{.*}}, %[[D]] : f64
// CHECK-NEXT: %[[ROOT:.*]] = math.sqrt %[[F]] : f64
// CHECK-NEXT: %[[EXCESS:.*]] = arith.subf %[[F]], %[[ROOT]] : f64
// CHECK-NEXT: %[[PEXCESS:.*]] = arith.mulf %[[EXCESS]], %{{.*}} : f64
// CHECK-NEXT: %[[HSTEP:.*]] = arith.divf %[[PEXCESS]], %[[D]] : f64
// CHECK-NEXT: %[[SOME:.*]] = arith.cmpf ogt, %[[F]], %{{.*}} : f64
// CHECK-NEXT: %[[STEP:.*]] = arith.select %[[SOME]], %[[HSTEP]], %[[FSTEP]] : f64
// CHECK-NEXT: arith.addf %[[OLD]], %[[STEP]] : f64
// CHECK: math.sqrt
// CHECK: %[[ALL:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[NEXT]]#3 : tensor<?xi1>) outs(%{{.*}} : tensor<i1>)
// CHECK: arith.andi
// CHECK: scf.condition(%{{.*}}) %[[NEXT]]#0, %[[NEXT]]#1, %[[NEXT]]#2, %[[NEXT]]#3
// CHECK: %[[TOTAL:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[STATS]]#0, %[[LOOP]]#0 : tensor<?x?xf32>, tensor<?xf64>, tensor<?xf64>)
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[STATS]]#0, %[[LOOP]]#0, %[[TOTAL]], %[[STATS]]#1 : tensor<?x?xf32>, tensor<?xf64>, tensor<?xf64>, tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @entmax15(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Other alpha: no quadratic; two sums a round, of u^p and p u^(p - 1) (p =
// 1 / (alpha - 1) = 4: u^4 as two squarings, u^3 as u u^2); Newton's step
// on F^(1/4) - 1 takes F^(3/4) by math.powf.
// ROUND-LABEL: func.func @entmax125
// ROUND: softmax.entmax %arg0 dim(0) alpha(1.250000e+00) : tensor<8x3xf16>
// CHECK-LABEL: func.func @entmax125
// CHECK-DAG: %[[P:.*]] = arith.constant 4.000000e+00 : f32
// CHECK-DAG: %[[P34:.*]] = arith.constant 7.500000e-01 : f32
// CHECK: scf.while
// CHECK: %[[SUMS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<8x3xf16>, tensor<3xf32>, tensor<3xf32>)
// CHECK-NOT: math.powf
// CHECK: %[[POS:.*]] = arith.maximumf
// CHECK-NEXT: %[[SQ:.*]] = arith.mulf %[[POS]], %[[POS]] : f32
// CHECK-NEXT: arith.mulf %[[SQ]], %[[SQ]] : f32
// CHECK: %[[SQ2:.*]] = arith.mulf %[[POS]], %[[POS]] : f32
// CHECK-NEXT: %[[CUBE:.*]] = arith.mulf %[[POS]], %[[SQ2]] : f32
// CHECK-NEXT: arith.mulf %[[CUBE]], %[[P]] : f32
// CHECK-NOT: math.sqrt
// CHECK: math.powf %{{.*}}, %[[P34]] : f32
// CHECK-NOT: math.sqrt
// CHECK: scf.condition
// CHECK-NOT: math.powf
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @entmax125(%x: tensor<8x3xf16>) -> tensor<8x3xf16> {
  %y = softmax.entmax %x dim(0) alpha(1.25) : tensor<8x3xf16>
  return %y : tensor<8x3xf16>
}

// -----

// alpha > 2 computes in f64 for every type.
// CHECK-LABEL: func.func @entmax3
// CHECK: scf.while
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<?xbf16>, tensor<f64>, tensor<f64>)
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @entmax3(%x: tensor<?xbf16>) -> tensor<?xbf16> {
  %y = softmax.entmax %x dim(0) alpha(3.0) : tensor<?xbf16>
  return %y : tensor<?xbf16>
}

// -----

// alpha = 2 is sparsemax.
// CHECK-LABEL: func.func @entmax2
// CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<4xf64>, tensor<4xf64>)
// CHECK-NOT: math.powf
func.func @entmax2(%x: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %y = softmax.entmax %x dim(1) alpha(2.0) : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// entmax_grad: g = sqrt(y) on the support; the sums of g * dy and g, then
// g * (dy - q).
// ROUND-LABEL: func.func @grad
// ROUND: softmax.entmax_grad %arg0, %arg1 dim(1) alpha(1.500000e+00) : tensor<4x?xbf16>
// CHECK-LABEL: func.func @grad
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK: math.sqrt
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[S]]#0, %[[S]]#1 : tensor<4x?xbf16>, tensor<4x?xbf16>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @grad(%y: tensor<4x?xbf16>, %dy: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  %dx = softmax.entmax_grad %y, %dy dim(1) alpha(1.5) : tensor<4x?xbf16>
  return %dx : tensor<4x?xbf16>
}
