// The outputs are written in place, into the caller's buffers: no
// temporary buffer and no copy, for one row (which the canonicalizer would
// otherwise fold out of its parallel loop, together with the row's slice of
// the empty output), a rank-1 input, several rows, the online form, on one
// thread and on any.
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell threads=1" | FileCheck %s
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell threads=0" | FileCheck %s

// The shared kernel (first in the module) writes into the caller's buffer.
// CHECK-LABEL: llvm.func internal @__softmax_kernel_0
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy

// CHECK-LABEL: llvm.func @one_row
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK-LABEL: llvm.func @_mlir_ciface_one_row
func.func @one_row(%x: tensor<1x1000xf32>) -> tensor<1x1000xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<1x1000xf32>
  return %y : tensor<1x1000xf32>
}

// CHECK-LABEL: llvm.func @rank_one
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK-LABEL: llvm.func @_mlir_ciface_rank_one
func.func @rank_one(%x: tensor<1000xf32>) -> tensor<1000xf32> {
  %y = softmax.softmax %x dim(0) : tensor<1000xf32>
  return %y : tensor<1000xf32>
}

// CHECK-LABEL: llvm.func @rows
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK-LABEL: llvm.func @_mlir_ciface_rows
func.func @rows(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.softmax %x dim(1) : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

// (Short of the 2 x 16384 columns a row needs to be split into chunks,
// whose partial sums do take a buffer.)
// CHECK-LABEL: llvm.func @one_long_row_f64
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK-LABEL: llvm.func @_mlir_ciface_one_long_row_f64
func.func @one_long_row_f64(%x: tensor<1x20000xf64>) -> tensor<1x20000xf64> {
  %y = softmax.log_softmax %x dim(1) : tensor<1x20000xf64>
  return %y : tensor<1x20000xf64>
}

// Equal ops in two functions share a kernel function (softmax-share-kernels),
// which writes into the buffer each caller passes on from its own caller.
// CHECK-LABEL: llvm.func @shared_a
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK: llvm.call @__softmax_kernel_0(
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK-LABEL: llvm.func @_mlir_ciface_shared_a
// CHECK-LABEL: llvm.func @shared_b
// CHECK-NOT: llvm.call @malloc
// CHECK-NOT: llvm.call @memrefCopy
// CHECK: llvm.call @__softmax_kernel_0(
// CHECK-LABEL: llvm.func @_mlir_ciface_shared_b
func.func @shared_a(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}
func.func @shared_b(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}
