// RUN: softmax-opt %s --softmax-nontemporal-stores --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-nontemporal-stores="fence=false" --split-input-file | FileCheck %s --check-prefix=NOFENCE

// A marked loop is versioned on the alignment of its writes: when the first
// iteration's address of every whole-vector write to a memref with a unit
// innermost stride is a multiple of the marker's alignment (the loop steps
// by a multiple of it), a copy writes them with streaming stores; otherwise
// the loop runs as it was. The masked write stays as it is. One fence
// follows the outermost op of the function around the loops (the row
// loop), not every marked loop.
// CHECK-LABEL: func.func @rows
// CHECK-SAME: (%[[OUT:.*]]: memref<8x1000xf32>, %[[V:.*]]: vector<32xf32>, %[[M:.*]]: vector<32xi1>)
// CHECK: scf.for %[[ROW:.*]] = %c0 to %c8 step %c1 {
// CHECK: %{{.*}}, %[[OFFSET:.*]], %{{.*}}:2, %[[STRIDES:.*]]:2 = memref.extract_strided_metadata %[[OUT]]
// CHECK: %[[R:.*]] = arith.muli %[[ROW]], %[[STRIDES]]#0 : index
// CHECK: %[[E0:.*]] = arith.addi %[[OFFSET]], %[[R]] : index
// CHECK: %[[C:.*]] = arith.muli %c8, %[[STRIDES]]#1 : index
// CHECK: %[[E:.*]] = arith.addi %[[E0]], %[[C]] : index
// CHECK: %[[PTR:.*]] = memref.extract_aligned_pointer_as_index %[[OUT]]
// CHECK: %[[BYTES:.*]] = arith.muli %[[E]], %c4{{.*}} : index
// CHECK: %[[ADDR:.*]] = arith.addi %[[PTR]], %[[BYTES]] : index
// CHECK: %[[MIS:.*]] = arith.remui %[[ADDR]], %c32{{.*}} : index
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[MIS]], %c0{{.*}} : index
// CHECK: scf.if %[[ALIGNED]] {
// CHECK-NEXT: scf.for %[[COL:.*]] = %c8 to %c992 step %c32 {
// CHECK-NEXT: vector.store %[[V]], %[[OUT]][%[[ROW]], %[[COL]]] {alignment = 32 : i64, nontemporal = true} : memref<8x1000xf32>, vector<32xf32>
// CHECK-NEXT: vector.transfer_write %[[V]], %[[OUT]][%[[ROW]], %[[COL]]], %[[M]] {in_bounds = [true]}
// CHECK-NEXT: }
// CHECK-NEXT: } else {
// CHECK-NEXT: scf.for %[[COL2:.*]] = %c8 to %c992 step %c32 {
// CHECK-NEXT: vector.transfer_write %[[V]], %[[OUT]][%[[ROW]], %[[COL2]]] {in_bounds = [true]}
// CHECK-NEXT: vector.transfer_write %[[V]], %[[OUT]][%[[ROW]], %[[COL2]]], %[[M]] {in_bounds = [true]}
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NOT: softmax.nontemporal
// The second loop writes at column - 8: its first address is at column 0.
// CHECK: %[[FIRST:.*]] = arith.subi %c8, %c8 : index
// CHECK: arith.muli %[[FIRST]], %{{.*}}#1 : index
// CHECK: scf.if
// CHECK-NEXT: scf.for %[[COL3:.*]] =
// CHECK-NEXT: %[[SHIFTED:.*]] = arith.subi %[[COL3]], %c8 : index
// CHECK-NEXT: vector.store %[[V]], %[[OUT]][%[[ROW]], %[[SHIFTED]]] {alignment = 32 : i64, nontemporal = true}
// CHECK: } else {
// CHECK: vector.store %[[V]], %[[OUT]][%[[ROW]], %{{.*}}] : memref<8x1000xf32>, vector<32xf32>
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: }
// CHECK-NEXT: llvm.call_intrinsic "llvm.x86.sse.sfence"() : () -> ()
// CHECK-NEXT: return
// NOFENCE-LABEL: func.func @rows
// NOFENCE-NOT: sfence
// NOFENCE: nontemporal = true
// NOFENCE-NOT: sfence
// NOFENCE: return
func.func @rows(%out: memref<8x1000xf32>, %v: vector<32xf32>, %m: vector<32xi1>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c992 = arith.constant 992 : index
  scf.for %row = %c0 to %c8 step %c1 {
    scf.for %col = %c8 to %c992 step %c32 {
      vector.transfer_write %v, %out[%row, %col] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
      vector.transfer_write %v, %out[%row, %col], %m {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
    } {softmax.nontemporal = 32 : i64}
    scf.for %col = %c8 to %c992 step %c32 {
      %shifted = arith.subi %col, %c8 : index
      vector.store %v, %out[%row, %shifted] : memref<8x1000xf32>, vector<32xf32>
    } {softmax.nontemporal = 32 : i64}
  }
  return
}

// -----

// Writes that may go out of bounds, to a strided innermost dim, whose
// address does not follow the loop's induction variable, in a loop whose
// step is not a multiple of the alignment, or outside a marked loop stay as
// they are; with no streaming store there is no versioning and no fence.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: nontemporal = true
// CHECK-NOT: scf.if
// CHECK-NOT: sfence
// CHECK: return
func.func @untouched(%out: memref<8x1000xf32>, %strided: memref<8x1000xf32, strided<[1000, 2]>>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c32 = arith.constant 32 : index
  %c992 = arith.constant 992 : index
  scf.for %col = %c0 to %c992 step %c32 {
    vector.transfer_write %v, %out[%c0, %col] : vector<32xf32>, memref<8x1000xf32>
    vector.transfer_write %v, %strided[%c0, %col] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32, strided<[1000, 2]>>
  } {softmax.nontemporal = 32 : i64}
  scf.for %col = %c0 to %c992 step %c32 {
    %twice = arith.muli %col, %c2 : index
    vector.transfer_write %v, %out[%c0, %twice] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
    vector.transfer_write %v, %out[%col, %c0] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
  } {softmax.nontemporal = 32 : i64}
  scf.for %col = %c0 to %c992 step %c4 {
    vector.transfer_write %v, %out[%c0, %col] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
  } {softmax.nontemporal = 32 : i64}
  scf.for %col = %c0 to %c992 step %c32 {
    vector.transfer_write %v, %out[%c0, %col] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
  }
  return
}

// -----

// In an OpenMP parallel region, the fence goes after the worksharing loop:
// once per thread, before the region's barrier.
// CHECK-LABEL: func.func @threads
// CHECK: omp.parallel {
// CHECK: omp.wsloop {
// CHECK: scf.if
// CHECK: nontemporal = true
// CHECK: omp.yield
// CHECK: }
// CHECK-NEXT: }
// CHECK-NEXT: llvm.call_intrinsic "llvm.x86.sse.sfence"() : () -> ()
// CHECK-NEXT: omp.terminator
func.func @threads(%out: memref<8x1000xf32>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %c32 = arith.constant 32 : index
  %c992 = arith.constant 992 : index
  omp.parallel {
    omp.wsloop {
      omp.loop_nest (%row) : index = (%c0) to (%c8) step (%c1) {
        scf.for %col = %c0 to %c992 step %c32 {
          vector.transfer_write %v, %out[%row, %col] {in_bounds = [true]} : vector<32xf32>, memref<8x1000xf32>
        } {softmax.nontemporal = 32 : i64}
        omp.yield
      }
    }
    omp.terminator
  }
  return
}
