//===- SoftmaxPlugin.cpp - softmax-mlir as an mlir-opt plugin -------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// One shared library that upstream's mlir-opt (and any tool built on
// MlirOptMain) loads both as a dialect plugin and as a pass plugin:
//
//   mlir-opt --load-dialect-plugin=libSoftmaxMLIRPlugin.so \
//            --load-pass-plugin=libSoftmaxMLIRPlugin.so \
//            model.mlir --softmax-cpu-pipeline
//
// gives a user of plain mlir-opt the softmax dialect, its passes and the
// pipelines. The plugin links the libMLIR.so the tool links, so both share
// one MLIR.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"

#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/Plugins/DialectPlugin.h"
#include "mlir/Tools/Plugins/PassPlugin.h"
#include "llvm/Config/llvm-config.h"
#include "llvm/Support/Compiler.h"

using namespace mlir;

extern "C" LLVM_ATTRIBUTE_WEAK DialectPluginLibraryInfo
mlirGetDialectPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "SoftmaxMLIR", LLVM_VERSION_STRING,
          [](DialectRegistry *registry) {
            softmax::registerAllSoftmaxDialects(*registry);
          }};
}

extern "C" LLVM_ATTRIBUTE_WEAK PassPluginLibraryInfo mlirGetPassPluginInfo() {
  return {MLIR_PLUGIN_API_VERSION, "SoftmaxMLIR", LLVM_VERSION_STRING,
          []() { softmax::registerAllSoftmaxPasses(); }};
}
