// REQUIRES: cuda-toolkit
// RUN: softmax-opt %s --softmax-gpu-pipeline="format=ptx" | FileCheck %s
// RUN: softmax-opt %s --softmax-gpu-pipeline="format=ptx" --mlir-print-ir-after=softmax-gpu-device-memory -o /dev/null 2>&1 | FileCheck %s --check-prefix=HOST

// A whole model on the GPU: a linear layer (weights a constant), a bias,
// then softmax. The matmul, the bias and the fill become kernels of the
// model's own (outlined into @softmax_kernels), the softmax its row
// kernel, the weights device globals of the one binary; the host launches
// them over device buffers and frees them at the end of the call.
// HOST-LABEL: func.func @model(
// HOST: gpu.alloc async {{.*}} () : memref<8x10xf32>
// HOST-NOT: memref.load
// HOST-NOT: memref.store
// HOST: gpu.launch_func @softmax_kernels::@model_kernel_0
// HOST: gpu.launch_func @softmax_kernels::@model_kernel_1
// HOST: gpu.launch_func @softmax_kernels::@model_kernel_2
// HOST: gpu.launch_func @softmax_kernels::@model_softmax_0
// HOST: gpu.dealloc async
// HOST: gpu.module @softmax_kernels
// HOST: gpu.func @model_kernel_1(
// HOST: memref.get_global @__constant_64x10xf32
// HOST: scf.for
// HOST: arith.mulf
// HOST: memref.global "private" constant @__constant_64x10xf32

// CHECK: module attributes {gpu.container_module}
// CHECK-NOT: llvm.mlir.global {{.*}}@__constant
// CHECK: llvm.func @model(
// CHECK: gpu.binary @softmax_kernels
// CHECK-SAME: .global .align 64 .b8 __constant_10xf32[40] = {0, 0, 0, 0, 0, 0, 128, 63,
// CHECK-SAME: .entry model_softmax_0(
// CHECK-SAME: .entry model_kernel_0(
// CHECK-SAME: .entry model_kernel_1(
// CHECK-SAME: .entry model_kernel_2(
// CHECK-NOT: softmax.softmax
func.func @model(%x: tensor<8x64xf32>) -> tensor<8x10xf32> {
  %w = arith.constant dense<0.125> : tensor<64x10xf32>
  %bias = arith.constant dense<[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0]> : tensor<10xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x10xf32>) outs(%f : tensor<8x10xf32>) -> tensor<8x10xf32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%m, %bias : tensor<8x10xf32>, tensor<10xf32>) outs(%e : tensor<8x10xf32>) {
  ^bb0(%in: f32, %bi: f32, %out: f32):
    %s = arith.addf %in, %bi : f32
    linalg.yield %s : f32
  } -> tensor<8x10xf32>
  %y = softmax.softmax %b dim(1) : tensor<8x10xf32>
  return %y : tensor<8x10xf32>
}
