// Rows longer than half of L2 (256 KiB with the default 512 KiB of a named
// CPU) write log_softmax's output with aligned streaming stores (vmovntps),
// each thread's work followed by a store fence; shorter rows, and softmax,
// whose output pass rereads the exps it stored, use ordinary stores.
// --nontemporal=false turns streaming off.
// RUN: softmax-compile %s --emit=asm --mcpu=znver1 --mtriple=x86_64-unknown-linux-gnu --num-threads=1 -o - | FileCheck %s
// RUN: softmax-compile %s --emit=asm --mcpu=znver1 --mtriple=x86_64-unknown-linux-gnu --num-threads=2 -o - | FileCheck %s
// RUN: softmax-compile %s --emit=asm --mcpu=znver1 --mtriple=x86_64-unknown-linux-gnu --nontemporal=false -o - | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: long_rows:
// CHECK: vmovntps %ymm{{[0-9]+}}, {{[0-9]*}}(
// CHECK: sfence
// The other two functions (and their threads' bodies).
// CHECK-LABEL: _mlir_ciface_long_rows:
// CHECK-NOT: vmovnt
// CHECK-NOT: sfence
// CHECK-LABEL: _mlir_ciface_softmax_long_rows:
// OFF-NOT: vmovnt
// OFF-NOT: sfence
func.func @long_rows(%x: tensor<2x131072xf32>) -> tensor<2x131072xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<2x131072xf32>
  return %y : tensor<2x131072xf32>
}

func.func @short_rows(%x: tensor<64x1000xf32>) -> tensor<64x1000xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<64x1000xf32>
  return %y : tensor<64x1000xf32>
}

func.func @softmax_long_rows(%x: tensor<2x131072xf32>) -> tensor<2x131072xf32> {
  %y = softmax.softmax %x dim(1) : tensor<2x131072xf32>
  return %y : tensor<2x131072xf32>
}
