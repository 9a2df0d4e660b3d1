//===- FuzzParse.cpp - fuzz the parser, verifiers and printers ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Parses and verifies the input; what verifies is printed, in the custom
// and the generic form, and the custom form is parsed again.
//
//===----------------------------------------------------------------------===//

#include "FuzzSupport.h"

#include "mlir/IR/OperationSupport.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

using namespace mlir;
using namespace mlir::softmax;

void fuzz::runOnModule(fuzz::FuzzContext &, ModuleOp module) {
  std::string generic;
  llvm::raw_string_ostream genericStream(generic);
  module.print(genericStream, OpPrintingFlags().printGenericOpForm());
  std::string custom;
  llvm::raw_string_ostream customStream(custom);
  module.print(customStream);
  fuzz::FuzzContext reparseContext;
  (void)reparseContext.parse(reinterpret_cast<const uint8_t *>(custom.data()),
                             custom.size());
}
