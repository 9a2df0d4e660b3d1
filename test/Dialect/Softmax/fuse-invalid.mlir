// RUN: softmax-opt %s --softmax-fuse --softmax-vectorize --split-input-file --verify-diagnostics | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// A hand-set softmax.fuse_producer whose conditions do not hold (the
// producer has a second user) is ignored without a diagnostic: the producer
// stays and the row loops read its result.
// CHECK-LABEL: func.func @pinned_but_not_fusable
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: vector.transfer_read %[[P]]
// CHECK: return %{{.*}}, %[[P]]
func.func @pinned_but_not_fusable(%x: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<8x8xf32>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  } -> tensor<8x8xf32>
  %y = softmax.softmax %p dim(1) {softmax.fuse_producer} : tensor<8x8xf32>
  return %y, %p : tensor<8x8xf32>, tensor<8x8xf32>
}

// -----

// Invalid IR is rejected before the pass runs.
func.func @bad_dim(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{'softmax.softmax' op dim 2 is out of range for a tensor of rank 2}}
  %y = softmax.softmax %x dim(2) : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
