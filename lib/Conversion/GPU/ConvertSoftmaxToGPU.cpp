//===- ConvertSoftmaxToGPU.cpp - the convert-softmax-to-gpu pass ----------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

#include "softmax-mlir/Conversion/GPU/DeviceBuffers.h"
#include "softmax-mlir/Conversion/GPU/RowKernels.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/IR/SymbolTable.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_CONVERTSOFTMAXTOGPU
#include "softmax-mlir/Conversion/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {

/// CUDA's limit on a grid's x dimension (the kernels use only x).
constexpr int64_t kMaxGridX = (int64_t(1) << 31) - 1;

/// `buffer` as a rank-2 [rows x length] memref (it has the identity
/// layout).
Value asRows(OpBuilder &b, Location loc, Value buffer) {
  auto type = cast<MemRefType>(buffer.getType());
  int64_t rank = type.getRank();
  if (rank == 2)
    return buffer;
  if (rank == 1)
    return memref::ExpandShapeOp::create(
        b, loc, MemRefType::get({1, type.getDimSize(0)}, type.getElementType()),
        buffer, ArrayRef<ReassociationIndices>{{0, 1}});
  ReassociationIndices outer;
  for (int64_t i = 0; i < rank - 1; ++i)
    outer.push_back(i);
  return memref::CollapseShapeOp::create(
      b, loc, buffer,
      ArrayRef<ReassociationIndices>{outer, ReassociationIndices{rank - 1}});
}

/// `buffer` (static, identity layout) as [rows x length x inner] for the
/// column strategy.
Value asColumns(OpBuilder &b, Location loc, Value buffer,
                const RowKernelConfig &config) {
  auto type = cast<MemRefType>(buffer.getType());
  return memref::ReinterpretCastOp::create(
      b, loc,
      MemRefType::get({config.rows, config.length, config.inner},
                      type.getElementType()),
      buffer, b.getIndexAttr(0),
      ArrayRef<OpFoldResult>{b.getIndexAttr(config.rows),
                             b.getIndexAttr(config.length),
                             b.getIndexAttr(config.inner)},
      ArrayRef<OpFoldResult>{b.getIndexAttr(config.length * config.inner),
                             b.getIndexAttr(config.inner), b.getIndexAttr(1)});
}

/// The runtime function that gives the current device's multiprocessors
/// (runtime/CUDARuntime.cpp), declared in `module` on first use.
func::FuncOp getMultiprocessorCount(ModuleOp module) {
  constexpr StringLiteral name = "softmax_mlir_cuda_multiprocessor_count";
  if (auto func = module.lookupSymbol<func::FuncOp>(name))
    return func;
  OpBuilder b = OpBuilder::atBlockBegin(module.getBody());
  auto func = func::FuncOp::create(
      b, module.getLoc(), name, b.getFunctionType({}, {b.getIntegerType(32)}));
  func.setPrivate();
  return func;
}

/// Builds `vectorLaunch` where `address` (the buffers' addresses or'ed, and
/// whatever else must be a whole number of vectors) is a multiple of
/// `vectorBytes`, else `scalarLaunch`: the C ABI promises only the
/// element's alignment.
void buildAlignedDispatch(OpBuilder &b, Location loc, Value address,
                          int64_t vectorBytes,
                          function_ref<void()> vectorLaunch,
                          function_ref<void()> scalarLaunch) {
  Value aligned = arith::CmpIOp::create(
      b, loc, arith::CmpIPredicate::eq,
      arith::RemUIOp::create(
          b, loc, address, arith::ConstantIndexOp::create(b, loc, vectorBytes)),
      arith::ConstantIndexOp::create(b, loc, 0));
  auto ifOp = scf::IfOp::create(b, loc, aligned, /*withElse=*/true);
  OpBuilder::InsertionGuard guard(b);
  b.setInsertionPointToStart(ifOp.thenBlock());
  vectorLaunch();
  b.setInsertionPointToStart(ifOp.elseBlock());
  scalarLaunch();
}

/// The buffers an op's kernels read and write. An operand that is a
/// `bufferization.to_tensor` of a memref with the identity layout (a
/// function argument, after softmax-export-c-abi and inlining) is read
/// there; any other gets a `bufferization.to_buffer`, which One-Shot
/// Bufferize resolves to its producer's buffer. The result is written into
/// the memref of its only use, a `bufferization.materialize_in_destination`
/// (a function result), where that has the identity layout, else into a
/// new `memref.alloc` that a `bufferization.to_tensor` hands to the op's
/// users. The launches go where the op is.
class OpBuffers {
public:
  explicit OpBuffers(Operation *op) : op(op), b(op) {}

  OpBuilder &builder() { return b; }

  /// The buffer `operand` is read from.
  Value getInput(Value operand) {
    auto type = cast<RankedTensorType>(operand.getType());
    // Only a tensor nothing writes in place (an argument's): a writable
    // one (another op's new buffer) is read through a to_buffer, so that
    // One-Shot Bufferize sees the read before any later in-place write.
    if (auto toTensor = operand.getDefiningOp<bufferization::ToTensorOp>()) {
      if (!toTensor.getWritable() &&
          cast<MemRefType>(toTensor.getBuffer().getType())
              .getLayout()
              .isIdentity()) {
        // An argument read twice (softmax_grad %y, %y) is erased once.
        if (!llvm::is_contained(toTensors, toTensor))
          toTensors.push_back(toTensor);
        return toTensor.getBuffer();
      }
    }
    return bufferization::ToBufferOp::create(
        b, op->getLoc(),
        MemRefType::get(type.getShape(), type.getElementType()), operand,
        /*readOnly=*/true);
  }

  /// The buffer the result is written to; a new one takes its dynamic
  /// sizes from `like` (a buffer of the same shape).
  Value getOutput(Value like = nullptr) {
    Value result = op->getResult(0);
    auto type = cast<RankedTensorType>(result.getType());
    materialize = result.hasOneUse()
                      ? dyn_cast<bufferization::MaterializeInDestinationOp>(
                            *result.getUsers().begin())
                      : nullptr;
    if (materialize) {
      auto dest = dyn_cast<MemRefType>(materialize.getDest().getType());
      if (dest && dest.getLayout().isIdentity())
        return materialize.getDest();
      materialize = nullptr;
    }
    SmallVector<Value> sizes;
    assert((type.hasStaticShape() || like) &&
           "a new buffer of a dynamic shape needs one to take its sizes from");
    for (int64_t i = 0; i < type.getRank(); ++i)
      if (type.isDynamicDim(i))
        sizes.push_back(memref::DimOp::create(b, op->getLoc(), like, i));
    alloc = memref::AllocOp::create(
        b, op->getLoc(),
        MemRefType::get(type.getShape(), type.getElementType()), sizes);
    return alloc;
  }

  /// Erases the op once its launches are built, its result (if it had no
  /// destination) the new buffer's tensor.
  void finish() {
    if (materialize) {
      materialize.erase();
    } else {
      // Where the op is, after its launches (which may be in an scf.if).
      OpBuilder here(op);
      Value tensor = bufferization::ToTensorOp::create(
          here, op->getLoc(), op->getResult(0).getType(), alloc,
          /*restrict=*/true, /*writable=*/true);
      op->getResult(0).replaceAllUsesWith(tensor);
    }
    op->erase();
    for (bufferization::ToTensorOp toTensor : toTensors)
      if (toTensor->use_empty())
        toTensor.erase();
  }

private:
  Operation *op;
  OpBuilder b;
  SmallVector<bufferization::ToTensorOp> toTensors;
  bufferization::MaterializeInDestinationOp materialize;
  Value alloc;
};

struct ConvertSoftmaxToGPUPass
    : softmax::impl::ConvertSoftmaxToGPUBase<ConvertSoftmaxToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    WalkResult unsupported = module.walk([&](Operation *op) {
      if (getRowOperands(op)) {
        ops.push_back(op);
      } else if (isa<SoftmaxDialect>(op->getDialect())) {
        op->emitError("'") << op->getName() << "' has no GPU lowering";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (unsupported.wasInterrupted())
      return signalPassFailure();
    if (!ops.empty()) {
      gpu::GPUModuleOp kernels = getOrCreateKernelModule(module);
      SymbolTable symbols(kernels);
      llvm::DenseMap<Operation *, int64_t> opsPerFunction;
      for (Operation *op : ops)
        if (failed(convert(op, kernels, symbols, opsPerFunction)))
          return signalPassFailure();
    }
  }

  LogicalResult convert(Operation *op, gpu::GPUModuleOp kernels,
                        SymbolTable &symbols,
                        llvm::DenseMap<Operation *, int64_t> &opsPerFunction) {
    NormalizeOperands rowOperands = *getRowOperands(op);
    Value input = rowOperands.input;
    int64_t dim = rowOperands.dim;
    auto type = dyn_cast<RankedTensorType>(input.getType());
    auto strategyName = op->getAttrOfType<StringAttr>(kGPUStrategyAttrName);
    if (!type || !strategyName)
      return op->emitError("no GPU strategy for this op (")
             << kGPUStrategyAttrName
             << " is set by softmax-gpu-strategy on ops over ranked "
                "tensors)";
    std::optional<GPUStrategy> strategy =
        parseGPUStrategy(strategyName.getValue());
    if (!strategy)
      return op->emitError("unknown ")
             << kGPUStrategyAttrName << " '" << strategyName.getValue()
             << "' (expected warp_row, persistent_row, block_row, split_row, "
                "by_length or column)";
    auto elementType = cast<FloatType>(type.getElementType());
    if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
      return op->emitError("element type ")
             << elementType << " has no GPU lowering yet (f16, bf16, f32)";
    if (!getNormalizeOperands(op))
      return convertFamily(op, type, *strategy, strategyName, kernels, symbols,
                           opsPerFunction);
    bool isColumn = *strategy == GPUStrategy::Column;
    bool byLength = *strategy == GPUStrategy::ByLength;
    if (!isColumn &&
        (dim != type.getRank() - 1 || (type.isDynamicDim(dim) && !byLength)))
      return op->emitError(
          "the row strategies need the innermost dim, of a static size "
          "(by_length takes one known at run time; other dims take the "
          "column strategy)");
    // [rows x length x inner] around the reduced dim.
    int64_t length = type.getDimSize(dim);
    int64_t rows = getGPURowCount(type, dim), inner = 1;
    for (int64_t i = dim + 1; i < type.getRank(); ++i)
      inner = ShapedType::isDynamic(inner) || type.isDynamicDim(i)
                  ? ShapedType::kDynamic
                  : inner * type.getDimSize(i);
    bool dynamicRows = ShapedType::isDynamic(rows);
    // Columns of a size known at run time: the kernels take the sizes.
    bool dynamicColumns =
        isColumn && (dynamicRows || ShapedType::isDynamic(length) ||
                     ShapedType::isDynamic(inner));
    // The most a row holds: 64 elements a lane of a warp row, 32 a lane of
    // a persistent row's group or a thread of a block.
    int64_t maxLength = *strategy == GPUStrategy::WarpRow ? kGPUWarpRowMaxLength
                        : *strategy == GPUStrategy::PersistentRow
                            ? kGPUShortRowMaxLength
                            : kGPUMaxRowLength;
    if (*strategy != GPUStrategy::SplitRow && !isColumn && !byLength &&
        length > maxLength)
      return op->emitError("rows of ")
             << length << " elements are longer than the " << strategyName
             << " strategy holds (" << maxLength << ")";

    OpBuffers opBuffers(op);
    OpBuilder &b = opBuffers.builder();
    Value inputBuffer = opBuffers.getInput(input);
    Value outputBuffer = opBuffers.getOutput(inputBuffer);
    auto eraseOp = [&]() { opBuffers.finish(); };
    if (rows == 0 || length == 0 || inner == 0) {
      // Nothing to compute.
      eraseOp();
      return success();
    }

    // The variants the op compiles to: one, or for by_length one for each
    // range of row lengths, chosen at run time.
    RowKernelConfig config;
    config.strategy = *strategy;
    config.logarithmic = isa<LogSoftmaxOp>(op);
    config.elementType = elementType;
    config.length = length;
    config.rows = rows;
    config.inner = inner;
    int64_t elementBytes = elementType.getWidth() / 8;
    SmallVector<LengthVariant> variants;
    if (byLength)
      variants = getLengthVariants(config, elementBytes);
    else
      variants.push_back({config, length, length, ""});
    // A grid known here must fit (a persistent one is capped at run time).
    for (const LengthVariant &variant : variants) {
      for (const RowKernelConfig &c :
           {variant.config, getElementwiseConfig(variant.config)}) {
        RowKernelLaunch launch = getRowKernelLaunch(c);
        if (!launch.blocksPerMultiprocessor &&
            !ShapedType::isDynamic(launch.grid[0]) &&
            launch.grid[0] > kMaxGridX)
          return op->emitError("the ")
                 << stringifyGPUStrategy(c.strategy) << " strategy needs "
                 << launch.grid[0] << " blocks, more than a grid holds ("
                 << kMaxGridX << ")";
      }
    }

    auto function = op->getParentOfType<FunctionOpInterface>();
    int64_t &count = opsPerFunction[function];
    std::string name = (function.getName() + "_" +
                        op->getName().stripDialect() + "_" + Twine(count++))
                           .str();
    Builder attrs(op->getContext());
    // A size for the kernel's description: a number, or the launcher's
    // expression in the rows M and the row length N where they are dynamic
    // (split rows: chunks), and in the device's multiprocessors num_sms for
    // a persistent grid.
    auto rowsText = dynamicRows ? std::string("M") : std::to_string(rows);
    auto gridAttr = [&](const RowKernelConfig &c,
                        const RowKernelLaunch &launch) {
      SmallVector<Attribute> values;
      for (auto [i, size] : llvm::enumerate(launch.grid)) {
        std::string text;
        if (!ShapedType::isDynamic(size))
          text = std::to_string(size);
        else if (c.strategy == GPUStrategy::Column)
          text = rowsText + " * cdiv(" +
                 (ShapedType::isDynamic(c.inner) ? std::string("K")
                                                 : std::to_string(c.inner)) +
                 ", " +
                 std::to_string(kGPUColumnThreads *
                                getRowKernelVectorElements(c)) +
                 ")";
        else if (c.strategy == GPUStrategy::SplitRow)
          text =
              rowsText + " * " +
              (c.dynamicLength
                   ? "cdiv(N, " + std::to_string(kGPUSplitChunkElements) + ")"
                   : std::to_string(getSplitRowChunks(c)));
        else if (launch.rowsPerBlock == 1)
          text = rowsText;
        else
          text = "cdiv(M, " + std::to_string(launch.rowsPerBlock) + ")";
        if (launch.blocksPerMultiprocessor && i == 0)
          text = "min(" + text + ", num_sms * " +
                 std::to_string(launch.blocksPerMultiprocessor) + ")";
        else if (!ShapedType::isDynamic(size)) {
          values.push_back(attrs.getI64IntegerAttr(size));
          continue;
        }
        values.push_back(attrs.getStringAttr(text));
      }
      return attrs.getArrayAttr(values);
    };
    // The kernels of `variant` under `kernelName` (split_row's first one
    // with the suffix _stats), with the launch description the last one
    // carries.
    auto makeKernels = [&](StringRef kernelName, const LengthVariant &variant) {
      const RowKernelConfig &c = variant.config;
      SmallVector<gpu::GPUFuncOp> made;
      SmallVector<Attribute> launches;
      RowKernelLaunch launch = getRowKernelLaunch(c);
      for (RowKernelRole role : getRowKernelRoles(c)) {
        std::string funcName = kernelName.str();
        if (role == RowKernelRole::SplitStats)
          funcName += "_stats";
        OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
        gpu::GPUFuncOp kernel =
            buildRowKernel(kb, op->getLoc(), funcName, c, role);
        symbols.insert(kernel);
        made.push_back(kernel);
        SmallVector<StringRef> params = {"ptr:in"};
        if (role != RowKernelRole::SplitStats)
          params.push_back("ptr:out");
        if (role != RowKernelRole::Row)
          params.push_back("ptr:ws0");
        if (dynamicColumns) {
          params.append({"i64:M", "i64:N", "i64:K"});
        } else {
          if (dynamicRows || c.dynamicLength)
            params.push_back("i64:M");
          if (c.dynamicLength)
            params.push_back("i64:N");
        }
        launches.push_back(attrs.getDictionaryAttr({
            attrs.getNamedAttr("kernel", attrs.getStringAttr(kernel.getName())),
            attrs.getNamedAttr("params", attrs.getStrArrayAttr(params)),
            attrs.getNamedAttr("grid", gridAttr(c, launch)),
            attrs.getNamedAttr("block", attrs.getI64ArrayAttr(launch.block)),
        }));
      }
      SmallVector<Attribute> workspace;
      if (c.strategy == GPUStrategy::SplitRow) {
        // rows x chunks x (max, sum, count) f32.
        int64_t chunks = getSplitRowChunks(c);
        if (!dynamicRows && !c.dynamicLength)
          workspace.push_back(attrs.getI64IntegerAttr(c.rows * chunks * 12));
        else
          workspace.push_back(attrs.getStringAttr(
              rowsText + " * " +
              (c.dynamicLength
                   ? "cdiv(N, " + std::to_string(kGPUSplitChunkElements) + ")"
                   : std::to_string(chunks)) +
              " * 12"));
      }
      SmallVector<NamedAttribute> info = {
          attrs.getNamedAttr("op",
                             attrs.getStringAttr(op->getName().stripDialect())),
          attrs.getNamedAttr(
              "dtype", attrs.getStringAttr(elementType.isF32()   ? "f32"
                                           : elementType.isF16() ? "f16"
                                                                 : "bf16")),
          attrs.getNamedAttr("strategy", attrs.getStringAttr(
                                             stringifyGPUStrategy(c.strategy))),
          attrs.getNamedAttr("shape",
                             attrs.getI64ArrayAttr(
                                 {dynamicRows ? int64_t(-1) : c.rows,
                                  c.dynamicLength ? int64_t(-1) : c.length})),
          attrs.getNamedAttr("alignment",
                             attrs.getI64IntegerAttr(
                                 getRowKernelVectorElements(c) * elementBytes)),
          attrs.getNamedAttr("launches", attrs.getArrayAttr(launches)),
          attrs.getNamedAttr("workspace", attrs.getArrayAttr(workspace)),
      };
      if (isColumn)
        info.push_back(attrs.getNamedAttr(
            "inner", attrs.getI64IntegerAttr(
                         ShapedType::isDynamic(c.inner) ? -1 : c.inner)));
      if (c.dynamicLength)
        info.push_back(attrs.getNamedAttr(
            "lengths",
            attrs.getI64ArrayAttr({variant.minLength, variant.maxLength})));
      made.back()->setAttr(kGPUKernelInfoAttrName,
                           attrs.getDictionaryAttr(info));
      return std::make_pair(made, launch);
    };

    Location loc = op->getLoc();
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, loc, value);
    };
    // The buffers as [rows x length] (static columns: [rows x length x
    // inner]; columns of sizes known at run time are passed as they are,
    // with their sizes).
    auto view = [&](Value buffer) -> Value {
      if (!isColumn)
        return asRows(b, loc, buffer);
      return dynamicColumns ? buffer : asColumns(b, loc, buffer, config);
    };
    Value inputRows = view(inputBuffer);
    Value outputRows = view(outputBuffer);
    // The product of the input's dims [from, to), at run time.
    auto dimsProduct = [&](int64_t from, int64_t to) -> Value {
      Value product = nullptr;
      for (int64_t i = from; i < to; ++i) {
        Value size = memref::DimOp::create(b, loc, inputBuffer, i);
        product = product
                      ? arith::MulIOp::create(b, loc, product, size).getResult()
                      : size;
      }
      return product ? product : constant(1);
    };
    Value rowsValue =
        !dynamicRows ? constant(rows)
        : isColumn   ? dimsProduct(0, dim)
                     : memref::DimOp::create(b, loc, inputRows, 0).getResult();
    Value lengthValue =
        !ShapedType::isDynamic(length)
            ? constant(length)
            : memref::DimOp::create(b, loc, inputBuffer, dim).getResult();
    Value innerValue = !ShapedType::isDynamic(inner)
                           ? constant(inner)
                           : dimsProduct(dim + 1, type.getRank());
    // No rows, no launch (a grid of size 0 is an error in CUDA), nor for
    // empty rows or columns.
    std::optional<OpBuilder::InsertionGuard> nonEmptyGuard;
    SmallVector<Value> sizesToTest;
    if (dynamicRows)
      sizesToTest.push_back(rowsValue);
    if (ShapedType::isDynamic(length))
      sizesToTest.push_back(lengthValue);
    if (ShapedType::isDynamic(inner))
      sizesToTest.push_back(innerValue);
    if (!sizesToTest.empty()) {
      Value any = nullptr;
      for (Value size : sizesToTest) {
        Value nonZero = arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne,
                                              size, constant(0));
        any = any ? arith::AndIOp::create(b, loc, any, nonZero).getResult()
                  : nonZero;
      }
      auto ifOp = scf::IfOp::create(b, loc, any, /*withElse=*/false);
      nonEmptyGuard.emplace(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
    }
    // The kernels' arguments: the buffers, or, for dynamic rows, their
    // first row's static views and the rows, or for a dynamic length stubs
    // and the rows and length (see getRowKernelArgumentTypes).
    auto kernelArgs = [&](const RowKernelConfig &c,
                          ArrayRef<Value> buffers) -> SmallVector<Value> {
      if (dynamicColumns) {
        SmallVector<Value> args;
        for (Value buffer : buffers)
          args.push_back(memref::ReinterpretCastOp::create(
              b, loc,
              MemRefType::get(
                  {1}, cast<MemRefType>(buffer.getType()).getElementType()),
              buffer, b.getIndexAttr(0),
              ArrayRef<OpFoldResult>{b.getIndexAttr(1)},
              ArrayRef<OpFoldResult>{b.getIndexAttr(1)}));
        args.append({rowsValue, lengthValue, innerValue});
        return args;
      }
      if (!dynamicRows && !c.dynamicLength)
        return SmallVector<Value>(buffers);
      SmallVector<Value> args;
      for (Value buffer : buffers) {
        auto type = cast<MemRefType>(buffer.getType());
        // A stub: one element (the workspace: one (max, sum, count)).
        SmallVector<int64_t> inner(type.getShape().drop_front());
        if (c.dynamicLength)
          inner = {type.getRank() == 3 ? int64_t(3) : int64_t(1)};
        SmallVector<OpFoldResult> sizes, strides;
        int64_t stride = 1;
        for (int64_t size : llvm::reverse(inner)) {
          strides.insert(strides.begin(), b.getIndexAttr(stride));
          sizes.insert(sizes.begin(), b.getIndexAttr(size));
          stride *= size;
        }
        args.push_back(memref::ReinterpretCastOp::create(
            b, loc, MemRefType::get(inner, type.getElementType()), buffer,
            b.getIndexAttr(0), sizes, strides));
      }
      args.push_back(rowsValue);
      if (c.dynamicLength)
        args.push_back(lengthValue);
      return args;
    };
    // The chunks of a split row.
    auto chunksOf = [&](const RowKernelConfig &c) -> Value {
      if (!c.dynamicLength)
        return constant(getSplitRowChunks(c));
      return arith::CeilDivUIOp::create(b, loc, lengthValue,
                                        constant(kGPUSplitChunkElements));
    };
    auto launchAll = [&](const RowKernelConfig &c,
                         ArrayRef<gpu::GPUFuncOp> made,
                         const RowKernelLaunch &launch) {
      auto size = [&](int64_t i) -> Value {
        int64_t value = launch.grid[i];
        if (!ShapedType::isDynamic(value))
          return constant(value);
        if (c.strategy == GPUStrategy::SplitRow)
          return arith::MulIOp::create(b, loc, rowsValue, chunksOf(c));
        if (c.strategy == GPUStrategy::Column)
          return arith::MulIOp::create(
              b, loc, rowsValue,
              arith::CeilDivUIOp::create(
                  b, loc, innerValue,
                  constant(kGPUColumnThreads * getRowKernelVectorElements(c))));
        if (launch.rowsPerBlock == 1)
          return rowsValue;
        return arith::CeilDivUIOp::create(b, loc, rowsValue,
                                          constant(launch.rowsPerBlock));
      };
      gpu::KernelDim3 grid{size(0), size(1), size(2)};
      gpu::KernelDim3 block{constant(launch.block[0]),
                            constant(launch.block[1]),
                            constant(launch.block[2])};
      if (launch.blocksPerMultiprocessor) {
        // A persistent grid: no more blocks than the device holds at once.
        Value multiprocessors = arith::IndexCastOp::create(
            b, loc, b.getIndexType(),
            func::CallOp::create(b, loc, getMultiprocessorCount(getOperation()),
                                 ValueRange{})
                .getResult(0));
        grid.x = arith::MinUIOp::create(
            b, loc, grid.x,
            arith::MulIOp::create(b, loc, multiprocessors,
                                  constant(launch.blocksPerMultiprocessor)));
      }
      if (made.size() == 1) {
        gpu::LaunchFuncOp::create(b, loc, made[0], grid, block,
                                  /*dynamicSharedMemorySize=*/nullptr,
                                  kernelArgs(c, {inputRows, outputRows}));
        return;
      }
      // split_row: the workspace lives for the call, on one stream.
      Type tokenType = gpu::AsyncTokenType::get(op->getContext());
      Value token =
          gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
      MemRefType workspaceType = getSplitRowWorkspaceType(op->getContext(), c);
      SmallVector<Value> workspaceSizes;
      if (workspaceType.isDynamicDim(0))
        workspaceSizes.push_back(rowsValue);
      if (workspaceType.isDynamicDim(1))
        workspaceSizes.push_back(chunksOf(c));
      auto alloc =
          gpu::AllocOp::create(b, loc, workspaceType, tokenType,
                               ValueRange{token}, workspaceSizes, ValueRange{});
      Value workspace = alloc.getMemref();
      token = alloc.getAsyncToken();
      token = gpu::LaunchFuncOp::create(b, loc, made[0], grid, block,
                                        /*dynamicSharedMemorySize=*/nullptr,
                                        kernelArgs(c, {inputRows, workspace}),
                                        tokenType, ValueRange{token})
                  .getAsyncToken();
      token = gpu::LaunchFuncOp::create(
                  b, loc, made[1], grid, block,
                  /*dynamicSharedMemorySize=*/nullptr,
                  kernelArgs(c, {inputRows, outputRows, workspace}), tokenType,
                  ValueRange{token})
                  .getAsyncToken();
      token = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token},
                                     workspace)
                  .getAsyncToken();
      gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
    };
    // A variant: its vector kernels where the buffers allow, else the
    // element-wise ones.
    auto launchVariant = [&](const LengthVariant &variant) {
      const RowKernelConfig &c = variant.config;
      std::string kernelName = name + variant.suffix;
      auto vectorMade = makeKernels(kernelName, variant);
      auto &vectorKernels = vectorMade.first;
      RowKernelLaunch vectorLaunch = vectorMade.second;
      int64_t vectorElements = getRowKernelVectorElements(c);
      if (vectorElements == 1) {
        launchAll(c, vectorKernels, vectorLaunch);
        return;
      }
      // The C ABI assumes only the element's alignment: buffers that are
      // not 16-byte aligned take kernels that read element by element, as
      // do rows (of a length known at run time) that are no whole number
      // of vectors.
      LengthVariant scalar = variant;
      scalar.config = getElementwiseConfig(c);
      auto scalarMade = makeKernels(kernelName + "_unaligned", scalar);
      auto &scalarKernels = scalarMade.first;
      RowKernelLaunch scalarLaunch = scalarMade.second;
      Value address = arith::OrIOp::create(
          b, loc,
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, inputRows),
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, outputRows));
      // Rows (columns: inner rows) of a size known at run time must be
      // whole vectors too.
      if (c.dynamicLength || (isColumn && ShapedType::isDynamic(inner)))
        address = arith::OrIOp::create(
            b, loc, address,
            arith::MulIOp::create(b, loc, isColumn ? innerValue : lengthValue,
                                  constant(elementBytes)));
      buildAlignedDispatch(
          b, loc, address, vectorElements * elementBytes,
          [&]() { launchAll(c, vectorKernels, vectorLaunch); },
          [&]() { launchAll(scalar.config, scalarKernels, scalarLaunch); });
    };

    // by_length: the first variant whose range holds the row length.
    for (auto [i, variant] : llvm::enumerate(variants)) {
      if (i + 1 == variants.size()) {
        launchVariant(variant);
        break;
      }
      auto ifOp = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ule, lengthValue,
                                constant(variant.maxLength)),
          /*withElse=*/true);
      b.setInsertionPointToStart(ifOp.thenBlock());
      launchVariant(variant);
      b.setInsertionPointToStart(ifOp.elseBlock());
    }
    eraseOp();
    return success();
  }

  /// The masking of a softmax or log_softmax for its kernels.
  template <typename OpTy> static RowMasking getMasking(OpTy op) {
    RowMasking masking;
    if (std::optional<APFloat> scale = op.getScale())
      masking.scale = scale->convertToDouble();
    masking.causal = op.getCausal();
    masking.causalOffset = op.getCausalOffset();
    auto type = cast<RankedTensorType>(op.getInput().getType());
    int64_t rank = type.getRank();
    masking.rowShape.assign(type.getShape().begin(), type.getShape().end() - 1);
    if (Value mask = op.getMask()) {
      auto maskType = cast<RankedTensorType>(mask.getType());
      masking.maskType = maskType.getElementType();
      masking.maskElements = maskType.getNumElements();
      // The mask's dims align with the input's trailing ones; a dim of
      // size 1 (or one the mask lacks) broadcasts.
      int64_t maskRank = maskType.getRank();
      SmallVector<int64_t> strides(maskRank, 1);
      for (int64_t i = maskRank - 1; i > 0; --i)
        strides[i - 1] = strides[i] * maskType.getDimSize(i);
      auto strideOf = [&](int64_t d) -> int64_t {
        int64_t md = d - (rank - maskRank);
        if (md < 0 || maskType.getDimSize(md) == 1)
          return 0;
        return strides[md];
      };
      for (int64_t d = 0; d + 1 < rank; ++d)
        masking.maskRowStrides.push_back(strideOf(d));
      masking.maskColumnStride = strideOf(rank - 1) ? 1 : 0;
    }
    return masking;
  }

  /// `buffer` (identity layout) as a rank-1 memref of all its elements.
  static Value asFlat(OpBuilder &b, Location loc, Value buffer) {
    auto type = cast<MemRefType>(buffer.getType());
    if (type.getRank() == 1)
      return buffer;
    if (type.getRank() == 0)
      return memref::ExpandShapeOp::create(
          b, loc, MemRefType::get({1}, type.getElementType()), buffer,
          ArrayRef<ReassociationIndices>{});
    ReassociationIndices all;
    for (int64_t i = 0; i < type.getRank(); ++i)
      all.push_back(i);
    return memref::CollapseShapeOp::create(b, loc, buffer,
                                           ArrayRef<ReassociationIndices>{all});
  }

  /// Softmax's relatives and masked softmax: a kernel (and its element-wise
  /// twin for unaligned buffers) that holds each row in the registers of a
  /// warp or a block, for static shapes.
  LogicalResult
  convertFamily(Operation *op, RankedTensorType type, GPUStrategy strategy,
                StringAttr strategyName, gpu::GPUModuleOp kernels,
                SymbolTable &symbols,
                llvm::DenseMap<Operation *, int64_t> &opsPerFunction) {
    int64_t dim = getRowOperands(op)->dim;
    if (strategy != GPUStrategy::WarpRow && strategy != GPUStrategy::BlockRow)
      return op->emitError("'")
             << op->getName()
             << "' takes the warp_row and block_row strategies on the GPU so "
                "far (a row in registers, of up to "
             << kGPUMaxRowLength << " elements), not '"
             << strategyName.getValue() << "'";
    auto elementType = cast<FloatType>(type.getElementType());
    if (isa<SoftmaxOp, LogSoftmaxOp>(op) && op->getNumOperands() > 1 &&
        !cast<RankedTensorType>(op->getOperand(1).getType()).hasStaticShape())
      return op->emitError("the GPU lowering needs a mask of a static shape");
    auto isStatic = [](Type t) { return cast<ShapedType>(t).hasStaticShape(); };
    if (!type.hasStaticShape() || dim != type.getRank() - 1 ||
        !llvm::all_of(op->getOperandTypes(), isStatic) ||
        !llvm::all_of(op->getResultTypes(), isStatic))
      return op->emitError("'")
             << op->getName()
             << "' has a GPU lowering for static shapes reduced along the "
                "innermost dim so far";
    int64_t length = type.getDimSize(dim);
    int64_t rows = getGPURowCount(type, dim);

    Builder attrs(op->getContext());
    RowKernelConfig config;
    config.strategy = strategy;
    config.logarithmic = isa<LogSoftmaxOp>(op);
    config.elementType = elementType;
    config.rows = rows;
    config.length = length;
    if (auto softmax = dyn_cast<SoftmaxOp>(op)) {
      config.masking = getMasking(softmax);
    } else if (auto logSoftmax = dyn_cast<LogSoftmaxOp>(op)) {
      config.masking = getMasking(logSoftmax);
    } else if (isa<SoftmaxGradOp>(op)) {
      config.op = RowKernelOp::SoftmaxGrad;
    } else if (isa<LogSoftmaxGradOp>(op)) {
      config.op = RowKernelOp::LogSoftmaxGrad;
    } else if (isa<SparsemaxOp>(op)) {
      config.op = RowKernelOp::Sparsemax;
    } else if (isa<SparsemaxGradOp>(op)) {
      config.op = RowKernelOp::SparsemaxGrad;
    } else if (auto entmax = dyn_cast<EntmaxOp>(op)) {
      // alpha = 2 is sparsemax (as softmax-decompose has it).
      config.alpha = entmax.getAlpha().convertToDouble();
      config.op =
          config.alpha == 2.0 ? RowKernelOp::Sparsemax : RowKernelOp::Entmax;
    } else if (auto entmaxGrad = dyn_cast<EntmaxGradOp>(op)) {
      config.op = RowKernelOp::EntmaxGrad;
      config.alpha = entmaxGrad.getAlpha().convertToDouble();
    } else if (isa<CrossEntropyOp, CrossEntropyGradOp>(op)) {
      config.op = isa<CrossEntropyOp>(op) ? RowKernelOp::CrossEntropy
                                          : RowKernelOp::CrossEntropyGrad;
      // The verifier takes signless integers only.
      config.labelType = cast<IntegerType>(
          cast<ShapedType>(op->getOperand(1).getType()).getElementType());
      config.ignoreIndex = op->getAttrOfType<IntegerAttr>("ignore_index")
                               .getValue()
                               .getSExtValue();
      config.smoothing = op->getAttrOfType<FloatAttr>("label_smoothing")
                             .getValue()
                             .convertToDouble();
      if (length == 0 && rows != 0)
        return op->emitError("cross-entropy over 0 classes has no GPU "
                             "lowering");
    } else {
      return op->emitError("'") << op->getName() << "' has no GPU lowering";
    }
    // The longest row the registers hold: a warp's rows longer than its
    // lanes hold go to a block.
    if (config.strategy == GPUStrategy::WarpRow &&
        length > getFamilyMaxRowLength(config)) {
      config.strategy = GPUStrategy::BlockRow;
      if (length <= getFamilyMaxRowLength(config))
        op->setAttr(
            kGPUStrategyAttrName,
            attrs.getStringAttr(stringifyGPUStrategy(GPUStrategy::BlockRow)));
    }
    if (length > getFamilyMaxRowLength(config))
      return op->emitError("rows of ")
             << length << " elements are longer than the GPU lowering of '"
             << op->getName() << "' holds for " << elementType << " ("
             << getFamilyMaxRowLength(config)
             << " in a block's registers; longer rows are not supported on "
                "the GPU yet)";

    // Every operand's buffer, then the result's.
    OpBuffers opBuffers(op);
    OpBuilder &b = opBuffers.builder();
    SmallVector<Value> buffers;
    for (Value operand : op->getOperands())
      buffers.push_back(opBuffers.getInput(operand));
    buffers.push_back(opBuffers.getOutput());
    auto eraseOp = [&]() { opBuffers.finish(); };
    if (rows == 0 || length == 0) {
      eraseOp();
      return success();
    }

    auto function = op->getParentOfType<FunctionOpInterface>();
    int64_t &count = opsPerFunction[function];
    std::string name = (function.getName() + "_" +
                        op->getName().stripDialect() + "_" + Twine(count++))
                           .str();
    int64_t elementBytes = elementType.getWidth() / 8;
    auto makeKernel = [&](StringRef kernelName, const RowKernelConfig &c) {
      OpBuilder kb = OpBuilder::atBlockEnd(kernels.getBody());
      gpu::GPUFuncOp kernel = buildRowKernel(kb, op->getLoc(), kernelName, c);
      symbols.insert(kernel);
      RowKernelLaunch launch = getRowKernelLaunch(c);
      Attribute launchInfo = attrs.getDictionaryAttr({
          attrs.getNamedAttr("kernel", attrs.getStringAttr(kernel.getName())),
          attrs.getNamedAttr(
              "params", attrs.getStrArrayAttr(getFamilyKernelParameters(c))),
          attrs.getNamedAttr("grid", attrs.getI64ArrayAttr(launch.grid)),
          attrs.getNamedAttr("block", attrs.getI64ArrayAttr(launch.block)),
      });
      kernel->setAttr(
          kGPUKernelInfoAttrName,
          attrs.getDictionaryAttr({
              attrs.getNamedAttr(
                  "op", attrs.getStringAttr(op->getName().stripDialect())),
              attrs.getNamedAttr(
                  "dtype", attrs.getStringAttr(elementType.isF32()   ? "f32"
                                               : elementType.isF16() ? "f16"
                                                                     : "bf16")),
              attrs.getNamedAttr(
                  "strategy",
                  attrs.getStringAttr(stringifyGPUStrategy(c.strategy))),
              attrs.getNamedAttr("shape",
                                 attrs.getI64ArrayAttr({rows, length})),
              attrs.getNamedAttr(
                  "alignment",
                  attrs.getI64IntegerAttr(getRowKernelVectorElements(c) *
                                          elementBytes)),
              attrs.getNamedAttr("launches", attrs.getArrayAttr({launchInfo})),
              attrs.getNamedAttr("workspace", attrs.getArrayAttr({})),
          }));
      return std::make_pair(kernel, launch);
    };

    Location loc = op->getLoc();
    auto constant = [&](int64_t value) -> Value {
      return arith::ConstantIndexOp::create(b, loc, value);
    };
    // The kernel's arguments: [rows x length] views of the row buffers,
    // flat ones of the others.
    SmallVector<Value> args, rowBuffers;
    for (auto [parameter, buffer] :
         llvm::zip_equal(getFamilyKernelParameters(config), buffers)) {
      bool isRows = parameter == "ptr:in" || parameter == "ptr:out" ||
                    parameter == "ptr:y" || parameter == "ptr:dy" ||
                    parameter == "ptr:logits";
      args.push_back(isRows ? asRows(b, loc, buffer) : asFlat(b, loc, buffer));
      if (isRows)
        rowBuffers.push_back(args.back());
    }
    auto launch = [&](gpu::GPUFuncOp kernel, const RowKernelLaunch &l) {
      gpu::LaunchFuncOp::create(
          b, loc, kernel,
          gpu::KernelDim3{constant(l.grid[0]), constant(l.grid[1]),
                          constant(l.grid[2])},
          gpu::KernelDim3{constant(l.block[0]), constant(l.block[1]),
                          constant(l.block[2])},
          /*dynamicSharedMemorySize=*/nullptr, args);
    };
    gpu::GPUFuncOp vectorKernel;
    RowKernelLaunch vectorLaunch;
    std::tie(vectorKernel, vectorLaunch) = makeKernel(name, config);
    int64_t vectorElements = getRowKernelVectorElements(config);
    if (vectorElements == 1) {
      launch(vectorKernel, vectorLaunch);
    } else {
      // The C ABI assumes only the element's alignment: row buffers that
      // are not 16-byte aligned take the element-wise kernel.
      RowKernelConfig scalar = config;
      scalar.vectorized = false;
      gpu::GPUFuncOp scalarKernel;
      RowKernelLaunch scalarLaunch;
      std::tie(scalarKernel, scalarLaunch) =
          makeKernel(name + "_unaligned", scalar);
      Value address = nullptr;
      for (Value buffer : rowBuffers) {
        Value pointer =
            memref::ExtractAlignedPointerAsIndexOp::create(b, loc, buffer);
        address =
            address ? arith::OrIOp::create(b, loc, address, pointer).getResult()
                    : pointer;
      }
      buildAlignedDispatch(
          b, loc, address, vectorElements * elementBytes,
          [&]() { launch(vectorKernel, vectorLaunch); },
          [&]() { launch(scalarKernel, scalarLaunch); });
    }
    eraseOp();
    return success();
  }
};

} // namespace
