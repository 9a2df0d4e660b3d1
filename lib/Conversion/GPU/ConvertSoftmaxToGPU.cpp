//===- ConvertSoftmaxToGPU.cpp - the convert-softmax-to-gpu pass ----------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Conversion/Passes.h"

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

/// CUDA's grid limits.
constexpr int64_t kMaxGridX = (int64_t(1) << 31) - 1;
constexpr int64_t kMaxGridY = 65535;

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

struct ConvertSoftmaxToGPUPass
    : softmax::impl::ConvertSoftmaxToGPUBase<ConvertSoftmaxToGPUPass> {
  using Base::Base;

  void runOnOperation() override {
    ModuleOp module = getOperation();
    SmallVector<Operation *> ops;
    module.walk([&](Operation *op) {
      if (getNormalizeOperands(op))
        ops.push_back(op);
    });
    if (ops.empty())
      return;

    MLIRContext *ctx = &getContext();
    module->setAttr(gpu::GPUDialect::getContainerModuleAttrName(),
                    UnitAttr::get(ctx));
    auto kernels = dyn_cast_or_null<gpu::GPUModuleOp>(
        SymbolTable::lookupSymbolIn(module, kGPUKernelModuleName));
    if (!kernels) {
      OpBuilder b = OpBuilder::atBlockEnd(module.getBody());
      kernels =
          gpu::GPUModuleOp::create(b, module.getLoc(), kGPUKernelModuleName);
    }
    SymbolTable symbols(kernels);
    llvm::DenseMap<Operation *, int64_t> opsPerFunction;
    for (Operation *op : ops)
      if (failed(convert(op, kernels, symbols, opsPerFunction)))
        return signalPassFailure();

    // What is left of a function runs on the host, over device buffers:
    // any tensor computation there would be silently wrong.
    WalkResult result = module.walk([&](Operation *op) {
      if (op->getParentOfType<gpu::GPUModuleOp>() ||
          isa<bufferization::ToTensorOp>(op))
        return WalkResult::advance();
      auto isTensor = [](Type type) { return isa<TensorType>(type); };
      if (llvm::any_of(op->getOperandTypes(), isTensor) ||
          llvm::any_of(op->getResultTypes(), isTensor)) {
        op->emitError("the GPU pipeline compiles softmax ops only so far; '")
            << op->getName() << "' would run on the host over device memory";
        return WalkResult::interrupt();
      }
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      signalPassFailure();
  }

  LogicalResult convert(Operation *op, gpu::GPUModuleOp kernels,
                        SymbolTable &symbols,
                        llvm::DenseMap<Operation *, int64_t> &opsPerFunction) {
    auto [input, dim] = *getNormalizeOperands(op);
    auto type = cast<RankedTensorType>(input.getType());
    auto strategyName = op->getAttrOfType<StringAttr>(kGPUStrategyAttrName);
    if (!strategyName)
      return op->emitError("no GPU strategy for this op (")
             << kGPUStrategyAttrName
             << " is set by softmax-gpu-strategy for ops reduced along the "
                "innermost dim, of a static size, or along another dim of a "
                "static shape; other cases have no GPU lowering yet)";
    std::optional<GPUStrategy> strategy =
        parseGPUStrategy(strategyName.getValue());
    if (!strategy)
      return op->emitError("unknown ")
             << kGPUStrategyAttrName << " '" << strategyName.getValue()
             << "' (expected warp_row, persistent_row, block_row, split_row "
                "or column)";
    auto elementType = cast<FloatType>(type.getElementType());
    if (!elementType.isF32() && !elementType.isF16() && !elementType.isBF16())
      return op->emitError("element type ")
             << elementType << " has no GPU lowering yet (f16, bf16, f32)";
    bool isColumn = *strategy == GPUStrategy::Column;
    if (isColumn ? !type.hasStaticShape()
                 : dim != type.getRank() - 1 || type.isDynamicDim(dim))
      return op->emitError(
          isColumn ? "the column strategy needs static sizes so far"
                   : "the row strategies need the innermost dim, of a static "
                     "size (other dims take the column strategy)");
    // [rows x length x inner] around the reduced dim.
    int64_t length = type.getDimSize(dim);
    int64_t rows = getGPURowCount(type, dim), inner = 1;
    for (int64_t i = dim + 1; i < type.getRank(); ++i)
      inner *= type.getDimSize(i);
    bool dynamicRows = ShapedType::isDynamic(rows);
    if (isColumn && rows > kMaxGridY)
      return op->emitError("the column strategy takes at most ")
             << kMaxGridY << " outer columns (the grid's y dimension), not "
             << rows;
    if (isColumn && llvm::divideCeil(inner, kGPUColumnThreads) > kMaxGridX)
      return op->emitError("too many inner columns for one grid: ") << inner;
    // The most a row holds: 32 elements a thread of a warp, or of a block.
    bool warpGroups = *strategy == GPUStrategy::WarpRow ||
                      *strategy == GPUStrategy::PersistentRow;
    int64_t maxLength =
        warpGroups ? kGPUWarpSize * kGPUMaxElementsPerThread : kGPUMaxRowLength;
    if (*strategy != GPUStrategy::SplitRow && !isColumn && length > maxLength)
      return op->emitError("rows of ")
             << length << " elements are longer than the " << strategyName
             << " strategy holds (" << maxLength << ")";
    if (*strategy == GPUStrategy::SplitRow && !dynamicRows && rows > kMaxGridY)
      return op->emitError("split_row takes at most ")
             << kMaxGridY << " rows (the grid's y dimension), not " << rows;
    if (*strategy == GPUStrategy::WarpRow && !dynamicRows &&
        llvm::divideCeil(rows, kGPUWarpRowsPerBlock) > kMaxGridX)
      return op->emitError("too many rows for one grid: ") << rows;

    auto toTensor = input.getDefiningOp<bufferization::ToTensorOp>();
    Value result = op->getResult(0);
    auto materialize =
        result.hasOneUse()
            ? dyn_cast<bufferization::MaterializeInDestinationOp>(
                  *result.getUsers().begin())
            : nullptr;
    if (!toTensor || !materialize ||
        !isa<MemRefType>(materialize.getDest().getType()))
      return op->emitError(
          "the GPU pipeline lowers softmax ops that read a function argument "
          "and write a function result so far");
    for (Value buffer :
         {Value(toTensor.getBuffer()), Value(materialize.getDest())})
      if (!cast<MemRefType>(buffer.getType()).getLayout().isIdentity())
        return op->emitError("the GPU lowering needs buffers with the "
                             "identity layout");

    RowKernelConfig config;
    config.strategy = *strategy;
    config.logarithmic = isa<LogSoftmaxOp>(op);
    config.elementType = elementType;
    config.length = length;
    config.rows = rows;
    config.inner = inner;
    if (config.rows == 0 || length == 0 || inner == 0) {
      // Nothing to compute.
      materialize.erase();
      op->erase();
      if (toTensor->use_empty())
        toTensor.erase();
      return success();
    }

    auto function = op->getParentOfType<FunctionOpInterface>();
    int64_t &count = opsPerFunction[function];
    std::string name = (function.getName() + "_" +
                        op->getName().stripDialect() + "_" + Twine(count++))
                           .str();
    Builder attrs(op->getContext());
    int64_t elementBytes = elementType.getWidth() / 8;
    // Grid sizes for the kernel's description: a number, or the launcher's
    // expression in the rows M when they are dynamic, and in the device's
    // multiprocessors num_sms for a persistent grid.
    auto gridAttr = [&](const RowKernelLaunch &launch) {
      SmallVector<Attribute> values;
      for (int64_t size : launch.grid) {
        std::string blocks =
            !ShapedType::isDynamic(size) ? std::to_string(size)
            : launch.rowsPerBlock == 1
                ? "M"
                : "cdiv(M, " + std::to_string(launch.rowsPerBlock) + ")";
        if (launch.blocksPerMultiprocessor && values.empty())
          blocks = "min(" + blocks + ", num_sms * " +
                   std::to_string(launch.blocksPerMultiprocessor) + ")";
        else if (!ShapedType::isDynamic(size)) {
          values.push_back(attrs.getI64IntegerAttr(size));
          continue;
        }
        values.push_back(attrs.getStringAttr(blocks));
      }
      return attrs.getArrayAttr(values);
    };
    // The kernels of `c` under `kernelName` (split_row's first one with the
    // suffix _stats), with the launch description the last one carries.
    auto makeKernels = [&](StringRef kernelName, const RowKernelConfig &c) {
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
        if (dynamicRows)
          params.push_back("i64:M");
        launches.push_back(attrs.getDictionaryAttr({
            attrs.getNamedAttr("kernel", attrs.getStringAttr(kernel.getName())),
            attrs.getNamedAttr("params", attrs.getStrArrayAttr(params)),
            attrs.getNamedAttr("grid", gridAttr(launch)),
            attrs.getNamedAttr("block", attrs.getI64ArrayAttr(launch.block)),
        }));
      }
      SmallVector<Attribute> workspace;
      if (c.strategy == GPUStrategy::SplitRow) {
        // rows x chunks x (max, sum, count) f32.
        int64_t perRow = getSplitRowChunks(c) * 3 * 4;
        workspace.push_back(
            dynamicRows ? Attribute(attrs.getStringAttr("M * " +
                                                        std::to_string(perRow)))
                        : Attribute(attrs.getI64IntegerAttr(c.rows * perRow)));
      }
      made.back()->setAttr(
          kGPUKernelInfoAttrName,
          attrs.getDictionaryAttr({
              attrs.getNamedAttr(
                  "op", attrs.getStringAttr(op->getName().stripDialect())),
              attrs.getNamedAttr(
                  "dtype", attrs.getStringAttr(elementType.isF32()   ? "f32"
                                               : elementType.isF16() ? "f16"
                                                                     : "bf16")),
              attrs.getNamedAttr("strategy", strategyName),
              attrs.getNamedAttr(
                  "shape", attrs.getI64ArrayAttr(
                               {dynamicRows ? int64_t(-1) : c.rows, c.length})),
              attrs.getNamedAttr(
                  "alignment",
                  attrs.getI64IntegerAttr(getRowKernelVectorElements(c) *
                                          elementBytes)),
              attrs.getNamedAttr("launches", attrs.getArrayAttr(launches)),
              attrs.getNamedAttr("workspace", attrs.getArrayAttr(workspace)),
          }));
      return std::make_pair(made, launch);
    };

    OpBuilder b(materialize);
    Location loc = op->getLoc();
    Value inputRows = isColumn ? asColumns(b, loc, toTensor.getBuffer(), config)
                               : asRows(b, loc, toTensor.getBuffer());
    Value outputRows = isColumn
                           ? asColumns(b, loc, materialize.getDest(), config)
                           : asRows(b, loc, materialize.getDest());
    Value rowsValue =
        dynamicRows ? memref::DimOp::create(b, loc, inputRows, 0).getResult()
                    : arith::ConstantIndexOp::create(b, loc, rows).getResult();
    // No rows, no launch (a grid of size 0 is an error in CUDA).
    std::optional<OpBuilder::InsertionGuard> nonEmptyGuard;
    if (dynamicRows) {
      auto ifOp = scf::IfOp::create(
          b, loc,
          arith::CmpIOp::create(b, loc, arith::CmpIPredicate::ne, rowsValue,
                                arith::ConstantIndexOp::create(b, loc, 0)),
          /*withElse=*/false);
      nonEmptyGuard.emplace(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
    }
    // The kernels' arguments: the buffers, or, for dynamic rows, their
    // first row's static views and the rows (see getRowKernelArgumentTypes).
    auto kernelArgs = [&](ArrayRef<Value> buffers) -> SmallVector<Value> {
      if (!dynamicRows)
        return SmallVector<Value>(buffers);
      SmallVector<Value> args;
      for (Value buffer : buffers) {
        auto type = cast<MemRefType>(buffer.getType());
        ArrayRef<int64_t> inner = type.getShape().drop_front();
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
      return args;
    };
    auto launchAll = [&](const RowKernelConfig &c,
                         ArrayRef<gpu::GPUFuncOp> made,
                         const RowKernelLaunch &launch) {
      auto size = [&](int64_t value) -> Value {
        if (!ShapedType::isDynamic(value))
          return arith::ConstantIndexOp::create(b, loc, value);
        if (launch.rowsPerBlock == 1)
          return rowsValue;
        return arith::CeilDivUIOp::create(
            b, loc, rowsValue,
            arith::ConstantIndexOp::create(b, loc, launch.rowsPerBlock));
      };
      auto dim3 = [&](ArrayRef<int64_t> sizes) {
        return gpu::KernelDim3{size(sizes[0]), size(sizes[1]), size(sizes[2])};
      };
      gpu::KernelDim3 grid = dim3(launch.grid);
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
                                  arith::ConstantIndexOp::create(
                                      b, loc, launch.blocksPerMultiprocessor)));
      }
      if (made.size() == 1) {
        gpu::LaunchFuncOp::create(b, loc, made[0], grid, dim3(launch.block),
                                  /*dynamicSharedMemorySize=*/nullptr,
                                  kernelArgs({inputRows, outputRows}));
        return;
      }
      // split_row: the workspace lives for the call, on one stream.
      Type tokenType = gpu::AsyncTokenType::get(op->getContext());
      Value token =
          gpu::WaitOp::create(b, loc, tokenType, ValueRange{}).getAsyncToken();
      SmallVector<Value> workspaceSizes;
      if (dynamicRows)
        workspaceSizes.push_back(rowsValue);
      auto alloc = gpu::AllocOp::create(
          b, loc, getSplitRowWorkspaceType(op->getContext(), c), tokenType,
          ValueRange{token}, workspaceSizes, ValueRange{});
      Value workspace = alloc.getMemref();
      token = alloc.getAsyncToken();
      token =
          gpu::LaunchFuncOp::create(b, loc, made[0], grid, dim3(launch.block),
                                    /*dynamicSharedMemorySize=*/nullptr,
                                    kernelArgs({inputRows, workspace}),
                                    tokenType, ValueRange{token})
              .getAsyncToken();
      token = gpu::LaunchFuncOp::create(
                  b, loc, made[1], grid, dim3(launch.block),
                  /*dynamicSharedMemorySize=*/nullptr,
                  kernelArgs({inputRows, outputRows, workspace}), tokenType,
                  ValueRange{token})
                  .getAsyncToken();
      token = gpu::DeallocOp::create(b, loc, tokenType, ValueRange{token},
                                     workspace)
                  .getAsyncToken();
      gpu::WaitOp::create(b, loc, Type(), ValueRange{token});
    };

    auto [vectorKernels, vectorLaunch] = makeKernels(name, config);
    if (getRowKernelVectorElements(config) == 1) {
      launchAll(config, vectorKernels, vectorLaunch);
    } else {
      // The C ABI assumes only the element's alignment: buffers that are
      // not 16-byte aligned take kernels that read element by element.
      RowKernelConfig scalar = config;
      scalar.vectorized = false;
      auto [scalarKernels, scalarLaunch] =
          makeKernels(name + "_unaligned", scalar);
      Value address = arith::OrIOp::create(
          b, loc,
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, inputRows),
          memref::ExtractAlignedPointerAsIndexOp::create(b, loc, outputRows));
      Value aligned = arith::CmpIOp::create(
          b, loc, arith::CmpIPredicate::eq,
          arith::RemUIOp::create(
              b, loc, address,
              arith::ConstantIndexOp::create(
                  b, loc, getRowKernelVectorElements(config) * elementBytes)),
          arith::ConstantIndexOp::create(b, loc, 0));
      auto ifOp = scf::IfOp::create(b, loc, aligned, /*withElse=*/true);
      OpBuilder::InsertionGuard guard(b);
      b.setInsertionPointToStart(ifOp.thenBlock());
      launchAll(config, vectorKernels, vectorLaunch);
      b.setInsertionPointToStart(ifOp.elseBlock());
      launchAll(scalar, scalarKernels, scalarLaunch);
    }
    materialize.erase();
    op->erase();
    if (toTensor->use_empty())
      toTensor.erase();
    return success();
  }
};

} // namespace
