//===- GPUPipeline.cpp - softmax-gpu-pipeline -----------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Pipelines/Pipelines.h"

#include "PipelineRegistration.h"

#include "softmax-mlir/Conversion/Passes.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"
#include "softmax-mlir/Target/GPU/GPUTarget.h"
#include "softmax-mlir/Transforms/Passes.h"

#include "mlir/Conversion/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/GPU/IR/GPUDialect.h"
#include "mlir/Dialect/GPU/Transforms/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Process.h"

using namespace mlir;
using namespace mlir::softmax;

/// The gpu-module-to-binary format for a pipeline `format`.
static StringRef getBinaryFormat(GPUBinaryFormat format) {
  switch (format) {
  case GPUBinaryFormat::PTX:
    return "isa";
  case GPUBinaryFormat::Cubin:
    return "bin";
  case GPUBinaryFormat::Fatbin:
    return "fatbin";
  }
  llvm_unreachable("unknown GPU binary format");
}

std::string mlir::softmax::getCUDAToolkitPath(StringRef option) {
  if (!option.empty())
    return option.str();
  if (std::optional<std::string> home = llvm::sys::Process::GetEnv("CUDA_HOME"))
    return *home;
  if (llvm::sys::fs::is_directory("/usr/local/cuda"))
    return "/usr/local/cuda";
  return "";
}

std::string mlir::softmax::getLibdevicePath(StringRef toolkit) {
  llvm::SmallString<128> path(toolkit);
  llvm::sys::path::append(path, "nvvm", "libdevice", "libdevice.10.bc");
  return llvm::sys::fs::exists(path) ? path.str().str() : "";
}

void mlir::softmax::buildSoftmaxGPUKernelPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options) {
  // Softmax written out (linalg.softmax, torch-mlir's and TOSA's chains) as
  // the ops the kernels are built for.
  buildSoftmaxImportPipeline(pm);
  pm.addPass(createSoftmaxGPUStrategy());
  pm.addPass(createSoftmaxExportCABI());
  // Inlined so that a softmax op that reads the caller's input buffer and
  // writes its output buffer launches on those.
  pm.addPass(createInlinerPass({}, [](OpPassManager &) {}));
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createConvertSoftmaxToGPU());
  // The rest of a model: buffers in device memory, its loops as naive
  // kernels in the same gpu.module, the host left to launch them.
  buildSoftmaxBufferizationPipeline(pm, /*deallocate=*/false);
  pm.addNestedPass<func::FuncOp>(createSoftmaxGPUMapLoops());
  pm.addNestedPass<func::FuncOp>(createConvertParallelLoopToGpuPass());
  // The kernels' buffers are the ones the host allocated or was given (not
  // views of them), of static shapes: bare pointers.
  pm.addPass(memref::createFoldMemRefAliasOpsPass());
  pm.addPass(createLowerAffinePass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());
  pm.addPass(createSoftmaxGPUOutlineKernels());
  pm.addPass(createSoftmaxGPUDeviceMemory());
  // The host's copies of the weights the kernels now hold.
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createSymbolDCEPass());
}

void mlir::softmax::buildSoftmaxGPULoweringPipeline(
    OpPassManager &pm, const GPUPipelineOptions &options) {
  // Kernels: NVVM, then the binary.
  GpuNVVMAttachTargetOptions targetOptions;
  targetOptions.chip = options.chip;
  targetOptions.features = options.features;
  targetOptions.optLevel = 3;
  // The kernels call libdevice (exp2, log1p): link it by path, so that a
  // missing toolkit fails in the serialization instead of leaving calls
  // to undefined functions in the PTX.
  std::string toolkit = getCUDAToolkitPath(options.toolkit);
  std::string libdevice = getLibdevicePath(toolkit);
  targetOptions.linkLibs.push_back(
      libdevice.empty() ? (toolkit + "/nvvm/libdevice/libdevice.10.bc")
                        : libdevice);
  pm.addPass(createGpuNVVMAttachTarget(targetOptions));
  OpPassManager &kernels = pm.nest<gpu::GPUModuleOp>();
  kernels.addPass(createSCFToControlFlowPass());
  // Every kernel argument is a buffer of static shape: a bare pointer, so
  // that any CUDA host launches a kernel with (in, out[, workspace]).
  ConvertGpuOpsToNVVMOpsOptions nvvmOptions;
  nvvmOptions.useBarePtrCallConv = true;
  kernels.addPass(createConvertGpuOpsToNVVMOps(nvvmOptions));
  kernels.addPass(createCanonicalizerPass());
  kernels.addPass(createCSEPass());
  kernels.addPass(createReconcileUnrealizedCastsPass());
  GpuModuleToBinaryPassOptions binaryOptions;
  binaryOptions.compilationTarget = getBinaryFormat(options.format).str();
  binaryOptions.toolkitPath = toolkit;
  pm.addPass(createGpuModuleToBinaryPass(binaryOptions));

  // Host: launches to mgpu* calls, the rest to the LLVM dialect.
  pm.addPass(memref::createExpandStridedMetadataPass());
  GpuToLLVMConversionPassOptions hostOptions;
  hostOptions.kernelBarePtrCallConv = true;
  pm.addPass(createGpuToLLVMConversionPass(hostOptions));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  pm.addPass(createCanonicalizerPass());
}

void mlir::softmax::buildSoftmaxGPUPipeline(OpPassManager &pm,
                                            const GPUPipelineOptions &options) {
  buildSoftmaxGPUKernelPipeline(pm, options);
  buildSoftmaxGPULoweringPipeline(pm, options);
}

std::string
mlir::softmax::checkGPUPipelineOptions(const GPUPipelineOptions &options) {
  // An unknown chip would reach the NVPTX backend, which aborts.
  if (!isSupportedGPUChip(options.chip))
    return "unknown chip '" + options.chip.getValue() +
           "' (expected sm_75, sm_80, sm_86, sm_87, sm_89, sm_90 or "
           "sm_90a)";
  // Features are PTX versions (+ptxNN), which the backend would otherwise
  // ignore with a warning when it does not know them.
  SmallVector<StringRef> features;
  StringRef(options.features)
      .split(features, ',', -1,
             /*KeepEmpty=*/false);
  for (StringRef feature : features) {
    StringRef version = feature.trim();
    if (!(version.consume_front("+ptx") || version.consume_front("-ptx")) ||
        version.empty() ||
        !llvm::all_of(version, [](char c) { return llvm::isDigit(c); }))
      return "unknown feature '" + feature.str() +
             "' (expected PTX versions, e.g. +ptx80)";
  }
  return std::string();
}

LogicalResult mlir::softmax::runSoftmaxGPUPipelines(
    ModuleOp module, const GPUPipelineOptions &options,
    function_ref<LogicalResult(PassManager &)> configure,
    SmallVectorImpl<GPUKernelInfo> *kernels) {
  if (std::string problem = checkGPUPipelineOptions(options); !problem.empty())
    return module.emitError("softmax-gpu-pipeline: ") << problem;
  auto run = [&](function_ref<void(OpPassManager &)> build) {
    PassManager pm(module.getContext(), module->getName().getStringRef());
    if (configure && failed(configure(pm)))
      return failure();
    build(pm);
    return pm.run(module);
  };
  if (failed(run([&](OpPassManager &pm) {
        buildSoftmaxGPUKernelPipeline(pm, options);
      })))
    return failure();
  SmallVector<GPUKernelInfo> made = collectGPUKernels(module);
  std::string toolkit = getCUDAToolkitPath(options.toolkit);
  if (!made.empty() && getLibdevicePath(toolkit).empty())
    return module.emitError("no CUDA toolkit with libdevice found (looked in '")
           << toolkit << "'): set CUDA_HOME";
  if (kernels)
    kernels->assign(made.begin(), made.end());
  return run(
      [&](OpPassManager &pm) { buildSoftmaxGPULoweringPipeline(pm, options); });
}

void mlir::softmax::registerSoftmaxGPUPipeline() {
  detail::registerModulePipeline<GPUPipelineOptions>(
      "softmax-gpu-pipeline",
      "Lower a module of upstream dialects plus softmax to NVIDIA GPU "
      "kernels in a gpu.binary and host code that launches them, exporting "
      "public functions through the C ABI",
      buildSoftmaxGPUPipeline, checkGPUPipelineOptions);
}
