//===- RuntimeChecks.cpp - the softmax-runtime-checks pass ----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Checks, at the C ABI, the sizes a caller's descriptors carry against what
// the code was compiled for and against each other, so that a mismatch is
// reported instead of reading or writing out of bounds.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Arith/Utils/Utils.h"
#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/SymbolTable.h"
#include "mlir/Interfaces/DestinationStyleOpInterface.h"
#include "mlir/Interfaces/InferTypeOpInterface.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXRUNTIMECHECKS
#include "softmax-mlir/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
/// Where a size comes from: a constant, or dim `dim` of the implementation
/// function's argument `arg`.
struct SizeSource {
  std::optional<int64_t> constant;
  int64_t arg = -1;
  int64_t dim = -1;
};

/// Follows size `dim` of `value` back through the implementation function
/// to a constant or an argument's size; nullopt where it cannot.
std::optional<SizeSource> traceSize(Value value, int64_t dim, int depth);

std::optional<SizeSource> traceIndex(Value index, int depth) {
  if (std::optional<int64_t> constant = getConstantIntValue(index))
    return SizeSource{*constant};
  if (auto dimOp = index.getDefiningOp<tensor::DimOp>())
    if (std::optional<int64_t> which = dimOp.getConstantIndex())
      return traceSize(dimOp.getSource(), *which, depth + 1);
  return std::nullopt;
}

std::optional<SizeSource> traceSize(Value value, int64_t dim, int depth) {
  auto type = dyn_cast<RankedTensorType>(value.getType());
  if (!type || dim < 0 || dim >= type.getRank() || depth > 64)
    return std::nullopt;
  if (!type.isDynamicDim(dim))
    return SizeSource{type.getDimSize(dim)};
  if (auto arg = dyn_cast<BlockArgument>(value)) {
    if (arg.getOwner()->isEntryBlock() &&
        isa<func::FuncOp>(arg.getOwner()->getParentOp()))
      return SizeSource{std::nullopt, arg.getArgNumber(), dim};
    return std::nullopt;
  }
  Operation *op = value.getDefiningOp();
  if (auto dps = dyn_cast<DestinationStyleOpInterface>(op))
    if (OpOperand *init = dps.getTiedOpOperand(cast<OpResult>(value)))
      return traceSize(init->get(), dim, depth + 1);
  if (auto castOp = dyn_cast<tensor::CastOp>(op))
    return traceSize(castOp.getSource(), dim, depth + 1);
  if (auto empty = dyn_cast<tensor::EmptyOp>(op))
    return traceIndex(empty.getDynamicSize(dim), depth + 1);
  if (auto reify = dyn_cast<ReifyRankedShapedTypeOpInterface>(op)) {
    OpBuilder builder(op);
    ReifiedRankedShapedTypeDims shapes;
    if (failed(reify.reifyResultShapes(builder, shapes)))
      return std::nullopt;
    OpFoldResult size = shapes[cast<OpResult>(value).getResultNumber()][dim];
    if (std::optional<int64_t> constant = getConstantIntValue(size))
      return SizeSource{*constant};
    return traceIndex(cast<Value>(size), depth + 1);
  }
  return std::nullopt;
}

/// A size the caller's descriptors must have: size `dim` of parameter
/// `param` equal to `expected`.
struct Check {
  int64_t param, dim;
  SizeSource expected;
  std::string message;
};

/// The wrapper's parameter names in messages: in0, in1, ..., out0, ...
std::string describeParam(int64_t param, int64_t numInputs) {
  return param < numInputs ? "in" + std::to_string(param)
                           : "out" + std::to_string(param - numInputs);
}

/// The run-time conditions an op of the dialect puts on its operands'
/// sizes, as pairs of (operand, dim) that must agree.
struct OperandSizes {
  Value operand;
  int64_t dim;
  Value like;
  int64_t likeDim;
};

SmallVector<OperandSizes> getOperandSizeConditions(Operation *op) {
  SmallVector<OperandSizes> conditions;
  auto rank = [](Value v) {
    return cast<RankedTensorType>(v.getType()).getRank();
  };
  auto sameShape = [&](Value a, Value b) {
    for (int64_t d = 0, e = rank(a); d < e; ++d)
      conditions.push_back({b, d, a, d});
  };
  if (auto grad = dyn_cast<SoftmaxGradOp>(op))
    sameShape(grad.getOutput(), grad.getOutputGrad());
  else if (auto grad = dyn_cast<LogSoftmaxGradOp>(op))
    sameShape(grad.getOutput(), grad.getOutputGrad());
  else if (auto grad = dyn_cast<SparsemaxGradOp>(op))
    sameShape(grad.getOutput(), grad.getOutputGrad());
  else if (auto grad = dyn_cast<EntmaxGradOp>(op))
    sameShape(grad.getOutput(), grad.getOutputGrad());
  auto rowsOf = [&](Value logits, int64_t dim, Value perRow) {
    for (int64_t d = 0, e = rank(perRow); d < e; ++d)
      conditions.push_back({perRow, d, logits, d < dim ? d : d + 1});
  };
  if (auto ce = dyn_cast<CrossEntropyOp>(op))
    rowsOf(ce.getLogits(), ce.getDim(), ce.getLabels());
  if (auto ce = dyn_cast<CrossEntropyGradOp>(op)) {
    rowsOf(ce.getLogits(), ce.getDim(), ce.getLabels());
    rowsOf(ce.getLogits(), ce.getDim(), ce.getLossGrad());
  }
  // A mask broadcasts against the input's trailing dims where its size is
  // a static 1; its other sizes must be the input's.
  auto masked = [&](Value input, Value mask) {
    if (!mask)
      return;
    auto maskType = cast<RankedTensorType>(mask.getType());
    int64_t offset = rank(input) - maskType.getRank();
    for (int64_t d = 0, e = maskType.getRank(); d < e; ++d)
      if (maskType.getDimSize(d) != 1)
        conditions.push_back({mask, d, input, d + offset});
  };
  if (auto softmax = dyn_cast<SoftmaxOp>(op))
    masked(softmax.getInput(), softmax.getMask());
  if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op))
    masked(logSoftmax.getInput(), logSoftmax.getMask());
  return conditions;
}

/// The function reporting a failed check, defined once per module: it
/// counts the error in `softmax_mlir_error_count` and calls
/// `softmax_mlir_error_handler` with the message if the caller set one, else
/// writes the message to stderr. Looked up in `symbols` (a hash map, where
/// ModuleOp::lookupSymbol scans the module: once per public function, that
/// was quadratic in their number).
LLVM::LLVMFuncOp getOrCreateReporter(ModuleOp module, SymbolTable &symbols) {
  constexpr StringLiteral name = "__softmax_mlir_report_error";
  if (auto existing = symbols.lookup<LLVM::LLVMFuncOp>(name))
    return existing;
  MLIRContext *ctx = module.getContext();
  Location loc = module.getLoc();
  OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
  auto ptr = LLVM::LLVMPointerType::get(ctx);
  auto i64 = builder.getI64Type();
  auto i32 = builder.getI32Type();
  auto voidType = LLVM::LLVMVoidType::get(ctx);

  auto count = LLVM::GlobalOp::create(
      builder, loc, i64, /*isConstant=*/false, LLVM::Linkage::External,
      "softmax_mlir_error_count", builder.getI64IntegerAttr(0));
  auto handler = LLVM::GlobalOp::create(
      builder, loc, ptr, /*isConstant=*/false, LLVM::Linkage::External,
      "softmax_mlir_error_handler", Attribute());
  {
    Block *init = builder.createBlock(&handler.getInitializerRegion());
    builder.setInsertionPointToStart(init);
    Value null = LLVM::ZeroOp::create(builder, loc, ptr);
    LLVM::ReturnOp::create(builder, loc, null);
    builder.setInsertionPointToEnd(module.getBody());
  }
  auto strlenFn = symbols.lookup<LLVM::LLVMFuncOp>("strlen");
  if (!strlenFn)
    strlenFn = LLVM::LLVMFuncOp::create(builder, loc, "strlen",
                                        LLVM::LLVMFunctionType::get(i64, ptr));
  auto writeFn = symbols.lookup<LLVM::LLVMFuncOp>("write");
  if (!writeFn)
    writeFn = LLVM::LLVMFuncOp::create(
        builder, loc, "write",
        LLVM::LLVMFunctionType::get(i64, {i32, ptr, i64}));

  auto reporter = LLVM::LLVMFuncOp::create(
      builder, loc, name, LLVM::LLVMFunctionType::get(voidType, ptr),
      LLVM::Linkage::Internal);
  // Into the table (their names are new: nothing is renamed).
  for (Operation *symbol :
       {count.getOperation(), handler.getOperation(), strlenFn.getOperation(),
        writeFn.getOperation(), reporter.getOperation()})
    if (!symbols.lookup(SymbolTable::getSymbolName(symbol)))
      symbols.insert(symbol);
  Block *entry = reporter.addEntryBlock(builder);
  Block *toHandler = new Block(), *toStderr = new Block();
  reporter.getBody().push_back(toHandler);
  reporter.getBody().push_back(toStderr);
  Value message = entry->getArgument(0);
  builder.setInsertionPointToStart(entry);
  Value countAddress = LLVM::AddressOfOp::create(builder, loc, count);
  Value one = LLVM::ConstantOp::create(builder, loc, i64, 1);
  LLVM::AtomicRMWOp::create(builder, loc, LLVM::AtomicBinOp::add, countAddress,
                            one, LLVM::AtomicOrdering::seq_cst);
  Value handlerAddress = LLVM::AddressOfOp::create(builder, loc, handler);
  Value callback = LLVM::LoadOp::create(builder, loc, ptr, handlerAddress);
  Value null = LLVM::ZeroOp::create(builder, loc, ptr);
  Value isSet = LLVM::ICmpOp::create(builder, loc, LLVM::ICmpPredicate::ne,
                                     callback, null);
  LLVM::CondBrOp::create(builder, loc, isSet, toHandler, toStderr);
  builder.setInsertionPointToStart(toHandler);
  LLVM::CallOp::create(builder, loc, LLVM::LLVMFunctionType::get(voidType, ptr),
                       ValueRange{callback, message});
  LLVM::ReturnOp::create(builder, loc, ValueRange());
  builder.setInsertionPointToStart(toStderr);
  Value length =
      LLVM::CallOp::create(builder, loc, strlenFn, message).getResult();
  Value stderrFd = LLVM::ConstantOp::create(builder, loc, i32, 2);
  LLVM::CallOp::create(builder, loc, writeFn,
                       ValueRange{stderrFd, message, length});
  LLVM::ReturnOp::create(builder, loc, ValueRange());
  return reporter;
}

/// A name not in `symbols`: `base`, else `base` with a number.
std::string getUnusedName(SymbolTable &symbols, StringRef base) {
  std::string name = base.str();
  for (unsigned i = 0; symbols.lookup(name); ++i)
    name = (base + "_" + Twine(i)).str();
  return name;
}

struct SoftmaxRuntimeChecksPass
    : softmax::impl::SoftmaxRuntimeChecksBase<SoftmaxRuntimeChecksPass> {
  void runOnOperation() override {
    ModuleOp module = getOperation();
    SymbolTable symbols(module);
    SmallVector<func::FuncOp> wrappers;
    for (auto func : module.getOps<func::FuncOp>())
      if (func->hasAttr("llvm.emit_c_interface") && !func.isExternal())
        wrappers.push_back(func);
    messagesName = getUnusedName(symbols, "__softmax_mlir_check_messages");
    messages.clear();
    for (func::FuncOp wrapper : wrappers)
      addChecks(module, symbols, wrapper);
    if (messages.empty())
      return;
    // The messages, NUL-terminated, in one constant: a global each made
    // the module's symbols grow 4.5 times as fast as its functions, and
    // One-Shot Bufferize (LLVM 22) builds the module's symbol table again
    // for every shared-kernel call (10^4 functions: 50 s of 116).
    OpBuilder builder = OpBuilder::atBlockEnd(module.getBody());
    auto type = LLVM::LLVMArrayType::get(builder.getI8Type(), messages.size());
    auto global = LLVM::GlobalOp::create(
        builder, module.getLoc(), type, /*isConstant=*/true,
        LLVM::Linkage::Internal, messagesName, builder.getStringAttr(messages));
    symbols.insert(global);
  }

  /// The name of the module's constant of messages, and its contents so far.
  std::string messagesName, messages;

  /// Checks `wrapper` (softmax-export-c-abi's: to_tensor inputs, one call of
  /// the implementation, its results materialized in the outputs).
  void addChecks(ModuleOp module, SymbolTable &symbols, func::FuncOp wrapper) {
    Block &body = wrapper.getBody().front();
    func::CallOp call;
    for (Operation &op : body)
      if (auto candidate = dyn_cast<func::CallOp>(op))
        call = call ? func::CallOp() : candidate;
    if (!call)
      return;
    auto impl = symbols.lookup<func::FuncOp>(call.getCallee());
    if (!impl || impl.isExternal())
      return;
    int64_t numParams = wrapper.getNumArguments();
    // The wrapper's parameter behind each argument and result of the call.
    SmallVector<int64_t> argParam, resultParam;
    for (Value operand : call.getOperands()) {
      auto toTensor = operand.getDefiningOp<bufferization::ToTensorOp>();
      auto param = toTensor ? dyn_cast<BlockArgument>(toTensor.getBuffer())
                            : BlockArgument();
      if (!param || param.getOwner() != &body)
        return;
      argParam.push_back(param.getArgNumber());
    }
    for (Value result : call.getResults()) {
      bufferization::MaterializeInDestinationOp store;
      for (Operation *user : result.getUsers())
        store = dyn_cast<bufferization::MaterializeInDestinationOp>(user);
      auto param =
          store ? dyn_cast<BlockArgument>(store.getDest()) : BlockArgument();
      if (!param || param.getOwner() != &body)
        return;
      resultParam.push_back(param.getArgNumber());
    }
    int64_t numInputs = numParams - call.getNumResults();
    std::string name = ("@" + wrapper.getSymName()).str();

    // What the sizes must be: the compiled static sizes, the outputs' sizes
    // as the implementation makes them, the operands' of the dialect's ops.
    SmallVector<Check> checks;
    auto paramOf = [&](const SizeSource &source) -> std::optional<SizeSource> {
      if (source.constant)
        return source;
      return SizeSource{std::nullopt, argParam[source.arg], source.dim};
    };
    auto sizeName = [&](int64_t param, int64_t dim) {
      return "the size of " + describeParam(param, numInputs) + " in dim " +
             std::to_string(dim);
    };
    auto describe = [&](const SizeSource &source) {
      return source.constant ? std::to_string(*source.constant)
                             : sizeName(source.arg, source.dim);
    };
    for (int64_t p = 0; p < numParams; ++p) {
      auto type = cast<MemRefType>(wrapper.getArgument(p).getType());
      for (int64_t d = 0; d < type.getRank(); ++d)
        if (!type.isDynamicDim(d))
          checks.push_back({p, d, SizeSource{type.getDimSize(d)},
                            sizeName(p, d) + " must be " +
                                std::to_string(type.getDimSize(d)) +
                                " (the compiled size)"});
    }
    // Traced on a copy: reifying sizes adds ops.
    auto copy = cast<func::FuncOp>(impl->clone());
    auto returnOp = cast<func::ReturnOp>(copy.getBody().back().getTerminator());
    for (auto [result, param] :
         llvm::zip(returnOp.getOperands(), resultParam)) {
      auto type = cast<RankedTensorType>(result.getType());
      for (int64_t d = 0; d < type.getRank(); ++d) {
        if (!type.isDynamicDim(d))
          continue;
        std::optional<SizeSource> source = traceSize(result, d, 0);
        if (!source)
          continue;
        SizeSource expected = *paramOf(*source);
        checks.push_back(
            {param, d, expected,
             sizeName(param, d) + " must be " + describe(expected)});
      }
    }
    copy.walk([&](Operation *op) {
      for (const OperandSizes &condition : getOperandSizeConditions(op)) {
        std::optional<SizeSource> a =
            traceSize(condition.operand, condition.dim, 0);
        std::optional<SizeSource> b =
            traceSize(condition.like, condition.likeDim, 0);
        if (!a || !b || (a->constant && b->constant))
          continue;
        // The size checked is an argument's; the other is its expectation.
        if (a->constant)
          std::swap(a, b);
        SizeSource expected = *paramOf(*b);
        int64_t param = argParam[a->arg];
        checks.push_back(
            {param, a->dim, expected,
             sizeName(param, a->dim) + " must be " + describe(expected)});
      }
    });
    copy->erase();
    if (checks.empty())
      return;

    // The parameters become fully dynamic memrefs (the same descriptors),
    // cast back to their types once their sizes are checked.
    OpBuilder builder = OpBuilder::atBlockBegin(&body);
    Location loc = wrapper.getLoc();
    SmallVector<Value> descriptors;
    SmallVector<Type> newTypes;
    for (int64_t p = 0; p < numParams; ++p) {
      BlockArgument arg = wrapper.getArgument(p);
      auto type = cast<MemRefType>(arg.getType());
      auto dynamic = MemRefType::get(
          SmallVector<int64_t>(type.getRank(), ShapedType::kDynamic),
          type.getElementType());
      newTypes.push_back(dynamic);
      if (type == dynamic) {
        descriptors.push_back(arg);
        continue;
      }
      arg.setType(dynamic);
      auto castOp = memref::CastOp::create(builder, loc, type, arg);
      arg.replaceAllUsesExcept(castOp, castOp);
      descriptors.push_back(arg);
    }
    wrapper.setFunctionType(
        FunctionType::get(&getContext(), newTypes, TypeRange()));

    auto sizeOf = [&](int64_t param, int64_t dim) -> Value {
      return memref::DimOp::create(builder, loc, descriptors[param], dim);
    };
    auto valueOf = [&](const SizeSource &source) -> Value {
      if (source.constant)
        return arith::ConstantIndexOp::create(builder, loc, *source.constant);
      return sizeOf(source.arg, source.dim);
    };
    SmallVector<Value> passed;
    Value all;
    for (const Check &check : checks) {
      Value actual = sizeOf(check.param, check.dim);
      Value ok = arith::CmpIOp::create(builder, loc, arith::CmpIPredicate::eq,
                                       actual, valueOf(check.expected));
      passed.push_back(ok);
      all = all ? arith::AndIOp::create(builder, loc, all, ok).getResult() : ok;
    }

    // The body runs when every check passed; otherwise each failed check
    // is reported and nothing is read or written.
    auto guard = scf::IfOp::create(builder, loc, all, /*withElseRegion=*/true);
    Block *thenBlock = guard.thenBlock();
    Operation *returnOfWrapper = body.getTerminator();
    SmallVector<Operation *> toMove;
    for (Operation *op = guard->getNextNode(); op && op != returnOfWrapper;
         op = op->getNextNode())
      toMove.push_back(op);
    for (Operation *op : toMove)
      op->moveBefore(thenBlock->getTerminator());

    LLVM::LLVMFuncOp reporter = getOrCreateReporter(module, symbols);
    builder.setInsertionPointToStart(guard.elseBlock());
    Value trueValue = arith::ConstantIntOp::create(builder, loc, 1, 1);
    for (auto [check, ok] : llvm::zip(checks, passed)) {
      Value failed = arith::XOrIOp::create(builder, loc, ok, trueValue);
      auto report = scf::IfOp::create(builder, loc, failed);
      OpBuilder::InsertionGuard insertion(builder);
      builder.setInsertionPointToStart(report.thenBlock());
      int64_t offset = messages.size();
      messages += "error: softmax-mlir: " + name + ": " + check.message + "\n";
      messages.push_back('\0');
      auto ptr = LLVM::LLVMPointerType::get(builder.getContext());
      Value table = LLVM::AddressOfOp::create(builder, loc, ptr, messagesName);
      Value address = LLVM::GEPOp::create(
          builder, loc, ptr, builder.getI8Type(), table,
          ArrayRef<LLVM::GEPArg>{offset}, LLVM::GEPNoWrapFlags::inbounds);
      LLVM::CallOp::create(builder, loc, reporter, ValueRange{address});
    }
  }
};
} // namespace
