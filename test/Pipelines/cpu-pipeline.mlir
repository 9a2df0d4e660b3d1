// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=skylake-avx512 triple=x86_64-unknown-linux-gnu" | FileCheck %s
// RUN: softmax-opt %s --softmax-cpu-pipeline | FileCheck %s --check-prefix=HOST
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=skylake-avx512 triple=x86_64-unknown-linux-gnu" | FileCheck %s --check-prefix=AVX512
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell triple=x86_64-unknown-linux-gnu" | FileCheck %s --check-prefix=AVX2
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell vectorize=false" | FileCheck %s --check-prefix=GENERIC
// RUN: softmax-opt %s --softmax-cpu-pipeline="threads=1" | FileCheck %s --check-prefix=SERIAL
// RUN: softmax-opt %s --softmax-cpu-pipeline="threads=2" | FileCheck %s --check-prefix=TWO

// A small model: what is not softmax (linalg.matmul, elementwise linalg,
// tensor ops, arith) lowers through the default path next to it.

// CHECK: module attributes
// CHECK-SAME: llvm.data_layout = "e-
// CHECK-SAME: llvm.target_triple = "x86_64-unknown-linux-gnu"
// CHECK-NOT: softmax.
// CHECK-NOT: linalg.
// CHECK-NOT: tensor.
// CHECK-NOT: memref.
// CHECK: llvm.func @classify(
// CHECK-SAME: target_cpu = "skylake-avx512"
// CHECK: llvm.func @_mlir_ciface_classify(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// CHECK-SAME: llvm.emit_c_interface
// CHECK: llvm.func @_mlir_ciface_log_probs(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// The vector row loops: rows of 3 are short, two rows per parallel
// iteration with 4 registers of the target's width each (the default
// unroll), masked tails, a polynomial exp (no libm call for f32 exp
// anywhere); the general form of a row with a non-finite maximum keeps the
// NaN-propagating reduction.
// AVX512-NOT: @expf
// AVX512: llvm.func @classify(
// AVX512: llvm.call @__softmax_mlir_num_threads(
// AVX512: omp.parallel num_threads(
// AVX512: omp.wsloop {
// AVX512: llvm.intr.masked.load %{{.*}} -> vector<64xf32>
// AVX512: llvm.intr.vector.reduce.fmax(%{{.*}}) {fastmathFlags = #llvm.fastmath<nnan>} : (vector<64xf32>) -> f32
// AVX512: llvm.intr.masked.store %{{.*}} : vector<64xf32>, vector<64xi1> into !llvm.ptr
// AVX512: llvm.intr.vector.reduce.fmaximum(%{{.*}}) : (vector<64xf32>) -> f32
// AVX512-NOT: @expf
// AVX2-NOT: @expf
// AVX2: llvm.intr.masked.load %{{.*}} -> vector<32xf32>
// AVX2-NOT: @expf

// Rows spread over OpenMP threads (all cores by default, or `threads`).
// TWO: omp.parallel num_threads(%{{.*}} : i32) {
// SERIAL-NOT: omp.

// The generic decomposition: scalar loops.
// GENERIC-NOT: vector<
// GENERIC: llvm.func @classify(

// HOST: llvm.target_triple = "x86_64-
// HOST: llvm.func @_mlir_ciface_classify
// HOST-SAME: target_cpu = "{{[a-z0-9-]+}}"

func.func @classify(%x: tensor<?x4xf32>, %w: tensor<4x3xf32>) -> tensor<?x3xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x4xf32>
  %zero = arith.constant 0.0 : f32
  %empty = tensor.empty(%n) : tensor<?x3xf32>
  %init = linalg.fill ins(%zero : f32) outs(%empty : tensor<?x3xf32>) -> tensor<?x3xf32>
  %logits = linalg.matmul ins(%x, %w : tensor<?x4xf32>, tensor<4x3xf32>)
                          outs(%init : tensor<?x3xf32>) -> tensor<?x3xf32>
  %probs = softmax.softmax %logits dim(1) : tensor<?x3xf32>
  return %probs : tensor<?x3xf32>
}

func.func @log_probs(%x: tensor<8xbf16>) -> tensor<8xbf16> {
  %y = softmax.log_softmax %x dim(0) : tensor<8xbf16>
  return %y : tensor<8xbf16>
}
