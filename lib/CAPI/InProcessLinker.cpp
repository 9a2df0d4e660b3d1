//===- InProcessLinker.cpp - lld in the process, where there is no driver -===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Built where lld's libraries are (liblld-22-dev): the C API links shared
// libraries with lld in the process when the system has no C compiler
// driver, so that a Python wheel compiles libraries on a machine without
// one. lld is not reentrant: one link at a time.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/CPU/CPUTarget.h"

#include "lld/Common/Driver.h"
#include "llvm/Support/CrashRecoveryContext.h"
#include "llvm/Support/raw_ostream.h"

#include <mutex>

LLD_HAS_DRIVER(elf)

namespace {

llvm::Error linkWithLLD(llvm::ArrayRef<std::string> args) {
  static std::mutex mutex;
  static bool broken = false;
  std::lock_guard<std::mutex> lock(mutex);
  if (broken)
    return llvm::createStringError(
        "lld crashed in an earlier link and cannot run again in this "
        "process");
  // Without it, an lld error it deems fatal ends the process (_exit);
  // with it, lldMain returns (once enabled, for the whole process: its
  // signal handlers pass on what is not theirs).
  static std::once_flag enabled;
  std::call_once(enabled, [] { llvm::CrashRecoveryContext::Enable(); });
  llvm::SmallVector<const char *> argv;
  for (const std::string &arg : args)
    argv.push_back(arg.c_str());
  std::string messages;
  llvm::raw_string_ostream out(messages), err(messages);
  lld::Result result =
      lld::lldMain(argv, out, err, {{lld::Gnu, &lld::elf::link}});
  broken = !result.canRunAgain;
  if (result.retCode == 0)
    return llvm::Error::success();
  return llvm::createStringError(llvm::StringRef(messages).trim().str());
}

/// Registers lld as the in-process linker when the library loads.
struct Registration {
  Registration() { mlir::softmax::setInProcessLinker(linkWithLLD); }
} registration;

} // namespace
