// --sanitize=address instruments every function of the generated code with
// AddressSanitizer (test/Integration/CPU/asan.test runs it); other values
// and --target=cuda are errors.

// RUN: softmax-compile %s --emit=llvm --sanitize=address -o - | FileCheck %s
// CHECK: call void @__asan_report_load
// CHECK: define {{.*}}@_mlir_ciface_f({{.*}}) {{.*}}#[[ATTRS:[0-9]+]]
// CHECK: attributes #[[ATTRS]] = {{.*}}sanitize_address

// RUN: softmax-compile %s --emit=llvm -o - | FileCheck %s --check-prefix=PLAIN
// PLAIN-NOT: __asan
// PLAIN-NOT: sanitize_address

// RUN: not softmax-compile %s --sanitize=thread -o %t 2>&1 | FileCheck %s --check-prefix=KIND
// KIND: error: unknown --sanitize 'thread' (expected address)
// RUN: not softmax-compile %s --target=cuda --emit=ptx --sanitize=address -o %t.ptx 2>&1 | FileCheck %s --check-prefix=CUDA
// CUDA: error: --sanitize instruments CPU code, not --target=cuda

func.func @f(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
