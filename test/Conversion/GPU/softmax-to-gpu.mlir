// RUN: softmax-opt %s --softmax-gpu-strategy --softmax-export-c-abi --inline \
// RUN:   --canonicalize --convert-softmax-to-gpu --split-input-file | FileCheck %s

// A warp per row: 4 rows a block (6 rows: 2 blocks, the last half empty,
// so the rows are guarded); each lane loads 8 16-byte vectors of the
// 1024-element row, all in the row, and reduces by xor shuffles. Buffers
// that are not 16-byte aligned take an element-wise variant.
// CHECK-LABEL: module attributes {gpu.container_module}
// CHECK: func.func @warp(%[[X:.*]]: memref<6x1024xf32>, %[[Y:.*]]: memref<6x1024xf32>)
// CHECK-DAG: %[[PX:.*]] = memref.extract_aligned_pointer_as_index %[[X]]
// CHECK-DAG: %[[PY:.*]] = memref.extract_aligned_pointer_as_index %[[Y]]
// CHECK: %[[P:.*]] = arith.ori %[[PX]], %[[PY]] : index
// CHECK: %[[R:.*]] = arith.remui %[[P]], %{{.*}} : index
// CHECK: %[[ALIGNED:.*]] = arith.cmpi eq, %[[R]], %{{.*}} : index
// CHECK: scf.if %[[ALIGNED]] {
// CHECK: gpu.launch_func @softmax_kernels::@warp_softmax_0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%[[X]] : memref<6x1024xf32>, %[[Y]] : memref<6x1024xf32>)
// CHECK: } else {
// CHECK: gpu.launch_func @softmax_kernels::@warp_softmax_0_unaligned blocks in
// CHECK-NOT: bufferization
// CHECK: gpu.module @softmax_kernels
// CHECK: gpu.func @warp_softmax_0(%[[IN:.*]]: memref<6x1024xf32>, %[[OUT:.*]]: memref<6x1024xf32>) kernel
// CHECK-SAME: known_block_size = array<i32: 32, 4, 1>
// CHECK-SAME: softmax.kernel = {alignment = 16 : i64, dtype = "f32", launches = [{block = [32, 4, 1], grid = [2, 1, 1], kernel = "warp_softmax_0", params = ["ptr:in", "ptr:out"]}], op = "softmax", shape = [6, 1024], strategy = "warp_row", workspace = []}
// CHECK: scf.if
// CHECK-COUNT-8: vector.load %[[IN]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<6x1024xf32>, vector<4xf32>
// CHECK-COUNT-5: gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK: math.exp2
// CHECK-NOT: gpu.barrier
// CHECK: arith.divf
// CHECK-COUNT-8: vector.store %{{.*}}, %[[OUT]][%{{.*}}, %{{.*}}] {alignment = 16 : i64} : memref<6x1024xf32>, vector<4xf32>
// CHECK: gpu.func @warp_softmax_0_unaligned
// CHECK-SAME: softmax.kernel = {alignment = 4 : i64, dtype = "f32", launches = [{block = [32, 4, 1]
// CHECK-COUNT-32: memref.load %{{.*}} : memref<6x1024xf32>
// CHECK-NOT: vector.load
func.func @warp(%x: tensor<6x1024xf32>) -> tensor<6x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<6x1024xf32>
  return %y : tensor<6x1024xf32>
}

// -----

// A block per row over a rank-3 buffer collapsed to rows: 4096 bf16 are
// 512 16-byte vectors, 128 threads with 4 each; the warps meet in shared
// memory (one barrier a reduction), the math is f32, log1p at the end.
// CHECK-LABEL: func.func @block
// CHECK: %[[XR:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : memref<2x3x4096xbf16> into memref<6x4096xbf16>
// CHECK: %[[YR:.*]] = memref.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : memref<2x3x4096xbf16> into memref<6x4096xbf16>
// CHECK: gpu.launch_func @softmax_kernels::@block_log_softmax_0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%[[XR]] : memref<6x4096xbf16>, %[[YR]] : memref<6x4096xbf16>)
// CHECK: gpu.launch_func @softmax_kernels::@block_log_softmax_0_unaligned
// CHECK: gpu.func @block_log_softmax_0(%[[IN:.*]]: memref<6x4096xbf16>, %{{.*}}: memref<6x4096xbf16>) workgroup(%[[SHARED:.*]] : memref<96xf32, #gpu.address_space<workgroup>>) kernel
// CHECK-SAME: known_block_size = array<i32: 128, 1, 1>
// CHECK-SAME: grid = [6, 1, 1], kernel = "block_log_softmax_0", params = ["ptr:in", "ptr:out"]}], op = "log_softmax", shape = [6, 4096], strategy = "block_row"
// CHECK: gpu.block_id x
// CHECK-COUNT-4: vector.load %[[IN]]{{.*}} {alignment = 16 : i64} : memref<6x4096xbf16>, vector<8xbf16>
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: gpu.shuffle xor
// CHECK: memref.store %{{.*}}, %[[SHARED]]
// CHECK: gpu.barrier
// CHECK: math.log1p
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: vector.store
func.func @block(%x: tensor<2x3x4096xbf16>) -> tensor<2x3x4096xbf16> {
  %y = softmax.log_softmax %x dim(2) : tensor<2x3x4096xbf16>
  return %y : tensor<2x3x4096xbf16>
}

// -----

// 1025 elements are no whole number of 16-byte vectors: scalar accesses;
// pinned to a block per row, 512 threads with 3 each, the last one only in
// the row for the first thread (guarded load, -inf outside; guarded store).
// CHECK-LABEL: gpu.func @odd_softmax_0
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK-COUNT-2: memref.load %{{.*}} : memref<5x1025xf32>
// CHECK: scf.if %{{.*}} -> (f32)
// CHECK: memref.load %{{.*}} : memref<5x1025xf32>
// CHECK: else
// CHECK: arith.constant 0xFF800000 : f32
// CHECK-COUNT-2: memref.store %{{.*}} : memref<5x1025xf32>
// CHECK: scf.if
// CHECK: memref.store %{{.*}} : memref<5x1025xf32>
func.func @odd(%x: tensor<5x1025xf32>) -> tensor<5x1025xf32> {
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "block_row"} : tensor<5x1025xf32>
  return %y : tensor<5x1025xf32>
}

// -----

// Unpinned, rows of 1025 take a warp each (up to 2048, 64 elements a lane):
// 33 scalar accesses a lane, the last one only in the row for the first
// lane.
// CHECK-LABEL: gpu.func @odd_warp_softmax_0
// CHECK-SAME: known_block_size = array<i32: 32, 4, 1>
// CHECK-SAME: strategy = "warp_row"
// CHECK-COUNT-32: memref.load %{{.*}} : memref<5x1025xf32>
// CHECK: scf.if %{{.*}} -> (f32)
// CHECK: memref.load %{{.*}} : memref<5x1025xf32>
// CHECK: gpu.shuffle xor
// CHECK-COUNT-32: memref.store %{{.*}} : memref<5x1025xf32>
// CHECK: scf.if
// CHECK: memref.store %{{.*}} : memref<5x1025xf32>
func.func @odd_warp(%x: tensor<5x1025xf32>) -> tensor<5x1025xf32> {
  %y = softmax.softmax %x dim(1) : tensor<5x1025xf32>
  return %y : tensor<5x1025xf32>
}

// -----

// Split rows: 2 rows of 20000 f32 (3 chunks of 8192, the last partial):
// a workspace of (max, sum, count) per chunk for the call, the stats
// kernel then the output kernel on one stream, blocks of 512 threads, a
// block a chunk (6, row by row along the grid's x).
// CHECK-LABEL: func.func @split
// CHECK: %[[T0:.*]] = gpu.wait async
// CHECK: %[[WS:.*]], %[[T1:.*]] = gpu.alloc async [%[[T0]]] () : memref<2x3x3xf32>
// CHECK: %[[T2:.*]] = gpu.launch_func async [%[[T1]]] @softmax_kernels::@split_log_softmax_0_stats blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%{{.*}} : memref<2x20000xf32>, %[[WS]] : memref<2x3x3xf32>)
// CHECK: %[[T3:.*]] = gpu.launch_func async [%[[T2]]] @softmax_kernels::@split_log_softmax_0 blocks in
// CHECK-SAME: args(%{{.*}} : memref<2x20000xf32>, %{{.*}} : memref<2x20000xf32>, %[[WS]] : memref<2x3x3xf32>)
// CHECK: %[[T4:.*]] = gpu.dealloc async [%[[T3]]] %[[WS]]
// CHECK: gpu.wait [%[[T4]]]
// CHECK: gpu.func @split_log_softmax_0_stats(%{{.*}}: memref<2x20000xf32>, %[[W:.*]]: memref<2x3x3xf32>) workgroup
// CHECK-SAME: known_block_size = array<i32: 512, 1, 1>
// CHECK: %[[ID:.*]] = gpu.block_id x
// CHECK: %[[CHUNK:.*]] = arith.remui %[[ID]], %c3 : index
// CHECK: %[[ROW:.*]] = arith.divui %[[ID]], %c3 : index
// CHECK: gpu.barrier
// CHECK-COUNT-3: memref.store %{{.*}}, %[[W]][%[[ROW]], %[[CHUNK]], %{{.*}}] : memref<2x3x3xf32>
// CHECK: gpu.func @split_log_softmax_0(%{{.*}}: memref<2x20000xf32>, %{{.*}}: memref<2x20000xf32>, %[[W2:.*]]: memref<2x3x3xf32>) workgroup
// CHECK-SAME: softmax.kernel = {alignment = 16 : i64, dtype = "f32", launches = [{block = [512, 1, 1], grid = [6, 1, 1], kernel = "split_log_softmax_0_stats", params = ["ptr:in", "ptr:ws0"]}, {block = [512, 1, 1], grid = [6, 1, 1], kernel = "split_log_softmax_0", params = ["ptr:in", "ptr:out", "ptr:ws0"]}], op = "log_softmax", shape = [2, 20000], strategy = "split_row", workspace = [72]}
// CHECK: scf.if
// CHECK: memref.load %[[W2]]
// CHECK: math.exp2
// CHECK: math.log1p
func.func @split(%x: tensor<2x20000xf32>) -> tensor<2x20000xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<2x20000xf32>
  return %y : tensor<2x20000xf32>
}

// -----

// Dynamic rows: the launch counts them (warp_row: a block per 4 rows, the
// kernel guarding its rows against the buffer's size), and launches
// nothing for none; a split row's workspace is sized at run time.
// CHECK-LABEL: func.func @dynamic
// CHECK-SAME: (%[[X:.*]]: memref<?x3x512xf32>, %[[S:.*]]: memref<?x65536xf32>, %[[Y:.*]]: memref<?x3x512xf32>, %[[T:.*]]: memref<?x65536xf32>)
// CHECK: %[[XR:.*]] = memref.collapse_shape %[[X]] {{\[\[}}0, 1], [2]] : memref<?x3x512xf32> into memref<?x512xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[XR]], %{{.*}} : memref<?x512xf32>
// CHECK: %[[ANY:.*]] = arith.cmpi ne, %[[ROWS]], %{{.*}} : index
// CHECK: scf.if %[[ANY]] {
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui %[[ROWS]], %{{.*}} : index
// CHECK: %[[XV:.*]] = memref.reinterpret_cast %[[XR]] to offset: [0], sizes: [512], strides: [1] : memref<?x512xf32> to memref<512xf32>
// CHECK: gpu.launch_func @softmax_kernels::@dynamic_softmax_0 blocks in (%[[BLOCKS]], %{{.*}}, %{{.*}}) threads in ({{.*}}) args(%[[XV]] : memref<512xf32>, %{{.*}} : memref<512xf32>, %[[ROWS]] : index)
// CHECK: %[[SROWS:.*]] = memref.dim %[[S]], %{{.*}} : memref<?x65536xf32>
// CHECK: %[[SBLOCKS:.*]] = arith.muli %[[SROWS]], %c8 : index
// CHECK: gpu.alloc async [%{{.*}}] (%[[SROWS]]) : memref<?x8x3xf32>
// CHECK: gpu.launch_func async [%{{.*}}] @softmax_kernels::@dynamic_softmax_1_stats blocks in (%[[SBLOCKS]], %{{.*}}, %{{.*}})
// Each kernel takes its buffers' first row (static: bare pointers) and the
// rows, and views the buffers whole.
// CHECK: gpu.func @dynamic_softmax_0(%[[IN:.*]]: memref<512xf32>, %{{.*}}: memref<512xf32>, %[[N:.*]]: index) kernel
// CHECK-SAME: launches = [{block = [32, 4, 1], grid = ["cdiv(M, 4)", 1, 1], kernel = "dynamic_softmax_0", params = ["ptr:in", "ptr:out", "i64:M"]}]
// CHECK-SAME: shape = [-1, 512]
// CHECK: memref.reinterpret_cast %[[IN]] to offset: [0], sizes: [%[[N]], 512], strides: [512, 1] : memref<512xf32> to memref<?x512xf32>
// CHECK: arith.cmpi ult, %{{.*}}, %[[N]] : index
// CHECK: gpu.func @dynamic_softmax_1_stats(%{{.*}}: memref<65536xf32>, %[[WS:.*]]: memref<8x3xf32>, %[[M:.*]]: index)
// CHECK: memref.reinterpret_cast %[[WS]] to offset: [0], sizes: [%[[M]], 8, 3], strides: [24, 3, 1] : memref<8x3xf32> to memref<?x8x3xf32>
// CHECK: gpu.func @dynamic_softmax_1(
// CHECK-SAME: launches = [{block = [512, 1, 1], grid = ["M * 8", 1, 1], kernel = "dynamic_softmax_1_stats", params = ["ptr:in", "ptr:ws0", "i64:M"]}
// CHECK-SAME: workspace = ["M * 8 * 12"]
func.func @dynamic(%x: tensor<?x3x512xf32>, %s: tensor<?x65536xf32>)
    -> (tensor<?x3x512xf32>, tensor<?x65536xf32>) {
  %y = softmax.softmax %x dim(2) {softmax.gpu_strategy = "warp_row"} : tensor<?x3x512xf32>
  %t = softmax.softmax %s dim(1) : tensor<?x65536xf32>
  return %y, %t : tensor<?x3x512xf32>, tensor<?x65536xf32>
}

// -----

// Many short rows: a persistent grid. 128 f32 are 32 vectors: 16 lanes a
// row with 2 vectors each, 2 rows a warp, 8 a block; the grid is at most 16
// blocks a multiprocessor (the runtime counts them), each looping over
// rows 8 x the grid apart; the butterfly stays in the 16 lanes. Rows that
// are no whole number of blocks' (10 rows of 100 bf16, counted at run
// time: 32 lanes of 4 elements) guard their loads and stores, not the
// shuffles.
// CHECK: func.func private @softmax_mlir_cuda_multiprocessor_count() -> i32
// CHECK-LABEL: func.func @persistent
// CHECK: %[[SMS:.*]] = func.call @softmax_mlir_cuda_multiprocessor_count() : () -> i32
// CHECK: %[[SMSI:.*]] = arith.index_cast %[[SMS]] : i32 to index
// CHECK: %[[CAP:.*]] = arith.muli %[[SMSI]], %[[C16:.*]] : index
// CHECK: %[[GRID:.*]] = arith.minui %{{.*}}, %[[CAP]] : index
// CHECK: gpu.launch_func @softmax_kernels::@persistent_softmax_0 blocks in (%[[GRID]], %{{.*}}, %{{.*}}) threads in
// CHECK: gpu.func @persistent_softmax_0(%[[IN:.*]]: memref<16384x128xf32>, %[[OUT:.*]]: memref<16384x128xf32>) kernel
// CHECK-SAME: known_block_size = array<i32: 32, 4, 1>
// CHECK-SAME: nvvm.minctasm = 16 : i32
// CHECK-SAME: launches = [{block = [32, 4, 1], grid = ["min(2048, num_sms * 16)", 1, 1], kernel = "persistent_softmax_0", params = ["ptr:in", "ptr:out"]}], op = "softmax", shape = [16384, 128], strategy = "persistent_row"
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: %[[TY:.*]] = gpu.thread_id y
// CHECK: %[[LANE:.*]] = arith.remui %[[TX]], %{{.*}} : index
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: %[[START:.*]] = arith.muli %{{.*}}, %[[C8]] : index
// CHECK: %[[GX:.*]] = gpu.grid_dim x
// CHECK: %[[STEP:.*]] = arith.muli %[[GX]], %{{.*}} : index
// CHECK: scf.for %{{.*}} = %[[START]] to %{{.*}} step %[[STEP]] {
// CHECK-NOT: scf.if
// CHECK-COUNT-2: vector.load %[[IN]]{{.*}} : memref<16384x128xf32>, vector<4xf32>
// CHECK-COUNT-4: gpu.shuffle  xor %{{.*}}, %{{.*}}, %{{.*}} : f32
// CHECK-NOT: gpu.shuffle
// CHECK: math.exp2
// CHECK: gpu.func @persistent_log_softmax_1(
// CHECK-SAME: grid = ["min(cdiv(M, 4), num_sms * 16)", 1, 1]
// CHECK-SAME: params = ["ptr:in", "ptr:out", "i64:M"]
// CHECK: scf.for
// CHECK: %[[VALID:.*]] = arith.cmpi ult, %{{.*}}, %{{.*}} : index
// CHECK: %[[IN_ROW:.*]] = arith.cmpi ult
// CHECK: %[[BOTH:.*]] = arith.andi %[[VALID]], %[[IN_ROW]] : i1
// CHECK: scf.if %[[BOTH]] -> (bf16)
// CHECK-COUNT-5: gpu.shuffle  xor
func.func @persistent(%x: tensor<16384x128xf32>, %s: tensor<?x100xbf16>)
    -> (tensor<16384x128xf32>, tensor<?x100xbf16>) {
  %y = softmax.softmax %x dim(1) : tensor<16384x128xf32>
  %t = softmax.log_softmax %s dim(1) : tensor<?x100xbf16>
  return %y, %t : tensor<16384x128xf32>, tensor<?x100xbf16>
}

// -----

// Another dim than the innermost: the buffer viewed as [outer x dim x
// inner], a thread per (outer, inner) column (neighbouring threads read
// neighbouring elements), or per 16 bytes of columns where the inner size
// is whole vectors of them (600 bf16: 75 vectors of 8, 1 block; 3 blocks of
// single columns where the buffers are not aligned), an online (max,
// count, sum) over the dim for each column, then the outputs; no
// transpose.
// CHECK-LABEL: func.func @columns
// CHECK: %[[XV:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [8, 300, 5], strides: [1500, 5, 1]
// CHECK: gpu.launch_func @softmax_kernels::@columns_softmax_0 blocks in (%{{.*}}, %{{.*}}, %{{.*}}) threads in (%{{.*}}, %{{.*}}, %{{.*}}) args(%[[XV]] : memref<8x300x5xf32>
// CHECK: %[[Z:.*]] = memref.reinterpret_cast %{{.*}} to offset: [0], sizes: [1, 1000, 600], strides: [600000, 600, 1] : memref<1000x600xbf16> to memref<1x1000x600xbf16>
// CHECK: gpu.launch_func @softmax_kernels::@columns_log_softmax_1 blocks
// CHECK: gpu.launch_func @softmax_kernels::@columns_log_softmax_1_unaligned blocks
// CHECK: gpu.func @columns_softmax_0(%[[IN:.*]]: memref<8x300x5xf32>, %[[OUT:.*]]: memref<8x300x5xf32>) kernel
// CHECK-SAME: known_block_size = array<i32: 256, 1, 1>
// CHECK-SAME: inner = 5 : i64, launches = [{block = [256, 1, 1], grid = [8, 1, 1], kernel = "columns_softmax_0", params = ["ptr:in", "ptr:out"]}], op = "softmax", shape = [8, 300], strategy = "column"
// CHECK: %[[ID:.*]] = gpu.block_id x
// CHECK: %[[BLOCKS:.*]] = arith.ceildivui
// CHECK: %[[GROUP:.*]] = arith.addi
// CHECK: %[[COL:.*]] = arith.muli %[[GROUP]], %c1 : index
// CHECK: %[[OUTER:.*]] = arith.divui %[[ID]], %[[BLOCKS]] : index
// CHECK: scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: memref.load %[[IN]][%[[OUTER]], %[[K]], %[[COL]]]
// CHECK: arith.maximumf
// CHECK: scf.for %[[K2:.*]] =
// CHECK: memref.store %{{.*}}, %[[OUT]][%[[OUTER]], %[[K2]], %[[COL]]]
// CHECK-NOT: gpu.barrier
// CHECK: gpu.func @columns_log_softmax_1(%[[IN2:[^:]*]]: memref<1x1000x600xbf16>
// CHECK-SAME: alignment = 16 : i64
// CHECK-SAME: grid = [1, 1, 1]
// CHECK: scf.for {{.*}} -> (f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32, f32)
// CHECK: vector.load %[[IN2]]{{.*}} {alignment = 16 : i64} : memref<1x1000x600xbf16>, vector<8xbf16>
// CHECK: vector.store %{{.*}} {alignment = 16 : i64} : memref<1x1000x600xbf16>, vector<8xbf16>
// CHECK: gpu.func @columns_log_softmax_1_unaligned(
// CHECK-SAME: grid = [3, 1, 1]
func.func @columns(%x: tensor<8x300x5xf32>, %z: tensor<1000x600xbf16>)
    -> (tensor<8x300x5xf32>, tensor<1000x600xbf16>) {
  %y = softmax.softmax %x dim(1) : tensor<8x300x5xf32>
  %w = softmax.log_softmax %z dim(0) : tensor<1000x600xbf16>
  return %y, %w : tensor<8x300x5xf32>, tensor<1000x600xbf16>
}

// -----

// A row length known at run time (by_length): a variant for each range of
// lengths (up to 32, 256, 1024, 4096, 32768, and split rows beyond), the
// first whose range holds the length taken at run time; each with vector
// kernels where the buffers and the length allow (16 bytes), else
// element-wise ones. The kernels take stubs of the buffers, the rows M and
// the length N.
// CHECK-LABEL: func.func @by_length
// CHECK-SAME: (%[[X:.*]]: memref<?x?xf32>, %[[Y:.*]]: memref<?x?xf32>)
// CHECK: %[[M:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x?xf32>
// CHECK: %[[N:.*]] = memref.dim %[[X]], %{{.*}} : memref<?x?xf32>
// CHECK: %[[ANY_M:.*]] = arith.cmpi ne, %[[M]], %{{.*}} : index
// CHECK: %[[ANY_N:.*]] = arith.cmpi ne, %[[N]], %{{.*}} : index
// CHECK: %[[ANY:.*]] = arith.andi %[[ANY_M]], %[[ANY_N]] : i1
// CHECK: scf.if %[[ANY]] {
// CHECK: %[[LE32:.*]] = arith.cmpi ule, %[[N]], %c32 : index
// CHECK: scf.if %[[LE32]] {
// CHECK: %[[PTRS:.*]] = arith.ori
// CHECK: %[[BYTES:.*]] = arith.muli %[[N]], %c4 : index
// CHECK: %[[ALL:.*]] = arith.ori %[[PTRS]], %[[BYTES]] : index
// CHECK: arith.remui %[[ALL]], %c16 : index
// CHECK: %[[XS:.*]] = memref.reinterpret_cast %[[X]] to offset: [0], sizes: [1], strides: [1] : memref<?x?xf32> to memref<1xf32>
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n32 blocks in {{.*}} args(%[[XS]] : memref<1xf32>, %{{.*}} : memref<1xf32>, %[[M]] : index, %[[N]] : index)
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n32_unaligned
// CHECK: arith.cmpi ule, %[[N]], %c256 : index
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n256 blocks
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n256_unaligned
// CHECK: arith.cmpi ule, %[[N]], %c1024 : index
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n1024 blocks
// CHECK: arith.cmpi ule, %[[N]], %c4096 : index
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n4096 blocks
// CHECK: arith.cmpi ule, %[[N]], %c32768 : index
// CHECK: gpu.launch_func @softmax_kernels::@by_length_softmax_0_n32768 blocks
// Element-wise rows of up to 32768: split (a bounds test for each of 32
// elements a thread would spill).
// CHECK: gpu.launch_func async [%{{.*}}] @softmax_kernels::@by_length_softmax_0_n32768_unaligned_stats
// CHECK: } else {
// CHECK: %[[CHUNKS:.*]] = arith.ceildivui %[[N]], %c8192 : index
// CHECK: %[[BLOCKS:.*]] = arith.muli %[[M]], %[[CHUNKS]] : index
// CHECK: %[[CHUNKS2:.*]] = arith.ceildivui %[[N]], %c8192{{.*}} : index
// CHECK: gpu.alloc async [%{{.*}}] (%[[M]], %[[CHUNKS2]]) : memref<?x?x3xf32>
// CHECK: gpu.launch_func async [%{{.*}}] @softmax_kernels::@by_length_softmax_0_long_stats blocks in (%[[BLOCKS]], %{{.*}}, %{{.*}})
// CHECK: gpu.launch_func async [%{{.*}}] @softmax_kernels::@by_length_softmax_0_long blocks in (%[[BLOCKS]], %{{.*}}, %{{.*}})
// CHECK: gpu.func @by_length_softmax_0_n32(
// CHECK-SAME: launches = [{block = [32, 4, 1], grid = ["min(cdiv(M, 32), num_sms * 16)", 1, 1], kernel = "by_length_softmax_0_n32", params = ["ptr:in", "ptr:out", "i64:M", "i64:N"]}], lengths = [1, 32]
// CHECK-SAME: shape = [-1, -1], strategy = "persistent_row"
// CHECK: gpu.func @by_length_softmax_0_n1024(%[[IN:.*]]: memref<1xf32>, %{{.*}}: memref<1xf32>, %[[KM:.*]]: index, %[[KN:.*]]: index) kernel
// CHECK-SAME: lengths = [257, 1024]
// CHECK: memref.reinterpret_cast %[[IN]] to offset: [0], sizes: [%[[KM]], %[[KN]]], strides: [%{{.*}}, 1] : memref<1xf32> to memref<?x?xf32, strided<[?, 1]>>
// CHECK: %[[VECTORS:.*]] = arith.divui %[[KN]], %c4{{.*}} : index
// CHECK: scf.for
// CHECK: arith.cmpi ult, %{{.*}}, %[[VECTORS]] : index
// CHECK: gpu.func @by_length_softmax_0_n4096(
// CHECK-SAME: strategy = "block_row"
// CHECK: gpu.func @by_length_softmax_0_long(
// CHECK-SAME: lengths = [32769, -1]
// CHECK-SAME: strategy = "split_row", workspace = ["M * cdiv(N, 8192) * 12"]
func.func @by_length(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// Columns of sizes known at run time: the kernels take stubs and the outer
// size M, the length N and the inner size K; the vector kernels need K to
// be whole 16-byte vectors as well as the buffers aligned.
// CHECK-LABEL: func.func @dynamic_columns
// CHECK-SAME: (%[[X:.*]]: memref<?x?x?xf32>, %[[Y:.*]]: memref<?x?x?xf32>)
// CHECK-DAG: %[[M:.*]] = memref.dim %[[X]], %c0
// CHECK-DAG: %[[N:.*]] = memref.dim %[[X]], %c1
// CHECK-DAG: %[[K:.*]] = memref.dim %[[X]], %c2
// CHECK: scf.if
// CHECK: %[[KB:.*]] = arith.muli %[[K]], %c4{{.*}} : index
// CHECK: arith.ori %{{.*}}, %[[KB]] : index
// CHECK: %[[XS:.*]] = memref.reinterpret_cast %[[X]] to offset: [0], sizes: [1], strides: [1] : memref<?x?x?xf32> to memref<1xf32>
// CHECK: gpu.launch_func @softmax_kernels::@dynamic_columns_softmax_0 blocks in {{.*}} args(%[[XS]] : memref<1xf32>, %{{.*}} : memref<1xf32>, %[[M]] : index, %[[N]] : index, %[[K]] : index)
// CHECK: gpu.func @dynamic_columns_softmax_0(%[[IN:[^:]*]]: memref<1xf32>, %{{.*}}: memref<1xf32>, %[[KM:.*]]: index, %[[KN:.*]]: index, %[[KK:.*]]: index)
// CHECK-SAME: grid = ["M * cdiv(K, 1024)", 1, 1]
// CHECK-SAME: params = ["ptr:in", "ptr:out", "i64:M", "i64:N", "i64:K"]
// CHECK: memref.reinterpret_cast %[[IN]] to offset: [0], sizes: [%[[KM]], %[[KN]], %[[KK]]]
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[KN]]
// CHECK: vector.load {{.*}} vector<4xf32>
func.func @dynamic_columns(%x: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}

// -----

// One softmax feeding another: the first writes a new buffer (its result
// is no function result), handed on by a writable to_tensor; the second
// reads it through a to_buffer, so that One-Shot Bufferize sees that read
// before any later in-place write of the tensor (an argument's to_tensor,
// which nothing writes, is read directly).
// CHECK-LABEL: func.func @chained(
// CHECK-SAME: %[[X:.*]]: memref<4x64xf32>, %[[Z:.*]]: memref<4x64xf32>
// CHECK: %[[TMP:.*]] = memref.alloc() : memref<4x64xf32>
// CHECK: gpu.launch_func @softmax_kernels::@chained_softmax_0 {{.*}} args(%[[X]] : memref<4x64xf32>, %[[TMP]] : memref<4x64xf32>)
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[TMP]] restrict writable
// CHECK: %[[B:.*]] = bufferization.to_buffer %[[T]] read_only
// CHECK: gpu.launch_func @softmax_kernels::@chained_log_softmax_1 {{.*}} args(%[[B]] : memref<4x64xf32>, %[[Z]] : memref<4x64xf32>)
// CHECK-NOT: softmax.

// -----

// A softmax of a computed tensor into a computed tensor: it reads the
// tensor's buffer (to_buffer, resolved by One-Shot Bufferize) and writes a
// new one whose to_tensor the consumer takes; its rows are dynamic, so the
// new buffer takes the input's.
// CHECK-LABEL: func.func @between(
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: %[[IN:.*]] = bufferization.to_buffer %[[A]] read_only : tensor<?x64xf32> to memref<?x64xf32>
// CHECK: %[[ROWS:.*]] = memref.dim %[[IN]], %c0
// CHECK: %[[OUT:.*]] = memref.alloc(%[[ROWS]]) : memref<?x64xf32>
// CHECK: scf.if
// CHECK: gpu.launch_func @softmax_kernels::@between_softmax_0
// CHECK: %[[T:.*]] = bufferization.to_tensor %[[OUT]] restrict writable
// CHECK: linalg.generic {{.*}} ins(%[[T]], %[[T]] :
func.func @chained(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x64xf32>
  %z = softmax.log_softmax %y dim(1) : tensor<4x64xf32>
  return %z : tensor<4x64xf32>
}
func.func @between(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x64xf32>
  %e = tensor.empty(%n) : tensor<?x64xf32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %in : f32
    linalg.yield %s : f32
  } -> tensor<?x64xf32>
  %y = softmax.softmax %a dim(1) : tensor<?x64xf32>
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y, %y : tensor<?x64xf32>, tensor<?x64xf32>) outs(%e : tensor<?x64xf32>) {
  ^bb0(%in: f32, %in2: f32, %out: f32):
    %m = arith.mulf %in, %in2 : f32
    linalg.yield %m : f32
  } -> tensor<?x64xf32>
  return %z : tensor<?x64xf32>
}
