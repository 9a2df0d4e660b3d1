//===- Pipelines.h - the named softmax-mlir pipelines -----------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_PIPELINES_PIPELINES_H
#define SOFTMAX_MLIR_PIPELINES_PIPELINES_H

#include "softmax-mlir/Pipelines/OptionParser.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::softmax {

struct GPUKernelInfo;

/// Which CPU's tuning the CPU pipeline's row loops take (see getCPUTuning).
enum class CPUTuningChoice { Auto, Default, Zen4, Zen5 };

/// The parser of CPUTuningChoice options.
struct CPUTuningChoiceParser
    : public ReportingEnumParser<CPUTuningChoice, CPUTuningChoiceParser> {
  using ReportingEnumParser::ReportingEnumParser;

  static llvm::ArrayRef<llvm::StringLiteral> names() {
    static constexpr llvm::StringLiteral kNames[] = {"auto", "default", "zen4",
                                                     "zen5"};
    return kNames;
  }
};

/// Options of `softmax-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<std::string> mcpu{
      *this, "mcpu",
      llvm::cl::desc("Target CPU, as llc's -mcpu ('host' is this machine)"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> triple{
      *this, "triple", llvm::cl::desc("Target triple (default: the host's)"),
      llvm::cl::init("")};
  PassOptions::Option<bool, ReportingParser<bool>> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Vector row loops for softmax over the innermost dim "
                     "(else the generic decomposition)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool, ReportingParser<bool>> fuse{
      *this, "fuse",
      llvm::cl::desc("Compute elementwise producers of softmax inputs in the "
                     "vector row loops (softmax-fuse)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t, ReportingParser<int64_t>> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Vector register bits (0: the target CPU's)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t, ReportingParser<int64_t>> threads{
      *this, "threads",
      llvm::cl::desc("Threads the rows are spread over (0: all cores, as the "
                     "OpenMP runtime decides; 1: no threading)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t, ReportingParser<int64_t>> unroll{
      *this, "unroll", llvm::cl::desc("Vector registers per vector value"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t, ReportingParser<int64_t>> l1CacheKiB{
      *this, "l1-cache-kib",
      llvm::cl::desc("Per-core L1 data cache (KiB) the cost models size rows "
                     "against (0: this machine's for mcpu=host, else 32)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t, ReportingParser<int64_t>> l2CacheKiB{
      *this, "l2-cache-kib",
      llvm::cl::desc("Per-core L2 cache (KiB) the cost models size rows "
                     "against (0: this machine's for mcpu=host, else 512)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool, ReportingParser<bool>> prefetch{
      *this, "prefetch",
      llvm::cl::desc("Prefetch the next row's input during a row's second "
                     "pass"),
      llvm::cl::init(true)};
  PassOptions::Option<CPUTuningChoice, CPUTuningChoiceParser> tuning{
      *this, "tuning",
      llvm::cl::desc("Choices tuned per CPU (getCPUTuning): auto (the "
                     "target CPU's), default, zen4 or zen5"),
      llvm::cl::init(CPUTuningChoice::Auto),
      llvm::cl::values(
          clEnumValN(CPUTuningChoice::Auto, "auto", "the target CPU's"),
          clEnumValN(CPUTuningChoice::Default, "default",
                     "the defaults (measured on Intel)"),
          clEnumValN(CPUTuningChoice::Zen4, "zen4", "AMD Zen 4's"),
          clEnumValN(CPUTuningChoice::Zen5, "zen5", "AMD Zen 5's"))};
  PassOptions::Option<bool, ReportingParser<bool>> nontemporal{
      *this, "nontemporal",
      llvm::cl::desc("Let rows longer than half of L2 write their output "
                     "with streaming (non-temporal) stores (x86)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool, ReportingParser<bool>> runtimeChecks{
      *this, "runtime-checks",
      llvm::cl::desc("Check the sizes callers pass through the C ABI at run "
                     "time, reporting a mismatch instead of running"),
      llvm::cl::init(true)};
  PassOptions::Option<bool, ReportingParser<bool>> shareKernels{
      *this, "share-kernels",
      llvm::cl::desc("Compile each repeated softmax op once, as a kernel "
                     "function its occurrences call"),
      llvm::cl::init(true)};
};

/// The first stage of both targets' pipelines: elementwise ops on tensors
/// as linalg.generic ops, softmax written out (linalg.softmax, torch-mlir's
/// chains, TOSA's) raised into the softmax ops, the rest of a TOSA model to
/// linalg, arith and tensor ops.
void buildSoftmaxImportPipeline(OpPassManager &pm);

/// Tensors to buffers in both targets' pipelines: One-Shot Bufferize across
/// functions (identity layouts at their boundaries, so results go straight
/// into the callers' outputs) and, with `deallocate`, upstream's buffer
/// deallocation (which does not know GPU launches: the GPU pipeline frees
/// its buffers itself, softmax-gpu-device-memory).
void buildSoftmaxBufferizationPipeline(OpPassManager &pm, bool deallocate);

/// From a module of upstream dialects plus `softmax` (functions on tensors)
/// to the LLVM dialect, with every public function exported through the
/// project's C ABI and the module's triple, data layout and CPU set.
void buildSoftmaxCPUPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options);

/// Registers `softmax-cpu-pipeline`.
void registerSoftmaxCPUPipeline();

/// What the gpu.binary of `softmax-gpu-pipeline` holds.
enum class GPUBinaryFormat { PTX, Cubin, Fatbin };

/// The parser of GPUBinaryFormat options.
struct GPUBinaryFormatParser
    : public ReportingEnumParser<GPUBinaryFormat, GPUBinaryFormatParser> {
  using ReportingEnumParser::ReportingEnumParser;

  static llvm::ArrayRef<llvm::StringLiteral> names() {
    static constexpr llvm::StringLiteral kNames[] = {"ptx", "cubin", "fatbin"};
    return kNames;
  }
};

/// Options of `softmax-gpu-pipeline`.
struct GPUPipelineOptions : public PassPipelineOptions<GPUPipelineOptions> {
  PassOptions::Option<std::string> chip{
      *this, "chip", llvm::cl::desc("GPU chip (sm_80, sm_90, ...)"),
      llvm::cl::init("sm_90")};
  PassOptions::Option<std::string> features{
      *this, "features", llvm::cl::desc("PTX features (e.g. +ptx80)"),
      llvm::cl::init("+ptx80")};
  PassOptions::Option<GPUBinaryFormat, GPUBinaryFormatParser> format{
      *this, "format",
      llvm::cl::desc("What the gpu.binary holds (cubin and fatbin run "
                     "ptxas)"),
      llvm::cl::init(GPUBinaryFormat::Fatbin),
      llvm::cl::values(
          clEnumValN(GPUBinaryFormat::PTX, "ptx", "PTX text"),
          clEnumValN(GPUBinaryFormat::Cubin, "cubin", "a cubin for the chip"),
          clEnumValN(GPUBinaryFormat::Fatbin, "fatbin",
                     "a fatbin with the cubin and the PTX"))};
  PassOptions::Option<std::string> toolkit{
      *this, "toolkit",
      llvm::cl::desc("CUDA toolkit whose ptxas builds cubins (default: "
                     "$CUDA_HOME, else /usr/local/cuda)"),
      llvm::cl::init("")};
};

/// The CUDA toolkit the GPU pipeline uses: `option` if set, else
/// $CUDA_HOME, else /usr/local/cuda if it exists, else empty.
std::string getCUDAToolkitPath(StringRef option);

/// libdevice in `toolkit`, or empty if it is not there.
std::string getLibdevicePath(StringRef toolkit);

/// The first half of `softmax-gpu-pipeline`: strategies, the C ABI, and
/// every softmax op to a gpu.launch_func of a kernel in
/// `gpu.module @softmax_kernels`.
void buildSoftmaxGPUKernelPipeline(OpPassManager &pm,
                                   const GPUPipelineOptions &options);

/// The second half: the kernels through NVVM to a gpu.binary (ptxas for
/// cubin and fatbin), the host side to the LLVM dialect calling the mgpu*
/// runtime functions.
void buildSoftmaxGPULoweringPipeline(OpPassManager &pm,
                                     const GPUPipelineOptions &options);

/// Both halves.
void buildSoftmaxGPUPipeline(OpPassManager &pm,
                             const GPUPipelineOptions &options);

/// What is wrong with `options` (an unknown chip or PTX feature), or empty.
std::string checkGPUPipelineOptions(const GPUPipelineOptions &options);

/// Runs both halves on `module` as the tools do (after
/// checkGPUPipelineOptions): the first, then (where it made kernels) a check
/// that the CUDA toolkit has libdevice, then the second. `configure`, if given,
/// prepares each PassManager (timing, command line options); the kernels the
/// first half made go to `kernels` if given. Emits an error on failure.
LogicalResult runSoftmaxGPUPipelines(
    ModuleOp module, const GPUPipelineOptions &options,
    function_ref<LogicalResult(PassManager &)> configure = nullptr,
    SmallVectorImpl<GPUKernelInfo> *kernels = nullptr);

/// Registers `softmax-gpu-pipeline`.
void registerSoftmaxGPUPipeline();

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_PIPELINES_PIPELINES_H
