//===- FuzzSupport.h - what the softmax-mlir fuzz targets share -*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Each fuzz target parses its input as MLIR in a fresh context that has
// everything softmax-opt accepts, and drives part of the compiler over what
// parses and verifies. Bad input must end in diagnostics, which are
// swallowed; a crash, an abort, an `LLVM ERROR` or a sanitizer report is a
// bug.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_FUZZ_FUZZSUPPORT_H
#define SOFTMAX_MLIR_FUZZ_FUZZSUPPORT_H

#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/IR/OwningOpRef.h"

#include <cstddef>
#include <cstdint>

namespace mlir::softmax::fuzz {

/// Everything softmax-opt accepts. FuzzSupport.cpp defines libFuzzer's entry
/// points: LLVMFuzzerInitialize registers it (and turns LLVM's fatal errors
/// into aborts that libFuzzer reports with a stack), LLVMFuzzerTestOneInput
/// parses and verifies each input in a fresh context of it (no threads,
/// every diagnostic swallowed) and passes what verifies to runOnModule.
const DialectRegistry &getRegistry();

/// A context for one input: the registry, no threads, every diagnostic
/// swallowed.
class FuzzContext {
public:
  FuzzContext();
  ~FuzzContext();

  MLIRContext &get() { return context; }

  /// Parses and verifies `data` as a module; null if it does not.
  OwningOpRef<ModuleOp> parse(const uint8_t *data, size_t size);

private:
  MLIRContext context;
  DiagnosticEngine::HandlerID handler;
};

/// What a fuzz target does with an input that parses and verifies (in
/// `context`); each target defines it once.
void runOnModule(FuzzContext &context, ModuleOp module);

} // namespace mlir::softmax::fuzz

#endif // SOFTMAX_MLIR_FUZZ_FUZZSUPPORT_H
