// RUN: softmax-opt %s --softmax-lower-left-pack | FileCheck %s
// RUN: softmax-opt %s --softmax-lower-left-pack --convert-vector-to-llvm --finalize-memref-to-llvm --convert-math-to-llvm --convert-arith-to-llvm --convert-index-to-llvm --convert-func-to-llvm --reconcile-unrealized-casts | mlir-translate --mlir-to-llvmir | FileCheck %s --check-prefix=LLVM

// AVX2: the mask's bits pick a row of the module's table (added once for
// both ops; rows 0, 1 and 2 checked: no lane, lane 0, lane 1 first),
// vpermps by it; the count is the bits' population count.
// CHECK: memref.global "private" constant @__softmax_left_pack_avx2 : memref<2048xi32> = dense<"0x000000000100000002000000030000000400000005000000060000000700000000000000010000000200000003000000040000000500000006000000070000000100000000000000020000000300000004000000050000000600000007000000
// CHECK-SAME: {alignment = 32 : i64}
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @avx2
// CHECK-SAME: (%[[V:.*]]: vector<8xf32>, %[[K:.*]]: vector<8xi1>)
// CHECK: %[[B:.*]] = vector.bitcast %[[K]] : vector<8xi1> to vector<1xi8>
// CHECK: %[[BITS:.*]] = vector.extract %[[B]][0] : i8 from vector<1xi8>
// CHECK: %[[WIDE:.*]] = arith.extui %[[BITS]] : i8 to i32
// CHECK: %[[POP:.*]] = math.ctpop %[[WIDE]] : i32
// CHECK: %[[COUNT:.*]] = arith.index_castui %[[POP]] : i32 to index
// CHECK: %[[TABLE:.*]] = memref.get_global @__softmax_left_pack_avx2 : memref<2048xi32>
// CHECK: %[[ROW:.*]] = arith.muli %[[WIDE]], %{{.*}} : i32
// CHECK: %[[AT:.*]] = arith.index_castui %[[ROW]] : i32 to index
// CHECK: %[[I:.*]] = vector.load %[[TABLE]][%[[AT]]] : memref<2048xi32>, vector<8xi32>
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx2.permps"(%[[V]], %[[I]]) : (vector<8xf32>, vector<8xi32>) -> vector<8xf32>
// CHECK: return %[[P]], %[[COUNT]]
// LLVM-LABEL: define { <8 x float>, i64 } @avx2
// LLVM: bitcast <8 x i1> %{{.*}} to <1 x i8>
// LLVM: call i32 @llvm.ctpop.i32
// LLVM: call <8 x float> @llvm.x86.avx2.permps(<8 x float> %{{.*}}, <8 x i32> %{{.*}})
func.func @avx2(%v: vector<8xf32>, %keep: vector<8xi1>) -> (vector<8xf32>, index) {
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<8xf32>, vector<8xi1>
  return %p, %n : vector<8xf32>, index
}

// AVX-512: one vcompressps of the register into itself.
// CHECK-LABEL: func.func @avx512
// CHECK-SAME: (%[[V:.*]]: vector<16xf32>, %[[K:.*]]: vector<16xi1>)
// CHECK: vector.bitcast %[[K]] : vector<16xi1> to vector<1xi16>
// CHECK: math.ctpop %{{.*}} : i32
// CHECK-NOT: memref.get_global
// CHECK: %[[P:.*]] = llvm.call_intrinsic "llvm.x86.avx512.mask.compress"(%[[V]], %[[V]], %[[K]]) : (vector<16xf32>, vector<16xf32>, vector<16xi1>) -> vector<16xf32>
// CHECK: return %[[P]]
// LLVM-LABEL: define { <16 x float>, i64 } @avx512
// LLVM: call <16 x float> @llvm.x86.avx512.mask.compress.v16f32(<16 x float> %{{.*}}, <16 x float> %{{.*}}, <16 x i1> %{{.*}})
func.func @avx512(%v: vector<16xf32>, %keep: vector<16xi1>) -> (vector<16xf32>, index) {
  %p, %n = softmax.left_pack %v, %keep target("avx512") : vector<16xf32>, vector<16xi1>
  return %p, %n : vector<16xf32>, index
}

// A second AVX2 op reads the same table.
// CHECK-LABEL: func.func @avx2_again
// CHECK: memref.get_global @__softmax_left_pack_avx2
func.func @avx2_again(%v: vector<8xf32>, %keep: vector<8xi1>) -> vector<8xf32> {
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<8xf32>, vector<8xi1>
  return %p : vector<8xf32>
}
