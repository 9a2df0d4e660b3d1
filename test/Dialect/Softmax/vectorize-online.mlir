// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=2" --canonicalize --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=2 l1-cache-kib=64" --canonicalize --split-input-file | FileCheck %s --check-prefix=L1

// The online form pinned on log_softmax: one pass over the row in blocks of
// 32 vectors keeps the running maximum; a block whose maximum exceeds it
// rescales the f64 sums by exp(m_old - m_new) (the entries counted at
// m_old join them) and restarts the tie count; each block is read twice
// (its maximum, then its exps, from L1) while the next block is prefetched.
// The output pass follows, as in the three-pass form.
// CHECK-LABEL: func.func @log_online
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK: scf.forall (%[[ROW:.*]]) in
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only
// CHECK: %[[NMAX:.*]] = arith.maxui %{{.*}}, %c1 : index
// CHECK-NEXT: %[[LASTCOL:.*]] = arith.subi %[[NMAX]], %c1 : index
// CHECK: %[[STATS:.*]]:4 = scf.for %[[BLK:.*]] = %c0 to %{{.*}} step %c512 iter_args(%[[M:.*]] = %{{.*}}, %[[R:.*]] = %{{.*}}, %[[C:.*]] = %{{.*}}, %[[RC:.*]] = %{{.*}}) -> (f32, vector<8xf64>, vector<8xi32>, f64)
// CHECK: %[[END:.*]] = arith.minui
// The block's maximum.
// CHECK: %[[BMV:.*]] = scf.for %{{.*}} = %[[BLK]] to %[[END]] step %c16
// CHECK: arith.cmpf ogt
// CHECK: %[[BM:.*]] = vector.reduction <maxnumf>, %[[BMV]] fastmath<nnan>
// CHECK: %[[GROWS:.*]] = arith.cmpf ogt, %[[BM]], %[[M]] : f32
// CHECK: %[[MNEW:.*]] = arith.select %[[GROWS]], %[[BM]], %[[M]] : f32
// CHECK: %[[RESCALED:.*]]:2 = scf.if %[[GROWS]] -> (vector<8xf64>, f64) {
// CHECK: %[[DIFF:.*]] = arith.subf %{{.*}}, %{{.*}} : f64
// CHECK: %[[SCALE:.*]] = math.exp %[[DIFF]] : f64
// CHECK: vector.reduction <add>, %[[C]] : vector<8xi32> into i32
// CHECK: arith.mulf %[[R]], %{{.*}} : vector<8xf64>
// CHECK: } else {
// CHECK: scf.yield %[[R]], %[[RC]]
// The block's exps relative to the new maximum (0 when it is still -inf),
// the next block prefetched (clamped to the row).
// CHECK: arith.cmpf oeq, %[[MNEW]], %{{.*}} : f32
// CHECK: scf.for %[[COL:[a-z0-9]+]] = %[[BLK]] to %[[END]] step %c16
// CHECK: %[[AHEAD:.*]] = arith.addi %[[COL]], %c512 : index
// CHECK: %[[CLAMPED:.*]] = arith.minui %[[AHEAD]], %[[LASTCOL]] : index
// CHECK: memref.prefetch %[[XB]][%[[ROW]], %[[CLAMPED]]], read
// CHECK: arith.cmpf oeq
// CHECK: math.fma
// CHECK: arith.extf %{{.*}} : vector<8xf32> to vector<8xf64>
// CHECK: arith.addf %[[RESCALED]]#0, %{{.*}} : vector<8xf64>
// The row factor, the general form when the maximum is not finite, the
// output pass.
// CHECK: scf.if
// CHECK: math.log1p
// CHECK: scf.for
// CHECK: vector.transfer_write
// CHECK: scf.forall.in_parallel
func.func @log_online(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) {softmax.pass_form = "online", softmax.row_form = "rows"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// A dynamic log_softmax chooses at run time: rows of more than 8 KiB (2048
// f32) take the online form.
// With a 64 KiB L1, rows of more than 16 KiB.
// L1-LABEL: func.func @log_dynamic
// L1: arith.cmpi ugt, %{{.*}}, %c4096 : index
// CHECK-LABEL: func.func @log_dynamic
// CHECK: %[[N:.*]] = tensor.dim %{{.*}}, %c1
// CHECK: scf.forall
// CHECK: %[[ONLINE:.*]] = arith.cmpi ugt, %[[N]], %c2048 : index
// CHECK: scf.if %[[ONLINE]] -> (tensor<1x?xf32>)
// CHECK: math.exp %{{.*}} : f64
// CHECK: } else {
func.func @log_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) {softmax.row_form = "rows"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// softmax never takes it unpinned: its three passes compute exp once.
// CHECK-LABEL: func.func @softmax_dynamic
// CHECK-NOT: %c2048
// CHECK-NOT: math.exp %{{.*}} : f64
// CHECK: return
func.func @softmax_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Pinned on softmax, it recomputes exp in the output pass instead of
// keeping it in the output.
// CHECK-LABEL: func.func @softmax_online
// CHECK: math.exp %{{.*}} : f64
// CHECK: scf.for
// CHECK-NOT: vector.transfer_read %{{.*}} : tensor<1x?xf32>, vector<16xf32>
// CHECK: math.fma
// CHECK: vector.transfer_write
func.func @softmax_online(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) {softmax.pass_form = "online", softmax.row_form = "rows"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
