//===- OpenMPThreadCount.cpp - the softmax-openmp-thread-count pass -------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/FunctionCallUtils.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/OpenMP/OpenMPDialect.h"
#include "mlir/IR/SymbolTable.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXOPENMPTHREADCOUNT
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;

static constexpr StringLiteral kHelperName = "__softmax_mlir_num_threads";

/// Builds `i32 @__softmax_mlir_num_threads(i32 %configured)`:
///   SOFTMAX_MLIR_NUM_THREADS if positive, else %configured if positive,
///   else omp_get_max_threads().
static FailureOr<func::FuncOp> buildHelper(ModuleOp module) {
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder b(ctx);
  b.setInsertionPointToEnd(module.getBody());
  Type i32 = b.getI32Type();
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  FailureOr<LLVM::LLVMFuncOp> getenv =
      LLVM::lookupOrCreateFn(b, module, "getenv", {ptr}, ptr);
  FailureOr<LLVM::LLVMFuncOp> atoi =
      LLVM::lookupOrCreateFn(b, module, "atoi", {ptr}, i32);
  FailureOr<LLVM::LLVMFuncOp> maxThreads =
      LLVM::lookupOrCreateFn(b, module, "omp_get_max_threads", {}, i32);
  if (failed(getenv) || failed(atoi) || failed(maxThreads))
    return failure();

  b.setInsertionPointToEnd(module.getBody());
  auto helper = func::FuncOp::create(b, loc, kHelperName,
                                     b.getFunctionType({i32}, {i32}));
  helper.setPrivate();
  SymbolTable(module).insert(helper);
  Block *entry = helper.addEntryBlock();
  b.setInsertionPointToStart(entry);
  Value configured = entry->getArgument(0);
  // C strings: createGlobalString stores exactly the bytes it is given.
  Value name = LLVM::createGlobalString(
      loc, b, "__softmax_mlir_num_threads_env",
      StringRef("SOFTMAX_MLIR_NUM_THREADS\0", 25), LLVM::Linkage::Private);
  Value zeroText =
      LLVM::createGlobalString(loc, b, "__softmax_mlir_num_threads_zero",
                               StringRef("0\0", 2), LLVM::Linkage::Private);
  Value text =
      LLVM::CallOp::create(b, loc, *getenv, ValueRange{name}).getResult();
  Value isNull = LLVM::ICmpOp::create(b, loc, LLVM::ICmpPredicate::eq, text,
                                      LLVM::ZeroOp::create(b, loc, ptr));
  Value safeText = LLVM::SelectOp::create(b, loc, isNull, zeroText, text);
  Value fromEnv =
      LLVM::CallOp::create(b, loc, *atoi, ValueRange{safeText}).getResult();
  Value zero = arith::ConstantIntOp::create(b, loc, i32, 0);
  Value all =
      LLVM::CallOp::create(b, loc, *maxThreads, ValueRange{}).getResult();
  Value fallback = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, configured,
                            zero),
      configured, all);
  Value count = arith::SelectOp::create(
      b, loc,
      arith::CmpIOp::create(b, loc, arith::CmpIPredicate::sgt, fromEnv, zero),
      fromEnv, fallback);
  func::ReturnOp::create(b, loc, count);
  return helper;
}

namespace {
struct SoftmaxOpenMPThreadCountPass
    : softmax::impl::SoftmaxOpenMPThreadCountBase<
          SoftmaxOpenMPThreadCountPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<omp::ParallelOp> regions;
    module.walk([&](omp::ParallelOp op) { regions.push_back(op); });
    if (regions.empty())
      return;
    if (threads < 0) {
      module.emitError("softmax-openmp-thread-count: threads must be >= 0");
      return signalPassFailure();
    }
    FailureOr<func::FuncOp> helper = buildHelper(module);
    if (failed(helper)) {
      module.emitError("cannot declare getenv, atoi or omp_get_max_threads "
                       "with their C signatures");
      return signalPassFailure();
    }
    for (omp::ParallelOp op : regions) {
      OpBuilder b(op);
      Value configured =
          arith::ConstantIntOp::create(b, op.getLoc(), b.getI32Type(), threads);
      Value count = func::CallOp::create(b, op.getLoc(), *helper, configured)
                        .getResult(0);
      op.getNumThreadsMutable().assign(count);
    }
  }
};
} // namespace
