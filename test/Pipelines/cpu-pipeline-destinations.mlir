// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=x86-64-v3 threads=1" --mlir-print-ir-before=one-shot-bufferize -o /dev/null 2>&1 | FileCheck %s

// Equal ops in a chain call one shared kernel; each call that does not
// write into the function's output gets its own destination, an
// allocation that CSE leaves apart (merged into one tensor.empty, every
// call would write the same value, and One-Shot Bufferize's conflict
// checks over it grow with the cube of the calls). The last call writes
// the caller's output buffer (empty-tensor elimination).
// CHECK-LABEL: func.func @chain
// CHECK: %[[D1:.*]] = bufferization.alloc_tensor() : tensor<4x64xf32>
// CHECK: %[[R1:.*]] = func.call @__softmax_kernel_0(%{{.*}}, %[[D1]])
// CHECK: %[[D2:.*]] = bufferization.alloc_tensor() : tensor<4x64xf32>
// CHECK: %[[R2:.*]] = func.call @__softmax_kernel_0(%[[R1]], %[[D2]])
// CHECK-NOT: bufferization.alloc_tensor() : tensor<4x64xf32>
// CHECK: %[[R3:.*]] = func.call @__softmax_kernel_0(%[[R2]], %{{.*}})
// CHECK: bufferization.materialize_in_destination %[[R3]] in writable
func.func @chain(%x: tensor<4x64xf32>) -> tensor<4x64xf32> {
  %a = softmax.softmax %x dim(1) : tensor<4x64xf32>
  %b = softmax.softmax %a dim(1) : tensor<4x64xf32>
  %c = softmax.softmax %b dim(1) : tensor<4x64xf32>
  return %c : tensor<4x64xf32>
}
