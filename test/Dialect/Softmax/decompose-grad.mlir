// RUN: softmax-opt %s --softmax-decompose --canonicalize --split-input-file | FileCheck %s

// softmax_grad: a row reduction s = sum(dy * y) in f64 for f32, then
// dx = y * (dy - s), rounded once.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[ROW:.*]] = affine_map<(d0, d1) -> (d0)>
// CHECK-LABEL: func.func @softmax_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<4x?xf32>, %[[DY:.*]]: tensor<4x?xf32>)
// CHECK: %[[INIT:.*]] = linalg.fill ins(%{{.*}} : f64) outs(%{{.*}} : tensor<4xf64>)
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[ROW]]], iterator_types = ["parallel", "reduction"]} ins(%[[Y]], %[[DY]] : tensor<4x?xf32>, tensor<4x?xf32>) outs(%[[INIT]] : tensor<4xf64>)
// CHECK: ^bb0(%[[YE:.*]]: f32, %[[DYE:.*]]: f32, %[[ACC:.*]]: f64):
// CHECK-DAG: %[[DY64:.*]] = arith.extf %[[DYE]] : f32 to f64
// CHECK-DAG: %[[Y64:.*]] = arith.extf %[[YE]] : f32 to f64
// CHECK: %[[P:.*]] = arith.mulf %[[Y64]], %[[DY64]] : f64
// CHECK: arith.addf %[[ACC]], %[[P]] : f64
// CHECK: linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[ROW]], #[[FULL]]], iterator_types = ["parallel", "parallel"]} ins(%[[Y]], %[[DY]], %[[S]] : tensor<4x?xf32>, tensor<4x?xf32>, tensor<4xf64>)
// CHECK: ^bb0(%[[YE2:.*]]: f32, %[[DYE2:.*]]: f32, %[[SE:.*]]: f64, %{{.*}}: f32):
// CHECK: %[[D:.*]] = arith.subf %{{.*}}, %[[SE]] : f64
// CHECK: %[[DX:.*]] = arith.mulf %{{.*}}, %[[D]] : f64
// CHECK: arith.truncf %[[DX]] : f64 to f32
// CHECK-NOT: softmax.
func.func @softmax_grad(%y: tensor<4x?xf32>, %dy: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<4x?xf32>
  return %dx : tensor<4x?xf32>
}

// -----

// log_softmax_grad over dim 0 of bf16: s = sum(dy) in f32, then
// dx = dy - exp(y) * s in f32, rounded to bf16.
// CHECK-DAG: #[[FULL:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @log_softmax_grad
// CHECK: %[[S:.*]] = linalg.generic {indexing_maps = [#[[FULL]], #[[FULL]], #[[COL]]], iterator_types = ["reduction", "parallel"]}
// CHECK: ^bb0(%{{.*}}: bf16, %[[DYE:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK: %[[G:.*]] = arith.extf %[[DYE]] : bf16 to f32
// CHECK-NOT: arith.mulf
// CHECK: arith.addf %[[ACC]], %[[G]] : f32
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[S]] : tensor<8x16xbf16>, tensor<8x16xbf16>, tensor<16xf32>)
// CHECK: %[[E:.*]] = math.exp %{{.*}} : f32
// CHECK: %[[ES:.*]] = arith.mulf %[[E]], %{{.*}} : f32
// CHECK: %[[DX:.*]] = arith.subf %{{.*}}, %[[ES]] : f32
// CHECK: arith.truncf %[[DX]] : f32 to bf16
func.func @log_softmax_grad(%y: tensor<8x16xbf16>, %dy: tensor<8x16xbf16>) -> tensor<8x16xbf16> {
  %dx = softmax.log_softmax_grad %y, %dy dim(0) : tensor<8x16xbf16>
  return %dx : tensor<8x16xbf16>
}

// -----

// f64 stays f64: no extension, no rounding.
// CHECK-LABEL: func.func @f64
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @f64(%y: tensor<3xf64>, %dy: tensor<3xf64>) -> tensor<3xf64> {
  %dx = softmax.softmax_grad %y, %dy dim(0) : tensor<3xf64>
  return %dx : tensor<3xf64>
}
