// RUN: softmax-opt %s --resolve-ranked-shaped-type-result-dims --canonicalize --cse | FileCheck %s

// The ops reify their result sizes from their operands': tensor.dim of a
// result becomes a size of the input (the logits' rows for a loss), with
// every op in between gone.
// CHECK-LABEL: func.func @sizes
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[L:.*]]: tensor<?xi64>, %[[W:.*]]: tensor<3x?x?xbf16>)
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %[[C1]]
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %[[C0]]
// CHECK-DAG: %[[W1:.*]] = tensor.dim %[[W]], %[[C1]]
// CHECK-NOT: softmax.
// CHECK: return %[[D1]], %[[D0]], %[[D0]], %[[D0]], %[[W1]]
func.func @sizes(%x: tensor<?x?xf32>, %l: tensor<?xi64>, %w: tensor<3x?x?xbf16>)
    -> (index, index, index, index, index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  %a = tensor.dim %y, %c1 : tensor<?x?xf32>
  %g = softmax.softmax_grad %y, %x dim(1) : tensor<?x?xf32>
  %b = tensor.dim %g, %c0 : tensor<?x?xf32>
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<?x?xf32>, tensor<?xi64> -> tensor<?xf32>
  %c = tensor.dim %loss, %c0 : tensor<?xf32>
  %dl = softmax.cross_entropy_grad %x, %l, %loss dim(1) : tensor<?x?xf32>, tensor<?xi64>, tensor<?xf32> -> tensor<?x?xf32>
  %d = tensor.dim %dl, %c0 : tensor<?x?xf32>
  %e = softmax.entmax %w dim(0) alpha(1.5) : tensor<3x?x?xbf16>
  %s = softmax.sparsemax %e dim(2) : tensor<3x?x?xbf16>
  %f = tensor.dim %s, %c1 : tensor<3x?x?xbf16>
  return %a, %b, %c, %d, %f : index, index, index, index, index
}
