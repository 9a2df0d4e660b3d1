// RUN: softmax-opt %s --softmax-gpu-strategy --softmax-export-c-abi --inline \
// RUN:   --canonicalize --convert-softmax-to-gpu --split-input-file \
// RUN:   --verify-diagnostics

func.func @pinned_dynamic_length(%x: tensor<4x?xf32>) -> tensor<4x?xf32> {
  // expected-error @below {{the row strategies need the innermost dim, of a static size (by_length takes one known at run time; other dims take the column strategy)}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "block_row"} : tensor<4x?xf32>
  return %y : tensor<4x?xf32>
}

// -----

// 2^30 rows of two chunks: 2^31 blocks, one more than a grid holds.
func.func @too_many_split_blocks(%x: tensor<1073741824x16384xbf16>) -> tensor<1073741824x16384xbf16> {
  // expected-error @below {{the split_row strategy needs 2147483648 blocks, more than a grid holds (2147483647)}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "split_row"} : tensor<1073741824x16384xbf16>
  return %y : tensor<1073741824x16384xbf16>
}

// -----

func.func @f64(%x: tensor<4x64xf64>) -> tensor<4x64xf64> {
  // expected-error @below {{element type 'f64' has no GPU lowering yet (f16, bf16, f32)}}
  %y = softmax.softmax %x dim(1) : tensor<4x64xf64>
  return %y : tensor<4x64xf64>
}

// -----

func.func @pinned_outer_dim(%x: tensor<64x64xf32>) -> tensor<64x64xf32> {
  // expected-error @below {{the row strategies need the innermost dim, of a static size (by_length takes one known at run time; other dims take the column strategy)}}
  %y = softmax.softmax %x dim(0) {softmax.gpu_strategy = "warp_row"} : tensor<64x64xf32>
  return %y : tensor<64x64xf32>
}

// -----

func.func @pinned_too_long(%x: tensor<2x65536xf32>) -> tensor<2x65536xf32> {
  // expected-error @below {{rows of 65536 elements are longer than the "block_row" strategy holds (32768)}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "block_row"} : tensor<2x65536xf32>
  return %y : tensor<2x65536xf32>
}

// -----

func.func @pinned_long_warp(%x: tensor<4x2049xf32>) -> tensor<4x2049xf32> {
  // expected-error @below {{rows of 2049 elements are longer than the "warp_row" strategy holds (2048)}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "warp_row"} : tensor<4x2049xf32>
  return %y : tensor<4x2049xf32>
}

// -----

func.func @pinned_long_persistent(%x: tensor<4x1025xf32>) -> tensor<4x1025xf32> {
  // expected-error @below {{rows of 1025 elements are longer than the "persistent_row" strategy holds (1024)}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "persistent_row"} : tensor<4x1025xf32>
  return %y : tensor<4x1025xf32>
}

// -----

// 2^23 outer indices of 2^16 columns: 2^31 blocks of 256 columns (for
// buffers that are not aligned: a column a thread).
func.func @too_many_column_blocks(%x: tensor<8388608x2x65536xf32>) -> tensor<8388608x2x65536xf32> {
  // expected-error @below {{the column strategy needs 2147483648 blocks, more than a grid holds (2147483647)}}
  %y = softmax.softmax %x dim(1) : tensor<8388608x2x65536xf32>
  return %y : tensor<8388608x2x65536xf32>
}

// -----

// A row longer than a block's registers hold for the op.
func.func @grad_too_long(%y: tensor<4x16384xf32>, %dy: tensor<4x16384xf32>) -> tensor<4x16384xf32> {
  // expected-error @below {{rows of 16384 elements are longer than the GPU lowering of 'softmax.softmax_grad' holds for 'f32' (8192 in a block's registers; longer rows are not supported on the GPU yet)}}
  %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<4x16384xf32>
  return %dx : tensor<4x16384xf32>
}

// -----

func.func @entmax_dynamic(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  // expected-error @below {{'softmax.entmax' has a GPU lowering for static shapes reduced along the innermost dim so far}}
  %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}

// -----

func.func @sparsemax_outer_dim(%x: tensor<64x8xf32>) -> tensor<64x8xf32> {
  // expected-error @below {{'softmax.sparsemax' takes the warp_row and block_row strategies on the GPU so far (a row in registers, of up to 32768 elements), not 'column'}}
  %y = softmax.sparsemax %x dim(0) : tensor<64x8xf32>
  return %y : tensor<64x8xf32>
}

// -----

func.func @pinned_persistent(%x: tensor<64x8xf32>, %l: tensor<64xi64>) -> tensor<64xf32> {
  // expected-error @below {{'softmax.cross_entropy' takes the warp_row and block_row strategies on the GPU so far (a row in registers, of up to 32768 elements), not 'persistent_row'}}
  %y = softmax.cross_entropy %x, %l dim(1) {softmax.gpu_strategy = "persistent_row"} : tensor<64x8xf32>, tensor<64xi64> -> tensor<64xf32>
  return %y : tensor<64xf32>
}


// -----

func.func @masked_f64(%x: tensor<4x64xf64>) -> tensor<4x64xf64> {
  // expected-error @below {{element type 'f64' has no GPU lowering yet (f16, bf16, f32)}}
  %y = softmax.softmax %x dim(1) {causal} : tensor<4x64xf64>
  return %y : tensor<4x64xf64>
}

// -----

func.func @dynamic_mask(%x: tensor<4x16xf32>, %m: tensor<?x16xi1>) -> tensor<4x16xf32> {
  // expected-error @below {{the GPU lowering needs a mask of a static shape}}
  %y = softmax.softmax %x mask(%m : tensor<?x16xi1>) dim(1) : tensor<4x16xf32>
  return %y : tensor<4x16xf32>
}

// -----

// A family op's result of a dynamic shape (the operands' are static where
// the kernels need them) has no GPU lowering.
func.func @ce_dynamic_loss(%x: tensor<2x4x8xf32>, %l: tensor<?x4xi32>) -> tensor<?x4xf32> {
  // expected-error @below {{'softmax.cross_entropy' has a GPU lowering for static shapes reduced along the innermost dim so far}}
  %r = softmax.cross_entropy %x, %l dim(2) : tensor<2x4x8xf32>, tensor<?x4xi32> -> tensor<?x4xf32>
  return %r : tensor<?x4xf32>
}
