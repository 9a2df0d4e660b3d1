// The x86 targets softmax-compile is tested for: AVX-512 (Zen 4, Skylake-SP)
// gets zmm registers, AVX2 (Haswell) ymm only; no target calls libm's expf
// in the row loops.
// RUN: softmax-compile %s --emit=asm --mcpu=znver4 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s --check-prefixes=CHECK,AVX512
// RUN: softmax-compile %s --emit=asm --mcpu=skylake-avx512 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s --check-prefixes=CHECK,AVX512
// RUN: softmax-compile %s --emit=asm --mcpu=haswell --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s --check-prefixes=CHECK,AVX2

// CHECK-LABEL: softmax_rows:
// CHECK-NOT: expf
// AVX512: vfmadd{{[0-9]+}}ps {{.*}}%zmm
// AVX2-NOT: %zmm
// AVX2: vfmadd{{[0-9]+}}ps {{.*}}%ymm
// AVX2-NOT: %zmm
// CHECK-NOT: expf
func.func @softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
