//===- CPUPipeline.cpp - softmax-cpu-pipeline -----------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Pipelines/Pipelines.h"

#include "PipelineRegistration.h"

#include "softmax-mlir/Conversion/Passes.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"
#include "softmax-mlir/Transforms/Passes.h"

#include "mlir/Conversion/AffineToStandard/AffineToStandard.h"
#include "mlir/Conversion/ArithToLLVM/ArithToLLVM.h"
#include "mlir/Conversion/ControlFlowToLLVM/ControlFlowToLLVM.h"
#include "mlir/Conversion/FuncToLLVM/ConvertFuncToLLVMPass.h"
#include "mlir/Conversion/IndexToLLVM/IndexToLLVM.h"
#include "mlir/Conversion/MathToLLVM/MathToLLVM.h"
#include "mlir/Conversion/MathToLibm/MathToLibm.h"
#include "mlir/Conversion/MemRefToLLVM/MemRefToLLVM.h"
#include "mlir/Conversion/OpenMPToLLVM/ConvertOpenMPToLLVM.h"
#include "mlir/Conversion/ReconcileUnrealizedCasts/ReconcileUnrealizedCasts.h"
#include "mlir/Conversion/SCFToControlFlow/SCFToControlFlow.h"
#include "mlir/Conversion/SCFToOpenMP/SCFToOpenMP.h"
#include "mlir/Conversion/UBToLLVM/UBToLLVM.h"
#include "mlir/Conversion/VectorToLLVM/ConvertVectorToLLVMPass.h"
#include "mlir/Dialect/Arith/Transforms/Passes.h"
#include "mlir/Dialect/Bufferization/Transforms/Passes.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/Passes.h"
#include "mlir/Dialect/MemRef/Transforms/Passes.h"
#include "mlir/Dialect/SCF/Transforms/Passes.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Transforms/Passes.h"
#include "softmax-mlir/Target/CPU/CPUTarget.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

using namespace mlir;
using namespace mlir::softmax;

void mlir::softmax::buildSoftmaxCPUPipeline(OpPassManager &pm,
                                            const CPUPipelineOptions &options) {
  // Softmax ops to vector row loops where they reduce the innermost dim, to
  // the generic stable form elsewhere; public functions to the C ABI.
  // Streaming stores and their fence are x86's.
  bool streams =
      options.nontemporal &&
      llvm::Triple(options.triple.empty() ? llvm::sys::getDefaultTargetTriple()
                                          : std::string(options.triple))
          .isX86();
  buildSoftmaxImportPipeline(pm);
  // Public functions to the C ABI, their bodies in private functions that
  // the inliner below folds back once lowered; the sizes of the caller's
  // descriptors checked against what the ops need before they run.
  pm.addPass(createSoftmaxExportCABI());
  if (options.runtimeChecks)
    pm.addPass(createSoftmaxRuntimeChecks());
  // Masks, scales and causal masks as elementwise producers, which
  // softmax-fuse can take into the row loops.
  pm.addPass(createSoftmaxExpandMask());
  SoftmaxVectorizeOptions vectorizeOptions;
  if (options.vectorize) {
    vectorizeOptions.vectorBits = options.vectorBits;
    // An unknown CPU is reported by softmax-attach-cpu-target below.
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
        createCPUTargetMachine({options.triple, options.mcpu});
    if (vectorizeOptions.vectorBits == 0)
      vectorizeOptions.vectorBits = tm ? getVectorRegisterBits(**tm) : 256;
    // A left-pack of the registers the loops compute in, where the target
    // has one.
    if (tm) {
      vectorizeOptions.leftPack =
          getLeftPack(**tm, vectorizeOptions.vectorBits);
    } else {
      llvm::consumeError(tm.takeError());
    }
    // Choices measured faster on some CPUs than the defaults.
    CPUTuning tuning =
        options.tuning == CPUTuningChoice::Zen4         ? CPUTuning::zen4()
        : options.tuning == CPUTuningChoice::Zen5       ? CPUTuning::zen5()
        : options.tuning == CPUTuningChoice::Auto && tm ? getCPUTuning(**tm)
                                                        : CPUTuning();
    vectorizeOptions.gradPrefetch = tuning.gradPrefetch;
    vectorizeOptions.softmaxGradPrefetch = tuning.softmaxGradPrefetch;
    vectorizeOptions.streamMisaligned = tuning.streamMisaligned;
    vectorizeOptions.streamAcrossRows = tuning.streamAcrossRows;
    vectorizeOptions.f32CachedGrad = tuning.f32CachedGrad;
    // (softmax-vectorize ignores a simplex width of at least its own.)
    vectorizeOptions.simplexVectorBits = tuning.simplexVectorBits;
    vectorizeOptions.simplexWideLeftPack = tuning.simplexWideLeftPack;
    vectorizeOptions.unroll = options.unroll;
    vectorizeOptions.prefetch = options.prefetch;
    // Cache sizes: given (a negative one is reported by the passes), this
    // machine's when compiling for it, else the defaults.
    CacheSizes caches = options.mcpu == "host" || options.mcpu.empty()
                            ? getHostCacheSizes()
                            : CacheSizes();
    vectorizeOptions.l1CacheKiB =
        options.l1CacheKiB ? options.l1CacheKiB : caches.l1Bytes / 1024;
    vectorizeOptions.l2CacheKiB =
        options.l2CacheKiB ? options.l2CacheKiB : caches.l2Bytes / 1024;
    vectorizeOptions.nontemporal = streams;
    vectorizeOptions.threads = options.threads;
    if (options.fuse)
      pm.addPass(createSoftmaxFuse());
    SoftmaxTileOptions tileOptions;
    tileOptions.threads = options.threads;
    tileOptions.l1CacheKiB = vectorizeOptions.l1CacheKiB;
    tileOptions.l2CacheKiB = vectorizeOptions.l2CacheKiB;
    pm.addPass(createSoftmaxTile(tileOptions));
  }
  // Each repeated op (with its forms, fused producer and consumer) compiled
  // once, as a kernel function every occurrence calls.
  if (options.shareKernels)
    pm.addPass(createSoftmaxShareKernels());
  if (options.vectorize)
    pm.addPass(createSoftmaxVectorize(vectorizeOptions));
  pm.addPass(createSoftmaxDecompose());
  pm.addPass(createSoftmaxApproximateMath());
  // Inlined without simplifying, so that the empty outputs are replaced by
  // the caller's buffers while each row loop still has the output as its
  // init: the canonicalizer folds a loop over one row, and that row's slice
  // of an empty tensor into a new empty tensor, which upstream's empty
  // tensor elimination then misses (it follows one branch of an scf.if).
  pm.addPass(createInlinerPass({}, [](OpPassManager &) {}));
  pm.addPass(bufferization::createEmptyTensorEliminationPass());
  // The empty tensors left are allocations: distinct ones before CSE, which
  // would otherwise merge every static-shaped one into one value that all
  // of a function's shared-kernel calls then write (One-Shot Bufferize's
  // conflict checks over such a destination grow with the cube of the
  // calls: a chain of 1000 softmax ops in one function took 41 s).
  pm.addPass(bufferization::createEmptyTensorToAllocTensorPass());
  pm.addPass(createCanonicalizerPass());
  pm.addPass(createCSEPass());

  // Tensors to buffers, writing results straight into the caller's outputs.
  buildSoftmaxBufferizationPipeline(pm, /*deallocate=*/true);

  // Rows (scf.forall) to OpenMP threads, or to a plain loop.
  if (options.threads == 1) {
    pm.addPass(createForallToForLoopPass());
  } else {
    // A parallel region with no iteration would still wake the threads.
    pm.addPass(createSoftmaxSkipEmptyForalls());
    pm.addPass(createForallToParallelLoopPass());
    pm.addPass(createConvertSCFToOpenMPPass());
    // Inlines the memref.alloca_scope that wraps each parallel body (the
    // rows allocate nothing): scf-to-cf cannot lower loops inside one.
    pm.addPass(createCanonicalizerPass());
    // The thread count is read when a region starts, so that
    // SOFTMAX_MLIR_NUM_THREADS can override `threads` at run time.
    SoftmaxOpenMPThreadCountOptions threadOptions;
    threadOptions.threads = options.threads;
    pm.addPass(createSoftmaxOpenMPThreadCount(threadOptions));
  }

  // Streaming stores where the row loops marked them; after the threading
  // passes, whose canonicalization would not inline an alloca scope around
  // the store fence.
  if (streams)
    pm.addPass(createSoftmaxNontemporalStores());

  // The row loops' left-packs as the x86 instructions they name.
  pm.addPass(createSoftmaxLowerLeftPack());
  // Loops, then the LLVM dialect.
  pm.addNestedPass<func::FuncOp>(createConvertLinalgToLoopsPass());
  pm.addPass(createSCFToControlFlowPass());
  pm.addPass(memref::createExpandStridedMetadataPass());
  pm.addPass(createLowerAffinePass());
  // Masks compare 64-bit indices: a row's remaining length may pass 2^31
  // (a 32-bit mask of a longer remainder wrapped to an empty one).
  ConvertVectorToLLVMPassOptions vectorOptions;
  vectorOptions.force32BitVectorIndices = false;
  pm.addPass(createConvertVectorToLLVMPass(vectorOptions));
  pm.addPass(createFinalizeMemRefToLLVMConversionPass());
  // bf16 conversions become integer arithmetic: LLVM would otherwise call
  // __truncsfbf2, which older libgcc versions lack.
  arith::ArithExpandOpsPassOptions expandOptions;
  expandOptions.includeBf16 = true;
  pm.addPass(arith::createArithExpandOpsPass(expandOptions));
  // LLVM intrinsics where they exist, except for log1p: as log(1 + x) it
  // would lose the precision log_softmax relies on, so it calls libm's.
  ConvertMathToLLVMPassOptions mathOptions;
  mathOptions.approximateLog1p = false;
  pm.addPass(createConvertMathToLLVMPass(mathOptions));
  pm.addPass(createConvertMathToLibmPass());
  pm.addPass(createArithToLLVMConversionPass());
  pm.addPass(createConvertIndexToLLVMPass());
  pm.addPass(createConvertFuncToLLVMPass());
  pm.addPass(createConvertOpenMPToLLVMPass());
  pm.addPass(createConvertControlFlowToLLVMPass());
  pm.addPass(createUBToLLVMConversionPass());
  pm.addPass(createReconcileUnrealizedCastsPass());
  // bf16 vectors are only moved (the arithmetic is f32): as i16, so that
  // LLVM does not promote their masked loads, stores and selects.
  pm.addPass(createSoftmaxMoveBf16AsI16());
  pm.addPass(createCanonicalizerPass());

  SoftmaxAttachCPUTargetOptions targetOptions;
  targetOptions.triple = options.triple;
  targetOptions.mcpu = options.mcpu;
  pm.addPass(createSoftmaxAttachCPUTarget(targetOptions));
}

void mlir::softmax::registerSoftmaxCPUPipeline() {
  // (Its passes check their own options.)
  detail::registerModulePipeline<CPUPipelineOptions>(
      "softmax-cpu-pipeline",
      "Lower a module of upstream dialects plus softmax to the LLVM dialect "
      "for a CPU, exporting public functions through the C ABI",
      buildSoftmaxCPUPipeline);
}
