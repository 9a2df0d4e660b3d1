// RUN: softmax-opt %s --softmax-fuse --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-fuse --softmax-vectorize="vector-bits=256 unroll=2" --canonicalize --split-input-file | FileCheck %s --check-prefix=VEC

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The scores of an attention layer: scale, per-row temperature, bias per
// column, mask select. The producer is marked, then computed in the row
// loops from its inputs and erased.
// CHECK-LABEL: func.func @attention
// CHECK: %[[S:.*]] = linalg.generic
// CHECK: softmax.softmax %[[S]] dim(1) {softmax.fuse_producer} : tensor<?x?xf32>
// VEC-LABEL: func.func @attention
// VEC-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[BIAS:.*]]: tensor<?xf32>, %[[MASK:.*]]: tensor<?x?xf32>, %[[TEMP:.*]]: tensor<?xf32>)
// VEC-NOT: linalg.generic
// VEC: scf.forall (%[[ROW:.*]]) in
// VEC: vector.transfer_read %[[X]][%[[ROW]], %[[COL:.*]]], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// VEC: vector.transfer_read %[[BIAS]][%[[COL]]], %{{.*}} {in_bounds = [true]} : tensor<?xf32>, vector<16xf32>
// VEC: vector.transfer_read %[[MASK]][%[[ROW]], %[[COL]]]
// VEC: %[[T:.*]] = tensor.extract %[[TEMP]][%[[ROW]]] : tensor<?xf32>
// VEC: vector.broadcast %[[T]] : f32 to vector<16xf32>
// VEC: arith.mulf %{{.*}} : vector<16xf32>
// VEC: arith.addf %{{.*}} : vector<16xf32>
// VEC: arith.cmpf ogt, %{{.*}} : vector<16xf32>
// VEC: arith.select %{{.*}} : vector<16xi1>, vector<16xf32>
// The masked tail: lanes past the row end are -inf, whatever the payload.
// VEC: vector.create_mask
// VEC: arith.select
// VEC-NOT: linalg.generic
func.func @attention(%s: tensor<?x?xf32>, %bias: tensor<?xf32>, %mask: tensor<?x?xf32>, %temp: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = tensor.dim %s, %c0 : tensor<?x?xf32>
  %n = tensor.dim %s, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%r, %n) : tensor<?x?xf32>
  %scores = linalg.generic {indexing_maps = [#id, #col, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %bias, %mask, %temp : tensor<?x?xf32>, tensor<?xf32>, tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %b: f32, %m: f32, %t: f32, %o: f32):
    %scale = arith.constant 0.125 : f32
    %half = arith.constant 0.5 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %a = arith.mulf %x, %scale : f32
    %a2 = arith.mulf %a, %t : f32
    %v = arith.addf %a2, %b : f32
    %keep = arith.cmpf ogt, %m, %half : f32
    %w = arith.select %keep, %v, %ninf : f32
    linalg.yield %w : f32
  } -> tensor<?x?xf32>
  %y = softmax.softmax %scores dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An extension in the producer of a log_softmax: f16 scores extended in the
// payload, a value from outside the payload broadcast. Rows of 64 are short:
// four at a time, 8 lanes each.
// CHECK-LABEL: func.func @extend
// CHECK: softmax.log_softmax %{{.*}} dim(1) {softmax.fuse_producer} : tensor<4x64xf32>
// VEC-LABEL: func.func @extend
// VEC-SAME: (%[[X:.*]]: tensor<4x64xf16>, %[[K:.*]]: f32)
// VEC-NOT: linalg.generic
// VEC: vector.transfer_read %[[X]]{{.*}} : tensor<4x64xf16>, vector<8xf16>
// VEC: arith.extf %{{.*}} : vector<8xf16> to vector<8xf32>
// VEC: %[[KV:.*]] = vector.broadcast %[[K]] : f32 to vector<8xf32>
// VEC: arith.mulf %{{.*}}, %[[KV]] : vector<8xf32>
func.func @extend(%x: tensor<4x64xf16>, %k: f32) -> tensor<4x64xf32> {
  %e = tensor.empty() : tensor<4x64xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf16>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %f = arith.extf %a : f16 to f32
    %g = arith.mulf %f, %k : f32
    linalg.yield %g : f32
  } -> tensor<4x64xf32>
  %y = softmax.log_softmax %s dim(1) : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>
#red = affine_map<(d0, d1) -> (d0)>

// Not fused: a producer with a second user, a transposed input, a
// reduction, a payload that reads its output, a softmax over an outer dim.
// CHECK-LABEL: func.func @not_fused
// CHECK-NOT: softmax.fuse_producer
// CHECK: return
// VEC-LABEL: func.func @not_fused
// VEC-COUNT-4: linalg.generic
func.func @not_fused(%x: tensor<8x8xf32>, %r: tensor<8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>) {
  %e = tensor.empty() : tensor<8x8xf32>
  %twice = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %a : f32
    linalg.yield %d : f32
  } -> tensor<8x8xf32>
  %y0 = softmax.softmax %twice dim(1) : tensor<8x8xf32>
  %transposed = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    linalg.yield %a : f32
  } -> tensor<8x8xf32>
  %y1 = softmax.softmax %transposed dim(1) : tensor<8x8xf32>
  %acc = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.addf %a, %o : f32
    linalg.yield %d : f32
  } -> tensor<8x8xf32>
  %y2 = softmax.softmax %acc dim(1) : tensor<8x8xf32>
  %outer = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x8xf32>) outs(%e : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %d = arith.mulf %a, %a : f32
    linalg.yield %d : f32
  } -> tensor<8x8xf32>
  %y3 = softmax.softmax %outer dim(0) : tensor<8x8xf32>
  return %y0, %y1, %y2, %y3, %twice : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>
}
