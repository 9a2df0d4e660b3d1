//===- ExportCABI.cpp - the softmax-export-c-abi pass ---------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Transforms/CABI.h"

#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXEXPORTCABI
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

/// A function to export: the wrapper-to-be, the private function that keeps
/// its body, and its C ABI parameters.
struct Export {
  func::FuncOp func, impl;
  SmallVector<CABIParam> params;
};

/// Copies `func` into a private implementation function (renamed on a clash
/// in `symbolTable`).
static FailureOr<Export> cloneImplementation(func::FuncOp func,
                                             SymbolTable &symbolTable) {
  FailureOr<SmallVector<CABIParam>> params = getCABIParams(func);
  if (failed(params))
    return failure();
  OpBuilder builder(func);
  auto impl = cast<func::FuncOp>(builder.clone(*func));
  impl.setPrivate();
  impl.setSymName((func.getSymName() + "__softmax_impl").str());
  impl->removeAttr("llvm.emit_c_interface");
  symbolTable.insert(impl);
  return Export{func, impl, std::move(*params)};
}

/// Turns `func` into the destination-passing wrapper that calls its
/// implementation.
static void buildWrapper(const Export &e) {
  func::FuncOp func = e.func;
  MLIRContext *ctx = func.getContext();
  Location loc = func.getLoc();
  OpBuilder builder(ctx);

  // The wrapper: memref inputs, then memref outputs, no results.
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  for (const CABIParam &param : e.params) {
    argTypes.push_back(
        MemRefType::get(param.type.getShape(), param.type.getElementType()));
    argLocs.push_back(loc);
  }
  func.getBody().getBlocks().clear();
  func.setFunctionType(FunctionType::get(ctx, argTypes, {}));
  func.setAllArgAttrs(ArrayRef<DictionaryAttr>{});
  func.setAllResultAttrs(ArrayRef<DictionaryAttr>{});
  func->setAttr("llvm.emit_c_interface", UnitAttr::get(ctx));
  Block *entry = builder.createBlock(&func.getBody(), {}, argTypes, argLocs);

  SmallVector<Value> inputs, outputs;
  for (auto [param, arg] : llvm::zip(e.params, entry->getArguments())) {
    if (param.isOutput) {
      outputs.push_back(arg);
      continue;
    }
    inputs.push_back(bufferization::ToTensorOp::create(builder, loc, param.type,
                                                       arg, /*restrict=*/true,
                                                       /*writable=*/false));
  }
  auto call = func::CallOp::create(builder, loc, e.impl, inputs);
  for (auto [result, out] : llvm::zip(call.getResults(), outputs))
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, result, out, /*restrict=*/true,
        /*writable=*/true);
  func::ReturnOp::create(builder, loc);
}

namespace {
struct SoftmaxExportCABIPass
    : softmax::impl::SoftmaxExportCABIBase<SoftmaxExportCABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    // The functions of a nested module would be neither exported nor
    // lowered with the others.
    for (auto nested : module.getOps<ModuleOp>()) {
      nested.emitError("nested module: softmax-mlir compiles the functions "
                       "of one module (compile the inner module on its own)");
      return signalPassFailure();
    }
    SymbolTable symbolTable(module);
    SmallVector<Export> exports;
    for (auto func : llvm::make_early_inc_range(module.getOps<func::FuncOp>()))
      if (isExportedThroughCABI(func)) {
        FailureOr<Export> e = cloneImplementation(func, symbolTable);
        if (failed(e))
          return signalPassFailure();
        exports.push_back(std::move(*e));
      }
    // Every use of an exported function (calls from the model's other
    // functions, its own recursion now in the copy) goes to its
    // implementation: one walk of the module for all of them.
    SymbolTableCollection symbolTables;
    SymbolUserMap users(symbolTables, module);
    for (Export &e : exports)
      users.replaceAllUsesWith(e.func, e.impl.getSymNameAttr());
    for (const Export &e : exports)
      buildWrapper(e);
  }
};
} // namespace
