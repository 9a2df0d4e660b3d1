// RUN: softmax-opt %s --softmax-attach-cpu-target="triple=x86_64-unknown-linux-gnu mcpu=skylake-avx512" | FileCheck %s
// RUN: softmax-opt %s --softmax-attach-cpu-target | FileCheck %s --check-prefix=HOST

// CHECK: module attributes
// CHECK-SAME: llvm.data_layout = "e-m:e-
// CHECK-SAME: llvm.target_triple = "x86_64-unknown-linux-gnu"
// CHECK: llvm.func @f()
// CHECK-SAME: target_cpu = "skylake-avx512"
// CHECK: llvm.func @external()
// CHECK-NOT: target_cpu

// The host: its own CPU name and its exact feature list.
// HOST: llvm.target_triple = "x86_64-
// HOST: llvm.func @f()
// HOST-SAME: target_cpu = "{{[a-z0-9-]+}}"
// HOST-SAME: target_features = #llvm.target_features<[{{.*}}"+sse2"
llvm.func @f() {
  llvm.return
}
llvm.func @external()
