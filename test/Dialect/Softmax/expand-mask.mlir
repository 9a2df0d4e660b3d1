// RUN: softmax-opt %s --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --mlir-print-op-generic | softmax-opt --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --softmax-expand-mask | FileCheck %s
// RUN: softmax-opt %s --split-input-file --softmax-decompose | FileCheck %s --check-prefix=DECOMPOSE

// An i1 mask broadcast over the rows (its dim of size 1 read at 0), a scale
// and the causal mask: one elementwise producer, then the plain op on it.
// ROUND-LABEL: func.func @all
// ROUND: softmax.softmax %arg0 mask(%arg1 : tensor<1x8xi1>) dim(1) {causal, causal_offset = 2 : i64, scale = 5.000000e-01 : f64} : tensor<4x8xf32>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-DAG: #[[COL:.*]] = affine_map<(d0, d1) -> (0, d1)>
// CHECK-LABEL: func.func @all
// CHECK-SAME: (%[[X:.*]]: tensor<4x8xf32>, %[[M:.*]]: tensor<1x8xi1>)
// CHECK: %[[Z:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[COL]], #[[ID]]], iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[M]] : tensor<4x8xf32>, tensor<1x8xi1>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: ^bb0(%[[IN:.*]]: f32, %[[KEEP:.*]]: i1, %{{.*}}: f32):
// CHECK-DAG: %[[NINF:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[S:.*]] = arith.mulf %[[IN]], %[[HALF]] : f32
// CHECK: %[[V:.*]] = arith.select %[[KEEP]], %[[S]], %[[NINF]] : f32
// CHECK: %[[I:.*]] = linalg.index 0 : index
// CHECK: %[[I64:.*]] = arith.index_cast %[[I]] : index to i64
// CHECK: %[[LIMIT:.*]] = arith.addi %[[I64]], %{{.*}} : i64
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: %[[J64:.*]] = arith.index_cast %[[J]] : index to i64
// CHECK: %[[IN_CAUSAL:.*]] = arith.cmpi sle, %[[J64]], %[[LIMIT]] : i64
// CHECK: %[[R:.*]] = arith.select %[[IN_CAUSAL]], %[[V]], %[[NINF]] : f32
// CHECK: linalg.yield %[[R]] : f32
// CHECK: %[[Y:.*]] = softmax.softmax %[[Z]] dim(1) : tensor<4x8xf32>
// CHECK: return %[[Y]]
// DECOMPOSE-LABEL: func.func @all
// DECOMPOSE-NOT: softmax.softmax
// DECOMPOSE: linalg.index 1
// DECOMPOSE: arith.maximumf
// DECOMPOSE: math.exp
func.func @all(%x: tensor<4x8xf32>, %m: tensor<1x8xi1>) -> tensor<4x8xf32> {
  %y = softmax.softmax %x mask(%m : tensor<1x8xi1>) dim(1) {causal, causal_offset = 2 : i64, scale = 0.5 : f64} : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// An additive f16 mask of lower rank on an f16 log_softmax: z in f32, the
// result rounded once after the op.
// ROUND-LABEL: func.func @additive
// ROUND: softmax.log_softmax %arg0 mask(%arg1 : tensor<?xf16>) dim(2) : tensor<2x?x?xf16>
// CHECK-DAG: #[[ID:.*]] = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
// CHECK-DAG: #[[LAST:.*]] = affine_map<(d0, d1, d2) -> (d2)>
// CHECK-LABEL: func.func @additive
// CHECK: %[[Z:.*]] = linalg.generic {indexing_maps = [#[[ID]], #[[LAST]], #[[ID]]], {{.*}}} ins(%{{.*}}, %{{.*}} : tensor<2x?x?xf16>, tensor<?xf16>) outs(%{{.*}} : tensor<2x?x?xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: arith.addf
// CHECK-NOT: linalg.index
// CHECK: %[[Y:.*]] = softmax.log_softmax %[[Z]] dim(2) : tensor<2x?x?xf32>
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<2x?x?xf32>) outs(%{{.*}} : tensor<2x?x?xf16>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @additive(%x: tensor<2x?x?xf16>, %m: tensor<?xf16>) -> tensor<2x?x?xf16> {
  %y = softmax.log_softmax %x mask(%m : tensor<?xf16>) dim(2) : tensor<2x?x?xf16>
  return %y : tensor<2x?x?xf16>
}

// -----

// Without masking the op is left alone.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: linalg.generic
// CHECK: softmax.softmax %{{.*}} dim(0) : tensor<8xf32>
func.func @plain(%x: tensor<8xf32>) -> tensor<8xf32> {
  %y = softmax.softmax %x dim(0) : tensor<8xf32>
  return %y : tensor<8xf32>
}
