// RUN: softmax-opt %s --softmax-gpu-strategy --softmax-export-c-abi --inline \
// RUN:   --canonicalize --convert-softmax-to-gpu --split-input-file | FileCheck %s

// softmax_grad, a warp per row: the launch takes y, dy and the output (or
// the element-wise twin where a buffer is not 16-byte aligned); each lane
// loads its vectors of both rows, sums y dy in f64 (f32 input) and reduces
// by xor shuffles.
// CHECK-LABEL: func.func @grad(
// CHECK: gpu.launch_func @softmax_kernels::@grad_softmax_grad_0 blocks in (%{{.*}}) threads in (%{{.*}}) args(%arg0 : memref<8x1024xf32>, %arg1 : memref<8x1024xf32>, %arg2 : memref<8x1024xf32>)
// CHECK: gpu.launch_func @softmax_kernels::@grad_softmax_grad_0_unaligned
// CHECK: gpu.func @grad_softmax_grad_0(%arg0: memref<8x1024xf32>, %arg1: memref<8x1024xf32>, %arg2: memref<8x1024xf32>) kernel
// CHECK-SAME: known_block_size = array<i32: 32, 4, 1>
// CHECK-SAME: params = ["ptr:y", "ptr:dy", "ptr:out"]
// CHECK-SAME: op = "softmax_grad"
// CHECK-SAME: strategy = "warp_row"
// CHECK: vector.load %arg0
// CHECK: vector.load %arg1
// CHECK: arith.extf %{{.*}} : f32 to f64
// CHECK: gpu.shuffle xor %{{.*}} : f64
// CHECK: vector.store %{{.*}}, %arg2
func.func @grad(%y: tensor<8x1024xf32>, %dy: tensor<8x1024xf32>) -> tensor<8x1024xf32> {
  %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<8x1024xf32>
  return %dx : tensor<8x1024xf32>
}

// -----

// cross_entropy over the innermost dim of a rank-3 input: rows, labels and
// losses flattened; each warp reads its row's label, and its first lane
// stores the loss (0 for ignore_index).
// CHECK-LABEL: func.func @ce(
// CHECK: gpu.launch_func @softmax_kernels::@ce_cross_entropy_0 {{.*}} args(%{{.*}} : memref<8x1000xbf16>, %{{.*}} : memref<8xi32>, %{{.*}} : memref<8xbf16>)
// CHECK: gpu.func @ce_cross_entropy_0(%arg0: memref<8x1000xbf16>, %arg1: memref<8xi32>, %arg2: memref<8xbf16>) kernel
// CHECK-SAME: params = ["ptr:logits", "ptr:labels", "ptr:loss"]
// CHECK: gpu.shuffle xor %{{.*}} : f32
// CHECK: %[[LABEL:.*]] = memref.load %arg1[%{{.*}}] : memref<8xi32>
// CHECK: arith.cmpi eq, %[[LABEL]], %c7_i32 : i32
// CHECK: math.log1p
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %thread_id_x, %{{.*}} : index
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store %{{.*}}, %arg2[%{{.*}}] : memref<8xbf16>
func.func @ce(%x: tensor<2x4x1000xbf16>, %l: tensor<2x4xi32>) -> tensor<2x4xbf16> {
  %r = softmax.cross_entropy %x, %l dim(2) {ignore_index = 7 : i64} : tensor<2x4x1000xbf16>, tensor<2x4xi32> -> tensor<2x4xbf16>
  return %r : tensor<2x4xbf16>
}

// -----

// Masked softmax: the i1 mask (broadcast over the batch) flat, read per
// element at the row's offset; scale, then the mask, then the causal test
// (column <= row + offset, the row in the second innermost dim), each
// giving -inf where it drops the element.
// CHECK-LABEL: func.func @masked(
// CHECK: gpu.launch_func @softmax_kernels::@masked_softmax_0 {{.*}} args(%{{.*}} : memref<32x16xf32>, %{{.*}} : memref<256xi1>, %{{.*}} : memref<32x16xf32>)
// CHECK: gpu.func @masked_softmax_0(
// CHECK-SAME: params = ["ptr:in", "ptr:mask", "ptr:out"]
// CHECK: memref.load %arg1[%{{.*}}] : memref<256xi1>
// CHECK: %[[SCALED:.*]] = arith.mulf %{{.*}}, %cst{{.*}} : f32
// CHECK: %[[KEPT:.*]] = arith.select %{{.*}}, %[[SCALED]], %cst{{.*}} : f32
// CHECK: %[[CAUSAL:.*]] = arith.cmpi sle, %{{.*}}, %{{.*}} : i64
// CHECK: arith.select %[[CAUSAL]], %[[KEPT]], %cst{{.*}} : f32
func.func @masked(%x: tensor<2x16x16xf32>, %m: tensor<16x16xi1>) -> tensor<2x16x16xf32> {
  %y = softmax.softmax %x mask(%m : tensor<16x16xi1>) dim(2) {causal, causal_offset = -1 : i64, scale = 0.5 : f64} : tensor<2x16x16xf32>
  return %y : tensor<2x16x16xf32>
}

// -----

// sparsemax, a block per row: f64 partials in shared memory, one load a
// thread then shuffles across the warps; the support refinement is an
// scf.while whose rounds end with a barrier (the slots are reused).
// CHECK-LABEL: func.func @sparse(
// CHECK: gpu.launch_func @softmax_kernels::@sparse_sparsemax_0 blocks in (%{{.*}}) threads in (%c512,
// CHECK: gpu.func @sparse_sparsemax_0(%arg0: memref<2x4096xf32>, %arg1: memref<2x4096xf32>) workgroup(%[[SHARED:.*]] : memref<256xf64, #gpu.address_space<workgroup>>) kernel
// CHECK-SAME: nvvm.minctasm = 1
// CHECK-SAME: strategy = "block_row"
// CHECK: gpu.barrier
// CHECK: scf.while
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: gpu.barrier
// CHECK: memref.load %[[SHARED]]
// CHECK: gpu.barrier
// CHECK: scf.condition
func.func @sparse(%x: tensor<2x4096xf32>) -> tensor<2x4096xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<2x4096xf32>
  return %y : tensor<2x4096xf32>
}

// -----

// entmax with alpha = 1.25 (u^4 through math.powf in f64): a warp's lanes
// hold 8 elements each (256 a row), so its rows of 600 take a block.
// CHECK-LABEL: func.func @entmax(
// CHECK: gpu.func @entmax_entmax_0(
// CHECK-SAME: strategy = "block_row"
// CHECK: scf.while
// CHECK: math.powf %{{.*}} : f64
func.func @entmax(%x: tensor<3x600xf32>) -> tensor<3x600xf32> {
  %y = softmax.entmax %x dim(1) alpha(1.25) : tensor<3x600xf32>
  return %y : tensor<3x600xf32>
}

// -----

// entmax with alpha = 2 is sparsemax: its support refinement (tau and the
// support's size), not entmax's bracketed search.
// CHECK-LABEL: func.func @entmax2(
// CHECK: gpu.func @entmax2_entmax_0(
// CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (f64, f64) -> (f64, f64)
func.func @entmax2(%x: tensor<3x64xf32>) -> tensor<3x64xf32> {
  %y = softmax.entmax %x dim(1) alpha(2.0) : tensor<3x64xf32>
  return %y : tensor<3x64xf32>
}
