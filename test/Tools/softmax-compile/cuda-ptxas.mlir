// REQUIRES: ptxas, cuda-toolkit
// Every kernel assembles for sm_90 and sm_80 with no spills and no stack;
// the register counts are in the ptxas output of this test's log. Cubins
// through the pipeline's own ptxas run.

// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %s --target=cuda --emit=ptx -o %t/k.ptx
// RUN: %ptxas -arch=sm_90 -v %t/k.ptx -o %t/k.cubin 2> %t/ptxas.log
// RUN: softmax-compile %s --target=cuda --chip=sm_80 --emit=ptx -o %t/k80.ptx
// RUN: %ptxas -arch=sm_80 -v %t/k80.ptx -o %t/k80.cubin 2> %t/ptxas80.log
// 16 kernels (the two 4-row ones of 32768 and the dynamic one of 65536 are
// split: two kernels each; three columns, one of sizes known at run time;
// three persistent grids, which ask ptxas for 8 or 16 resident blocks) and
// the element-wise variants of the 13 whose rows (columns) are whole
// 16-byte vectors (for unaligned buffers): 29; and for each of the two ops
// of a length known at run time, the variants of 6 ranges of lengths,
// vector and element-wise (15 and 16 kernels with the split ones; three
// persistent ones each for the dynamic rows).
// RUN: grep -c "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads" %t/ptxas.log | FileCheck %s
// RUN: grep -c "0 bytes stack frame, 0 bytes spill stores, 0 bytes spill loads" %t/ptxas80.log | FileCheck %s
// RUN: not grep -E "[1-9][0-9]* bytes (stack frame|spill)" %t/ptxas.log %t/ptxas80.log
// CHECK: 60
// RUN: grep -c minnctapersm %t/k.ptx | FileCheck %s --check-prefix=PERSISTENT
// PERSISTENT: 11

// RUN: softmax-compile %s --target=cuda --emit=cubin -o %t/c.cubin
// RUN: llvm-readelf -h %t/c.cubin | FileCheck %s --check-prefix=ELF
// ELF: Machine: NVIDIA CUDA
// RUN: FileCheck %s --check-prefix=SIDECAR < %t/c.f32_1024_softmax_0.json
// SIDECAR: "cubin": "c.cubin"

func.func @f32_1024(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4096x1024xf32>
  return %y : tensor<4096x1024xf32>
}
func.func @f32_1025(%x: tensor<64x1025xf32>) -> tensor<64x1025xf32> {
  %y = softmax.softmax %x dim(1) : tensor<64x1025xf32>
  return %y : tensor<64x1025xf32>
}
func.func @bf16_32768(%x: tensor<4x32768xbf16>) -> tensor<4x32768xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<4x32768xbf16>
  return %y : tensor<4x32768xbf16>
}
func.func @f32_32768(%x: tensor<4x32768xf32>) -> tensor<4x32768xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x32768xf32>
  return %y : tensor<4x32768xf32>
}
func.func @f16_128(%x: tensor<100x128xf16>) -> tensor<100x128xf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<100x128xf16>
  return %y : tensor<100x128xf16>
}
func.func @f32_rank1(%x: tensor<512xf32>) -> tensor<512xf32> {
  %y = softmax.softmax %x dim(0) : tensor<512xf32>
  return %y : tensor<512xf32>
}
func.func @f32_dynamic_rows(%x: tensor<?x1024xf32>) -> tensor<?x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x1024xf32>
  return %y : tensor<?x1024xf32>
}
func.func @bf16_dynamic_split(%x: tensor<?x65536xbf16>) -> tensor<?x65536xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x65536xbf16>
  return %y : tensor<?x65536xbf16>
}
func.func @f32_column(%x: tensor<8x300x5xf32>) -> tensor<8x300x5xf32> {
  %y = softmax.softmax %x dim(1) : tensor<8x300x5xf32>
  return %y : tensor<8x300x5xf32>
}
func.func @bf16_column(%x: tensor<1000x600xbf16>) -> tensor<1000x600xbf16> {
  %y = softmax.log_softmax %x dim(0) : tensor<1000x600xbf16>
  return %y : tensor<1000x600xbf16>
}
func.func @bf16_many_64(%x: tensor<65536x64xbf16>) -> tensor<65536x64xbf16> {
  %y = softmax.softmax %x dim(1) : tensor<65536x64xbf16>
  return %y : tensor<65536x64xbf16>
}
func.func @f16_dynamic_100(%x: tensor<?x100xf16>) -> tensor<?x100xf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x100xf16>
  return %y : tensor<?x100xf16>
}
func.func @f32_dynamic_length(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
func.func @bf16_few_rows_dynamic_length(%x: tensor<4x?xbf16>) -> tensor<4x?xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<4x?xbf16>
  return %y : tensor<4x?xbf16>
}
func.func @f32_dynamic_column(%x: tensor<?x?x?xf32>) -> tensor<?x?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?x?xf32>
  return %y : tensor<?x?x?xf32>
}
