//===- FuzzSupport.cpp - what the softmax-mlir fuzz targets share ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "softmax-mlir/InitAll.h"

#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Parser/Parser.h"
#include "llvm/Support/ErrorHandling.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"

#include <cstdio>
#include <cstdlib>

using namespace mlir;
using namespace mlir::softmax;

/// `LLVM ERROR: ...` ends a tool with exit(1); make it a crash, so that
/// libFuzzer keeps the input and shows where it came from.
static void abortOnFatalError(void *, const char *reason, bool) {
  std::fprintf(stderr, "LLVM ERROR: %s\n", reason);
  std::abort();
}

static DialectRegistry &getMutableRegistry() {
  static DialectRegistry registry;
  return registry;
}

const DialectRegistry &fuzz::getRegistry() { return getMutableRegistry(); }

fuzz::FuzzContext::FuzzContext()
    : context(getRegistry(), MLIRContext::Threading::DISABLED) {
  handler = context.getDiagEngine().registerHandler(
      [](Diagnostic &) { return success(); });
}

fuzz::FuzzContext::~FuzzContext() {
  context.getDiagEngine().eraseHandler(handler);
}

OwningOpRef<ModuleOp> fuzz::FuzzContext::parse(const uint8_t *data,
                                               size_t size) {
  // A copy, so that the lexer sees the terminating null it expects.
  llvm::SourceMgr sourceMgr;
  sourceMgr.AddNewSourceBuffer(
      llvm::MemoryBuffer::getMemBufferCopy(
          StringRef(reinterpret_cast<const char *>(data), size), "fuzz"),
      llvm::SMLoc());
  return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
}

extern "C" int LLVMFuzzerInitialize(int *, char ***) {
  llvm::install_fatal_error_handler(abortOnFatalError);
  registerSoftmaxToolDialectsAndPasses(getMutableRegistry());
  return 0;
}

extern "C" int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  fuzz::FuzzContext context;
  if (OwningOpRef<ModuleOp> module = context.parse(data, size))
    fuzz::runOnModule(context, *module);
  return 0;
}
