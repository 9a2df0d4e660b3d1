// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 left-pack=avx2" --canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=512 left-pack=avx512" --canonicalize | FileCheck %s --check-prefix=AVX512
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256" --canonicalize | FileCheck %s --check-prefix=NONE
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=512 left-pack=avx512 simplex-vector-bits=256" --canonicalize | FileCheck %s --check-prefix=AVX2
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=512 left-pack=avx512 simplex-vector-bits=256" --canonicalize | FileCheck %s --check-prefix=NARROW
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=512 left-pack=avx512 simplex-vector-bits=256 simplex-wide-left-pack=true" --canonicalize | FileCheck %s --check-prefix=WIDE

// With a left-pack, the short rows that go 8 (AVX2) or 16 (AVX-512) at a
// time pack their candidates after the search on the lanes' maxima: one
// scratch buffer for the group (a memref: only these loops use it), a
// row's region of n + 2 vectors; per row a sweep
// compares t = x - m with the group's bound less a margin and left-packs
// each register of x, written at the count so far, which grows by the
// count the op gives; a vector of -inf after the last. The rounds on the
// rows then read their candidates from the scratch, 16 (32) lanes at a
// time, instead of their rows; on rows of at least 8192 (n is dynamic
// here: a test at run time) the rounds after the first also left-pack the
// candidates above tau less the margin back into the row's region (behind
// the reads), a vector of -inf after them, and carry the rows' counts.
// Without one, the rounds read the rows.
// AVX2-LABEL: func.func @entmax
// AVX2: %[[SEEDED:.*]]:3 = scf.while
// AVX2: scf.condition
// AVX2: %[[STRIDE:.*]] = arith.addi %{{.*}}, %c32 : index
// AVX2: %[[SIZE:.*]] = arith.muli %[[STRIDE]], %c8 : index
// AVX2: %[[SCRATCH:.*]] = memref.alloc(%[[SIZE]]) : memref<?xf32>
// AVX2: vector.extract %[[SEEDED]]#0[0] : f32 from vector<8xf32>
// AVX2: scf.for {{.*}} iter_args(%{{.*}} = %c0) -> (index)
// AVX2: %[[IN:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// AVX2: %[[LO:.*]] = vector.extract_strided_slice %[[IN]] {offsets = [0], sizes = [8], strides = [1]} : vector<16xi1> to vector<8xi1>
// AVX2: %[[P0:.*]], %[[N0:.*]] = softmax.left_pack %{{.*}}, %[[LO]] target("avx2") : vector<8xf32>, vector<8xi1>
// AVX2: vector.transfer_write %[[P0]], %[[SCRATCH]][%[[AT:.*]]] {in_bounds = [true]} : vector<8xf32>, memref<?xf32>
// AVX2: %[[AT1:.*]] = arith.addi %[[AT]], %[[N0]] : index
// AVX2: %[[P1:.*]], %[[N1:.*]] = softmax.left_pack %{{.*}}, %{{.*}} target("avx2") : vector<8xf32>, vector<8xi1>
// AVX2: vector.transfer_write %[[P1]], %[[SCRATCH]][%[[AT1]]] {in_bounds = [true]} : vector<8xf32>, memref<?xf32>
// AVX2: arith.addi %[[AT1]], %[[N1]] : index
// AVX2: vector.transfer_write %cst{{.*}}, %[[SCRATCH]][%{{.*}}] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
// AVX2: vector.extract %[[SEEDED]]#0[7] : f32 from vector<8xf32>
// AVX2: scf.for {{.*}} -> (index)
// AVX2: vector.transfer_write %cst{{.*}}, %[[SCRATCH]][%{{.*}}] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
// AVX2: %[[FOUND:.*]]:16 = scf.while (%{{.*}} = %[[SEEDED]]#0, %{{.*}} = %{{.*}}, %[[ROUND:.*]] = %c0,
// AVX2: %[[LATER:.*]] = arith.cmpi ugt, %[[ROUND]], %c0 : index
// AVX2: %[[LONG:.*]] = arith.cmpi uge, %{{.*}}, %c8192 : index
// AVX2: %[[COMPACT:.*]] = arith.andi %[[LATER]], %[[LONG]] : i1
// AVX2: %[[SWEEP:.*]]:5 = scf.for {{.*}} iter_args({{.*}}, %[[AT:.*]] = %c0) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, index)
// AVX2: %[[V:.*]] = vector.transfer_read %[[SCRATCH]][%{{.*}}], %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<16xf32>
// AVX2: arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// AVX2: arith.cmpf olt, %{{.*}}, %{{.*}} : vector<16xf32>
// AVX2: %[[KEEP:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// AVX2-NEXT: scf.if %[[COMPACT]] -> (index) {
// AVX2: vector.extract_strided_slice %[[KEEP]] {offsets = [0], sizes = [8], strides = [1]} : vector<16xi1> to vector<8xi1>
// AVX2: softmax.left_pack %{{.*}}, %{{.*}} target("avx2") : vector<8xf32>, vector<8xi1>
// AVX2: vector.transfer_write %{{.*}}, %[[SCRATCH]][%[[AT]]] {in_bounds = [true]} : vector<8xf32>, memref<?xf32>
// AVX2: softmax.left_pack %{{.*}}, %{{.*}} target("avx2") : vector<8xf32>, vector<8xi1>
// AVX2: } else {
// AVX2-NEXT: scf.yield %[[AT]] : index
// AVX2: scf.if %[[COMPACT]] {
// AVX2-NEXT: vector.transfer_write %cst{{.*}}, %[[SCRATCH]][%[[SWEEP]]#4] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
// AVX2: arith.select %[[COMPACT]], %[[SWEEP]]#4, %{{.*}} : index
// AVX2: math.sqrt %{{.*}} : vector<8xf32>
// AVX2: scf.condition
func.func @entmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
// AVX512-LABEL: func.func @entmax
// AVX512: %[[SEEDED:.*]]:3 = scf.while {{.*}} : (vector<16xf32>, vector<16xi1>, index)
// AVX512: scf.condition
// AVX512: arith.addi %{{.*}}, %c64 : index
// AVX512: softmax.left_pack %{{.*}}, %{{.*}} target("avx512") : vector<16xf32>, vector<16xi1>
// AVX512: softmax.left_pack %{{.*}}, %{{.*}} target("avx512") : vector<16xf32>, vector<16xi1>
// AVX512: %[[FOUND:.*]]:24 = scf.while (%{{.*}} = %[[SEEDED]]#0,
// AVX512: vector.transfer_read %{{.*}}[%{{.*}}], %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<32xf32>
// NONE-LABEL: func.func @entmax
// NONE-NOT: softmax.left_pack
// With simplex-wide-left-pack, the 256-bit row batches (8 rows, vectors of
// 16 lanes) pack each vector of 16 lanes at once with AVX-512's compress.
// WIDE-LABEL: func.func @entmax
// WIDE: %[[SEEDED:.*]]:3 = scf.while {{.*}} : (vector<8xf32>, vector<8xi1>, index)
// WIDE: scf.condition
// WIDE: %[[SCRATCH:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// WIDE: %[[IN:.*]] = arith.cmpf ogt, %{{.*}}, %{{.*}} : vector<16xf32>
// WIDE-NOT: vector.extract_strided_slice
// WIDE: %[[P:.*]], %[[N:.*]] = softmax.left_pack %{{.*}}, %[[IN]] target("avx512") : vector<16xf32>, vector<16xi1>
// WIDE: vector.transfer_write %[[P]], %[[SCRATCH]][%[[AT:.*]]] {in_bounds = [true]} : vector<16xf32>, memref<?xf32>
// WIDE: arith.addi %[[AT]], %[[N]] : index
// WIDE-NOT: target("avx2")
// WIDE: %[[FOUND:.*]]:16 = scf.while (%{{.*}} = %[[SEEDED]]#0,

// -----

// sparsemax packs the same way, after one round of its search on the lanes'
// maxima (a lower bound of the thresholds: the loop ends after its first
// round).
// AVX2-LABEL: func.func @sparsemax
// AVX2: %[[SEEDED:.*]]:3 = scf.while
// AVX2: %[[MORE:.*]] = vector.reduction <or>, %{{.*}} : vector<8xi1> into i1
// AVX2: %[[NEXT:.*]] = arith.addi %{{.*}}, %c1 : index
// AVX2-NEXT: %[[FIRST:.*]] = arith.cmpi ult, %[[NEXT]], %c1 : index
// AVX2-NEXT: %[[BOTH:.*]] = arith.andi %[[MORE]], %[[FIRST]] : i1
// AVX2-NEXT: scf.condition(%[[BOTH]]) %{{.*}}, %{{.*}}, %[[NEXT]]
// AVX2: softmax.left_pack %{{.*}}, %{{.*}} target("avx2") : vector<8xf32>, vector<8xi1>
// AVX2: %[[FOUND:.*]]:2 = scf.while (%{{.*}} = %[[SEEDED]]#0,
// AVX2: vector.transfer_read %{{.*}}[%{{.*}}], %{{.*}} {in_bounds = [true]} : memref<?xf32>, vector<16xf32>
// AVX2: arith.divf %{{.*}}, %{{.*}} : vector<8xf32>
// NONE-LABEL: func.func @sparsemax
// NONE-NOT: softmax.left_pack
// With simplex-vector-bits=256 on a 512-bit target, sparsemax and entmax
// take the AVX2 form above (checked by the AVX2 prefix), while softmax
// keeps the target's 512-bit registers.
// NARROW-LABEL: func.func @sparsemax
// NARROW-NOT: target("avx512")
// NARROW-LABEL: func.func @softmax
// NARROW: vector.transfer_read {{.*}} : tensor<?x?xf32>, vector<64xf32>
func.func @sparsemax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

func.func @softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
