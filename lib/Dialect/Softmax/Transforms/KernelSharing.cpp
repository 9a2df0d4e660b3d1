//===- KernelSharing.cpp - one kernel function per repeated op ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Outlines the ops of the dialect into private kernel functions and keeps one
// function per group of equal outlines, so that a model repeating its softmax
// shapes compiles each of them once. See the softmax-share-kernels pass.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Bufferization/IR/Bufferization.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/IRMapping.h"
#include "mlir/IR/SymbolTable.h"
#include "llvm/ADT/DenseMap.h"
#include "llvm/ADT/SetVector.h"

using namespace mlir;
using namespace mlir::softmax;

namespace {
/// One occurrence of an op of the dialect and what is outlined with it.
struct Occurrence {
  /// The outlined ops, in block order.
  SmallVector<Operation *> ops;
  /// The one value the ops make for the rest of the function.
  Value result;
  /// The values from outside that the ops use: the kernel's arguments,
  /// before the destination.
  SmallVector<Value> arguments;
  /// Where the destination's dynamic sizes come from: `sizeSource`'s dims
  /// (a value of the result's shape), else `dynamicSizes`.
  Value sizeSource;
  SmallVector<Value> dynamicSizes;
  /// The kernel built for it, not yet in the module.
  func::FuncOp kernel;
};
} // namespace

/// The empty tensor `generic` writes into, when nothing else uses it.
static tensor::EmptyOp getOwnEmptyInit(linalg::GenericOp generic) {
  if (generic.getNumDpsInits() != 1)
    return nullptr;
  auto empty = generic.getDpsInits()[0].getDefiningOp<tensor::EmptyOp>();
  return empty && empty->hasOneUse() ? empty : nullptr;
}

/// Whether `value` is made inside one of `ops` (by it or in its regions).
static bool isDefinedIn(Value value, ArrayRef<Operation *> ops) {
  Operation *owner = value.getDefiningOp();
  if (!owner)
    owner = cast<BlockArgument>(value).getOwner()->getParentOp();
  return llvm::any_of(ops,
                      [&](Operation *op) { return op->isAncestor(owner); });
}

/// Collects what an occurrence of `op` outlines; failure where it cannot be
/// outlined (its ops in different blocks, other than one result used
/// outside, a destination whose sizes are not known before it).
static FailureOr<Occurrence> collectOccurrence(Operation *op) {
  Occurrence occurrence;
  SmallVector<Operation *> &ops = occurrence.ops;
  ops.push_back(op);
  linalg::GenericOp producer;
  tensor::EmptyOp producerInit;
  auto addWithInit = [&](linalg::GenericOp generic) {
    ops.push_back(generic);
    tensor::EmptyOp empty = getOwnEmptyInit(generic);
    if (empty)
      ops.push_back(empty);
    return empty;
  };
  if (std::optional<NormalizeOperands> operands = getNormalizeOperands(op)) {
    if (op->hasAttr(kFuseProducerAttrName) &&
        (producer = getFusableProducer(operands->input, operands->dim)))
      producerInit = addWithInit(producer);
    if (linalg::GenericOp consumer = getMarkedConsumer(op, operands->dim))
      addWithInit(consumer);
  }
  if (llvm::any_of(ops, [&](Operation *member) {
        return member->getBlock() != op->getBlock();
      }))
    return failure();
  llvm::sort(ops,
             [](Operation *a, Operation *b) { return a->isBeforeInBlock(b); });

  // The one result used outside, and the values used from outside.
  auto isInside = [&](Operation *user) {
    return llvm::any_of(
        ops, [&](Operation *member) { return member->isAncestor(user); });
  };
  llvm::SetVector<Value> arguments;
  for (Operation *member : ops) {
    for (Value result : member->getResults()) {
      if (llvm::all_of(result.getUsers(), isInside))
        continue;
      if (occurrence.result)
        return failure();
      occurrence.result = result;
    }
    member->walk([&](Operation *nested) {
      for (Value operand : nested->getOperands())
        if (!isDefinedIn(operand, ops))
          arguments.insert(operand);
    });
  }
  if (!occurrence.result)
    return failure();
  auto resultType = dyn_cast<RankedTensorType>(occurrence.result.getType());
  if (!resultType)
    return failure();
  occurrence.arguments = arguments.takeVector();

  // The destination's dynamic sizes: those of the op's first operand, of
  // the result's shape (or of what the fused producer writes into).
  if (resultType.hasStaticShape())
    return occurrence;
  if (op->getNumOperands() == 0)
    return failure();
  Value source = op->getOperand(0);
  auto sourceType = dyn_cast<RankedTensorType>(source.getType());
  if (!sourceType || sourceType.getShape() != resultType.getShape())
    return failure();
  if (producer && source == producer->getResult(0)) {
    if (producerInit) {
      occurrence.dynamicSizes = llvm::to_vector(producerInit.getDynamicSizes());
      return occurrence;
    }
    source = producer.getDpsInits()[0];
  }
  occurrence.sizeSource = source;
  return occurrence;
}

/// Builds the kernel of `occurrence`, outside any module: its ops on the
/// arguments, the result materialized in the last argument.
static func::FuncOp buildKernel(const Occurrence &occurrence) {
  Operation *first = occurrence.ops.front();
  Location loc = first->getLoc();
  MLIRContext *ctx = first->getContext();
  SmallVector<Type> argumentTypes;
  for (Value argument : occurrence.arguments)
    argumentTypes.push_back(argument.getType());
  Type resultType = occurrence.result.getType();
  argumentTypes.push_back(resultType);
  auto kernel =
      func::FuncOp::create(loc, "__softmax_kernel",
                           FunctionType::get(ctx, argumentTypes, resultType));
  kernel.setPrivate();
  // Local to the shared library it is compiled into: an exported kernel of
  // the same name in another one loaded before would be called instead.
  kernel->setAttr("llvm.linkage",
                  LLVM::LinkageAttr::get(ctx, LLVM::Linkage::Internal));
  Block *entry = kernel.addEntryBlock();
  IRMapping mapping;
  mapping.map(occurrence.arguments,
              entry->getArguments().take_front(occurrence.arguments.size()));
  OpBuilder builder = OpBuilder::atBlockBegin(entry);
  for (Operation *op : occurrence.ops)
    builder.clone(*op, mapping);
  auto written = bufferization::MaterializeInDestinationOp::create(
      builder, loc, mapping.lookup(occurrence.result),
      entry->getArguments().back());
  func::ReturnOp::create(builder, loc, written.getResult());
  return kernel;
}

/// A hash of `kernel` that equal kernels share: its type and its ops'
/// names, attributes and types, not their locations.
static llvm::hash_code hashKernel(func::FuncOp kernel) {
  llvm::hash_code hash = hash_value(kernel.getFunctionType());
  kernel.getBody().walk([&](Operation *op) {
    hash =
        llvm::hash_combine(hash, OperationEquivalence::computeHash(
                                     op, OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::ignoreHashValue,
                                     OperationEquivalence::IgnoreLocations));
  });
  return hash;
}

static bool areEqualKernels(func::FuncOp a, func::FuncOp b) {
  return a.getFunctionType() == b.getFunctionType() &&
         OperationEquivalence::isRegionEquivalentTo(
             &a.getBody(), &b.getBody(), OperationEquivalence::IgnoreLocations);
}

/// Replaces `occurrence`'s ops by a call of `kernel` writing into a new
/// empty tensor.
static void callKernel(const Occurrence &occurrence, func::FuncOp kernel) {
  Operation *last = occurrence.ops.back();
  Location loc = last->getLoc();
  OpBuilder builder(last);
  auto resultType = cast<RankedTensorType>(occurrence.result.getType());
  SmallVector<Value> sizes = occurrence.dynamicSizes;
  if (occurrence.sizeSource)
    for (int64_t i = 0, e = resultType.getRank(); i < e; ++i)
      if (resultType.isDynamicDim(i))
        sizes.push_back(
            tensor::DimOp::create(builder, loc, occurrence.sizeSource, i));
  Value destination = tensor::EmptyOp::create(
      builder, loc, resultType.getShape(), resultType.getElementType(), sizes);
  SmallVector<Value> operands = occurrence.arguments;
  operands.push_back(destination);
  auto call = func::CallOp::create(builder, loc, kernel, operands);
  call.setNoInline(true);
  Value result = occurrence.result;
  result.replaceAllUsesWith(call.getResult(0));
  for (Operation *op : llvm::reverse(occurrence.ops))
    op->erase();
}

int64_t mlir::softmax::shareKernels(ModuleOp module, int64_t minUses) {
  // The occurrences, in program order, none sharing an op with another.
  Dialect *dialect = module.getContext()->getLoadedDialect<SoftmaxDialect>();
  SmallVector<Occurrence> occurrences;
  llvm::DenseSet<Operation *> claimed;
  for (auto func : module.getOps<func::FuncOp>()) {
    func.walk([&](Operation *op) {
      if (op->getDialect() != dialect || claimed.contains(op))
        return;
      FailureOr<Occurrence> occurrence = collectOccurrence(op);
      if (failed(occurrence) ||
          llvm::any_of(occurrence->ops, [&](Operation *member) {
            return claimed.contains(member);
          }))
        return;
      claimed.insert(occurrence->ops.begin(), occurrence->ops.end());
      occurrences.push_back(std::move(*occurrence));
    });
  }

  // Equal kernels grouped under the first occurrence's.
  DenseMap<size_t, SmallVector<size_t>> byHash;
  SmallVector<size_t> representative(occurrences.size());
  SmallVector<int64_t> uses(occurrences.size(), 0);
  for (size_t i = 0, e = occurrences.size(); i < e; ++i) {
    Occurrence &occurrence = occurrences[i];
    occurrence.kernel = buildKernel(occurrence);
    SmallVector<size_t> &bucket =
        byHash[static_cast<size_t>(hashKernel(occurrence.kernel))];
    auto *equal = llvm::find_if(bucket, [&](size_t j) {
      return areEqualKernels(occurrences[j].kernel, occurrence.kernel);
    });
    representative[i] = equal == bucket.end() ? i : *equal;
    if (equal == bucket.end())
      bucket.push_back(i);
    ++uses[representative[i]];
  }

  // The kernels used often enough go into the module, in order before its
  // first operation; the others are dropped. At the front, a call's symbol
  // lookup (a scan of the module from its start, as upstream's function
  // boundary bufferization and drop-equivalent-buffer-results look calls
  // up) finds its kernel after the few kernels, not after every function:
  // a module of 3000 functions took those two passes 4.4 s and 2.1 s with
  // the kernels last, 7x and 17x their time at 1000. The occurrences are
  // replaced last to first, so that each one's arguments are still those it
  // collected (an earlier occurrence's result is replaced in the later
  // call).
  SymbolTable symbolTable(module);
  auto shared = [&](size_t first) { return uses[first] >= minUses; };
  int64_t made = 0;
  Block::iterator insertAt = module.getBody()->begin();
  for (size_t i = 0, e = occurrences.size(); i < e; ++i) {
    if (representative[i] != i || !shared(i))
      continue;
    func::FuncOp kernel = occurrences[i].kernel;
    kernel.setSymName(("__softmax_kernel_" + Twine(made++)).str());
    symbolTable.insert(kernel, insertAt);
    insertAt = std::next(Block::iterator(kernel));
  }
  for (size_t i = occurrences.size(); i-- > 0;) {
    Occurrence &occurrence = occurrences[i];
    size_t first = representative[i];
    if (shared(first))
      callKernel(occurrence, occurrences[first].kernel);
    if (first != i || !shared(first))
      occurrence.kernel->destroy();
  }
  return made;
}
