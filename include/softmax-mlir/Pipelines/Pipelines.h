//===- Pipelines.h - the named softmax-mlir pipelines -----------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_PIPELINES_PIPELINES_H
#define SOFTMAX_MLIR_PIPELINES_PIPELINES_H

#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassOptions.h"

namespace mlir::softmax {

/// Options of `softmax-cpu-pipeline`.
struct CPUPipelineOptions : public PassPipelineOptions<CPUPipelineOptions> {
  PassOptions::Option<std::string> mcpu{
      *this, "mcpu",
      llvm::cl::desc("Target CPU, as llc's -mcpu ('host' is this machine)"),
      llvm::cl::init("host")};
  PassOptions::Option<std::string> triple{
      *this, "triple", llvm::cl::desc("Target triple (default: the host's)"),
      llvm::cl::init("")};
  PassOptions::Option<bool> vectorize{
      *this, "vectorize",
      llvm::cl::desc("Vector row loops for softmax over the innermost dim "
                     "(else the generic decomposition)"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> fuse{
      *this, "fuse",
      llvm::cl::desc("Compute elementwise producers of softmax inputs in the "
                     "vector row loops (softmax-fuse)"),
      llvm::cl::init(true)};
  PassOptions::Option<int64_t> vectorBits{
      *this, "vector-bits",
      llvm::cl::desc("Vector register bits (0: the target CPU's)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> threads{
      *this, "threads",
      llvm::cl::desc("Threads the rows are spread over (0: all cores, as the "
                     "OpenMP runtime decides; 1: no threading)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> unroll{
      *this, "unroll", llvm::cl::desc("Vector registers per vector value"),
      llvm::cl::init(4)};
  PassOptions::Option<int64_t> l1CacheKiB{
      *this, "l1-cache-kib",
      llvm::cl::desc("Per-core L1 data cache (KiB) the cost models size rows "
                     "against (0: this machine's for mcpu=host, else 32)"),
      llvm::cl::init(0)};
  PassOptions::Option<int64_t> l2CacheKiB{
      *this, "l2-cache-kib",
      llvm::cl::desc("Per-core L2 cache (KiB) the cost models size rows "
                     "against (0: this machine's for mcpu=host, else 512)"),
      llvm::cl::init(0)};
  PassOptions::Option<bool> prefetch{
      *this, "prefetch",
      llvm::cl::desc("Prefetch the next row's input during a row's second "
                     "pass"),
      llvm::cl::init(true)};
  PassOptions::Option<bool> nontemporal{
      *this, "nontemporal",
      llvm::cl::desc("Let rows longer than half of L2 write their output "
                     "with streaming (non-temporal) stores (x86)"),
      llvm::cl::init(true)};
};

/// From a module of upstream dialects plus `softmax` (functions on tensors)
/// to the LLVM dialect, with every public function exported through the
/// project's C ABI and the module's triple, data layout and CPU set.
void buildSoftmaxCPUPipeline(OpPassManager &pm,
                             const CPUPipelineOptions &options);

/// Registers `softmax-cpu-pipeline`.
void registerSoftmaxCPUPipeline();

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_PIPELINES_PIPELINES_H
