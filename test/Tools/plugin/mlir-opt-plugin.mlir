// Upstream's mlir-opt with libSoftmaxMLIRPlugin.so loaded as a dialect and
// a pass plugin parses the softmax dialect and runs its passes and
// pipelines (named in --pass-pipeline: mlir-opt parses pass flags before it
// loads plugins). Without the plugin it knows neither.

// RUN: mlir-opt %s --load-dialect-plugin=%softmax_plugin --load-pass-plugin=%softmax_plugin \
// RUN:   --pass-pipeline="builtin.module(softmax-raise,softmax-decompose)" | FileCheck %s
// RUN: mlir-opt %s --load-dialect-plugin=%softmax_plugin --load-pass-plugin=%softmax_plugin \
// RUN:   --pass-pipeline="builtin.module(softmax-cpu-pipeline{mcpu=haswell threads=1})" | FileCheck %s --check-prefix=PIPELINE
// RUN: not mlir-opt %s 2>&1 | FileCheck %s --check-prefix=NOPLUGIN
// RUN: not mlir-opt %s --load-dialect-plugin=%softmax_plugin --load-pass-plugin=%softmax_plugin \
// RUN:   --pass-pipeline="builtin.module(softmax-tile{threads=-2})" 2>&1 | FileCheck %s --check-prefix=BADOPTION

// The linalg.softmax raised, the op decomposed into the stable form.
// CHECK-LABEL: func.func @f
// CHECK-NOT: softmax.
// CHECK: arith.maximumf
// CHECK: math.exp
// CHECK: return

// PIPELINE: llvm.func @f(
// PIPELINE: llvm.func @_mlir_ciface_f(

// NOPLUGIN: error: Dialect `softmax' not found for custom op 'softmax.log_softmax'

// BADOPTION: error: softmax-tile: threads must be >= 0

func.func @f(%x: tensor<4x16xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %e = tensor.empty() : tensor<4x16xf32>
  %y = linalg.softmax dimension(1) ins(%x : tensor<4x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %z = softmax.log_softmax %x dim(1) : tensor<4x16xf32>
  return %y, %z : tensor<4x16xf32>, tensor<4x16xf32>
}
