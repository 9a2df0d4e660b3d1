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

#id = affine_map<(d0, d1) -> (d0, d1)>

// A hand-set softmax.fuse_consumer whose consumer does not qualify (it does
// more than a cast) is ignored: the consumer stays and reads the result.
// CHECK-LABEL: func.func @consumer_pinned_but_not_fusable
// CHECK: scf.forall
// CHECK: %[[Y:.*]] = scf.forall
// CHECK: linalg.generic {{.*}} ins(%[[Y]] : tensor<8x8xf32>)
func.func @consumer_pinned_but_not_fusable(%x: tensor<8x8xf32>) -> tensor<8x8xf16> {
  %e = tensor.empty() : tensor<8x8xf16>
  %y = softmax.softmax %x dim(1) {softmax.fuse_consumer} : tensor<8x8xf32>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<8x8xf32>) outs(%e : tensor<8x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %n = arith.negf %a : f32
    %t = arith.truncf %n : f32 to f16
    linalg.yield %t : f16
  } -> tensor<8x8xf16>
  return %h : tensor<8x8xf16>
}

// -----

// Invalid IR is rejected before the pass runs.
func.func @bad_dim(%x: tensor<8x8xf32>) -> tensor<8x8xf32> {
  // expected-error @+1 {{'softmax.softmax' op dim 2 is out of range for a tensor of rank 2}}
  %y = softmax.softmax %x dim(2) : tensor<8x8xf32>
  return %y : tensor<8x8xf32>
}
