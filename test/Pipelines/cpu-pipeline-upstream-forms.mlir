// RUN: softmax-opt %s --softmax-cpu-pipeline="threads=1" | FileCheck %s

// Upstream forms around softmax ops that the pipeline lowers through its
// default path (both failed to bufferize before): elementwise arith and math
// on tensors (to linalg.generic by convert-elementwise-to-linalg, first),
// and an scf.for carrying the tensor a softmax replaces each iteration (a
// new buffer per iteration, freed by buffer deallocation). End to end
// against NumPy: python/tests/test_compile.py.

// CHECK-NOT: arith.addf {{.*}}tensor
// CHECK-NOT: bufferization.
// CHECK: llvm.func @elementwise(
// CHECK: llvm.func @in_a_loop(
// CHECK: llvm.call @malloc
// CHECK: llvm.call @free
func.func @elementwise(%x: tensor<4x8xf32>, %b: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %s = arith.addf %x, %b : tensor<4x8xf32>
  %t = math.tanh %s : tensor<4x8xf32>
  %y = softmax.softmax %t dim(1) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

func.func @in_a_loop(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %n = arith.constant 3 : index
  %r = scf.for %i = %c0 to %n step %c1 iter_args(%a = %x) -> tensor<4x8xf32> {
    %y = softmax.softmax %a dim(1) : tensor<4x8xf32>
    scf.yield %y : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}
