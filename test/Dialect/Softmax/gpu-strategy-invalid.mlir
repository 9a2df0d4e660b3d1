// RUN: softmax-opt %s --softmax-gpu-strategy --split-input-file --verify-diagnostics

func.func @unknown(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @below {{unknown softmax.gpu_strategy "thread_row" (expected "warp_row", "persistent_row", "block_row", "split_row", "by_length" or "column")}}
  %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "thread_row"} : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}

// -----

func.func @not_a_string(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  // expected-error @below {{unknown softmax.gpu_strategy 1 : i64 (expected "warp_row", "persistent_row", "block_row", "split_row", "by_length" or "column")}}
  %y = softmax.log_softmax %x dim(1) {softmax.gpu_strategy = 1} : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
