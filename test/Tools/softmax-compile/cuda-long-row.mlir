// REQUIRES: ptxas, cuda-toolkit
// Rows of more than 2^32 elements on the GPU: the kernels' addresses, row
// strides and bounds are 64-bit (the gpu dialect's index lowers to i64;
// LLVM narrows an index to 32 bits only where its range allows). Two rows
// of 5 * 10^9 f32 (20 GB each) take the split-row strategy: the row
// stride is a 64-bit product, the bounds of the vector kernels (1.25 * 10^9
// vectors of 4) and of the element-wise ones (5 * 10^9 elements, past
// 2^32) 64-bit compares; every kernel assembles. Not run on a GPU yet.

// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %s --target=cuda --emit=ptx -o %t/k.ptx
// RUN: FileCheck %s < %t/k.ptx
// RUN: %ptxas -arch=sm_90 %t/k.ptx -o %t/k.cubin

// CHECK-LABEL: .entry long_rows_softmax_0_stats(
// CHECK: mad.lo.s64 {{.*}}, 20000000000,
// CHECK: setp.gt.u64 {{.*}}, 1249999999;
// CHECK-LABEL: .entry long_rows_softmax_0(
// CHECK: mul.lo.s64 {{.*}}, 20000000000;
// CHECK: setp.gt.u64 {{.*}}, 1249999999;
// CHECK-LABEL: .entry long_rows_softmax_0_unaligned_stats(
// CHECK: mad.lo.s64 {{.*}}, 20000000000,
// CHECK: setp.gt.u64 {{.*}}, 4999999999;
// CHECK-LABEL: .entry long_rows_softmax_0_unaligned(
// CHECK: setp.gt.u64 {{.*}}, 4999999999;
func.func @long_rows(%x: tensor<2x5000000000xf32>) -> tensor<2x5000000000xf32> {
  %y = softmax.softmax %x dim(1) : tensor<2x5000000000xf32>
  return %y : tensor<2x5000000000xf32>
}
