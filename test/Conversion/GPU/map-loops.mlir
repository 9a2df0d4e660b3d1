// RUN: softmax-opt %s --pass-pipeline="builtin.module(func.func(softmax-gpu-map-loops))" --split-input-file | FileCheck %s

// A matmul and its fill: parallel loops over (i, j), j tiled by 256
// threads (300 columns: 2 tiles, the second guarded), the tiles along
// blocks x and the rows along blocks y; the dot product sequential in its
// thread.
// CHECK-LABEL: func.func @matmul
// CHECK: scf.parallel (%[[I:.*]], %[[JT:.*]]) = (%{{.*}}, %{{.*}}) to (%c8, %c300) step
// CHECK: scf.parallel (%{{.*}}, %[[J:.*]]) = (%{{.*}}, %{{.*}}) to
// CHECK: scf.if
// CHECK: memref.store
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: scf.parallel
// CHECK: scf.parallel
// CHECK: %[[CMP:.*]] = arith.cmpi ult, %{{.*}}, %c300
// CHECK: scf.if
// CHECK: scf.for %{{.*}} = %{{.*}} to %c64
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK-NOT: linalg.
func.func @matmul(%a: memref<8x64xf32>, %w: memref<64x300xf32>, %c: memref<8x300xf32>) attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%c : memref<8x300xf32>)
  linalg.matmul ins(%a, %w : memref<8x64xf32>, memref<64x300xf32>) outs(%c : memref<8x300xf32>)
  return
}

// -----

// Ops without parallel dims (a rank-0 fill, a reduction to a scalar) and a
// host loop over device memory run as one thread: a parallel loop of one
// iteration on block x. A copy becomes a copy loop; 10 columns take 32
// threads.
#id = affine_map<(d0, d1) -> (d0, d1)>
#red = affine_map<(d0, d1) -> ()>
// CHECK-LABEL: func.func @scalar
// CHECK: scf.parallel (%{{.*}}) = (%[[Z:.*]]) to (%[[ONE:.*]]) step (%[[ONE]])
// CHECK-NEXT: memref.load %arg1[]
// CHECK-NEXT: memref.store %{{.*}}, %arg1[]
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}})
// CHECK: scf.for %{{.*}} = %{{.*}} to %c8
// CHECK: scf.for %{{.*}} = %{{.*}} to %c10
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}})
// CHECK-NEXT: scf.for %{{.*}} = %c0{{.*}} to %c4
// CHECK-NEXT: memref.store %{{.*}}, %arg1[]
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: %[[T:.*]] = arith.muli %{{.*}}, %c32
// CHECK: scf.parallel (%{{.*}}, %{{.*}}) = (%{{.*}}, %{{.*}}) to (%{{.*}}, %[[T]])
// CHECK: memref.load %arg0
// CHECK: memref.store %{{.*}}, %arg2
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_y, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK-NOT: memref.copy
func.func @scalar(%c: memref<8x10xf32>, %s: memref<f32>, %d: memref<8x10xf32>) attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  linalg.fill ins(%z : f32) outs(%s : memref<f32>)
  linalg.generic {indexing_maps = [#id, #red], iterator_types = ["reduction", "reduction"]} ins(%c : memref<8x10xf32>) outs(%s : memref<f32>) {
  ^bb0(%in: f32, %out: f32):
    %r = arith.addf %in, %out : f32
    linalg.yield %r : f32
  }
  scf.for %i = %c0 to %c4 step %c1 {
    memref.store %z, %s[] : memref<f32>
  }
  memref.copy %c, %d : memref<8x10xf32> to memref<8x10xf32>
  return
}

// -----

// Rows beyond what a grid's y holds (65535) run sequentially in each
// block; a dim known only at run time is not put on y either. An assertion
// goes into an scf.if of its failure (convert-parallel-loops-to-gpu takes
// no cf.assert in a body).
// CHECK-LABEL: func.func @many_rows
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: {mapping = [#gpu.loop_dim_map<processor = sequential, {{.*}}>, #gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK-LABEL: func.func @assertion
// CHECK: %[[FAILED:.*]] = arith.xori %{{.*}}, %true
// CHECK: scf.if %[[FAILED]] {
// CHECK-NEXT: cf.assert %{{.*}}, "index out of range"
func.func @many_rows(%x: memref<70000x4xf32>) attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%x : memref<70000x4xf32>)
  return
}
func.func @dynamic_rows(%x: memref<?x4xf32>) attributes {llvm.emit_c_interface} {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%x : memref<?x4xf32>)
  return
}
func.func @assertion(%x: memref<4xi64>, %y: memref<4xf32>) attributes {llvm.emit_c_interface} {
  %c8 = arith.constant 8 : i64
  linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]} ins(%x : memref<4xi64>) outs(%y : memref<4xf32>) {
  ^bb0(%in: i64, %out: f32):
    %ok = arith.cmpi slt, %in, %c8 : i64
    cf.assert %ok, "index out of range"
    %f = arith.sitofp %in : i64 to f32
    linalg.yield %f : f32
  }
  return
}

// -----

// A copy of a buffer onto itself (an output bufferization wrote in place)
// and an op over an empty buffer launch nothing; a run of host ops over
// device memory (a load, an add, a store) goes into one loop of one
// iteration, the new buffer between them staying before it; a column sum
// (reduction dim outermost) has its reduction moved inside, so its columns
// are one parallel loop instead of a host loop of launches.
// CHECK-LABEL: func.func @runs
// CHECK-NOT: memref.copy
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<f32>
// CHECK: scf.parallel (%{{.*}}) = (%{{.*}}) to (%{{.*}}) step (%{{.*}}) {
// CHECK-NEXT: %[[V:.*]] = memref.load %arg0[%{{.*}}, %{{.*}}] : memref<4x64xf32>
// CHECK-NEXT: %[[D:.*]] = arith.addf %[[V]], %[[V]] : f32
// CHECK-NEXT: memref.store %[[D]], %[[TMP]][] : memref<f32>
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %arg1[]
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK: scf.parallel (%[[COLS:.*]]) = (%{{.*}}) to (%c64)
// CHECK: scf.parallel
// CHECK: scf.for %{{.*}} = %{{.*}} to %c4
// CHECK: memref.store %{{.*}}, %arg2[%{{.*}}] : memref<64xf32>
// CHECK: {mapping = [#gpu.loop_dim_map<processor = thread_x, {{.*}}>]}
// CHECK: {mapping = [#gpu.loop_dim_map<processor = block_x, {{.*}}>]}
// CHECK-NOT: scf.parallel
// CHECK: return
func.func @runs(%x: memref<4x64xf32>, %o: memref<f32>, %cs: memref<64xf32>, %p: memref<4x64xf32>, %z0: memref<0x8xf32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  memref.copy %p, %p : memref<4x64xf32> to memref<4x64xf32>
  linalg.fill ins(%zero : f32) outs(%z0 : memref<0x8xf32>)
  %v = memref.load %x[%c0, %c0] : memref<4x64xf32>
  %tmp = memref.alloc() : memref<f32>
  %d = arith.addf %v, %v : f32
  memref.store %d, %tmp[] : memref<f32>
  memref.copy %tmp, %o : memref<f32> to memref<f32>
  linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>], iterator_types = ["reduction", "parallel"]} ins(%x : memref<4x64xf32>) outs(%cs : memref<64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  }
  return
}

// -----

// A new buffer that only a run uses stays before the run's loop (a kernel
// would allocate it from the device's heap and never free it).
// CHECK-LABEL: func.func @temporary
// CHECK-NEXT: arith.constant
// CHECK-NEXT: %[[T:.*]] = memref.alloc() : memref<f32>
// CHECK: scf.parallel
// CHECK: memref.store %{{.*}}, %[[T]][]
// CHECK: memref.load %[[T]][]
// CHECK-NOT: memref.alloc
func.func @temporary(%x: memref<4xf32>, %o: memref<f32>) attributes {llvm.emit_c_interface} {
  %c0 = arith.constant 0 : index
  %v = memref.load %x[%c0] : memref<4xf32>
  %t = memref.alloc() : memref<f32>
  memref.store %v, %t[] : memref<f32>
  %w = memref.load %t[] : memref<f32>
  memref.store %w, %o[] : memref<f32>
  return
}

// -----

// Functions that are not exported (no llvm.emit_c_interface) run on the
// host: left alone.
// CHECK-LABEL: func.func private @helper
// CHECK: linalg.fill
// CHECK-NOT: scf.parallel
func.func private @helper(%x: memref<4xf32>) {
  %z = arith.constant 0.0 : f32
  linalg.fill ins(%z : f32) outs(%x : memref<4xf32>)
  return
}
