// RUN: softmax-opt %s --softmax-move-bf16-as-i16 --verify-diagnostics | FileCheck %s

// The pass never reports an error: ops it does not know, even with bf16
// operands, and bf16 values that are never moved stay as they are (IR that
// fails to verify is rejected before it runs).
// CHECK-LABEL: llvm.func @unknown
// CHECK-NOT: llvm.bitcast
// CHECK: llvm.fptrunc %{{.*}} : vector<4xf32> to vector<4xbf16>
// CHECK: llvm.fpext %{{.*}} : vector<4xbf16> to vector<4xf32>
llvm.func @unknown(%v: vector<4xf32>) -> vector<4xf32> {
  %t = llvm.fptrunc %v : vector<4xf32> to vector<4xbf16>
  %e = llvm.fpext %t : vector<4xbf16> to vector<4xf32>
  llvm.return %e : vector<4xf32>
}
