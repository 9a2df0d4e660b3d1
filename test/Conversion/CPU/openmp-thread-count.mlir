// RUN: softmax-opt %s --softmax-openmp-thread-count="threads=4" | FileCheck %s
// RUN: softmax-opt %s --softmax-openmp-thread-count | FileCheck %s --check-prefix=DEFAULT

// Each omp.parallel asks the helper for its thread count when it starts.
// CHECK-DAG: llvm.mlir.global private constant @__softmax_mlir_num_threads_env("SOFTMAX_MLIR_NUM_THREADS\00")
// CHECK-DAG: llvm.func @getenv(!llvm.ptr) -> !llvm.ptr
// CHECK-DAG: llvm.func @atoi(!llvm.ptr) -> i32
// CHECK-DAG: llvm.func @omp_get_max_threads() -> i32
// CHECK-LABEL: func.func @f
// CHECK: %[[C4:.*]] = arith.constant 4 : i32
// CHECK: %[[N:.*]] = call @__softmax_mlir_num_threads(%[[C4]]) : (i32) -> i32
// CHECK: omp.parallel num_threads(%[[N]] : i32)
// CHECK-LABEL: func.func private @__softmax_mlir_num_threads
// CHECK-SAME: (%[[CONF:.*]]: i32) -> i32
// CHECK: %[[TEXT:.*]] = llvm.call @getenv
// CHECK: %[[ENV:.*]] = llvm.call @atoi
// CHECK: %[[MAXT:.*]] = llvm.call @omp_get_max_threads()
// CHECK: %[[FALLBACK:.*]] = arith.select %{{.*}}, %[[CONF]], %[[MAXT]] : i32
// CHECK: %[[COUNT:.*]] = arith.select %{{.*}}, %[[ENV]], %[[FALLBACK]] : i32
// CHECK: return %[[COUNT]]

// DEFAULT: arith.constant 0 : i32
func.func @f() {
  omp.parallel {
    omp.terminator
  }
  return
}

