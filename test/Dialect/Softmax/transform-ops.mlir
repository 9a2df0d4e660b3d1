// RUN: softmax-opt %s --split-input-file --transform-interpreter | FileCheck %s

// A transform script that raises a linalg.softmax and a written-out
// log_softmax, pins strategies on the raised ops, and vectorizes them.
// CHECK-LABEL: func.func @schedule
// CHECK-NOT: linalg.softmax
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.gpu_strategy = "block_row", softmax.pass_form = "three_pass", softmax.row_form = "groups", softmax.store_form = "cached"} : tensor<64x128xf32>
func.func @schedule(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %e = tensor.empty() : tensor<64x128xf32>
  %y = linalg.softmax dimension(1) ins(%x : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) -> tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.softmax.raise
    } : !transform.any_op
    %s = transform.structured.match ops{["softmax.softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.softmax.set_strategy %s {row_form = "groups", pass_form = "three_pass", store_form = "cached", gpu_strategy = "block_row"} : !transform.any_op
    transform.yield
  }
}

// -----

// Vectorized with the pinned form: the grouped short rows' loop (rows in
// lockstep), 512-bit vectors; then what is left decomposed.
// CHECK-LABEL: func.func @vectorize
// CHECK-NOT: softmax.{{(log_)?}}softmax
// CHECK: scf.forall
// CHECK: vector<16xf32>
// CHECK: linalg.generic {{.*}} iterator_types = ["reduction", "parallel"]} ins(%{{.*}} : tensor<8x4xf32>)
// CHECK: math.exp %{{.*}} : f32
// CHECK-NOT: softmax.{{(log_)?}}softmax
// CHECK: return
func.func @vectorize(%x: tensor<64x128xf32>, %z: tensor<8x4xf32>) -> (tensor<64x128xf32>, tensor<8x4xf32>) {
  %y = softmax.softmax %x dim(1) : tensor<64x128xf32>
  %w = softmax.log_softmax %z dim(0) : tensor<8x4xf32>
  return %y, %w : tensor<64x128xf32>, tensor<8x4xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %s = transform.structured.match ops{["softmax.softmax"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.softmax.set_strategy %s {row_form = "groups"} : !transform.any_op
    %f = transform.structured.match ops{["func.func"]} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.softmax.vectorize {vector_bits = 512 : i64}
    } : !transform.any_op
    transform.apply_patterns to %f {
      transform.apply_patterns.softmax.decompose
    } : !transform.any_op
    transform.yield
  }
}
