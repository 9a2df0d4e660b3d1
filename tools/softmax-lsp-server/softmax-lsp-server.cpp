//===- softmax-lsp-server.cpp - MLIR's language server with our dialect ---===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// MLIR's LSP server (diagnostics, hover, go-to-definition, completion for
// .mlir files) knowing every dialect softmax-opt accepts, ours included.
// Point an editor's MLIR extension at it (VS Code: mlir.server_path).
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-lsp-server/MlirLspServerMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  mlir::softmax::registerSoftmaxToolDialectsAndPasses(registry);
  return mlir::failed(mlir::MlirLspServerMain(argc, argv, registry));
}
