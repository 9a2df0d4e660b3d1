// RUN: softmax-opt %s --softmax-skip-empty-foralls --split-input-file | FileCheck %s

// A buffer-level forall with a dynamic bound runs only when that bound is
// positive.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[B:.*]]: memref<?xf32>, %[[N:.*]]: index)
// CHECK: %[[NE:.*]] = arith.cmpi sgt, %[[N]], %c0 : index
// CHECK: scf.if %[[NE]] {
// CHECK-NEXT: scf.forall (%{{.*}}) in (%[[N]])
// CHECK: memref.store
func.func @dynamic(%b: memref<?xf32>, %n: index) {
  %c = arith.constant 1.0 : f32
  scf.forall (%i) in (%n) {
    memref.store %c, %b[%i] : memref<?xf32>
  }
  return
}

// -----

// Every dynamic dim is tested, a static non-empty one is not.
// CHECK-LABEL: func.func @two_dims
// CHECK-SAME: (%[[B:.*]]: memref<4x?xf32>, %[[LO:.*]]: index, %[[HI:.*]]: index)
// CHECK-NOT: arith.cmpi {{.*}} %c4
// CHECK: %[[NE:.*]] = arith.cmpi sgt, %[[HI]], %[[LO]] : index
// CHECK: scf.if %[[NE]] {
// CHECK-NEXT: scf.forall (%{{.*}}, %{{.*}}) = (0, %[[LO]]) to (4, %[[HI]])
func.func @two_dims(%b: memref<4x?xf32>, %lo: index, %hi: index) {
  %c = arith.constant 1.0 : f32
  scf.forall (%i, %j) = (0, %lo) to (4, %hi) step (1, 1) {
    memref.store %c, %b[%i, %j] : memref<4x?xf32>
  }
  return
}

// -----

// Statically non-empty loops and loops on tensors stay as they are.
// CHECK-LABEL: func.func @untouched
// CHECK-NOT: scf.if
// CHECK: scf.forall (%{{.*}}) in (8)
// CHECK: scf.forall (%{{.*}}) in (%{{.*}}) shared_outs
func.func @untouched(%b: memref<8xf32>, %t: tensor<?xf32>, %n: index) -> tensor<?xf32> {
  %c = arith.constant 1.0 : f32
  scf.forall (%i) in (8) {
    memref.store %c, %b[%i] : memref<8xf32>
  }
  %r = scf.forall (%i) in (%n) shared_outs(%o = %t) -> (tensor<?xf32>) {
    %s = tensor.extract_slice %o[%i] [1] [1] : tensor<?xf32> to tensor<1xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %s into %o[%i] [1] [1] : tensor<1xf32> into tensor<?xf32>
    }
  }
  return %r : tensor<?xf32>
}
