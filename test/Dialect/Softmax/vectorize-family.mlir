// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256" --canonicalize | FileCheck %s
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 prefetch=false" --canonicalize | FileCheck %s --check-prefix=NOPF
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 grad-prefetch=false stream-misaligned=false" --canonicalize | FileCheck %s --check-prefix=TUNED
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 f32-cached-grad=true" --canonicalize | FileCheck %s --check-prefix=F32C
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 softmax-grad-prefetch=false" --canonicalize | FileCheck %s --check-prefix=SGPF

// softmax_grad: per row, s = sum(y * dy) in f64 lanes over whole vectors
// and a masked tail, and the largest |dy| as integer bits. Then, where the
// whole output is larger than L2 (512 KiB: 131072 f32), the row's output
// starts aligned or is at least 1 KiB long, and dy - s cannot overflow f32:
// y ((dy - hi) - lo) in f32 with streaming stores (a masked head up to the
// aligned column, a loop marked for softmax-nontemporal-stores, a masked
// tail); else y * (dy - s) in f64 with ordinary stores. Whole vectors of
// the second pass prefetch the next row's y and dy where rows are at most
// half of L2 (256 KiB: 65536 f32).
// CHECK-LABEL: func.func @softmax_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<?x?xf32>, %[[DY:.*]]: tensor<?x?xf32>)
// CHECK: %[[BIG:.*]] = arith.cmpi ugt, %{{.*}}, %c131072 : index
// CHECK: scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<?x?xf32>)
// CHECK: %[[ROWOUT:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], 0] [1, %{{.*}}] [1, 1]
// CHECK: scf.for {{.*}} -> (vector<16xf64>, vector<16xi32>)
// CHECK: vector.transfer_read %[[DY]][%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// CHECK: vector.transfer_read %[[Y]][%[[ROW]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<16xf64>
// CHECK: arith.addf %{{.*}}, %{{.*}} : vector<16xf64>
// CHECK: arith.maxui %{{.*}}, %{{.*}} : vector<16xi32>
// CHECK: vector.transfer_read %[[DY]][%[[ROW]], %{{.*}}], %{{.*}} : tensor<?x?xf32>, vector<16xf32>
// CHECK: %[[S:.*]] = vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf64> into f64
// CHECK: %[[SV:.*]] = vector.broadcast %[[S]] : f64 to vector<16xf64>
// CHECK: %[[YB:.*]] = bufferization.to_buffer %[[Y]] read_only
// CHECK: %[[DYB:.*]] = bufferization.to_buffer %[[DY]] read_only
// CHECK: %[[FOLLOWING:.*]] = arith.minui
// CHECK: %[[SHORT:.*]] = arith.cmpi ule, %{{.*}}, %c65536 : index
// CHECK: %[[NEXT:.*]] = arith.select %[[SHORT]], %[[FOLLOWING]], %[[ROW]] : index
// CHECK: %[[HI:.*]] = arith.truncf %[[S]] : f64 to f32
// CHECK: %[[LO:.*]] = arith.truncf %{{.*}} : f64 to f32
// CHECK: %[[HIV:.*]] = vector.broadcast %[[HI]] : f32 to vector<16xf32>
// CHECK: %[[LOV:.*]] = vector.broadcast %[[LO]] : f32 to vector<16xf32>
// The elements from the row's first output column to one 32-byte aligned:
// (0 - address) mod 32, in f32, at most the row.
// CHECK: %[[BUF:.*]] = bufferization.to_buffer %[[ROWOUT]] read_only
// CHECK: %{{.*}}, %[[OFFSET:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[BUF]]
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[BUF]]
// CHECK: %[[BYTES:.*]] = arith.muli %[[OFFSET]], %c4 : index
// CHECK: %[[ADDRESS:.*]] = arith.addi %[[PTR]], %[[BYTES]] : index
// CHECK: %[[NEG:.*]] = arith.subi %c0, %[[ADDRESS]] : index
// CHECK: %[[GAP:.*]] = arith.remui %[[NEG]], %c32 : index
// CHECK: %[[GAPN:.*]] = arith.divui %[[GAP]], %c4 : index
// CHECK: %[[START:.*]] = arith.minui %[[GAPN]], %{{.*}} : index
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[START]], %c0 : index
// CHECK: %[[LONG:.*]] = arith.cmpi uge, %{{.*}}, %c256 : index
// CHECK: %[[EITHER:.*]] = arith.ori %[[ALIGNED]], %[[LONG]] : i1
// CHECK: %[[STREAMS:.*]] = arith.andi %[[BIG]], %[[EITHER]] : i1
// CHECK: vector.reduction <maxui>, %{{.*}} : vector<16xi32> into i32
// CHECK: %[[FITS:.*]] = arith.cmpf ole, %{{.*}}, %{{.*}} : f64
// CHECK: %[[NARROW:.*]] = arith.andi %[[STREAMS]], %[[FITS]] : i1
// CHECK: scf.if %[[NARROW]] -> (tensor<1x?xf32>)
// CHECK: %[[HEAD:.*]] = vector.create_mask %[[START]] : vector<16xi1>
// CHECK: vector.transfer_write %{{.*}}, %[[ROWOUT]][%c0, %c0], %[[HEAD]] : vector<16xf32>, tensor<1x?xf32>
// CHECK: scf.for %[[COL:.*]] = %[[START]] to
// CHECK: memref.prefetch %[[YB]][%[[NEXT]], %[[COL]]], read, locality<3>, data
// CHECK: memref.prefetch %[[DYB]][%[[NEXT]], %[[COL]]], read, locality<3>, data
// CHECK: arith.subf %{{.*}}, %[[HIV]] : vector<16xf32>
// CHECK: arith.subf %{{.*}}, %[[LOV]] : vector<16xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<1x?xf32>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<1x?xf32>
// CHECK: arith.subf %{{.*}}, %[[SV]] : vector<16xf64>
// CHECK: arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<1x?xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<1x?xf32>
// CHECK: tensor.parallel_insert_slice
// NOPF-LABEL: func.func @softmax_grad
// NOPF-NOT: memref.prefetch
// NOPF: return
// With grad-prefetch=false no prefetch either; with stream-misaligned=false
// a row streams only where its output starts aligned (no length test).
// TUNED-LABEL: func.func @softmax_grad
// TUNED: %[[BIG:.*]] = arith.cmpi ugt, %{{.*}}, %c131072 : index
// TUNED-NOT: memref.prefetch
// TUNED: %[[ALIGNED:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// TUNED-NOT: %c256
// TUNED: %[[STREAMS:.*]] = arith.andi %[[BIG]], %[[ALIGNED]] : i1
// TUNED-NOT: memref.prefetch
// TUNED: %[[NARROW:.*]] = arith.andi %[[STREAMS]], %{{.*}} : i1
// TUNED: scf.if %[[NARROW]] -> (tensor<1x?xf32>)
// TUNED-NOT: memref.prefetch
// TUNED: } {softmax.nontemporal = 32 : i64}
// TUNED-NOT: memref.prefetch
// TUNED: return
// With softmax-grad-prefetch=false softmax_grad's passes prefetch nothing
// (see also @grads_cached).
// SGPF-LABEL: func.func @softmax_grad
// SGPF-NOT: memref.prefetch
// SGPF: } {softmax.nontemporal = 32 : i64}
// SGPF-NOT: memref.prefetch
// SGPF: return
func.func @softmax_grad(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<?x?xf32>
  return %dx : tensor<?x?xf32>
}

// -----

// No streaming for an output of at most L2 (128 x 1024 f32 is 512 KiB) or
// pinned "cached": the wide pass for softmax_grad, ordinary stores.
// CHECK-LABEL: func.func @grads_cached
// CHECK-NOT: softmax.nontemporal
// CHECK-NOT: bufferization.to_buffer %{{.*}} read_only : tensor<1x
// CHECK-NOT: vector<16xi32>
// CHECK: return
// With f32-cached-grad, softmax_grad's f32 rows take the f32 pass with
// ordinary stores where dy - s cannot overflow (the largest |dy| from the
// first pass), else the f64 pass; log_softmax_grad is unchanged.
// F32C-LABEL: func.func @grads_cached
// F32C-NOT: softmax.nontemporal
// F32C: vector.reduction <maxui>, %{{.*}} : vector<16xi32> into i32
// F32C: %[[FITS:.*]] = arith.cmpf ole, %{{.*}}, %{{.*}} : f64
// F32C: scf.if %[[FITS]] -> (tensor<1x1024xf32>)
// F32C: arith.subf %{{.*}} : vector<16xf32>
// F32C: arith.subf %{{.*}} : vector<16xf32>
// F32C: arith.mulf %{{.*}} : vector<16xf32>
// F32C: } else {
// F32C: arith.subf %{{.*}} : vector<16xf64>
// F32C: vector.reduction <maxui>, %{{.*}} : vector<16xi32> into i32
// F32C: %[[FITS2:.*]] = arith.cmpf ole, %{{.*}}, %{{.*}} : f64
// F32C: scf.if %[[FITS2]] -> (tensor<1x?xf32>)
// F32C-NOT: softmax.nontemporal
// F32C: return
// With softmax-grad-prefetch=false only log_softmax_grad's second pass
// (the one with exp) prefetches the next row.
// SGPF-LABEL: func.func @grads_cached
// SGPF-NOT: memref.prefetch
// SGPF: scf.forall
// SGPF-NOT: memref.prefetch
// SGPF: scf.forall
// SGPF-NOT: memref.prefetch
// SGPF: scf.forall
// SGPF: memref.prefetch
// SGPF-NEXT: memref.prefetch
// SGPF: math.exp
// SGPF: return
func.func @grads_cached(%y: tensor<128x1024xf32>, %dy: tensor<128x1024xf32>,
                        %z: tensor<?x?xf32>)
    -> (tensor<128x1024xf32>, tensor<?x?xf32>, tensor<?x?xf32>) {
  %0 = softmax.softmax_grad %y, %dy dim(1) : tensor<128x1024xf32>
  %1 = softmax.softmax_grad %z, %z dim(1) {softmax.store_form = "cached"} : tensor<?x?xf32>
  %2 = softmax.log_softmax_grad %z, %z dim(1) {softmax.store_form = "cached"} : tensor<?x?xf32>
  return %0, %1, %2 : tensor<128x1024xf32>, tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// log_softmax_grad streams its f32 pass (dy - p hi - p lo) too, a row that
// does not start aligned only from 4 KiB (1024 f32); no largest |dy|.
// CHECK-LABEL: func.func @log_softmax_grad_streamed
// CHECK: %[[BIG:.*]] = arith.cmpi ugt, %{{.*}}, %c131072 : index
// CHECK-NOT: vector<16xi32>
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// CHECK: %[[LONG:.*]] = arith.cmpi uge, %{{.*}}, %c1024 : index
// CHECK: %[[EITHER:.*]] = arith.ori %[[ALIGNED]], %[[LONG]] : i1
// CHECK: %[[STREAMS:.*]] = arith.andi %[[BIG]], %[[EITHER]] : i1
// CHECK: %[[HELD:.*]] = arith.cmpf olt, %{{.*}}, %{{.*}} : f32
// CHECK: scf.if %[[HELD]] -> (tensor<1x?xf32>)
// CHECK: scf.if %[[STREAMS]] -> (tensor<1x?xf32>)
// CHECK: math.fma %{{.*}} : vector<16xf32>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: } else {
// CHECK: math.fma %{{.*}} : vector<16xf32>
// TUNED-LABEL: func.func @log_softmax_grad_streamed
// TUNED: %[[BIG:.*]] = arith.cmpi ugt, %{{.*}}, %c131072 : index
// TUNED: %[[ALIGNED:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// TUNED-NOT: %c1024
// TUNED: %[[STREAMS:.*]] = arith.andi %[[BIG]], %[[ALIGNED]] : i1
// TUNED: scf.if %[[STREAMS]] -> (tensor<1x?xf32>)
// TUNED: } {softmax.nontemporal = 32 : i64}
func.func @log_softmax_grad_streamed(%y: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %0 = softmax.log_softmax_grad %y, %y dim(1) : tensor<?x?xf32>
  return %0 : tensor<?x?xf32>
}

// -----

// Pinned "nontemporal", softmax_grad streams whatever its size: rows of 64
// f32 (256 B) where they start aligned; f64 in f64 (no narrow pass). (A
// dynamic shape, a row at a time; static ones stream across rows, see
// vectorize-across-rows.mlir.)
// CHECK-LABEL: func.func @grads_streamed
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %{{.*}}, %c0 : index
// CHECK: scf.if %{{.*}} -> (tensor<1x64xf32>)
// CHECK: arith.subf %{{.*}} : vector<16xf32>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: scf.if %{{.*}} -> (tensor<1x64xf64>)
// CHECK: arith.subf %{{.*}} : vector<16xf64>
// CHECK: } {softmax.nontemporal = 32 : i64}
func.func @grads_streamed(%y: tensor<?x64xf32>, %z: tensor<?x64xf64>)
    -> (tensor<?x64xf32>, tensor<?x64xf64>) {
  %0 = softmax.softmax_grad %y, %y dim(1) {softmax.store_form = "nontemporal"} : tensor<?x64xf32>
  %1 = softmax.softmax_grad %z, %z dim(1) {softmax.store_form = "nontemporal"} : tensor<?x64xf64>
  return %0, %1 : tensor<?x64xf32>, tensor<?x64xf64>
}

// -----

// log_softmax_grad on f16: sums in f32, exp(y) in f32; a row length that is
// a multiple of the lanes has no tail.
// CHECK-LABEL: func.func @log_softmax_grad
// CHECK: scf.forall
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: math.exp %{{.*}} : vector<16xf32>
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CHECK-NOT: vector.create_mask
// CHECK: tensor.parallel_insert_slice
func.func @log_softmax_grad(%y: tensor<8x64xf16>, %dy: tensor<8x64xf16>) -> tensor<8x64xf16> {
  %dx = softmax.log_softmax_grad %y, %dy dim(1) : tensor<8x64xf16>
  return %dx : tensor<8x64xf16>
}

// -----

// cross_entropy: per row the max (masked lanes -inf), the sum of exp(t) off
// the maximum (our exp for t <= 0, in f32, summed in f64) and the count at
// it (and, with smoothing, the sum of t); the loss from x[label] as a
// scalar per row, log(s) as log1p(c - 1 + r).
// CHECK-LABEL: func.func @cross_entropy
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[L:.*]]: tensor<?xi64>)
// CHECK: scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%{{.*}} = %{{.*}}) -> (tensor<?xf32>)
// The lanes' maxima as x > acc ? x : acc (one vmaxps), the NaN lanes marked
// apart and made NaN after the loop.
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xi1>)
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[V:.*]], %[[ACC:.*]] : vector<16xf32>
// CHECK: %[[MAX:.*]] = arith.select %[[ABOVE]], %[[V]], %[[ACC]] : vector<16xi1>, vector<16xf32>
// CHECK: %[[NAN:.*]] = arith.cmpf uno, %[[V]], %[[V]] : vector<16xf32>
// CHECK: %[[ANY:.*]] = arith.ori %{{.*}}, %[[NAN]] : vector<16xi1>
// CHECK: scf.yield %[[MAX]], %[[ANY]]
// CHECK: %[[LANES:.*]] = arith.select %{{.*}}, %cst{{.*}}, %{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK: vector.reduction <maximumf>, %[[LANES]]
// CHECK: scf.for {{.*}} -> (vector<16xf64>, vector<16xf64>, vector<16xf64>)
// CHECK-NOT: math.exp
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: tensor.extract %[[L]][%[[ROW]]] : tensor<?xi64>
// CHECK: tensor.extract %[[X]][%[[ROW]], %{{.*}}] : tensor<?x?xf32>
// CHECK: math.log1p %{{.*}} : f64
// CHECK: tensor.from_elements %{{.*}} : tensor<1xf32>
// CHECK: tensor.parallel_insert_slice
func.func @cross_entropy(%x: tensor<?x?xf32>, %l: tensor<?xi64>) -> tensor<?xf32> {
  %loss = softmax.cross_entropy %x, %l dim(1) {label_smoothing = 0.1 : f64} : tensor<?x?xf32>, tensor<?xi64> -> tensor<?xf32>
  return %loss : tensor<?xf32>
}

// -----

// cross_entropy_grad without smoothing: the max and the sum, then
// exp(t) / s * dloss with t in f64 and exp(t) = exp(t_hi) (1 + t_lo) (t_hi
// its f32 part), the label's column found by comparing the lanes' column
// indices; then the label's element again in f64 with math.exp.
// CHECK-LABEL: func.func @cross_entropy_grad
// CHECK: scf.forall
// CHECK: vector.reduction <maximumf>
// CHECK: vector.reduction <add>
// CHECK: %[[HI:.*]] = arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK: arith.cmpi eq, %{{.*}}, %{{.*}} : vector<16xi64>
// CHECK: vector.transfer_write
// CHECK: math.exp %{{.*}} : f64
// CHECK: tensor.insert
func.func @cross_entropy_grad(%x: tensor<4x1000xf32>, %l: tensor<4xi32>, %d: tensor<4xf32>) -> tensor<4x1000xf32> {
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<4x1000xf32>, tensor<4xi32>, tensor<4xf32> -> tensor<4x1000xf32>
  return %dx : tensor<4x1000xf32>
}

// -----

// cross_entropy and the cross_entropy_grad of the same logits and labels
// (its dloss defined before the loss): one loop over the rows with both
// outputs, the row's max and sum once.
// CHECK-LABEL: func.func @cross_entropy_both
// CHECK: %[[BOTH:.*]]:2 = scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%[[DX:.*]] = %{{.*}}, %[[LOSS:.*]] = %{{.*}}) -> (tensor<?x?xf32>, tensor<?xf32>)
// CHECK-COUNT-1: vector.reduction <maximumf>
// CHECK: math.log %{{.*}} : f64
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[DX]][%[[ROW]], 0]
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[LOSS]][%[[ROW]]] [1] [1]
// CHECK-NOT: softmax.cross_entropy
// CHECK: return %[[BOTH]]#1, %[[BOTH]]#0
func.func @cross_entropy_both(%x: tensor<?x?xf32>, %l: tensor<?xi64>, %d: tensor<?xf32>) -> (tensor<?xf32>, tensor<?x?xf32>) {
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<?x?xf32>, tensor<?xi64> -> tensor<?xf32>
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<?x?xf32>, tensor<?xi64>, tensor<?xf32> -> tensor<?x?xf32>
  return %loss, %dx : tensor<?xf32>, tensor<?x?xf32>
}

// -----

// sparsemax: the max (f32), then the support refinement on
// the lanes' maxima (a lower bound; in registers, two of 8 f32 lanes), the
// entries above it packed into an f32 scratch buffer (a memref; the count
// advances past a unit with one), the refinement again on them: an
// scf.while on the row's scalar (tau, |S|) whose rounds sum t = x - m
// (f64) and count over t > tau a register at a time; then max(t - tau, 0) over the row, without the
// special rows' selects where the max is finite (elsewhere after a pass
// counting the +inf entries). Rows of at most 32768 f32, where there are
// a register's lanes of rows or more (8 here, chosen at run time), go 8 at
// a time (longer rows 4 up to 65536 and 2 up to 131072: batches of 1 MiB
// at most, the same loops on vectors of 4 and 2 lanes after the first)
// with their searches a lane per row: the rows' maxima are their
// lanes' maxima reduced together by shuffles; one scf.while on vectors of
// the 8 rows' (tau, |S|) refines them on the lanes' maxima (seeds), a
// second on the rows from there, each round sweeping every row (masked
// adds) and reducing the 8 rows' sums by three levels of shuffles, one
// division for all; the rounds on the seeds take them transposed once
// (three levels of shuffles per 8 lanes: 16 vectors, vector j every row's
// lane j), their sums vectors of the 8 rows with no shuffle; then a loop over the rows: the sum and the size of S in
// f64, tau = (sum - 1) / |S|, and the outputs in f32 from x - c_hi - c_lo
// where |m| <= 256. Other rows of at most 1024
// go two at a time: one scf.while refines
// both rows' (tau, |S|, done) on their lanes' maxima; the candidates
// packed 4 lanes at a time, a register of -inf after them; their
// refinements one row at a time; the two output passes into the pair's
// slice. Longer rows one at a time, their candidates packed 16 lanes at a
// time. The output passes of rows of at most 1024 prefetch the row of the
// next group at their place (8 rows on in batches, 2 in pairs; the last
// row past the end), not with prefetch=false.
// CHECK-LABEL: func.func @sparsemax
// CHECK: %[[SHORT1024:.*]] = arith.cmpi ule, %{{.*}}, %c1024 : index
// CHECK: %[[XB:.*]] = bufferization.to_buffer %arg0 read_only
// CHECK: %[[LASTROW:.*]] = arith.subi %{{.*}}, %c1 : index
// CHECK: %[[SHORTBATCH:.*]] = arith.cmpi ule, %{{.*}}, %c32768 : index
// CHECK: %[[MANY:.*]] = arith.cmpi uge, %{{.*}}, %c8 : index
// CHECK: %[[INBATCHES:.*]] = arith.andi %[[SHORTBATCH]], %[[MANY]] : i1
// CHECK: %[[OUTSIDE:.*]] = arith.xori %[[INBATCHES]], %true : i1
// CHECK: %[[INPAIRS:.*]] = arith.andi %[[SHORT1024]], %[[OUTSIDE]] : i1
// CHECK: %[[GROUPED8:.*]] = arith.ori %[[SHORT1024]], %[[INBATCHES]] : i1
// CHECK: %[[GROUPS:.*]] = arith.ceildivui %{{.*}}, %c8 : index
// CHECK: %[[NGROUPS:.*]] = arith.select %[[INBATCHES]], %[[GROUPS]], %c0 : index
// CHECK: %[[BATCHES:.*]] = scf.forall (%{{.*}}) in (%[[NGROUPS]])
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 8, 9, 10, 11] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 4, 5, 8, 9, 12, 13] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 8, 2, 10, 4, 12, 6, 14] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 8, 9, 4, 5, 12, 13] : vector<8xf32>, vector<8xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [4, 5, 6, 7, 12, 13, 14, 15] : vector<8xf32>, vector<8xf32>
// CHECK: %[[SEEDED:.*]]:2 = scf.while ({{.*}}) : (vector<8xf32>, vector<8xf32>) -> (vector<8xf32>, vector<8xf32>)
// CHECK-NOT: scf.for
// CHECK-NOT: vector.shuffle
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: vector.reduction <or>, %{{.*}} : vector<8xi1> into i1
// CHECK: scf.condition
// CHECK: %[[FOUND:.*]]:2 = scf.while (%{{.*}} = %[[SEEDED]]#0, {{.*}}) : (vector<8xf32>, vector<8xf32>)
// CHECK-COUNT-8: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 2, 4, 6, 8, 10, 12, 14] : vector<8xf32>, vector<8xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: scf.condition
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (tensor<?x?xf32>)
// CHECK: vector.extract %[[FOUND]]#0[%{{.*}}] : f32 from vector<8xf32>
// CHECK: scf.for {{.*}} -> (vector<16xf64>, vector<16xf64>)
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: arith.divf %{{.*}}, %{{.*}} : f64
// CHECK: %[[AHEAD:.*]] = arith.addi %{{.*}}, %c8 : index
// CHECK: %[[NEXTROW:.*]] = arith.minui %[[AHEAD]], %[[LASTROW]] : index
// CHECK: scf.if
// CHECK: arith.cmpf ole, %{{.*}}, %{{.*}} : f64
// CHECK: scf.if
// CHECK: scf.for %[[COL:.*]] = %c0
// CHECK: memref.prefetch %[[XB]][%[[NEXTROW]], %[[COL]]], read, locality<3>, data
// CHECK: arith.subf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NEXT: arith.subf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK-NEXT: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: scf.forall.in_parallel
// CHECK: %[[LONG4:.*]] = arith.cmpi ule, %{{.*}}, %c65536 : index
// CHECK: %[[MANY4:.*]] = arith.cmpi uge, %{{.*}}, %c4 : index
// CHECK: %[[FITS4:.*]] = arith.andi %[[LONG4]], %[[MANY4]] : i1
// CHECK: %[[ABOVE4:.*]] = arith.cmpi ugt, %{{.*}}, %c32768 : index
// CHECK: %[[IN4:.*]] = arith.andi %[[FITS4]], %[[ABOVE4]] : i1
// CHECK: %[[NOT4:.*]] = arith.xori %[[IN4]], %true : i1
// CHECK: %[[PAIRS4:.*]] = arith.andi %[[INPAIRS]], %[[NOT4]] : i1
// CHECK: %[[GROUPED4:.*]] = arith.ori %[[GROUPED8]], %[[IN4]] : i1
// CHECK: %[[QUADS:.*]] = arith.ceildivui %{{.*}}, %c4 : index
// CHECK: %[[NQUADS:.*]] = arith.select %[[IN4]], %[[QUADS]], %c0 : index
// CHECK: %[[BATCHES4:.*]] = scf.forall (%{{.*}}) in (%[[NQUADS]]) shared_outs(%{{.*}} = %[[BATCHES]])
// CHECK: scf.while ({{.*}}) : (vector<4xf32>, vector<4xf32>) -> (vector<4xf32>, vector<4xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: %[[LONG2:.*]] = arith.cmpi ule, %{{.*}}, %c131072 : index
// CHECK: %[[MANY2:.*]] = arith.cmpi uge, %{{.*}}, %c2 : index
// CHECK: %[[FITS2:.*]] = arith.andi %[[LONG2]], %[[MANY2]] : i1
// CHECK: %[[ABOVE2:.*]] = arith.cmpi ugt, %{{.*}}, %c65536 : index
// CHECK: %[[IN2:.*]] = arith.andi %[[FITS2]], %[[ABOVE2]] : i1
// CHECK: %[[NOT2:.*]] = arith.xori %[[IN2]], %true : i1
// CHECK: %[[PAIRS2:.*]] = arith.andi %[[PAIRS4]], %[[NOT2]] : i1
// CHECK: %[[GROUPED:.*]] = arith.ori %[[GROUPED4]], %[[IN2]] : i1
// CHECK: %[[BATCHES2:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[BATCHES4]])
// CHECK: scf.while ({{.*}}) : (vector<2xf32>, vector<2xf32>) -> (vector<2xf32>, vector<2xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: %[[PAIRS:.*]] = arith.ceildivui %{{.*}}, %c2 : index
// CHECK: %[[NPAIRS:.*]] = arith.select %[[PAIRS2]], %[[PAIRS]], %c0 : index
// CHECK: %[[SHORT:.*]] = scf.forall (%{{.*}}) in (%[[NPAIRS]]) shared_outs(%{{.*}} = %[[BATCHES2]])
// CHECK: %[[PAIR:.*]] = tensor.extract_slice %{{.*}} : tensor<?x?xf32> to tensor<?x?xf32>
// CHECK: vector.reduction <maximumf>, %[[LANES0:.*]] : vector<16xf32> into f32
// CHECK: %[[FINITE0:.*]] = arith.cmpf one
// CHECK: vector.reduction <maximumf>, %[[LANES1:.*]] : vector<16xf32> into f32
// CHECK: %[[FINITE1:.*]] = arith.cmpf one
// CHECK: %[[BOUND:.*]]:6 = scf.while ({{.*}}) : (f64, f64, i1, f64, f64, i1) -> (f64, f64, i1, f64, f64, i1)
// CHECK-NOT: scf.for
// CHECK: vector.extract_strided_slice %[[LANES0]] {offsets = [0], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: vector.extract_strided_slice %[[LANES0]] {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: vector.extract_strided_slice %[[LANES1]] {offsets = [0], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: scf.condition
// CHECK: scf.for {{.*}} -> (index)
// CHECK-COUNT-4: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<4xf32>, memref<?xf32>
// CHECK: vector.reduction <or>, %{{.*}} : vector<4xi1> into i1
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<8xf32>, memref<?xf32>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<8xf32>, memref<?xf32>
// CHECK: %[[CAND0:.*]]:2 = scf.while (%{{.*}} = %[[BOUND]]#0, %{{.*}} = %{{.*}}) : (f64, f64) -> (f64, f64)
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c8
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<8xf64> into f64
// CHECK: scf.condition
// CHECK: %[[CAND1:.*]]:2 = scf.while (%{{.*}} = %[[BOUND]]#3, %{{.*}} = %{{.*}}) : (f64, f64) -> (f64, f64)
// CHECK: scf.condition
// CHECK: %[[PAIRAHEAD:.*]] = arith.addi %{{.*}}, %c2 : index
// CHECK: %[[PAIRNEXT:.*]] = arith.minui %[[PAIRAHEAD]], %[[LASTROW]] : index
// CHECK: %[[TAU0:.*]] = vector.broadcast %[[CAND0]]#0 : f64 to vector<16xf64>
// CHECK: %[[OUT0:.*]] = scf.if %[[FINITE0]] -> (tensor<1x?xf32>)
// CHECK: scf.for %[[PAIRCOL:.*]] = %c0
// CHECK: memref.prefetch %[[XB]][%[[PAIRNEXT]], %[[PAIRCOL]]], read, locality<3>, data
// CHECK: arith.subf %{{.*}}, %[[TAU0]] : vector<16xf64>
// CHECK-NEXT: arith.maximumf
// CHECK-NEXT: arith.truncf
// CHECK: } else {
// CHECK: %[[INFS:.*]] = scf.for {{.*}} -> (vector<16xf32>)
// CHECK: arith.cmpf oeq, %{{.*}}, %cst{{.*}} : vector<16xf32>
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xf32> into f32
// CHECK: scf.for
// CHECK: arith.cmpf oeq, %{{.*}}, %cst{{.*}} : vector<16xf64>
// CHECK: %[[FIRST:.*]] = tensor.insert_slice %[[OUT0]] into %[[PAIR]]
// CHECK: vector.broadcast %[[CAND1]]#0 : f64 to vector<16xf64>
// CHECK: scf.if %[[FINITE1]]
// CHECK: %[[SECOND:.*]] = tensor.insert_slice %{{.*}} into %[[FIRST]]
// CHECK: tensor.parallel_insert_slice %[[SECOND]]
// CHECK: %[[NLONG:.*]] = arith.select %[[GROUPED]], %c0, %{{.*}} : index
// CHECK: scf.forall (%{{.*}}) in (%[[NLONG]]) shared_outs(%{{.*}} = %[[SHORT]])
// CHECK: vector.reduction <maximumf>, %{{.*}} : vector<16xf32> into f32
// CHECK: %[[BOUND:.*]]:2 = scf.while
// CHECK: %[[SCRATCH:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: %[[PACK:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %{{.*}}) -> (index)
// CHECK: vector.transfer_write %{{.*}}, %[[SCRATCH]][%{{.*}}] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
// CHECK: vector.reduction <or>, %{{.*}} : vector<16xi1> into i1
// CHECK: %[[LOOP:.*]]:2 = scf.while (%[[TAU:.*]] = %[[BOUND]]#0, %{{.*}} = %{{.*}}) : (f64, f64) -> (f64, f64)
// CHECK: %[[TAUV:.*]] = vector.broadcast %[[TAU]] : f64 to vector<8xf64>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %{{.*}} iter_args({{.*}}) -> (vector<8xf64>, vector<8xf64>)
// CHECK: vector.transfer_read %[[SCRATCH]][%{{.*}}], %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<8xf32>
// CHECK: arith.extf %{{.*}} : vector<8xf32> to vector<8xf64>
// CHECK: arith.cmpf ogt, %{{.*}}, %[[TAUV]] : vector<8xf64>
// CHECK: scf.condition
// CHECK: vector.broadcast %[[LOOP]]#0 : f64 to vector<16xf64>
// CHECK: scf.if
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : vector<16xf64>
// CHECK: vector.transfer_write
// NOPF-LABEL: func.func @sparsemax
// NOPF-NOT: memref.prefetch
// NOPF: return
func.func @sparsemax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// entmax(1.5): the max; the threshold search (an scf.while on the scalar
// (tau, lo, hi, round) whose rounds sum the moments |S|, sum X and sum X^2
// of S = {X > tau} and min X over S a register at a time, and update the
// threshold by Newton's step or the exact quadratic) first on the lanes'
// maxima, a lower bound; the candidates above it packed as for sparsemax;
// the search again on them, whose last moments give the row's total; then
// max(u, 0)^2 rescaled (no pass for the total). Rows of at most 1024 go two
// at a time as for sparsemax: one scf.while on their lanes' maxima carries
// both rows' (tau, lo, hi, |S|, sum X, sum X^2, done) and the round; the
// candidates' searches one row at a time. alpha = 2 takes sparsemax's
// loops. Rows of at most 32768 go 8 at a time first as for sparsemax (then
// 4 and 2 longer rows at a time), their
// searches on vectors of the 8 rows' (tau, active) and the round: a round
// sums |S|, sum u and sum u^2 and takes min u over S = {u = X - tau > 0}
// for every row (masked adds, a masked fma, u on S else +inf and a min),
// the exact step (taken where min u passes it and the discriminant is above
// the sums' rounding) and Newton's step on sqrt(sum u^2) for all (two square
// roots; on the seeds, transposed as for sparsemax, with no shuffle, only
// sum u and sum u^2 and Newton's step on f: a lower bound), and keeps the
// sums of the round whose exact step ended
// each row; then the exact step again in f64 from those sums for all 8
// rows at once (one square root and the divisions on vector<8xf64>), taken
// per row where their f32 rounding moves the threshold little enough (else
// from a sweep of the support found in f64).
// CHECK-LABEL: func.func @entmax
// CHECK: %[[BATCHES:.*]] = scf.forall
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 8, 2, 10, 4, 12, 6, 14] : vector<8xf32>, vector<8xf32>
// CHECK: %[[SEEDED:.*]]:3 = scf.while ({{.*}}) : (vector<8xf32>, vector<8xi1>, index) -> (vector<8xf32>, vector<8xi1>, index)
// CHECK-NOT: scf.for
// CHECK-NOT: vector.shuffle
// CHECK-NOT: math.sqrt
// CHECK-NOT: arith.cmpf olt
// CHECK: %[[IN:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[U:.*]] = math.fma %{{.*}} : vector<8xf32>
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK-NOT: math.sqrt
// CHECK: scf.condition
// CHECK: %[[FOUND:.*]]:8 = scf.while (%{{.*}} = %[[SEEDED]]#0, {{.*}}) : (vector<8xf32>, vector<8xi1>, index, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xf32>, vector<8xi1>)
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[CIN:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// CHECK: %[[CU:.*]] = math.fma %{{.*}} : vector<16xf32>
// CHECK: %[[ON:.*]] = arith.select %[[CIN]], %[[CU]], %cst{{.*}} : vector<16xi1>, vector<16xf32>
// CHECK-NEXT: %[[LESS:.*]] = arith.cmpf olt, %[[ON]], %[[ACC:.*]] : vector<16xf32>
// CHECK-NEXT: arith.select %[[LESS]], %[[ON]], %[[ACC]] : vector<16xi1>, vector<16xf32>
// CHECK-COUNT-7: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: %[[DISC:.*]] = math.sqrt %{{.*}} : vector<8xf32>
// CHECK: %[[EXACT_STEP:.*]] = arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[CHAIN:.*]] = arith.minimumf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[MAGNITUDE:.*]] = math.fma %{{.*}}, %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: %[[ROUNDING:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : vector<8xf32>
// CHECK: %[[MIN_PASSES:.*]] = arith.cmpf oge, %{{.*}}, %[[EXACT_STEP]] : vector<8xf32>
// CHECK: %[[HELD:.*]] = arith.cmpf oge, %{{.*}}, %[[ROUNDING]] : vector<8xf32>
// CHECK: %[[EXACT:.*]] = arith.andi %[[MIN_PASSES]], %[[HELD]] : vector<8xi1>
// CHECK: %[[ROOT:.*]] = math.sqrt %[[U2:.*]] : vector<8xf32>
// CHECK-NEXT: %[[EXCESS:.*]] = arith.subf %[[U2]], %[[ROOT]] : vector<8xf32>
// CHECK-NEXT: %[[NEWTON:.*]] = arith.divf %[[EXCESS]], %{{.*}} : vector<8xf32>
// CHECK-NEXT: arith.select %[[EXACT]], %[[EXACT_STEP]], %[[NEWTON]] : vector<8xi1>, vector<8xf32>
// CHECK: scf.condition
// CHECK: arith.extf %[[FOUND]]#3 : vector<8xf32> to vector<8xf64>
// CHECK: %[[TAU_AT:.*]] = arith.extf %[[FOUND]]#6 : vector<8xf32> to vector<8xf64>
// CHECK: math.sqrt %{{.*}} : vector<8xf64>
// CHECK: %[[ACCURATE:.*]] = arith.andi %[[FOUND]]#7, %{{.*}} : vector<8xi1>
// CHECK: %[[TAU:.*]] = arith.addf %[[TAU_AT]], %{{.*}} : vector<8xf64>
// CHECK: %[[FACTOR:.*]] = arith.divf %cst{{.*}}, %{{.*}} : vector<8xf64>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c1 iter_args(%{{.*}}) -> (tensor<?x?xf32>)
// CHECK-NOT: math.sqrt
// CHECK: vector.extract %[[FOUND]]#0[%{{.*}}] : f32 from vector<8xf32>
// CHECK: %[[ROW_ACCURATE:.*]] = vector.extract %[[ACCURATE]][%{{.*}}] : i1 from vector<8xi1>
// CHECK: scf.if %[[ROW_ACCURATE]] -> (f64, f64) {
// CHECK-NEXT: vector.extract %[[TAU]][%{{.*}}] : f64 from vector<8xf64>
// CHECK-NEXT: vector.extract %[[FACTOR]][%{{.*}}] : f64 from vector<8xf64>
// CHECK: } else {
// CHECK: scf.for {{.*}} -> (vector<16xf64>, vector<16xf64>, vector<16xf64>)
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: scf.forall.in_parallel
// CHECK: %[[BATCHES4:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[BATCHES]])
// CHECK: scf.while ({{.*}}) : (vector<4xf32>, vector<4xi1>, index) -> (vector<4xf32>, vector<4xi1>, index)
// CHECK: scf.forall.in_parallel
// CHECK: %[[BATCHES2:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[BATCHES4]])
// CHECK: scf.while ({{.*}}) : (vector<2xf32>, vector<2xi1>, index) -> (vector<2xf32>, vector<2xi1>, index)
// CHECK: scf.forall.in_parallel
// CHECK: %[[SHORT:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[BATCHES2]])
// CHECK-NOT: tensor.empty() : tensor<16xf32>
// CHECK: %[[BOUND:.*]]:15 = scf.while ({{.*}}) : (f64, f64, f64, f64, f64, f64, i1, f64, f64, f64, f64, f64, f64, i1, index)
// CHECK: vector.reduction <minimumf>
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: vector.reduction <minimumf>
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: scf.condition
// CHECK-COUNT-4: vector.transfer_write %{{.*}} : vector<4xf32>, memref<?xf32>
// CHECK: %[[CAND0:.*]]:7 = scf.while (%{{.*}} = %[[BOUND]]#0, %{{.*}} = %[[BOUND]]#0, {{.*}}) : (f64, f64, f64, index) -> (f64, f64, f64, index, f64, f64, f64)
// The moments' pass: min X over S as X on S (else +inf), then v < acc ? v :
// acc (one vminpd on the loop's dependency chain).
// CHECK: scf.for {{.*}} iter_args({{.*}}, %[[LOW:.*]] = %{{.*}}) -> (vector<8xf64>, vector<8xf64>, vector<8xf64>, vector<8xf64>)
// CHECK: %[[IN:.*]] = arith.cmpf ogt, %[[X:.*]], %{{.*}} : vector<8xf64>
// CHECK-NEXT: arith.select %[[IN]], %[[X]], %cst{{.*}} : vector<8xi1>, vector<8xf64>
// CHECK-NEXT: %[[ONS:.*]] = arith.select %[[IN]], %[[X]], %cst{{.*}} : vector<8xi1>, vector<8xf64>
// CHECK-NEXT: %[[BELOW:.*]] = arith.cmpf olt, %[[ONS]], %[[LOW]] : vector<8xf64>
// CHECK-NEXT: %[[MIN:.*]] = arith.select %[[BELOW]], %[[ONS]], %[[LOW]] : vector<8xi1>, vector<8xf64>
// CHECK: scf.yield %{{.*}}, %{{.*}}, %{{.*}}, %[[MIN]]
// CHECK: scf.condition
// CHECK-NOT: scf.for
// CHECK: arith.mulf %[[CAND0]]#4, %[[CAND0]]#0 : f64
// CHECK: %[[CAND1:.*]]:7 = scf.while (%{{.*}} = %[[BOUND]]#7, %{{.*}} = %[[BOUND]]#7, {{.*}}) : (f64, f64, f64, index) -> (f64, f64, f64, index, f64, f64, f64)
// CHECK: scf.condition
// CHECK-NOT: scf.for
// CHECK: arith.mulf %[[CAND1]]#4, %[[CAND1]]#0 : f64
// CHECK: vector.broadcast %[[CAND0]]#0 : f64 to vector<16xf64>
// CHECK: tensor.insert_slice
// CHECK: vector.broadcast %[[CAND1]]#0 : f64 to vector<16xf64>
// CHECK: tensor.insert_slice
// CHECK: scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[SHORT]])
// CHECK: %[[BOUND:.*]]:4 = scf.while ({{.*}}) : (f64, f64, f64, index) -> (f64, f64, f64, index)
// CHECK: vector.extract_strided_slice %{{.*}} {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: vector.reduction <minimumf>
// CHECK: math.sqrt %{{.*}} : f64
// CHECK: scf.condition
// CHECK: vector.transfer_write %{{.*}} : vector<16xf32>, memref<?xf32>
// CHECK: vector.reduction <or>
// CHECK: %[[LOOP:.*]]:7 = scf.while (%{{.*}} = %[[BOUND]]#0, %{{.*}} = %[[BOUND]]#0, {{.*}}) : (f64, f64, f64, index) -> (f64, f64, f64, index, f64, f64, f64)
// CHECK: scf.condition
// CHECK-NOT: scf.for
// CHECK: arith.mulf %[[LOOP]]#4, %[[LOOP]]#0 : f64
// CHECK: arith.divf
// CHECK: %[[TAUV:.*]] = vector.broadcast %[[LOOP]]#0 : f64 to vector<16xf64>
// CHECK: scf.if
// CHECK: scf.for
// CHECK: arith.subf %{{.*}}, %[[TAUV]] : vector<16xf64>
// CHECK: arith.mulf %{{.*}}, %{{.*}} : vector<16xf64>
// CHECK: vector.transfer_write
// CHECK: scf.while ({{.*}}) : (f64, f64, i1, f64, f64, i1) -> (f64, f64, i1, f64, f64, i1)
func.func @entmax(%x: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<?x?xf32>
  %z = softmax.entmax %x dim(1) alpha(2.0) : tensor<?x?xf32>
  return %y, %z : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// entmax with alpha = 1.75 (u^(4/3), no product of squares): f16 rows sum
// in f32, whose powers may be approximated (`afn`).
// CHECK-LABEL: func.func @entmax_powers_f16
// CHECK: math.powf %{{.*}}, %{{.*}} fastmath<afn> : vector<16xf32>
// CHECK-NOT: f64
// CHECK: return
func.func @entmax_powers_f16(%h: tensor<?x?xf16>) -> tensor<?x?xf16> {
  %y = softmax.entmax %h dim(1) alpha(1.75) : tensor<?x?xf16>
  return %y : tensor<?x?xf16>
}

// f32 rows sum in f64: the rounds on the lanes' maxima (a pair of rows in
// lockstep) go on f32 (approximated) powers alone, their bound less 2^-16;
// the rounds on a row's candidates on f32 powers first, then from their
// threshold on exact f64 ones; the output takes the f32 power, or the f64
// one for a vector with a tiny power.
// CHECK-LABEL: func.func @entmax_powers_f32
// CHECK: %[[SEEDS:.*]]:9 = scf.while
// CHECK-NOT: math.powf %{{.*}}, %{{.*}} : vector<8xf64>
// CHECK: scf.condition
// CHECK: %[[BOUND:.*]] = arith.subf %[[SEEDS]]#0, %{{.*}} : f64
// CHECK: %[[COARSE:.*]]:4 = scf.while (%{{.*}} = %[[BOUND]], %{{.*}} = %[[BOUND]], {{.*}})
// CHECK: math.powf %{{.*}}, %{{.*}} fastmath<afn> : vector<8xf32>
// CHECK-NOT: math.powf %{{.*}}, %{{.*}} : vector<8xf64>
// CHECK: scf.condition
// CHECK: scf.while (%{{.*}} = %[[COARSE]]#0, {{.*}}) : (f64, f64, f64, index)
// CHECK: math.powf %{{.*}}, %{{.*}} : vector<8xf64>
// CHECK: scf.condition
// CHECK: math.powf %{{.*}}, %{{.*}} fastmath<afn> : vector<16xf32>
// CHECK: %[[TINY:.*]] = vector.reduction <or>, %{{.*}} : vector<16xi1> into i1
// CHECK: scf.if %[[TINY]] -> (vector<16xf64>)
// CHECK: math.powf %{{.*}}, %{{.*}} : vector<16xf64>
// CHECK: return
func.func @entmax_powers_f32(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %z = softmax.entmax %x dim(1) alpha(1.75) : tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// alpha > 2 (p < 1): exact f64 powers throughout (their rounds bisect).
// CHECK-LABEL: func.func @entmax_powers_steep
// CHECK-NOT: fastmath<afn>
// CHECK: return
func.func @entmax_powers_steep(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %z = softmax.entmax %x dim(1) alpha(3.0) : tensor<?x?xf32>
  return %z : tensor<?x?xf32>
}

// -----

// Left to the generic decomposition: an outer dim, a single sample.
// CHECK-LABEL: func.func @generic
// CHECK: softmax.softmax_grad %{{.*}}, %{{.*}} dim(0)
// CHECK: softmax.cross_entropy %{{.*}}, %{{.*}} dim(0)
func.func @generic(%a: tensor<4x8xf32>, %x: tensor<8xf32>, %l: tensor<i64>) -> (tensor<4x8xf32>, tensor<f32>) {
  %0 = softmax.softmax_grad %a, %a dim(0) : tensor<4x8xf32>
  %2 = softmax.cross_entropy %x, %l dim(0) : tensor<8xf32>, tensor<i64> -> tensor<f32>
  return %0, %2 : tensor<4x8xf32>, tensor<f32>
}

// -----

// bf16 rows take the vector path, computing in f32 like f16.
// CHECK-LABEL: func.func @bf16
// CHECK-NOT: softmax.
// CHECK: arith.extf %{{.*}} : vector<{{[0-9]+}}xbf16> to vector<{{[0-9]+}}xf32>
// CHECK: arith.truncf %{{.*}} : vector<{{[0-9]+}}xf32> to vector<{{[0-9]+}}xbf16>
// CHECK: return
func.func @bf16(%y: tensor<4x8xbf16>, %dy: tensor<4x8xbf16>) -> (tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>) {
  %0 = softmax.log_softmax_grad %y, %dy dim(1) : tensor<4x8xbf16>
  %1 = softmax.sparsemax %y dim(1) : tensor<4x8xbf16>
  %2 = softmax.entmax %y dim(1) alpha(1.5) : tensor<4x8xbf16>
  return %0, %1, %2 : tensor<4x8xbf16>, tensor<4x8xbf16>, tensor<4x8xbf16>
}

// -----

// sparsemax_grad and entmax_grad: a parallel loop over the rows; per row the
// sums of g dy and g (f64 for f32), g = y^(2 - alpha) on the support (1 for
// sparsemax; for alpha 1.5 an f32 square root, extended), then g (dy - q)
// with q = sum(g dy) / sum(g), 0 off the support.
// CHECK-LABEL: func.func @simplex_grads
// CHECK: scf.forall
// CHECK: scf.for {{.*}} iter_args(%[[GDY:.*]] = %{{.*}}, %[[G:.*]] = %{{.*}}) -> (vector<16xf64>, vector<16xf64>)
// CHECK: arith.cmpf ogt, %{{.*}} : vector<16xf32>
// CHECK: arith.cmpf uno
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: arith.cmpf une
// CHECK: arith.addf %[[GDY]]
// CHECK: arith.addf %[[G]]
// CHECK: %[[SGDY:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf64> into f64
// CHECK: %[[SG:.*]] = vector.reduction <add>, %{{.*}} : vector<16xf64> into f64
// CHECK: %[[Q:.*]] = arith.divf %[[SGDY]], %[[SG]] : f64
// CHECK: %[[QV:.*]] = vector.broadcast %[[Q]] : f64 to vector<16xf64>
// CHECK: scf.for
// CHECK: %[[D:.*]] = arith.subf %{{.*}}, %[[QV]] : vector<16xf64>
// CHECK: %[[V:.*]] = arith.mulf %{{.*}}, %[[D]] : vector<16xf64>
// CHECK: arith.select %{{.*}}, %[[V]], %{{.*}} : vector<16xi1>, vector<16xf64>
// CHECK: arith.truncf %{{.*}} : vector<16xf64> to vector<16xf32>
// CHECK: vector.transfer_write
// CHECK: scf.forall
// CHECK: math.sqrt %{{.*}} : vector<16xf32>
// CHECK: arith.divf %{{.*}} : f64
// CHECK: math.sqrt %{{.*}} : vector<16xf32>
// CHECK-NOT: softmax.
// CHECK: return
func.func @simplex_grads(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> (tensor<?x?xf32>, tensor<?x?xf32>) {
  %0 = softmax.sparsemax_grad %y, %dy dim(1) : tensor<?x?xf32>
  %1 = softmax.entmax_grad %y, %dy dim(1) alpha(1.5) : tensor<?x?xf32>
  return %0, %1 : tensor<?x?xf32>, tensor<?x?xf32>
}

// -----

// bf16 (and f16) rows take the row batches too: the 8 rows' searches a lane
// per row on vectors of f32, their per-row sweep in f32 (their sum type),
// then batches of 4 and 2 longer rows; no f64 anywhere.
// CHECK-LABEL: func.func @sparsemax_bf16_batches
// CHECK-NOT: f64
// CHECK: scf.forall
// CHECK: scf.while ({{.*}}) : (vector<8xf32>, vector<8xf32>) -> (vector<8xf32>, vector<8xf32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// CHECK: scf.while ({{.*}}) : (vector<8xf32>, vector<8xf32>) -> (vector<8xf32>, vector<8xf32>)
// CHECK: arith.divf %{{.*}}, %{{.*}} : f32
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
// CHECK: scf.while ({{.*}}) : (vector<4xf32>, vector<4xf32>) -> (vector<4xf32>, vector<4xf32>)
// CHECK: scf.while ({{.*}}) : (vector<2xf32>, vector<2xf32>) -> (vector<2xf32>, vector<2xf32>)
// CHECK-NOT: f64
// CHECK: return
func.func @sparsemax_bf16_batches(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %y = softmax.sparsemax %x dim(1) : tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}
