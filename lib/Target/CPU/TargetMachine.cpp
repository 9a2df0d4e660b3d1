//===- TargetMachine.cpp - CPU target machines ----------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/CPU/CPUTarget.h"

#include "llvm/MC/MCSubtargetInfo.h"
#include "llvm/MC/TargetRegistry.h"
#include "llvm/Support/TargetSelect.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Target/TargetOptions.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/SubtargetFeature.h"
#include "llvm/TargetParser/Triple.h"

#include <mutex>

using namespace mlir;
using namespace mlir::softmax;

int64_t mlir::softmax::getVectorRegisterBits(const llvm::TargetMachine &tm) {
  const llvm::MCSubtargetInfo *info = tm.getMCSubtargetInfo();
  // The feature names below are x86's (another target's subtarget would
  // not know them).
  if (!tm.getTargetTriple().isX86())
    return 128;
  if (info->checkFeatures("+avx512f"))
    return 512;
  if (info->checkFeatures("+avx"))
    return 256;
  return 128;
}

std::string mlir::softmax::getLeftPack(const llvm::TargetMachine &tm,
                                       int64_t vectorBits) {
  const llvm::MCSubtargetInfo *info = tm.getMCSubtargetInfo();
  if (!tm.getTargetTriple().isX86())
    return "none";
  if (vectorBits == 512 && info->checkFeatures("+avx512f"))
    return "avx512";
  if (vectorBits == 256 && info->checkFeatures("+avx2"))
    return "avx2";
  return "none";
}

CPUTuning CPUTuning::zen4() {
  CPUTuning tuning;
  tuning.gradPrefetch = false;
  tuning.streamMisaligned = false;
  // Measured on Intel AVX-512 only: Zen 4 keeps the per-row forms measured
  // there.
  tuning.streamAcrossRows = false;
  tuning.f32CachedGrad = true;
  tuning.simplexVectorBits = 256;
  return tuning;
}

CPUTuning CPUTuning::zen5() {
  CPUTuning tuning;
  tuning.simplexVectorBits = 256;
  // Measured on Zen 5 only (compare_sparse.py: sparsemax 1.05x-1.25x,
  // entmax(1.5) 1.05x-1.12x faster on rows of 128 to 1024).
  tuning.simplexWideLeftPack = true;
  // log_softmax_grad keeps the next-row prefetch (1.5x-2.0x slower without
  // on rows of 512 to 2048), softmax_grad runs faster without it.
  tuning.softmaxGradPrefetch = false;
  return tuning;
}

CPUTuning mlir::softmax::getCPUTuning(const llvm::TargetMachine &tm) {
  if (!tm.getTargetTriple().isX86())
    return CPUTuning();
  // Zen 4 (znver4), Zen 5 and later (znver5, ...); Zen 1 to 3 keep the
  // defaults (not measured with these choices).
  llvm::StringRef cpu = tm.getTargetCPU();
  unsigned generation = 0;
  if (cpu.consume_front("znver") && !cpu.getAsInteger(10, generation) &&
      generation >= 4)
    return generation == 4 ? CPUTuning::zen4() : CPUTuning::zen5();
  return CPUTuning();
}

llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
mlir::softmax::createCPUTargetMachine(const CPUTargetSpec &spec) {
  static std::once_flag initialized;
  std::call_once(initialized, [] {
    llvm::InitializeNativeTarget();
    llvm::InitializeNativeTargetAsmPrinter();
    llvm::InitializeNativeTargetAsmParser();
  });

  llvm::Triple triple(spec.triple.empty()
                          ? llvm::sys::getDefaultTargetTriple()
                          : llvm::Triple::normalize(spec.triple));
  std::string error;
  const llvm::Target *target =
      llvm::TargetRegistry::lookupTarget(triple, error);
  if (!target)
    return llvm::createStringError("unsupported target triple '" +
                                   triple.str() + "': " + error);

  std::string cpu = spec.cpu, features;
  if (cpu.empty() || cpu == "host") {
    cpu = llvm::sys::getHostCPUName().str();
    llvm::SubtargetFeatures featureList;
    for (const auto &feature : llvm::sys::getHostCPUFeatures())
      featureList.AddFeature(feature.getKey(), feature.getValue());
    features = featureList.getString();
  } else {
    // Created for the generic CPU: asking for an unknown one would print a
    // warning of LLVM's own before we can report it.
    std::unique_ptr<llvm::MCSubtargetInfo> info(
        target->createMCSubtargetInfo(triple, "", ""));
    if (!info || !info->isCPUStringValid(cpu))
      return llvm::createStringError("unknown CPU '" + spec.cpu +
                                     "' for target '" + triple.str() + "'");
  }

  llvm::TargetOptions options;
  // Constructors and destructors in .init_array / .fini_array, as clang
  // emits them (glibc runs no .ctors / .dtors of a library).
  options.UseInitArray = true;
  std::unique_ptr<llvm::TargetMachine> tm(target->createTargetMachine(
      triple, cpu, features, options, llvm::Reloc::PIC_, std::nullopt,
      llvm::CodeGenOptLevel::Aggressive));
  if (!tm)
    return llvm::createStringError("cannot create a target machine for '" +
                                   triple.str() + "'");
  return tm;
}
