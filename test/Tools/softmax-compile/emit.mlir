// RUN: softmax-compile %s --emit=mlir -o - | FileCheck %s --check-prefix=MLIR
// RUN: softmax-compile %s --emit=llvm --mcpu=skylake-avx512 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s --check-prefix=LLVM
// RUN: softmax-compile %s --emit=asm -o - | FileCheck %s --check-prefix=ASM
// RUN: softmax-compile %s --emit=obj -o %t.o
// RUN: llvm-nm %t.o | FileCheck %s --check-prefix=OBJ
// RUN: softmax-compile %s --emit=shared-lib -o %t.lib.so
// RUN: llvm-nm -D --defined-only %t.lib.so | FileCheck %s --check-prefix=OBJ
// RUN: FileCheck %s --check-prefix=HEADER < %t.lib.h
// RUN: llvm-readelf --dynamic %t.lib.so | FileCheck %s --check-prefix=NEEDED
// RUN: softmax-compile %s --emit=shared-lib -o %t.other.so --header=%t.custom.h
// RUN: FileCheck %s --check-prefix=HEADER < %t.custom.h

// MLIR: module attributes {llvm.data_layout = "{{.+}}", llvm.target_triple = "x86_64-
// MLIR: llvm.func @_mlir_ciface_probs(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)

// The triple and data layout are set, so llc sees the real target.
// LLVM: target datalayout = "e-m:e-
// LLVM: target triple = "x86_64-unknown-linux-gnu"
// LLVM: define void @_mlir_ciface_probs(ptr {{.*}}, ptr {{.*}})
// LLVM: attributes #{{[0-9]+}} = { {{.*}}"target-cpu"="skylake-avx512"

// ASM: _mlir_ciface_probs:
// ASM: _mlir_ciface_log_probs:

// OBJ-DAG: T _mlir_ciface_log_probs
// OBJ-DAG: T _mlir_ciface_probs

// HEADER: #ifndef SOFTMAX_MLIR_
// HEADER: #include <stdint.h>
// HEADER: } softmax_mlir_memref_2d_f32;
// HEADER: } softmax_mlir_memref_1d_f16;
// HEADER: void _mlir_ciface_probs(const softmax_mlir_memref_2d_f32 *in0, softmax_mlir_memref_2d_f32 *out0);
// HEADER: void _mlir_ciface_log_probs(const softmax_mlir_memref_1d_f16 *in0, softmax_mlir_memref_1d_f16 *out0);

// The library needs only libc, libm and LLVM's OpenMP runtime, which it
// finds through its RUNPATH.
// NEEDED-NOT: NEEDED{{.*}}mlir
// NEEDED: (NEEDED) Shared library: [libomp.so.5]
// NEEDED-NOT: NEEDED{{.*}}mlir
// NEEDED: (RUNPATH) Library runpath: [/usr/lib/llvm-22/lib]

func.func @probs(%x: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x16xf32>
  return %y : tensor<?x16xf32>
}

func.func @log_probs(%x: tensor<?xf16>) -> tensor<?xf16> {
  %y = softmax.log_softmax %x dim(0) : tensor<?xf16>
  return %y : tensor<?xf16>
}
