// RUN: softmax-opt %s --softmax-gpu-strategy --split-input-file | FileCheck %s

// Rows of up to 1024 elements: a warp per row; fewer than 16384 of them.
// CHECK-LABEL: func.func @warp_rows
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.gpu_strategy = "warp_row"}
// CHECK: softmax.log_softmax %{{.*}} dim(2) {softmax.gpu_strategy = "warp_row"}
// CHECK: softmax.softmax %{{.*}} dim(0) {softmax.gpu_strategy = "warp_row"}
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.gpu_strategy = "warp_row"} : tensor<16383x1024xf32>
func.func @warp_rows(%a: tensor<4096x1024xf32>, %b: tensor<2x8x128xbf16>,
                     %c: tensor<32xf16>, %d: tensor<16383x1024xf32>)
    -> (tensor<4096x1024xf32>, tensor<2x8x128xbf16>, tensor<32xf16>,
        tensor<16383x1024xf32>) {
  %0 = softmax.softmax %a dim(1) : tensor<4096x1024xf32>
  %1 = softmax.log_softmax %b dim(2) : tensor<2x8x128xbf16>
  %2 = softmax.softmax %c dim(0) : tensor<32xf16>
  %3 = softmax.softmax %d dim(1) : tensor<16383x1024xf32>
  return %0, %1, %2, %3 : tensor<4096x1024xf32>, tensor<2x8x128xbf16>, tensor<32xf16>, tensor<16383x1024xf32>
}

// -----

// Many such rows (16384 or more), or rows counted at run time: a persistent
// grid. Rows of 1025 elements are too long for it: warp rows (up to 2048,
// 64 elements a lane), however many.
// CHECK-LABEL: func.func @persistent_rows
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "persistent_row"} : tensor<16384x1024xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.gpu_strategy = "persistent_row"} : tensor<128x4096x32xbf16>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "persistent_row"} : tensor<?x100xf16>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "warp_row"} : tensor<65536x1025xf32>
func.func @persistent_rows(%a: tensor<16384x1024xf32>,
                           %b: tensor<128x4096x32xbf16>, %c: tensor<?x100xf16>,
                           %d: tensor<65536x1025xf32>)
    -> (tensor<16384x1024xf32>, tensor<128x4096x32xbf16>, tensor<?x100xf16>,
        tensor<65536x1025xf32>) {
  %0 = softmax.softmax %a dim(1) : tensor<16384x1024xf32>
  %1 = softmax.log_softmax %b dim(2) : tensor<128x4096x32xbf16>
  %2 = softmax.softmax %c dim(1) : tensor<?x100xf16>
  %3 = softmax.softmax %d dim(1) : tensor<65536x1025xf32>
  return %0, %1, %2, %3 : tensor<16384x1024xf32>, tensor<128x4096x32xbf16>, tensor<?x100xf16>, tensor<65536x1025xf32>
}

// -----

// Rows of 1025 to 2048 elements: warp rows of up to 64 elements a lane;
// longer rows, up to 32 elements a thread of 1024, a block per row; few
// rows shorter than two chunks (16384) too.
// CHECK-LABEL: func.func @block_rows
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "warp_row"} : tensor<64x1025xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "warp_row"} : tensor<64x2048xbf16>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "block_row"} : tensor<64x2049xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "block_row"} : tensor<64x32768xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.gpu_strategy = "block_row"} : tensor<128x32768xbf16>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "block_row"} : tensor<2x8193xf32>
func.func @block_rows(%a: tensor<64x1025xf32>, %b: tensor<64x32768xf32>,
                      %c: tensor<128x32768xbf16>, %d: tensor<2x8193xf32>,
                      %e: tensor<64x2048xbf16>, %f: tensor<64x2049xf32>)
    -> (tensor<64x1025xf32>, tensor<64x32768xf32>, tensor<128x32768xbf16>,
        tensor<2x8193xf32>, tensor<64x2048xbf16>, tensor<64x2049xf32>) {
  %0 = softmax.softmax %a dim(1) : tensor<64x1025xf32>
  %4 = softmax.softmax %e dim(1) : tensor<64x2048xbf16>
  %5 = softmax.softmax %f dim(1) : tensor<64x2049xf32>
  %1 = softmax.softmax %b dim(1) : tensor<64x32768xf32>
  %2 = softmax.log_softmax %c dim(1) : tensor<128x32768xbf16>
  %3 = softmax.softmax %d dim(1) : tensor<2x8193xf32>
  return %0, %1, %2, %3, %4, %5 : tensor<64x1025xf32>, tensor<64x32768xf32>, tensor<128x32768xbf16>, tensor<2x8193xf32>, tensor<64x2048xbf16>, tensor<64x2049xf32>
}

// -----

// Split rows: longer than a block holds (any number of rows, any type), or
// fewer than 64 rows of at least two chunks of 8192.
// CHECK-LABEL: func.func @split_rows
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "split_row"} : tensor<256x65536xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "split_row"} : tensor<1x1048576xbf16>
// CHECK: softmax.log_softmax %{{.*}} {softmax.gpu_strategy = "split_row"} : tensor<8x16384xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "split_row"} : tensor<2x32769xf32>
func.func @split_rows(%a: tensor<256x65536xf32>, %b: tensor<1x1048576xbf16>,
                      %c: tensor<8x16384xf32>, %d: tensor<2x32769xf32>)
    -> (tensor<256x65536xf32>, tensor<1x1048576xbf16>, tensor<8x16384xf32>,
        tensor<2x32769xf32>) {
  %0 = softmax.softmax %a dim(1) : tensor<256x65536xf32>
  %1 = softmax.softmax %b dim(1) : tensor<1x1048576xbf16>
  %2 = softmax.log_softmax %c dim(1) : tensor<8x16384xf32>
  %3 = softmax.softmax %d dim(1) : tensor<2x32769xf32>
  return %0, %1, %2, %3 : tensor<256x65536xf32>, tensor<1x1048576xbf16>, tensor<8x16384xf32>, tensor<2x32769xf32>
}

// -----

// Dynamic rows count as many (a persistent grid for short rows, no split
// below two chunks of a static row length).
// CHECK-LABEL: func.func @dynamic_rows
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "persistent_row"} : tensor<?x1024xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "block_row"} : tensor<?x2x16384xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.gpu_strategy = "split_row"} : tensor<?x65536xbf16>
func.func @dynamic_rows(%a: tensor<?x1024xf32>, %b: tensor<?x2x16384xf32>,
                        %c: tensor<?x65536xbf16>)
    -> (tensor<?x1024xf32>, tensor<?x2x16384xf32>, tensor<?x65536xbf16>) {
  %0 = softmax.softmax %a dim(1) : tensor<?x1024xf32>
  %1 = softmax.softmax %b dim(2) : tensor<?x2x16384xf32>
  %2 = softmax.softmax %c dim(1) : tensor<?x65536xbf16>
  return %0, %1, %2 : tensor<?x1024xf32>, tensor<?x2x16384xf32>, tensor<?x65536xbf16>
}

// -----

// A row length known at run time: variants by length, chosen at run time.
// Another dim than the innermost: a thread per column (or 16 bytes of
// them), any sizes. A pinned strategy stays.
// CHECK-LABEL: func.func @other_cases
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.gpu_strategy = "by_length"} : tensor<64x?xf32>
// CHECK: softmax.log_softmax %{{.*}} dim(0) {softmax.gpu_strategy = "by_length"} : tensor<?xbf16>
// CHECK: softmax.softmax %{{.*}} dim(0) {softmax.gpu_strategy = "column"} : tensor<64x64xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.gpu_strategy = "block_row"} : tensor<64x64xf32>
// CHECK: softmax.log_softmax %{{.*}} dim(0) {softmax.gpu_strategy = "column"} : tensor<?x64xf32>
func.func @other_cases(%c: tensor<64x?xf32>, %f: tensor<?xbf16>,
                       %d: tensor<64x64xf32>, %e: tensor<?x64xf32>)
    -> (tensor<64x?xf32>, tensor<?xbf16>, tensor<64x64xf32>,
        tensor<64x64xf32>, tensor<?x64xf32>) {
  %2 = softmax.softmax %c dim(1) : tensor<64x?xf32>
  %6 = softmax.log_softmax %f dim(0) : tensor<?xbf16>
  %3 = softmax.softmax %d dim(0) : tensor<64x64xf32>
  %4 = softmax.softmax %d dim(1) {softmax.gpu_strategy = "block_row"} : tensor<64x64xf32>
  %5 = softmax.log_softmax %e dim(0) : tensor<?x64xf32>
  return %2, %6, %3, %4, %5 : tensor<64x?xf32>, tensor<?xbf16>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<?x64xf32>
}

// -----

// The rest of the dialect holds rows in registers: many short rows take a
// warp each (not a persistent grid), few long ones a block (not split
// rows), over their first operand (the gradients' y, the logits); rows
// longer than a block holds are split (which their lowering rejects).
// CHECK-LABEL: func.func @family
// CHECK: softmax.softmax_grad %{{.*}} dim(1) {softmax.gpu_strategy = "warp_row"} : tensor<65536x128xf32>
// CHECK: softmax.cross_entropy %{{.*}} dim(1) {softmax.gpu_strategy = "block_row"} : tensor<4x32000xbf16>
// CHECK: softmax.sparsemax %{{.*}} dim(1) {softmax.gpu_strategy = "split_row"} : tensor<2x65536xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {causal, softmax.gpu_strategy = "warp_row"} : tensor<64x64xf32>
// CHECK: softmax.entmax %{{.*}} dim(0) alpha(1.500000e+00) {softmax.gpu_strategy = "column"} : tensor<64x64xf32>
func.func @family(%y: tensor<65536x128xf32>, %x: tensor<4x32000xbf16>,
                  %l: tensor<4xi64>, %s: tensor<2x65536xf32>,
                  %m: tensor<64x64xf32>)
    -> (tensor<65536x128xf32>, tensor<4xbf16>, tensor<2x65536xf32>,
        tensor<64x64xf32>, tensor<64x64xf32>) {
  %0 = softmax.softmax_grad %y, %y dim(1) : tensor<65536x128xf32>
  %1 = softmax.cross_entropy %x, %l dim(1) : tensor<4x32000xbf16>, tensor<4xi64> -> tensor<4xbf16>
  %2 = softmax.sparsemax %s dim(1) : tensor<2x65536xf32>
  %3 = softmax.softmax %m dim(1) {causal} : tensor<64x64xf32>
  %4 = softmax.entmax %m dim(0) alpha(1.5) : tensor<64x64xf32>
  return %0, %1, %2, %3, %4 : tensor<65536x128xf32>, tensor<4xbf16>, tensor<2x65536xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}
