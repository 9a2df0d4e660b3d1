// RUN: softmax-opt %s --split-input-file | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --mlir-print-op-generic | softmax-opt | FileCheck %s --check-prefix=ROUND
// RUN: softmax-opt %s --split-input-file --softmax-decompose --canonicalize | FileCheck %s

// sparsemax: the row max (and +inf count), then an scf.while refining each
// row's threshold on t = x - m until no support shrinks, then
// max(t - tau, 0) with the special rows.
// ROUND-LABEL: func.func @sparsemax
// ROUND: softmax.sparsemax %arg0 dim(1) : tensor<?x?xf32>
// CHECK-LABEL: func.func @sparsemax
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK: %[[STATS:.*]]:2 = linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]] : tensor<?x?xf32>) outs(%{{.*}}, %{{.*}} : tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.maximumf
// CHECK: %[[LOOP:.*]]:2 = scf.while (%[[TAU:.*]] = %{{.*}}, %[[N:.*]] = %{{.*}}) : (tensor<?xf64>, tensor<?xf64>) -> (tensor<?xf64>, tensor<?xf64>) {
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "reduction"]} ins(%[[X]], %[[STATS]]#0, %[[TAU]] : tensor<?x?xf32>, tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.cmpf ogt
// CHECK: %[[NEXT:.*]]:3 = linalg.generic {{.*}} outs(%[[TAU]], %[[N]], %{{.*}} : tensor<?xf64>, tensor<?xf64>, tensor<?xi1>)
// CHECK: arith.cmpf olt
// CHECK: %[[ANY:.*]] = linalg.generic {{.*}} iterator_types = ["reduction"]} ins(%[[NEXT]]#2 : tensor<?xi1>) outs(%{{.*}} : tensor<i1>)
// CHECK: arith.ori
// CHECK: %[[C:.*]] = tensor.extract %[[ANY]][] : tensor<i1>
// CHECK: scf.condition(%[[C]]) %[[NEXT]]#0, %[[NEXT]]#1
// CHECK: linalg.generic {{.*}} ins(%[[X]], %[[LOOP]]#0, %[[STATS]]#0, %[[STATS]]#1 : tensor<?x?xf32>, tensor<?xf64>, tensor<?xf64>, tensor<?xf64>)
// CHECK: arith.truncf %{{.*}} : f64 to f32
func.func @sparsemax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// sparsemax_grad: the sum of dy and the size of the support (y > 0), then
// dy - mean there, 0 elsewhere; bf16 in f32.
// ROUND-LABEL: func.func @grad
// ROUND: softmax.sparsemax_grad %arg0, %arg1 dim(0) : tensor<16x4xbf16>
// CHECK-LABEL: func.func @grad
// CHECK: %[[S:.*]]:2 = linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} {{.*}} outs(%{{.*}}, %{{.*}} : tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.cmpf ogt
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel"]} ins(%{{.*}}, %{{.*}}, %[[S]]#0, %[[S]]#1 : tensor<16x4xbf16>, tensor<16x4xbf16>, tensor<4xf32>, tensor<4xf32>)
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @grad(%y: tensor<16x4xbf16>, %dy: tensor<16x4xbf16>) -> tensor<16x4xbf16> {
  %dx = softmax.sparsemax_grad %y, %dy dim(0) : tensor<16x4xbf16>
  return %dx : tensor<16x4xbf16>
}
