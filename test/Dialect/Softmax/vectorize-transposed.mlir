// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 left-pack=avx2" --canonicalize | FileCheck %s

// Static rows of at most 256 in batches of 8 transpose their candidates
// (with a left-pack): a tile of the rows' registers read masked (-inf past
// a row's count), transposed and stored as registers of two candidates of
// every row after the rows' regions; a round is one loop over them, two
// chains of sums whose lanes are the rows', the taus and maxima repeated.
// CHECK-LABEL: func.func @entmax_transposed
// CHECK: %[[SCRATCH:.*]] = memref.alloc() : memref<2560xf32>
// CHECK: scf.for
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.transfer_read %[[SCRATCH]][%{{.*}}], %{{.*}}, %[[MASK]] {in_bounds = [true]} : memref<2560xf32>, vector<16xf32>
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15] : vector<8xf32>, vector<8xf32>
// CHECK: vector.transfer_write %{{.*}}, %[[SCRATCH]]
// CHECK: scf.while
// CHECK: vector.shuffle %{{.*}}, %{{.*}} [0, 1, 2, 3, 4, 5, 6, 7, 0, 1, 2, 3, 4, 5, 6, 7] : vector<8xf32>, vector<8xf32>
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c2 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: arith.addi %{{.*}}, %c1280 : index
// CHECK: vector.transfer_read %[[SCRATCH]]
// CHECK: vector.extract_strided_slice %{{.*}} {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: math.sqrt %{{.*}} : vector<8xf32>
// CHECK: scf.condition
func.func @entmax_transposed(%x: tensor<64x128xf32>) -> tensor<64x128xf32> {
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<64x128xf32>
  return %y : tensor<64x128xf32>
}

// -----

// Longer rows, and rows of a dynamic length, sweep their candidates a row
// at a time.
// CHECK-LABEL: func.func @entmax_rows
// CHECK-NOT: step %c2 iter_args
// CHECK: memref.alloc() : memref<4352xf32>
// CHECK-NOT: step %c2 iter_args
// CHECK: return
func.func @entmax_rows(%x: tensor<64x512xf32>, %d: tensor<64x?xf32>) -> (tensor<64x512xf32>, tensor<64x?xf32>) {
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<64x512xf32>
  %z = softmax.sparsemax %d dim(1) : tensor<64x?xf32>
  return %y, %z : tensor<64x512xf32>, tensor<64x?xf32>
}

// -----

// sparsemax's rounds take the same loop: two chains of its sum and count.
// CHECK-LABEL: func.func @sparsemax_transposed
// CHECK: vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: scf.while
// CHECK: scf.for %{{.*}} = %c0 to %{{.*}} step %c2 iter_args({{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: scf.condition
func.func @sparsemax_transposed(%x: tensor<64x100xf32>) -> tensor<64x100xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<64x100xf32>
  return %y : tensor<64x100xf32>
}
