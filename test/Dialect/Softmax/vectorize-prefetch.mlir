// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4" --canonicalize --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4 prefetch=false" --canonicalize --split-input-file | FileCheck %s --check-prefix=OFF
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=4 l2-cache-kib=1024" --canonicalize --split-input-file | FileCheck %s --check-prefix=L2

// One row per parallel iteration: pass 2 of row r prefetches the same
// columns of row r + 1 (the last row prefetches itself), one prefetch per
// 64-byte line of the 32-lane vector, so that pass 1 of the next row finds
// it in cache. Rows longer than half of L2 (256 KiB by default) prefetch
// their own columns instead.
// Nothing is prefetched for writing: pass 2 writes exp(x - m) already.
// CHECK-LABEL: func.func @softmax_rows
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[ROWS:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: scf.forall (%[[ROW:.*]]) in (%[[ROWS]])
// CHECK: %[[XB:.*]] = bufferization.to_buffer %[[X]] read_only : tensor<?x?xf32> to memref<?x?xf32, strided<[?, ?], offset: ?>>
// CHECK: %[[LAST:.*]] = arith.subi %[[ROWS]], %c1 : index
// CHECK: %[[AFTER:.*]] = arith.addi %[[ROW]], %c1 : index
// CHECK: %[[FOLLOWING:.*]] = arith.minui %[[AFTER]], %[[LAST]] : index
// CHECK: %[[SHORT:.*]] = arith.cmpi ule, %[[N]], %c65536 : index
// CHECK: %[[NEXT:.*]] = arith.select %[[SHORT]], %[[FOLLOWING]], %[[ROW]] : index
// Pass 1 prefetches nothing.
// CHECK: scf.for
// CHECK-NOT: memref.prefetch
// CHECK: vector.reduction <maxnumf>
// Pass 2 (lean form).
// CHECK: step %c1024
// CHECK: scf.for %[[COL:[a-z0-9]+]] =
// CHECK-NEXT: memref.prefetch %[[XB]][%[[NEXT]], %[[COL]]], read, locality<3>, data
// CHECK-NEXT: %[[COL16:.*]] = arith.addi %[[COL]], %c16 : index
// CHECK-NEXT: memref.prefetch %[[XB]][%[[NEXT]], %[[COL16]]], read, locality<3>, data
// CHECK-NOT: memref.prefetch {{.*}} write
// CHECK: vector.transfer_write
// CHECK: scf.forall.in_parallel
// L2-LABEL: func.func @softmax_rows
// L2: arith.cmpi ule, %{{.*}}, %c131072 : index
// OFF-LABEL: func.func @softmax_rows
// OFF-NOT: bufferization.to_buffer
// OFF-NOT: memref.prefetch
func.func @softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// log_softmax writes nothing in pass 2: it also prefetches its output row
// for writing, so that the stores of pass 3 do not miss. f16 lines hold 32
// elements: one prefetch of each kind per 32-lane vector.
// CHECK-LABEL: func.func @log_softmax_rows_f16
// CHECK: scf.forall (%[[ROW:.*]]) in (8)
// CHECK: %[[ROW_OUT:.*]] = tensor.extract_slice
// CHECK: %[[XB:.*]] = bufferization.to_buffer %{{.*}} read_only : tensor<8x1000xf16>
// CHECK: %[[AFTER:.*]] = arith.addi %[[ROW]], %c1 : index
// CHECK: %[[NEXT:.*]] = arith.minui %[[AFTER]], %c7 : index
// CHECK: %[[OB:.*]] = bufferization.to_buffer %[[ROW_OUT]] read_only : tensor<1x1000xf16>
// CHECK: vector.reduction <maxnumf>
// CHECK: memref.prefetch %[[XB]][%[[NEXT]], %[[COL:[a-z0-9]+]]], read, locality<3>, data
// CHECK-NEXT: memref.prefetch %[[OB]][%c0, %[[COL]]], write, locality<3>, data
// CHECK-NOT: memref.prefetch
// CHECK: vector.reduction <add>
// OFF-LABEL: func.func @log_softmax_rows_f16
// OFF-NOT: memref.prefetch
func.func @log_softmax_rows_f16(%x: tensor<8x1000xf16>) -> tensor<8x1000xf16> {
  %y = softmax.log_softmax %x dim(1) {softmax.row_form = "rows"} : tensor<8x1000xf16>
  return %y : tensor<8x1000xf16>
}

// -----

// One row (rank 1) has no next row: no prefetch.
// CHECK-LABEL: func.func @one_row
// CHECK-NOT: memref.prefetch
// CHECK: return
func.func @one_row(%x: tensor<4096xf32>) -> tensor<4096xf32> {
  %y = softmax.softmax %x dim(0) : tensor<4096xf32>
  return %y : tensor<4096xf32>
}

// -----

// A fused producer: its elementwise inputs are prefetched (the scores and
// the mask, of bytes: an i1 tensor is not fused, its vectors would be
// packed bits), not its per-column bias nor the erased producer's result.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @fused
// CHECK-SAME: (%[[S:.*]]: tensor<64x4096xf32>, %[[BIAS:.*]]: tensor<4096xf32>, %[[MASK:.*]]: tensor<64x4096xi8>)
// CHECK: %[[SB:.*]] = bufferization.to_buffer %[[S]] read_only
// CHECK: %[[MB:.*]] = bufferization.to_buffer %[[MASK]] read_only
// CHECK-NOT: bufferization.to_buffer
// CHECK: memref.prefetch %[[SB]][%{{.*}}, %[[COL:[a-z0-9]+]]], read
// CHECK-NEXT: memref.prefetch %[[MB]][%{{.*}}, %[[COL]]], read
// CHECK-NEXT: %[[COL16:.*]] = arith.addi %[[COL]], %c16 : index
// CHECK-NEXT: memref.prefetch %[[SB]][%{{.*}}, %[[COL16]]], read
// CHECK-NEXT: memref.prefetch %[[MB]][%{{.*}}, %[[COL16]]], read
func.func @fused(%s: tensor<64x4096xf32>, %bias: tensor<4096xf32>, %mask: tensor<64x4096xi8>) -> tensor<64x4096xf32> {
  %e = tensor.empty() : tensor<64x4096xf32>
  %scores = linalg.generic {indexing_maps = [#id, #col, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %bias, %mask : tensor<64x4096xf32>, tensor<4096xf32>, tensor<64x4096xi8>) outs(%e : tensor<64x4096xf32>) {
  ^bb0(%x: f32, %b: f32, %m: i8, %o: f32):
    %ninf = arith.constant 0xFF800000 : f32
    %zero = arith.constant 0 : i8
    %a = arith.addf %x, %b : f32
    %keep = arith.cmpi ne, %m, %zero : i8
    %r = arith.select %keep, %a, %ninf : f32
    linalg.yield %r : f32
  } -> tensor<64x4096xf32>
  %y = softmax.softmax %scores dim(1) {softmax.fuse_producer, softmax.row_form = "rows"} : tensor<64x4096xf32>
  return %y : tensor<64x4096xf32>
}
