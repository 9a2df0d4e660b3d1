// bf16 rows of every op take the vector paths (f32 arithmetic, bf16 moved
// as i16): x86 code with no bf16 libcall (__truncsfbf2, __extendbfsf2), on
// AVX2, on AVX-512 without AVX512-BF16, and on Zen 5, which has it.
// RUN: softmax-compile %s --emit=asm --mcpu=x86-64-v3 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s
// RUN: softmax-compile %s --emit=asm --mcpu=skylake-avx512 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s
// RUN: softmax-compile %s --emit=asm --mcpu=znver5 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s
// RUN: softmax-compile %s --emit=mlir --mcpu=x86-64-v3 -o - | FileCheck %s --check-prefix=IR

// CHECK-NOT: bfsf2
// CHECK-NOT: sfbf2
// CHECK-LABEL: forward:
// CHECK-NOT: bfsf2
// CHECK-NOT: sfbf2
// CHECK-LABEL: gradients:
// CHECK-NOT: bfsf2
// CHECK-NOT: sfbf2
// CHECK-LABEL: consumer:
// CHECK-NOT: bfsf2
// CHECK-NOT: sfbf2
// CHECK-LABEL: producer:
// CHECK-NOT: bfsf2
// CHECK-NOT: sfbf2

// The rows are vector loops over bf16 vectors moved as i16 vectors: no
// load, store or select of bf16 is left.
// IR-LABEL: llvm.func @forward
// IR: llvm.intr.masked.load {{.*}} -> vector<{{[0-9]+}}xi16>
// IR-NOT: {{llvm\.(intr\.masked\.)?(load|store|select)}}{{.*}}bf16
// IR-LABEL: llvm.func @gradients
func.func @forward(%x: tensor<64x1000xbf16>) -> (tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>) {
  %0 = softmax.softmax %x dim(1) : tensor<64x1000xbf16>
  %1 = softmax.log_softmax %x dim(1) : tensor<64x1000xbf16>
  %2 = softmax.sparsemax %x dim(1) : tensor<64x1000xbf16>
  %3 = softmax.entmax %x dim(1) alpha(1.5) : tensor<64x1000xbf16>
  %4 = softmax.entmax %x dim(1) alpha(1.25) : tensor<64x1000xbf16>
  return %0, %1, %2, %3, %4 : tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>
}

func.func @gradients(%y: tensor<64x1000xbf16>, %dy: tensor<64x1000xbf16>) -> (tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>) {
  %0 = softmax.softmax_grad %y, %dy dim(1) : tensor<64x1000xbf16>
  %1 = softmax.log_softmax_grad %y, %dy dim(1) : tensor<64x1000xbf16>
  %2 = softmax.sparsemax_grad %y, %dy dim(1) : tensor<64x1000xbf16>
  %3 = softmax.entmax_grad %y, %dy dim(1) alpha(1.5) : tensor<64x1000xbf16>
  return %0, %1, %2, %3 : tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>, tensor<64x1000xbf16>
}

// An f32 log_softmax whose result is only rounded to bf16: the row loops
// write the bf16 cast (softmax-fuse's consumer).
func.func @consumer(%x: tensor<64x1000xf32>) -> tensor<64x1000xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<64x1000xf32>
  %e = tensor.empty() : tensor<64x1000xbf16>
  %z = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%y : tensor<64x1000xf32>) outs(%e : tensor<64x1000xbf16>) {
  ^bb0(%a: f32, %o: bf16):
    %c = arith.truncf %a : f32 to bf16
    linalg.yield %c : bf16
  } -> tensor<64x1000xbf16>
  return %z : tensor<64x1000xbf16>
}

// bf16 scores scaled in f32 by a producer the row loops compute (softmax-fuse).
func.func @producer(%s: tensor<64x1000xbf16>) -> tensor<64x1000xf32> {
  %e = tensor.empty() : tensor<64x1000xf32>
  %x = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]} ins(%s : tensor<64x1000xbf16>) outs(%e : tensor<64x1000xf32>) {
  ^bb0(%a: bf16, %o: f32):
    %f = arith.extf %a : bf16 to f32
    %c = arith.constant 0.125 : f32
    %m = arith.mulf %f, %c : f32
    linalg.yield %m : f32
  } -> tensor<64x1000xf32>
  %y = softmax.softmax %x dim(1) : tensor<64x1000xf32>
  return %y : tensor<64x1000xf32>
}
