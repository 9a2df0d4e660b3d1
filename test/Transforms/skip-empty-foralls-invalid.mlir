// RUN: softmax-opt %s --softmax-skip-empty-foralls --verify-diagnostics | FileCheck %s

// A statically empty loop is guarded like a dynamic one (folding it away is
// the canonicalizer's job); the pass itself never reports an error, and IR
// that fails to verify is rejected before it runs.
// CHECK-LABEL: func.func @empty
// CHECK: %[[NE:.*]] = arith.cmpi sgt, %c0, %c0
// CHECK: scf.if %[[NE]]
func.func @empty(%b: memref<?xf32>) {
  %c = arith.constant 1.0 : f32
  scf.forall (%i) in (0) {
    memref.store %c, %b[%i] : memref<?xf32>
  }
  return
}
