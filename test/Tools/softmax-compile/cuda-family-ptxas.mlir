// REQUIRES: ptxas, cuda-toolkit
// The family's kernels (and masked softmax's) assemble for sm_90 and sm_80
// with no spills and no stack, at the longest rows each holds in a warp's
// and in a block's registers, vectorized and element-wise (the _unaligned
// twins): 2 kernels for each of the 23 functions, and no stack in the
// libdevice functions they call.

// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %s --target=cuda --emit=ptx -o %t/k.ptx
// RUN: %ptxas -arch=sm_90 -v %t/k.ptx -o %t/k.cubin 2> %t/ptxas.log
// RUN: softmax-compile %s --target=cuda --chip=sm_80 --emit=ptx -o %t/k80.ptx
// RUN: %ptxas -arch=sm_80 -v %t/k80.ptx -o %t/k80.cubin 2> %t/ptxas80.log
// RUN: grep -c "Compiling entry function" %t/ptxas.log | FileCheck %s
// RUN: grep -c "Compiling entry function" %t/ptxas80.log | FileCheck %s
// RUN: not grep -E "[1-9][0-9]* bytes (stack frame|spill)" %t/ptxas.log %t/ptxas80.log
// CHECK: 46

// The sidecar names the parameters a host passes.
// RUN: FileCheck %s --check-prefix=CE < %t/k.ce_block_grad_cross_entropy_grad_0.json
// CE: "kernel": "ce_block_grad_cross_entropy_grad_0"
// CE: "op": "cross_entropy_grad"
// CE: "params": [
// CE-NEXT: "ptr:logits",
// CE-NEXT: "ptr:labels",
// CE-NEXT: "ptr:dloss",
// CE-NEXT: "ptr:out"
// CE: "strategy": "block_row"

func.func @sg_warp(%y: tensor<64x1024xf32>, %dy: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %r = softmax.softmax_grad %y, %dy dim(1) : tensor<64x1024xf32>
  return %r : tensor<64x1024xf32>
}
func.func @sg_block(%y: tensor<8x8192xf32>, %dy: tensor<8x8192xf32>) -> tensor<8x8192xf32> {
  %r = softmax.softmax_grad %y, %dy dim(1) : tensor<8x8192xf32>
  return %r : tensor<8x8192xf32>
}
func.func @lsg_block(%y: tensor<8x16384xbf16>, %dy: tensor<8x16384xbf16>) -> tensor<8x16384xbf16> {
  %r = softmax.log_softmax_grad %y, %dy dim(1) : tensor<8x16384xbf16>
  return %r : tensor<8x16384xbf16>
}
func.func @lsg_warp(%y: tensor<64x1000xf16>, %dy: tensor<64x1000xf16>) -> tensor<64x1000xf16> {
  %r = softmax.log_softmax_grad %y, %dy dim(1) : tensor<64x1000xf16>
  return %r : tensor<64x1000xf16>
}
func.func @sp_warp(%x: tensor<64x1024xf32>) -> tensor<64x1024xf32> {
  %r = softmax.sparsemax %x dim(1) : tensor<64x1024xf32>
  return %r : tensor<64x1024xf32>
}
func.func @sp_block(%x: tensor<8x8192xbf16>) -> tensor<8x8192xbf16> {
  %r = softmax.sparsemax %x dim(1) : tensor<8x8192xbf16>
  return %r : tensor<8x8192xbf16>
}
func.func @spg_block(%y: tensor<8x8192xf32>, %dy: tensor<8x8192xf32>) -> tensor<8x8192xf32> {
  %r = softmax.sparsemax_grad %y, %dy dim(1) : tensor<8x8192xf32>
  return %r : tensor<8x8192xf32>
}
func.func @em15_warp(%x: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %r = softmax.entmax %x dim(1) alpha(1.5) : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
func.func @em15_block(%x: tensor<8x4096xf32>) -> tensor<8x4096xf32> {
  %r = softmax.entmax %x dim(1) alpha(1.5) : tensor<8x4096xf32>
  return %r : tensor<8x4096xf32>
}
func.func @em125_warp(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %r = softmax.entmax %x dim(1) alpha(1.25) : tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}
func.func @em125_block(%x: tensor<8x2048xbf16>) -> tensor<8x2048xbf16> {
  %r = softmax.entmax %x dim(1) alpha(1.25) : tensor<8x2048xbf16>
  return %r : tensor<8x2048xbf16>
}
func.func @em3_warp(%x: tensor<64x512xf16>) -> tensor<64x512xf16> {
  %r = softmax.entmax %x dim(1) alpha(3.0) : tensor<64x512xf16>
  return %r : tensor<64x512xf16>
}
func.func @em3_block(%x: tensor<8x2048xf32>) -> tensor<8x2048xf32> {
  %r = softmax.entmax %x dim(1) alpha(3.0) : tensor<8x2048xf32>
  return %r : tensor<8x2048xf32>
}
func.func @emg_warp(%y: tensor<64x512xf32>, %dy: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %r = softmax.entmax_grad %y, %dy dim(1) alpha(1.5) : tensor<64x512xf32>
  return %r : tensor<64x512xf32>
}
func.func @emg_block(%y: tensor<8x2048xf32>, %dy: tensor<8x2048xf32>) -> tensor<8x2048xf32> {
  %r = softmax.entmax_grad %y, %dy dim(1) alpha(1.25) : tensor<8x2048xf32>
  return %r : tensor<8x2048xf32>
}
func.func @ce_warp(%x: tensor<64x1024xf32>, %l: tensor<64xi64>) -> tensor<64xf32> {
  %r = softmax.cross_entropy %x, %l dim(1) {label_smoothing = 0.1 : f64} : tensor<64x1024xf32>, tensor<64xi64> -> tensor<64xf32>
  return %r : tensor<64xf32>
}
func.func @ce_block(%x: tensor<8x32000xf32>, %l: tensor<8xi32>) -> tensor<8xf32> {
  %r = softmax.cross_entropy %x, %l dim(1) : tensor<8x32000xf32>, tensor<8xi32> -> tensor<8xf32>
  return %r : tensor<8xf32>
}
func.func @ce_block_grad(%x: tensor<8x16384xf32>, %l: tensor<8xi64>, %d: tensor<8xf32>) -> tensor<8x16384xf32> {
  %r = softmax.cross_entropy_grad %x, %l, %d dim(1) {label_smoothing = 0.1 : f64} : tensor<8x16384xf32>, tensor<8xi64>, tensor<8xf32> -> tensor<8x16384xf32>
  return %r : tensor<8x16384xf32>
}
func.func @ceg_warp(%x: tensor<64x1000xf16>, %l: tensor<64xi64>, %d: tensor<64xf16>) -> tensor<64x1000xf16> {
  %r = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<64x1000xf16>, tensor<64xi64>, tensor<64xf16> -> tensor<64x1000xf16>
  return %r : tensor<64x1000xf16>
}
func.func @mask_warp(%x: tensor<2x8x128x128xf32>, %m: tensor<128x128xi1>) -> tensor<2x8x128x128xf32> {
  %r = softmax.softmax %x mask(%m : tensor<128x128xi1>) dim(3) {causal, scale = 0.125 : f64} : tensor<2x8x128x128xf32>
  return %r : tensor<2x8x128x128xf32>
}
func.func @mask_block(%x: tensor<4x16384xbf16>, %m: tensor<4x16384xbf16>) -> tensor<4x16384xbf16> {
  %r = softmax.log_softmax %x mask(%m : tensor<4x16384xbf16>) dim(1) : tensor<4x16384xbf16>
  return %r : tensor<4x16384xbf16>
}
func.func @causal_block(%x: tensor<2x2048x2048xf16>) -> tensor<2x2048x2048xf16> {
  %r = softmax.softmax %x dim(2) {causal, causal_offset = -3 : i64} : tensor<2x2048x2048xf16>
  return %r : tensor<2x2048x2048xf16>
}
func.func @scale_warp(%x: tensor<64x32xf32>) -> tensor<64x32xf32> {
  %r = softmax.softmax %x dim(1) {scale = 0.5 : f64} : tensor<64x32xf32>
  return %r : tensor<64x32xf32>
}
