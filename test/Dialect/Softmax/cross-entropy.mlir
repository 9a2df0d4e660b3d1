// RUN: softmax-opt %s --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --mlir-print-op-generic | softmax-opt | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --softmax-decompose --canonicalize | FileCheck %s

// The op round-trips, its attributes defaulted (ignore_index -100,
// label_smoothing 0) or given.
// ROUND-LABEL: func.func @ce
// ROUND: softmax.cross_entropy %arg0, %arg1 dim(1) : tensor<?x50257xf32>, tensor<?xi64> -> tensor<?xf32>
// CHECK-LABEL: func.func @ce
// CHECK-SAME: (%[[X:.*]]: tensor<?x50257xf32>, %[[L:.*]]: tensor<?xi64>)
// The row max, then sum(exp(x - m)) in f64 (no row total without
// smoothing), then per sample lse - x[label] read at the clamped label,
// NaN outside the classes, 0 for ignore_index.
// CHECK: %[[M:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x50257xf32>)
// CHECK: arith.maximumf
// CHECK: %[[S:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[M]] : tensor<?x50257xf32>, tensor<?xf32>) outs(%{{.*}} : tensor<?xf64>)
// CHECK: math.exp
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel"]} ins(%[[L]], %[[M]], %[[S]] : tensor<?xi64>, tensor<?xf32>, tensor<?xf64>)
// CHECK: %[[I:.*]] = arith.index_cast %{{.*}} : i64 to index
// CHECK: %[[LO:.*]] = arith.maxsi %[[I]], %c0
// CHECK: %[[AT:.*]] = arith.minsi %[[LO]], %c50256
// CHECK: %[[ROW:.*]] = linalg.index 0
// CHECK: tensor.extract %[[X]][%[[ROW]], %[[AT]]] : tensor<?x50257xf32>
// CHECK: math.log %{{.*}} : f64
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
// CHECK: linalg.generic {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4x3xf32>, tensor<4x3xf32>)
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
