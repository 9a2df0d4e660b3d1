// REQUIRES: cuda-toolkit
// RUN: softmax-opt %s --softmax-gpu-pipeline="format=ptx" | FileCheck %s
// RUN: softmax-opt %s --softmax-gpu-pipeline="chip=sm_80 format=ptx" | FileCheck %s --check-prefix=SM80
// RUN: not softmax-opt %s --softmax-gpu-pipeline="format=elf" 2>&1 | FileCheck %s --check-prefix=FORMAT

// The kernels become one gpu.binary of PTX for the chip; the host
// functions, in the LLVM dialect, launch them through the C ABI.
// CHECK: module attributes {gpu.container_module}
// CHECK: llvm.func @f(
// CHECK: gpu.launch_func @softmax_kernels::@f_softmax_0
// CHECK: llvm.func @_mlir_ciface_f(
// CHECK: gpu.binary @softmax_kernels [#gpu.object<#nvvm.target<O = 3, chip = "sm_90", features = "+ptx80", link = ["{{.*}}libdevice.10.bc"]>
// CHECK-SAME: .target sm_90
// CHECK-NOT: softmax.softmax
// SM80: chip = "sm_80"
// FORMAT: error: softmax-gpu-pipeline: 'elf' is not a valid value for option 'format' (expected ptx, cubin or fatbin)

func.func @f(%x: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %y = softmax.softmax %x dim(1) : tensor<256x512xf32>
  return %y : tensor<256x512xf32>
}
