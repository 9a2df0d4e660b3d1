// RUN: softmax-opt %s --softmax-attach-cpu-target="mcpu=not-a-cpu" --verify-diagnostics
// RUN: not softmax-opt %s --softmax-attach-cpu-target="triple=riscv64-unknown-linux-gnu mcpu=generic" 2>&1 | FileCheck %s --check-prefix=TRIPLE
// RUN: not softmax-opt %s --softmax-attach-cpu-target="mcpu=not-a-cpu" 2>&1 | FileCheck %s --check-prefix=QUIET

// expected-error @+1 {{unknown CPU 'not-a-cpu' for target 'x86_64-}}
module {
  llvm.func @f() {
    llvm.return
  }
}
// TRIPLE: attach-cpu-target-invalid.mlir:{{[0-9]+}}:1: error: unsupported target triple 'riscv64-unknown-linux-gnu'

// Only our diagnostic: no warning of LLVM's own about the CPU.
// QUIET-NOT: not a recognized processor
// QUIET: error: unknown CPU 'not-a-cpu'
// QUIET-NOT: not a recognized processor
