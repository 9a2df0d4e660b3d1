// RUN: softmax-opt %s --softmax-decompose --canonicalize --split-input-file | FileCheck %s

// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0) -> (d0)>
// CHECK-LABEL: func.func @softmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>)
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[ZERO64:.*]] = arith.constant 0.000000e+00 : f64
// CHECK-DAG: %[[ONE64:.*]] = arith.constant 1.000000e+00 : f64
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]]
//
// Max with -inf as identity and NaN propagation.
// CHECK: %[[MINIT:.*]] = linalg.fill ins(%[[NEG_INF]] : f32)
// CHECK: %[[MAX:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]] : tensor<?x8xf32>) outs(%[[MINIT]] : tensor<?xf32>)
// CHECK: arith.maximumf
//
// One reduction gives the sum over non-max entries (in f64) and the ties.
// CHECK: %[[SINIT:.*]] = linalg.fill ins(%[[ZERO64]] : f64)
// CHECK: %[[SUM:.*]]:2 = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]], #[[ROW]]], iterator_types = ["parallel", "reduction"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]] : tensor<?x8xf32>, tensor<?xf32>) outs(%[[SINIT]], %[[SINIT]] : tensor<?xf64>, tensor<?xf64>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[M:.*]]: f32, %[[R:.*]]: f64, %[[C:.*]]: f64):
// CHECK: %[[ISMAX:.*]] = arith.cmpf oeq, %[[IN]], %[[M]] : f32
// CHECK: %[[D:.*]] = arith.subf %[[IN]], %[[M]] : f32
// CHECK: %[[E:.*]] = math.exp %[[D]] : f32
// CHECK: %[[E64:.*]] = arith.extf %[[E]] : f32 to f64
// CHECK: %[[EADD:.*]] = arith.select %[[ISMAX]], %[[ZERO64]], %[[E64]] : f64
// CHECK: %[[RNEW:.*]] = arith.addf %[[R]], %[[EADD]] : f64
// CHECK: %[[CADD:.*]] = arith.select %[[ISMAX]], %[[ONE64]], %[[ZERO64]] : f64
// CHECK: %[[CNEW:.*]] = arith.addf %[[C]], %[[CADD]] : f64
// CHECK: linalg.yield %[[RNEW]], %[[CNEW]] : f64, f64
//
// Per row: 1/s, or 0 for an all -inf row.
// CHECK: %[[SCALE:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[ID]], #[[ID]], #[[ID]]], iterator_types = ["parallel"]}
// CHECK-SAME: ins(%[[MAX]], %[[SUM]]#0, %[[SUM]]#1 : tensor<?xf32>, tensor<?xf64>, tensor<?xf64>)
// CHECK: ^bb0(%[[M2:.*]]: f32, %[[R2:.*]]: f64, %[[C2:.*]]: f64, %{{.*}}: f32):
// CHECK: %[[ALLNEGINF:.*]] = arith.cmpf oeq, %[[M2]], %[[NEG_INF]] : f32
// CHECK: %[[S:.*]] = arith.addf %[[C2]], %[[R2]] : f64
// CHECK: %[[INV:.*]] = arith.divf %[[ONE64]], %[[S]] : f64
// CHECK: %[[INV32:.*]] = arith.truncf %[[INV]] : f64 to f32
// CHECK: arith.select %[[ALLNEGINF]], %[[ZERO]], %[[INV32]] : f32
//
// y = exp(t) * (1/s), t = (x == m) ? 0 : x - m.
// CHECK: %[[OUT:.*]] = tensor.empty(%[[DIM]]) : tensor<?x8xf32>
// CHECK: %[[Y:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[ROW]], #[[ROW]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]], %[[MAX]], %[[SCALE]] : tensor<?x8xf32>, tensor<?xf32>, tensor<?xf32>) outs(%[[OUT]] : tensor<?x8xf32>)
// CHECK: ^bb0(%[[IN3:.*]]: f32, %[[M3:.*]]: f32, %[[F3:.*]]: f32, %{{.*}}: f32):
// CHECK: %[[EQ:.*]] = arith.cmpf oeq, %[[IN3]], %[[M3]] : f32
// CHECK: %[[D3:.*]] = arith.subf %[[IN3]], %[[M3]] : f32
// CHECK: %[[T:.*]] = arith.select %[[EQ]], %[[ZERO]], %[[D3]] : f32
// CHECK: %[[E3:.*]] = math.exp %[[T]] : f32
// CHECK: %[[P:.*]] = arith.mulf %[[E3]], %[[F3]] : f32
// CHECK: linalg.yield %[[P]] : f32
// CHECK: return %[[Y]]
// CHECK-NOT: softmax.
func.func @softmax_f32(%x: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x8xf32>
  return %y : tensor<?x8xf32>
}

// -----

// f16 computes in f32 (and sums in f32); the result is rounded once.
// log_softmax: log(s) = log1p(c - 1 + r), +inf for an all -inf row.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @log_softmax_f16_dim0
// CHECK-DAG: %[[POS_INF:.*]] = arith.constant 0x7F800000 : f32
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.maximumf
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]], #[[COL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK-SAME: outs(%{{.*}}, %{{.*}} : tensor<?xf32>, tensor<?xf32>)
// CHECK: math.exp %{{.*}} : f32
// CHECK: linalg.generic
// CHECK: %[[TIES:.*]] = arith.subf
// CHECK: %[[S1:.*]] = arith.addf %[[TIES]]
// CHECK: %[[L:.*]] = math.log1p %[[S1]] : f32
// CHECK: arith.select %{{.*}}, %[[POS_INF]], %[[L]] : f32
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[COL]], #[[COL]], #[[FULL]]], iterator_types = ["parallel", "parallel"]}
// CHECK: %[[T:.*]] = arith.select
// CHECK: %[[Y:.*]] = arith.subf %[[T]], %{{.*}} : f32
// CHECK: arith.truncf %[[Y]] : f32 to f16
// CHECK-NOT: math.exp
// CHECK: return
func.func @log_softmax_f16_dim0(%x: tensor<4x?xf16>) -> tensor<4x?xf16> {
  %y = softmax.log_softmax %x dim(0) : tensor<4x?xf16>
  return %y : tensor<4x?xf16>
}

// -----

// f64 computes and sums in f64; a rank-3 middle dim reduces to a rank-2 row.
// CHECK-DAG: #[[ROW3:.*]] = affine_map<(d0, d1, d2) -> (d0, d2)>
// CHECK-LABEL: func.func @softmax_f64_rank3
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #[[ROW3]]], iterator_types = ["parallel", "reduction", "parallel"]}
// CHECK-SAME: outs(%{{.*}} : tensor<2x4xf64>)
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @softmax_f64_rank3(%x: tensor<2x3x4xf64>) -> tensor<2x3x4xf64> {
  %y = softmax.softmax %x dim(1) : tensor<2x3x4xf64>
  return %y : tensor<2x3x4xf64>
}

// -----

// Everything that is not a softmax op is left alone.
// CHECK-LABEL: func.func @untouched
// CHECK: arith.addf
// CHECK-NOT: linalg.generic
func.func @untouched(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
