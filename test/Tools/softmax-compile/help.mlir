// `--help` lists the tool's own options, not those of every LLVM backend
// linked into it; those still parse.

// RUN: softmax-compile --help | FileCheck %s
// CHECK: softmax-compile options:
// CHECK-DAG: --emit=<string>
// CHECK-DAG: --mcpu=<string>
// CHECK-DAG: --num-threads=<long>
// CHECK-DAG: --nontemporal
// CHECK-NOT: --amdgpu
// CHECK-NOT: --x86-

// RUN: softmax-compile %s --emit=asm --mtriple=x86_64-unknown-linux-gnu \
// RUN:   --mcpu=haswell --num-threads=1 --x86-asm-syntax=intel -o - \
// RUN:   | FileCheck %s --check-prefix=INTEL
// INTEL: vmaxps ymm{{[0-9]+}}, ymm

func.func @f(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x64xf32>
  return %y : tensor<4x64xf32>
}
