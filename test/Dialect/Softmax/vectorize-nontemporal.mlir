// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4" --canonicalize --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4 nontemporal=false" --canonicalize --split-input-file | FileCheck %s --check-prefix=OFF
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4 l2-cache-kib=1024" --canonicalize --split-input-file | FileCheck %s --check-prefix=L2

// softmax.store_form = "nontemporal": the output pass of a row finds the
// address of its first column in the output (the row's buffer, read only),
// writes one masked vector up to the first 32-byte aligned column, then
// whole vectors from there in a loop marked for softmax-nontemporal-stores
// with that alignment, then the masked tail. The output row is not
// prefetched for writing.
// CHECK-LABEL: func.func @log_softmax_streamed
// CHECK: %[[ROW_OUT:.*]] = tensor.extract_slice
// CHECK-NOT: memref.prefetch {{.*}} write
// CHECK: %[[OB:.*]] = bufferization.to_buffer %[[ROW_OUT]] read_only : tensor<1x1000xf32>
// CHECK: %{{.*}}, %[[OFFSET:.*]], %{{.*}}:2, %{{.*}}:2 = memref.extract_strided_metadata %[[OB]]
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[OB]]
// CHECK: %[[BYTES:.*]] = arith.muli %[[OFFSET]], %c4 : index
// CHECK: %[[ADDR:.*]] = arith.addi %[[PTR]], %[[BYTES]] : index
// CHECK: %[[MIS:.*]] = arith.remui %[[ADDR]], %c32 : index
// CHECK: %[[GAP_BYTES:.*]] = arith.subi %c32, %[[MIS]] : index
// CHECK: %[[GAP_MOD:.*]] = arith.remui %[[GAP_BYTES]], %c32 : index
// CHECK: %[[GAP:.*]] = arith.divui %[[GAP_MOD]], %c4 : index
// CHECK: %[[HEAD:.*]] = arith.minui %[[GAP]], %c1000 : index
// CHECK: %[[HAS_HEAD:.*]] = arith.cmpi ne, %[[HEAD]], %c0 : index
// CHECK: %[[AFTER_HEAD:.*]] = scf.if %[[HAS_HEAD]]
// CHECK: %[[MASK:.*]] = vector.create_mask %[[HEAD]] : vector<32xi1>
// CHECK: vector.transfer_write %{{.*}}, %[[ROW_OUT]][%c0, %c0], %[[MASK]] {in_bounds = [true]}
// CHECK: %[[REST:.*]] = arith.subi %c1000, %[[HEAD]] : index
// CHECK: %[[REM:.*]] = arith.remui %[[REST]], %c32 : index
// CHECK: %[[END:.*]] = arith.subi %c1000, %[[REM]] : index
// CHECK: scf.for %{{.*}} = %[[HEAD]] to %[[END]] step %c32 iter_args(%{{.*}} = %[[AFTER_HEAD]])
// CHECK: vector.transfer_write
// CHECK: } {softmax.nontemporal = 32 : i64}
// The tail: a masked vector, with ordinary stores.
// CHECK: scf.if
// CHECK: vector.transfer_write %{{.*}} : vector<32xf32>, tensor<1x1000xf32>
// OFF-LABEL: func.func @log_softmax_streamed
// OFF-NOT: softmax.nontemporal
// OFF-NOT: extract_aligned_pointer_as_index
func.func @log_softmax_streamed(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.log_softmax %x dim(1) {softmax.row_form = "rows", softmax.pass_form = "three_pass", softmax.store_form = "nontemporal"} : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

// -----

// softmax's three passes reread the exps stored in the output: its stores
// never stream, pinned or not.
// CHECK-LABEL: func.func @softmax_three_pass
// CHECK-NOT: extract_aligned_pointer_as_index
// CHECK-NOT: softmax.nontemporal
// CHECK: return
func.func @softmax_three_pass(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows", softmax.pass_form = "three_pass", softmax.store_form = "nontemporal"} : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

// -----

// In the online form softmax writes the output once, and streams it.
// CHECK-LABEL: func.func @softmax_online
// CHECK: extract_aligned_pointer_as_index
// CHECK: softmax.nontemporal = 32
func.func @softmax_online(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows", softmax.pass_form = "online", softmax.store_form = "nontemporal"} : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

// -----

// Without the attribute, the rows stream when they are longer than half of
// L2 (256 KiB of f32 by default, 512 KiB with l2-cache-kib=1024), decided at
// run time: an scf.if between the two forms of the output pass. The output
// row is still prefetched for writing (the same test would be needed in
// the loop).
// CHECK-LABEL: func.func @log_softmax_dynamic
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[STREAMS:.*]] = arith.cmpi ugt, %[[N]], %c65536 : index
// CHECK: memref.prefetch {{.*}} write
// CHECK: scf.if %[[STREAMS]]
// CHECK: extract_aligned_pointer_as_index
// CHECK: softmax.nontemporal = 32
// CHECK: } else {
// CHECK: vector.transfer_write
// CHECK: scf.forall.in_parallel
// L2-LABEL: func.func @log_softmax_dynamic
// L2: arith.cmpi ugt, %{{.*}}, %c131072 : index
// OFF-LABEL: func.func @log_softmax_dynamic
// OFF-NOT: softmax.nontemporal
func.func @log_softmax_dynamic(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) {softmax.row_form = "rows", softmax.pass_form = "three_pass"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Pinned "cached": ordinary stores only.
// CHECK-LABEL: func.func @log_softmax_cached
// CHECK-NOT: softmax.nontemporal
// CHECK: return
func.func @log_softmax_cached(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) {softmax.store_form = "cached"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// An f16 output: 16 elements to a 32-byte block, the head at most 15.
// CHECK-LABEL: func.func @log_softmax_f16
// CHECK: arith.divui %{{.*}}, %c2 : index
// CHECK: vector.create_mask %{{.*}} : vector<32xi1>
// CHECK: } {softmax.nontemporal = 32 : i64}
func.func @log_softmax_f16(%x: tensor<8x1000xf16>) -> tensor<8x1000xf16> {
  %y = softmax.log_softmax %x dim(1) {softmax.row_form = "rows", softmax.pass_form = "three_pass", softmax.store_form = "nontemporal"} : tensor<8x1000xf16>
  return %y : tensor<8x1000xf16>
}
