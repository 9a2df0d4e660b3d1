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

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A cast of the result (f32 probabilities stored as f16). A narrower output
// cannot hold exp(x - m) without rounding it twice, so fused row loops
// would recompute it: softmax-fuse leaves it unmarked (slower than the
// separate cast). Set by hand, the attribute fuses it: f16 written
// directly, exp recomputed in pass 3.
// CHECK-LABEL: func.func @to_f16
// CHECK-NOT: softmax.fuse_consumer
// CHECK: linalg.generic
// CHECK-LABEL: func.func @to_f16_pinned
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.fuse_consumer} : tensor<?x?xf32>
// VEC-LABEL: func.func @to_f16
// VEC: scf.forall {{.*}} -> (tensor<?x?xf32>)
// VEC: linalg.generic {{.*}} ins(%{{.*}} : tensor<?x?xf32>) outs(%{{.*}} : tensor<?x?xf16>)
// VEC-LABEL: func.func @to_f16_pinned
// VEC-NOT: linalg.generic
// VEC-NOT: softmax.softmax
// VEC: tensor.empty(%{{.*}}, %{{.*}}) : tensor<?x?xf16>
// VEC: scf.forall {{.*}} -> (tensor<?x?xf16>)
// VEC-NOT: vector.transfer_write %{{.*}} : vector<16xf32>
// VEC: %[[H:.*]] = arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// VEC: vector.transfer_write %[[H]], %{{.*}} : vector<16xf16>, tensor<{{.*}}xf16>
// VEC-NOT: linalg.generic
func.func @to_f16(%x: tensor<?x?xf32>) -> tensor<?x?xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  %e = tensor.empty(%r, %n) : tensor<?x?xf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<?x?xf32>) outs(%e : tensor<?x?xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<?x?xf16>
  return %h : tensor<?x?xf16>
}

func.func @to_f16_pinned(%x: tensor<?x?xf32>) -> tensor<?x?xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %r = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %y = softmax.softmax %x dim(1) {softmax.fuse_consumer} : tensor<?x?xf32>
  %e = tensor.empty(%r, %n) : tensor<?x?xf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<?x?xf32>) outs(%e : tensor<?x?xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<?x?xf16>
  return %h : tensor<?x?xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// log_softmax keeps no exp in its output: its cast to f16 is fused.
// CHECK-LABEL: func.func @log_to_f16
// CHECK: softmax.log_softmax %{{.*}} dim(1) {softmax.fuse_consumer} : tensor<16x256xf32>
// VEC-LABEL: func.func @log_to_f16
// VEC-NOT: linalg.generic
// VEC: %[[H:.*]] = arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// VEC: vector.transfer_write %[[H]], %{{.*}} : vector<16xf16>, tensor<1x256xf16>
func.func @log_to_f16(%x: tensor<16x256xf32>) -> tensor<16x256xf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<16x256xf32>
  %e = tensor.empty() : tensor<16x256xf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<16x256xf32>) outs(%e : tensor<16x256xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<16x256xf16>
  return %h : tensor<16x256xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// f16 softmax read back as f32: the f32 output holds exp(x - m) between
// passes 2 and 3 (no recomputed exp), and the result is still rounded to
// f16 before it is extended, as the unfused program rounds it.
// CHECK-LABEL: func.func @from_f16
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.fuse_consumer, softmax.row_form = "rows"} : tensor<4x1000xf16>
// VEC-LABEL: func.func @from_f16
// VEC-NOT: linalg.generic
// VEC: tensor.empty() : tensor<4x1000xf32>
// Pass 2 keeps exp in the f32 output.
// VEC: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<1x1000xf32>
// Pass 3: the stored exp scaled, rounded to f16, extended.
// VEC: %[[E:.*]] = vector.transfer_read %{{.*}} : tensor<1x1000xf32>, vector<16xf32>
// VEC-NEXT: %[[P:.*]] = arith.mulf %[[E]], %{{.*}} : vector<16xf32>
// VEC-NEXT: %[[R:.*]] = arith.truncf %[[P]] : vector<16xf32> to vector<16xf16>
// VEC-NEXT: %[[W:.*]] = arith.extf %[[R]] : vector<16xf16> to vector<16xf32>
// VEC-NEXT: vector.transfer_write %[[W]]
func.func @from_f16(%x: tensor<4x1000xf16>) -> tensor<4x1000xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<4x1000xf16>
  %e = tensor.empty() : tensor<4x1000xf32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x1000xf16>) outs(%e : tensor<4x1000xf32>) {
  ^bb0(%a: f16, %o: f32):
    %t = arith.extf %a : f16 to f32
    linalg.yield %t : f32
  } -> tensor<4x1000xf32>
  return %w : tensor<4x1000xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#t = affine_map<(d0, d1) -> (d1, d0)>

// Consumers not fused: the result has a second user; a payload that does
// more than a cast; a transposed output; a cast that reads its output.
// CHECK-LABEL: func.func @consumers_not_fused
// CHECK-NOT: softmax.fuse_consumer
// CHECK: return
// VEC-LABEL: func.func @consumers_not_fused
// VEC-COUNT-4: linalg.generic
func.func @consumers_not_fused(%x: tensor<8x8xf32>) -> (tensor<8x8xf32>, tensor<8x8xf16>, tensor<8x8xf16>, tensor<8x8xf16>, tensor<8x8xf16>) {
  %e = tensor.empty() : tensor<8x8xf16>
  %y0 = softmax.softmax %x dim(1) : tensor<8x8xf32>
  %h0 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y0 : tensor<8x8xf32>) outs(%e : tensor<8x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<8x8xf16>
  %y1 = softmax.softmax %x dim(1) : tensor<8x8xf32>
  %h1 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y1 : tensor<8x8xf32>) outs(%e : tensor<8x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %d = arith.mulf %a, %a : f32
    %t = arith.truncf %d : f32 to f16
    linalg.yield %t : f16
  } -> tensor<8x8xf16>
  %y2 = softmax.softmax %x dim(1) : tensor<8x8xf32>
  %h2 = linalg.generic {indexing_maps = [#id, #t], iterator_types = ["parallel", "parallel"]}
      ins(%y2 : tensor<8x8xf32>) outs(%e : tensor<8x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<8x8xf16>
  %y3 = softmax.softmax %x dim(1) : tensor<8x8xf32>
  %h3 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y3 : tensor<8x8xf32>) outs(%e : tensor<8x8xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    %s = arith.addf %t, %o : f16
    linalg.yield %s : f16
  } -> tensor<8x8xf16>
  return %y0, %h0, %h1, %h2, %h3 : tensor<8x8xf32>, tensor<8x8xf16>, tensor<8x8xf16>, tensor<8x8xf16>, tensor<8x8xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A cast to bf16 is fused like one to f16 (the bf16 values are moved as
// i16 by the CPU pipeline's lowering, no bf16 libcall).
// CHECK-LABEL: func.func @log_to_bf16
// CHECK: softmax.log_softmax %{{.*}} dim(1) {softmax.fuse_consumer} : tensor<16x256xf32>
// VEC-LABEL: func.func @log_to_bf16
// VEC-NOT: linalg.generic
// VEC: %[[H:.*]] = arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// VEC: vector.transfer_write %[[H]], %{{.*}} : vector<16xbf16>, tensor<1x256xbf16>
func.func @log_to_bf16(%x: tensor<16x256xf32>) -> tensor<16x256xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<16x256xf32>
  %e = tensor.empty() : tensor<16x256xbf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<16x256xf32>) outs(%e : tensor<16x256xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %t = arith.truncf %a : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<16x256xbf16>
  return %h : tensor<16x256xbf16>
}
