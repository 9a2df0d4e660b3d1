// Every bad input ends in `error:` (with a location where there is one) and
// a non-zero exit, never a crash, a stack dump or an LLVM ERROR.

// RUN: rm -rf %t.split && split-file %s %t.split

// RUN: not softmax-compile %t.split/valid.mlir --emit=exe -o %t 2>&1 | FileCheck %s --check-prefix=EMIT
// EMIT: error: unknown --emit kind 'exe' (expected mlir, llvm, asm, obj, shared-lib, ptx or cubin)

// RUN: not softmax-compile %t.split/valid.mlir --target=tpu -o %t 2>&1 | FileCheck %s --check-prefix=TARGET
// TARGET: error: unknown --target 'tpu' (expected cpu or cuda)

// RUN: not softmax-compile %t.split/valid.mlir --target=cuda --emit=asm -o %t 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: error: --target=cuda emits mlir, llvm, ptx, cubin or shared-lib, not --emit=asm

// RUN: not softmax-compile %t.split/valid.mlir --target=cuda --chip=sm_91 --emit=ptx -o %t 2>&1 | FileCheck %s --check-prefix=CHIP
// CHIP: error: unknown --chip 'sm_91' (expected sm_75, sm_80, sm_86, sm_87, sm_89, sm_90 or sm_90a)

// RUN: not softmax-compile %t.split/valid.mlir --target=cuda --emit=ptx 2>&1 | FileCheck %s --check-prefix=PTXOUT
// PTXOUT: error: --emit=ptx needs an output file (-o): the sidecars go beside it

// RUN: not softmax-compile %t.split/f64.mlir --target=cuda --emit=ptx -o %t.ptx 2>&1 | FileCheck %s --check-prefix=NOGPU
// NOGPU: f64.mlir:2:8: error: element type 'f64' has no GPU lowering yet (f16, bf16, f32)

// RUN: not softmax-compile %t.split/valid.mlir --emit=ptx -o %t 2>&1 | FileCheck %s --check-prefix=PTX
// PTX: error: --emit=ptx needs --target=cuda

// RUN: not softmax-compile %t.split/valid.mlir --emit=obj 2>&1 | FileCheck %s --check-prefix=NOOUT
// NOOUT: error: --emit=obj needs an output file (-o)

// RUN: not softmax-compile %t.split/valid.mlir --mcpu=pentium9000 -o %t 2>&1 | FileCheck %s --check-prefix=MCPU
// MCPU-NOT: not a recognized processor
// MCPU: error: unknown CPU 'pentium9000' for target 'x86_64-

// RUN: not softmax-compile %t.split/valid.mlir --vector-bits=100 -o %t 2>&1 | FileCheck %s --check-prefix=VBITS
// RUN: not softmax-compile %t.split/valid.mlir --unroll=0 -o %t 2>&1 | FileCheck %s --check-prefix=VBITS
// VBITS: error: --vector-bits must be 0 or a positive multiple of 32, and --unroll positive

// RUN: not softmax-compile %t.split/valid.mlir --num-threads=-1 -o %t 2>&1 | FileCheck %s --check-prefix=THREADS
// THREADS: error: --num-threads must be 0 (all cores) or positive

// RUN: not softmax-compile %t.split/valid.mlir --no-such-flag 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: error: Unknown command line argument '--no-such-flag'

// RUN: not softmax-compile %t.missing.mlir -o %t 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open input file '{{.*}}missing.mlir'

// RUN: not softmax-compile %t.split/valid.mlir --emit=mlir -o %t.no-such-dir/out.mlir 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// RUN: not softmax-compile %t.split/valid.mlir --emit=obj -o %t.no-such-dir/out.o 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// RUN: not softmax-compile %t.split/valid.mlir --emit=shared-lib -o %t.no-such-dir/out.so 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// UNWRITABLE: error: cannot open output file '{{.*}}no-such-dir/out.{{mlir|o|so}}'

// RUN: not softmax-compile %t.split/valid.mlir --emit=shared-lib -o %t.so --header=%t.no-such-dir/out.h 2>&1 | FileCheck %s --check-prefix=HEADER
// HEADER: error: cannot open output file '{{.*}}no-such-dir/out.h'

// RUN: not softmax-compile %t.split/unparsable.mlir -o %t 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: unparsable.mlir:2:12: error: expected ':'
// RUN: not softmax-compile %t.split/invalid.mlir -o %t 2>&1 | FileCheck %s --check-prefix=VERIFY
// VERIFY: invalid.mlir:2:8: error: 'softmax.softmax' op dim 3 is out of range for a tensor of rank 2
// RUN: not softmax-compile %t.split/abi.mlir --emit=shared-lib -o %t.abi.so 2>&1 | FileCheck %s --check-prefix=ABI
// RUN: not softmax-compile %t.split/abi.mlir --emit=obj -o %t.abi.o 2>&1 | FileCheck %s --check-prefix=ABI
// ABI: abi.mlir:1:1: error: argument #0 of public function '@scale' has type 'f32', which the C ABI does not support

// No crash or LLVM abort anywhere above.
// RUN: not softmax-compile %t.split/invalid.mlir -o %t 2>&1 | FileCheck %s --check-prefix=NOCRASH
// NOCRASH-NOT: Stack dump
// NOCRASH-NOT: LLVM ERROR
// NOCRASH-NOT: PLEASE submit

//--- valid.mlir
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
//--- f64.mlir
func.func @f(%x: tensor<?x64xf64>) -> tensor<?x64xf64> {
  %y = softmax.softmax %x dim(0) : tensor<?x64xf64>
  return %y : tensor<?x64xf64>
}
//--- unparsable.mlir
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x tensor<4xf32>
}
//--- invalid.mlir
func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = softmax.softmax %x dim(3) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}
//--- abi.mlir
func.func @scale(%s: f32, %x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
