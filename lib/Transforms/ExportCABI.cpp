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

/// Moves the body of `func` into a private function and turns `func` into
/// the destination-passing wrapper that calls it.
static LogicalResult exportFunction(func::FuncOp func,
                                    SymbolTable &symbolTable) {
  FailureOr<SmallVector<CABIParam>> params = getCABIParams(func);
  if (failed(params))
    return failure();

  MLIRContext *ctx = func.getContext();
  Location loc = func.getLoc();
  OpBuilder builder(ctx);

  // The implementation keeps the original signature and body.
  builder.setInsertionPoint(func);
  auto impl = cast<func::FuncOp>(builder.clone(*func));
  impl.setPrivate();
  impl.setSymName((func.getSymName() + "__softmax_impl").str());
  impl->removeAttr("llvm.emit_c_interface");
  symbolTable.insert(impl); // Renames on a clash.
  if (failed(SymbolTable::replaceAllSymbolUses(func, impl.getSymNameAttr(),
                                               func->getParentOp())))
    return func.emitError("cannot redirect the uses of '@")
           << func.getSymName() << "'";

  // The wrapper: memref inputs, then memref outputs, no results.
  SmallVector<Type> argTypes;
  SmallVector<Location> argLocs;
  for (const CABIParam &param : *params) {
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
  for (auto [param, arg] : llvm::zip(*params, entry->getArguments())) {
    if (param.isOutput) {
      outputs.push_back(arg);
      continue;
    }
    inputs.push_back(bufferization::ToTensorOp::create(builder, loc, param.type,
                                                       arg, /*restrict=*/true,
                                                       /*writable=*/false));
  }
  auto call = func::CallOp::create(builder, loc, impl, inputs);
  for (auto [result, out] : llvm::zip(call.getResults(), outputs))
    bufferization::MaterializeInDestinationOp::create(
        builder, loc, TypeRange{}, result, out, /*restrict=*/true,
        /*writable=*/true);
  func::ReturnOp::create(builder, loc);
  return success();
}

namespace {
struct SoftmaxExportCABIPass
    : softmax::impl::SoftmaxExportCABIBase<SoftmaxExportCABIPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbolTable(module);
    SmallVector<func::FuncOp> exported;
    for (auto func : module.getOps<func::FuncOp>())
      if (isExportedThroughCABI(func))
        exported.push_back(func);
    for (func::FuncOp func : exported)
      if (failed(exportFunction(func, symbolTable)))
        return signalPassFailure();
  }
};
} // namespace
