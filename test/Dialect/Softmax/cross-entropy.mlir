// RUN: softmax-opt %s --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --mlir-print-op-generic | softmax-opt | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --softmax-decompose --canonicalize | FileCheck %s

// The op round-trips, its attributes defaulted (ignore_index -100,
// label_smoothing 0) or given.
// ROUND-LABEL: func.func @ce
// ROUND: softmax.cross_entropy %arg0, %arg1 dim(1) : tensor<?x50257xf32>, tensor<?xi64> -> tensor<?xf32>
// CHECK-LABEL: func.func @ce
// CHECK-SAME: (%[[X:.*]]: tensor<?x50257xf32>, %[[L:.*]]: tensor<?xi64>)
// The row max, then in f64 the sum r of exp(x - m) off the maximum and the
// count c at it (no row total without smoothing), then per sample
// log1p(c - 1 + r) - t[label] read at the clamped label (for a finite
// maximum; else lse - x[label]), NaN outside the classes, 0 for
// ignore_index.
// CHECK: %[[M:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x50257xf32>)
// CHECK: arith.maximumf
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[M]] : tensor<?x50257xf32>, tensor<?xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf64>, tensor<?xf64>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[L]], %[[M]], %[[S]]#0, %[[S]]#1 : tensor<?xi64>, tensor<?xf32>, tensor<?xf64>, tensor<?xf64>)
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[LO:.*]] = arith.maxsi %[[I]], %c0
// CHECK: %[[AT:.*]] = arith.minsi %[[LO]], %c50256
// CHECK: %[[ROW:.*]] = linalg.index 0
// CHECK: tensor.extract %[[X]][%[[ROW]], %[[AT]]] : tensor<?x50257xf32>
// CHECK: math.log1p %{{.*}} : f64
// CHECK: arith.cmpi slt, %[[I]], %c50257
// CHECK: arith.select %{{.*}}, %{{.*}}, %cst{{.*}} : f64
// CHECK: arith.cmpi eq, %{{.*}}, %c-100_i64 : i64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @ce(%x: tensor<?x50257xf32>, %l: tensor<?xi64>) -> tensor<?xf32> {
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<?x50257xf32>, tensor<?xi64> -> tensor<?xf32>
  return %loss : tensor<?xf32>
}

// -----

// Classes along dim 1 of [N x C x d] (PyTorch's K-dimensional form), i32
// labels, smoothing: the row total of x joins the sum; bf16 computes in f32.
// ROUND-LABEL: func.func @smoothed
// ROUND: softmax.cross_entropy %arg0, %arg1 dim(1) {ignore_index = 0 : i64, label_smoothing = 1.000000e-01 : f64} : tensor<4x7x3xbf16>, tensor<4x3xi32> -> tensor<4x3xbf16>
// CHECK-LABEL: func.func @smoothed
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<4x3xf32>, tensor<4x3xf32>)
// CHECK: arith.addf %{{.*}}, %{{.*}} : f32
// CHECK: %[[ROW0:.*]] = linalg.index 0
// CHECK: %[[ROW1:.*]] = linalg.index 1
// CHECK: tensor.extract %{{.*}}[%[[ROW0]], %{{.*}}, %[[ROW1]]] : tensor<4x7x3xbf16>
// CHECK: arith.divf %{{.*}}, %cst{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @smoothed(%x: tensor<4x7x3xbf16>, %l: tensor<4x3xi32>) -> tensor<4x3xbf16> {
  %loss = softmax.cross_entropy %x, %l dim(1) {ignore_index = 0 : i64, label_smoothing = 0.1 : f64} : tensor<4x7x3xbf16>, tensor<4x3xi32> -> tensor<4x3xbf16>
  return %loss : tensor<4x3xbf16>
}

// -----

// The gradient: the row max, r and c (no row total, even with smoothing),
// then per logit (exp(t) / s - target) * dloss with t and exp in f64 for
// f32 (p = 0 for an all -inf row), target (1 - e) at the label plus
// e / classes; at a label that is the maximum p - 1 = -(c - 1 + r) / s.
// ROUND-LABEL: func.func @grad
// ROUND: softmax.cross_entropy_grad %arg0, %arg1, %arg2 dim(1) {label_smoothing = 2.000000e-01 : f64} : tensor<?x10xf32>, tensor<?xi64>, tensor<?xf32> -> tensor<?x10xf32>
// CHECK-LABEL: func.func @grad
// CHECK-SAME: (%[[X:.*]]: tensor<?x10xf32>, %[[L:.*]]: tensor<?xi64>, %[[D:.*]]: tensor<?xf32>)
// CHECK: %[[M:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<?x10xf32>)
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} ins(%[[X]], %[[M]] : tensor<?x10xf32>, tensor<?xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf64>, tensor<?xf64>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%[[X]], %[[L]], %[[M]], %[[S]]#0, %[[S]]#1, %[[D]] : tensor<?x10xf32>, tensor<?xi64>, tensor<?xf32>, tensor<?xf64>, tensor<?xf64>, tensor<?xf32>)
// CHECK: %[[T:.*]] = arith.select %{{.*}}, %{{.*}}, %{{.*}} : f64
// CHECK: %[[E:.*]] = math.exp %[[T]] : f64
// CHECK: %[[Q:.*]] = arith.divf %[[E]], %{{.*}} : f64
// CHECK: %[[P:.*]] = arith.select %{{.*}}, %cst{{.*}}, %[[Q]] : f64
// CHECK: %[[J:.*]] = linalg.index 1 : index
// CHECK: arith.cmpi eq, %[[J]], %{{.*}} : index
// CHECK: %[[TARGET:.*]] = arith.addf %{{.*}}, %cst{{.*}} : f64
// CHECK: %[[DIFF:.*]] = arith.subf %[[P]], %[[TARGET]] : f64
// CHECK: %[[CONFIDENT:.*]] = arith.addf %{{.*}}, %{{.*}} : f64
// CHECK: %[[CHOSEN:.*]] = arith.select %{{.*}}, %[[CONFIDENT]], %[[DIFF]] : f64
// CHECK: arith.mulf %[[CHOSEN]], %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @grad(%x: tensor<?x10xf32>, %l: tensor<?xi64>, %d: tensor<?xf32>) -> tensor<?x10xf32> {
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) {label_smoothing = 0.2 : f64} : tensor<?x10xf32>, tensor<?xi64>, tensor<?xf32> -> tensor<?x10xf32>
  return %dx : tensor<?x10xf32>
}
