// RUN: softmax-opt %s --softmax-move-bf16-as-i16 --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-move-bf16-as-i16 --canonicalize --split-input-file | FileCheck %s --check-prefix=CANON

// Masked loads and stores of bf16 vectors move i16 vectors: the pass-through
// and stored values are bitcast to i16 first, the loaded value back after.
// CHECK-LABEL: llvm.func @masked
// CHECK-SAME: (%[[P:.*]]: !llvm.ptr, %[[M:.*]]: vector<16xi1>, %[[PAD:.*]]: vector<16xbf16>)
// CHECK: %[[PADI:.*]] = llvm.bitcast %[[PAD]] : vector<16xbf16> to vector<16xi16>
// CHECK: %[[LI:.*]] = llvm.intr.masked.load %[[P]], %[[M]], %[[PADI]] {alignment = 2 : i32} : (!llvm.ptr, vector<16xi1>, vector<16xi16>) -> vector<16xi16>
// CHECK: %[[L:.*]] = llvm.bitcast %[[LI]] : vector<16xi16> to vector<16xbf16>
// CHECK: %[[SI:.*]] = llvm.bitcast %[[L]] : vector<16xbf16> to vector<16xi16>
// CHECK: llvm.intr.masked.store %[[SI]], %[[P]], %[[M]] {alignment = 2 : i32} : vector<16xi16>, vector<16xi1> into !llvm.ptr
// CHECK-NOT: bf16
// Once canonicalized, the bitcast pairs between them are gone.
// CANON-LABEL: llvm.func @masked
// CANON: %[[PADI:.*]] = llvm.bitcast %{{.*}} : vector<16xbf16> to vector<16xi16>
// CANON: %[[LI:.*]] = llvm.intr.masked.load %{{.*}}, %{{.*}}, %[[PADI]]
// CANON-NEXT: llvm.intr.masked.store %[[LI]], %{{.*}}, %{{.*}} {alignment = 2 : i32} : vector<16xi16>, vector<16xi1> into !llvm.ptr
// CANON-NEXT: llvm.return
llvm.func @masked(%p: !llvm.ptr, %m: vector<16xi1>, %pad: vector<16xbf16>) {
  %v = llvm.intr.masked.load %p, %m, %pad {alignment = 2 : i32} : (!llvm.ptr, vector<16xi1>, vector<16xbf16>) -> vector<16xbf16>
  llvm.intr.masked.store %v, %p, %m {alignment = 2 : i32} : vector<16xbf16>, vector<16xi1> into !llvm.ptr
  llvm.return
}

// -----

// Plain loads and stores, scalar and vector.
// CHECK-LABEL: llvm.func @plain
// CHECK: %[[S:.*]] = llvm.load %{{.*}} : !llvm.ptr -> i16
// CHECK: llvm.bitcast %[[S]] : i16 to bf16
// CHECK: %[[V:.*]] = llvm.load %{{.*}} {alignment = 2 : i64} : !llvm.ptr -> vector<8xi16>
// CHECK: llvm.bitcast %[[V]] : vector<8xi16> to vector<8xbf16>
// CHECK: llvm.store %{{.*}}, %{{.*}} : i16, !llvm.ptr
// CHECK: llvm.store %{{.*}}, %{{.*}} {alignment = 2 : i64} : vector<8xi16>, !llvm.ptr
// CANON-LABEL: llvm.func @plain
// CANON-NOT: bf16
// CANON: llvm.return
llvm.func @plain(%p: !llvm.ptr, %q: !llvm.ptr) {
  %s = llvm.load %p : !llvm.ptr -> bf16
  %v = llvm.load %p {alignment = 2 : i64} : !llvm.ptr -> vector<8xbf16>
  llvm.store %s, %q : bf16, !llvm.ptr
  llvm.store %v, %q {alignment = 2 : i64} : vector<8xbf16>, !llvm.ptr
  llvm.return
}

// -----

// Selects, shuffles and element inserts and extracts; the select's i1
// condition and the index operands stay as they are, its fast-math flags
// (meaningless on integers) go.
// CHECK-LABEL: llvm.func @shuffles
// CHECK-SAME: (%[[C:.*]]: vector<8xi1>, %[[A:.*]]: vector<8xbf16>, %[[B:.*]]: vector<8xbf16>, %[[E:.*]]: bf16, %[[I:.*]]: i64)
// CHECK-DAG: %[[AI:.*]] = llvm.bitcast %[[A]] : vector<8xbf16> to vector<8xi16>
// CHECK-DAG: %[[BI:.*]] = llvm.bitcast %[[B]] : vector<8xbf16> to vector<8xi16>
// CHECK-NOT: fastmath
// CHECK: %[[SEL:.*]] = llvm.select %[[C]], %[[AI]], %[[BI]] : vector<8xi1>, vector<8xi16>
// CHECK: llvm.shufflevector %{{.*}}, %{{.*}} [7, 6, 5, 4, 3, 2, 1, 0] : vector<8xi16>
// CHECK: %[[EI:.*]] = llvm.bitcast %[[E]] : bf16 to i16
// CHECK: llvm.insertelement %[[EI]], %{{.*}}[%[[I]] : i64] : vector<8xi16>
// CHECK: %[[X:.*]] = llvm.extractelement %{{.*}}[%[[I]] : i64] : vector<8xi16>
// CHECK: %[[XB:.*]] = llvm.bitcast %[[X]] : i16 to bf16
// CHECK: llvm.return %[[XB]] : bf16
// Only the arguments and the result are bitcast once canonicalized.
// CANON-LABEL: llvm.func @shuffles
// CANON-COUNT-2: llvm.bitcast %{{.*}} : vector<8xbf16> to vector<8xi16>
// CANON-NEXT: llvm.select %{{.*}} : vector<8xi1>, vector<8xi16>
// CANON-NEXT: llvm.shufflevector {{.*}} : vector<8xi16>
// CANON-NEXT: llvm.bitcast %{{.*}} : bf16 to i16
// CANON-NEXT: llvm.insertelement {{.*}} : vector<8xi16>
// CANON-NEXT: llvm.extractelement {{.*}} : vector<8xi16>
// CANON-NEXT: llvm.bitcast %{{.*}} : i16 to bf16
// CANON-NEXT: llvm.return
llvm.func @shuffles(%c: vector<8xi1>, %a: vector<8xbf16>, %b: vector<8xbf16>, %e: bf16, %i: i64) -> bf16 {
  %s = llvm.select %c, %a, %b {fastmathFlags = #llvm.fastmath<nnan>} : vector<8xi1>, vector<8xbf16>
  %r = llvm.shufflevector %s, %s [7, 6, 5, 4, 3, 2, 1, 0] : vector<8xbf16>
  %n = llvm.insertelement %e, %r[%i : i64] : vector<8xbf16>
  %x = llvm.extractelement %n[%i : i64] : vector<8xbf16>
  llvm.return %x : bf16
}

// -----

// Other types, and bf16 arithmetic, are left alone.
// CHECK-LABEL: llvm.func @untouched
// CHECK-NOT: llvm.bitcast
// CHECK: llvm.load %{{.*}} : !llvm.ptr -> vector<8xf16>
// CHECK: llvm.select %{{.*}} : vector<8xi1>, vector<8xf32>
// CHECK: llvm.fadd %{{.*}} : bf16
// CHECK-NOT: llvm.bitcast
// CHECK: llvm.return
llvm.func @untouched(%p: !llvm.ptr, %c: vector<8xi1>, %a: vector<8xf32>, %b: bf16) -> (bf16) {
  %h = llvm.load %p : !llvm.ptr -> vector<8xf16>
  llvm.store %h, %p : vector<8xf16>, !llvm.ptr
  %s = llvm.select %c, %a, %a : vector<8xi1>, vector<8xf32>
  %t = llvm.fadd %b, %b : bf16
  llvm.return %t : bf16
}
