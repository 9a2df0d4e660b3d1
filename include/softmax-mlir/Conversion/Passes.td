//===- Passes.td - target-specific passes ------------------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_CONVERSION_PASSES_TD
#define SOFTMAX_MLIR_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def SoftmaxAttachCPUTarget
    : Pass<"softmax-attach-cpu-target", "::mlir::ModuleOp"> {
  let summary = "Set the target triple, data layout and CPU of an LLVM-dialect module";
  let description = [{
    Resolves the CPU target (`mcpu=host` is this machine, with its exact
    feature set) and records it where the translation to LLVM IR reads it:
    `llvm.target_triple` and `llvm.data_layout` on the module, and
    `target_cpu`/`target_features` on every `llvm.func` with a body. Without
    them, LLVM falls back to a generic x86-64 and, for example, expands
    `memcpy` into a byte loop. An unknown CPU or triple is an error.

    ```mlir
    module attributes {llvm.data_layout = "e-m:e-p270:32:32-...",
                       llvm.target_triple = "x86_64-unknown-linux-gnu"} {
      llvm.func @f() attributes {target_cpu = "znver4",
                                 target_features = #llvm.target_features<[...]>}
    }
    ```
  }];
  let options = [
    Option<"triple", "triple", "std::string", /*default=*/"\"\"",
           "Target triple (default: the host's)">,
    Option<"mcpu", "mcpu", "std::string", /*default=*/"\"host\"",
           "Target CPU, as llc's -mcpu ('host' is this machine)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SoftmaxOpenMPThreadCount
    : Pass<"softmax-openmp-thread-count", "::mlir::ModuleOp"> {
  let summary = "Give every omp.parallel the run-time thread count";
  let description = [{
    Sets the `num_threads` of every `omp.parallel` to a value computed when
    the region starts: the environment variable `SOFTMAX_MLIR_NUM_THREADS`
    if it holds a positive integer, else the `threads` option, else (for
    `threads=0`) `omp_get_max_threads()`, which is all cores unless
    `OMP_NUM_THREADS` says otherwise. The value comes from a private helper
    function added to the module, so that a compiled library needs nothing
    but libc and the OpenMP runtime.

    ```mlir
    omp.parallel {
    ```

    becomes

    ```mlir
    %n = func.call @__softmax_mlir_num_threads(%c0_i32) : (i32) -> i32
    omp.parallel num_threads(%n : i32) {
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads when SOFTMAX_MLIR_NUM_THREADS is unset (0: all cores)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
  ];
}

#endif // SOFTMAX_MLIR_CONVERSION_PASSES_TD
