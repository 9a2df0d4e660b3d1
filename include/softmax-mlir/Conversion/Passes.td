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

#endif // SOFTMAX_MLIR_CONVERSION_PASSES_TD
