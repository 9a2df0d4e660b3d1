//===- EmitCPU.cpp - LLVM IR, assembly, objects, shared libraries ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Target/CPU/CPUTarget.h"

#include "mlir/ExecutionEngine/OptUtils.h"
#include "mlir/Target/LLVMIR/Dialect/Builtin/BuiltinToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/LLVMIR/LLVMToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Dialect/OpenMP/OpenMPToLLVMIRTranslation.h"
#include "mlir/Target/LLVMIR/Export.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/LegacyPassManager.h"
#include "llvm/IR/Module.h"
#include "llvm/Passes/PassBuilder.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/Program.h"
#include "llvm/Support/ThreadPool.h"
#include "llvm/Support/Threading.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/Transforms/Instrumentation/AddressSanitizer.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <cstdlib>
#include <mutex>

using namespace mlir;
using namespace mlir::softmax;

FailureOr<std::unique_ptr<llvm::Module>> mlir::softmax::translateToLLVMIR(
    ModuleOp module, llvm::LLVMContext &llvmContext, llvm::TargetMachine &tm) {
  DialectRegistry registry;
  registerBuiltinDialectTranslation(registry);
  registerLLVMDialectTranslation(registry);
  registerOpenMPDialectTranslation(registry);
  module->getContext()->appendDialectRegistry(registry);

  std::unique_ptr<llvm::Module> llvmModule =
      translateModuleToLLVMIR(module, llvmContext);
  if (!llvmModule)
    return module.emitError("cannot translate the module to LLVM IR");
  llvmModule->setTargetTriple(tm.getTargetTriple());
  llvmModule->setDataLayout(tm.createDataLayout());
  return llvmModule;
}

llvm::Error mlir::softmax::optimizeLLVMModule(llvm::Module &llvmModule,
                                              llvm::TargetMachine &tm) {
  auto optimize =
      makeOptimizingTransformer(/*optLevel=*/3, /*sizeLevel=*/0, &tm);
  if (llvm::Error error = optimize(&llvmModule))
    return llvm::createStringError("LLVM optimization failed: " +
                                   llvm::toString(std::move(error)));
  return llvm::Error::success();
}

FailureOr<std::unique_ptr<llvm::Module>>
mlir::softmax::translateToOptimizedLLVMIR(ModuleOp module,
                                          llvm::LLVMContext &llvmContext,
                                          llvm::TargetMachine &tm) {
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      translateToLLVMIR(module, llvmContext, tm);
  if (failed(llvmModule))
    return failure();
  if (llvm::Error error = optimizeLLVMModule(**llvmModule, tm))
    return module.emitError(llvm::toString(std::move(error)));
  return llvmModule;
}

llvm::Expected<llvm::SmallVector<llvm::SmallString<0>>>
mlir::softmax::emitObjectsInParallel(llvm::Module &llvmModule,
                                     const CPUTargetSpec &spec,
                                     unsigned parts) {
  // The parts as bitcode, in the order SplitModule makes them.
  llvm::SmallVector<llvm::SmallString<0>> bitcode;
  llvm::SplitModule(llvmModule, std::max(parts, 1u),
                    [&](std::unique_ptr<llvm::Module> part) {
                      llvm::raw_svector_ostream os(bitcode.emplace_back());
                      llvm::WriteBitcodeToFile(*part, os);
                    });
  llvm::SmallVector<llvm::SmallString<0>> objects(bitcode.size());
  llvm::SmallVector<std::string> errors(bitcode.size());
  llvm::DefaultThreadPool pool(
      llvm::hardware_concurrency(static_cast<unsigned>(bitcode.size())));
  for (size_t i = 0; i < bitcode.size(); ++i)
    pool.async([&, i] {
      auto fail = [&](llvm::Error error) {
        errors[i] = llvm::toString(std::move(error));
      };
      llvm::LLVMContext context;
      llvm::Expected<std::unique_ptr<llvm::Module>> part =
          llvm::parseBitcodeFile(
              llvm::MemoryBufferRef(llvm::StringRef(bitcode[i]), "part"),
              context);
      if (!part)
        return fail(part.takeError());
      llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
          createCPUTargetMachine(spec);
      if (!tm)
        return fail(tm.takeError());
      if (llvm::Error error = optimizeLLVMModule(**part, **tm))
        return fail(std::move(error));
      llvm::raw_svector_ostream os(objects[i]);
      if (llvm::Error error = emitMachineCode(
              **part, **tm, llvm::CodeGenFileType::ObjectFile, os))
        return fail(std::move(error));
    });
  pool.wait();
  for (const std::string &error : errors)
    if (!error.empty())
      return llvm::createStringError(error);
  return objects;
}

void mlir::softmax::instrumentWithAddressSanitizer(llvm::Module &llvmModule,
                                                   llvm::TargetMachine &tm) {
  for (llvm::Function &function : llvmModule)
    if (!function.isDeclaration())
      function.addFnAttr(llvm::Attribute::SanitizeAddress);
  llvm::LoopAnalysisManager lam;
  llvm::FunctionAnalysisManager fam;
  llvm::CGSCCAnalysisManager cgam;
  llvm::ModuleAnalysisManager mam;
  llvm::PassBuilder passBuilder(&tm);
  passBuilder.registerModuleAnalyses(mam);
  passBuilder.registerCGSCCAnalyses(cgam);
  passBuilder.registerFunctionAnalyses(fam);
  passBuilder.registerLoopAnalyses(lam);
  passBuilder.crossRegisterProxies(lam, fam, cgam, mam);
  llvm::ModulePassManager passes;
  passes.addPass(llvm::AddressSanitizerPass(llvm::AddressSanitizerOptions()));
  passes.run(llvmModule, mam);
}

llvm::Error mlir::softmax::emitMachineCode(llvm::Module &llvmModule,
                                           llvm::TargetMachine &tm,
                                           llvm::CodeGenFileType fileType,
                                           llvm::raw_pwrite_stream &os) {
  llvm::legacy::PassManager pm;
  if (tm.addPassesToEmitFile(pm, os, nullptr, fileType))
    return llvm::createStringError("the target cannot emit this kind of file");
  pm.run(llvmModule);
  return llvm::Error::success();
}

/// The runtime library directory, and its lock (set once by a host, read by
/// every link).
static std::mutex runtimeDirectoryMutex;
static std::string &runtimeDirectory() {
  static std::string directory = SOFTMAX_MLIR_LLVM_LIBDIR;
  return directory;
}

std::string mlir::softmax::getRuntimeLibraryDirectory() {
  std::lock_guard<std::mutex> lock(runtimeDirectoryMutex);
  return runtimeDirectory();
}

void mlir::softmax::setRuntimeLibraryDirectory(llvm::StringRef directory) {
  std::lock_guard<std::mutex> lock(runtimeDirectoryMutex);
  runtimeDirectory() = directory.empty() ? std::string(SOFTMAX_MLIR_LLVM_LIBDIR)
                                         : directory.str();
}

std::string mlir::softmax::findRuntimeLibrary(llvm::StringRef stem) {
  std::string directory = getRuntimeLibraryDirectory();
  llvm::SmallString<256> link(directory);
  llvm::sys::path::append(link, stem + ".so");
  llvm::SmallString<256> real;
  if (!llvm::sys::fs::real_path(link, real))
    return real.str().str();
  // The shortest versioned name (the soname, libomp.so.5 before
  // libomp.so.5.0), then the first in order.
  std::string best;
  std::error_code ec;
  for (llvm::sys::fs::directory_iterator it(directory, ec), end;
       !ec && it != end; it.increment(ec)) {
    llvm::StringRef name = llvm::sys::path::filename(it->path());
    if (!name.starts_with((stem + ".so.").str()))
      continue;
    if (best.empty() || it->path().size() < best.size() ||
        (it->path().size() == best.size() && it->path() < best))
      best = it->path();
  }
  return best;
}

/// The C compiler driver that links shared libraries: $CC, else the first
/// of clang-22, clang, cc, gcc on PATH.
static llvm::Expected<std::string> findLinkerDriver() {
  if (const char *cc = std::getenv("CC"); cc && *cc) {
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(cc))
      return *path;
    return llvm::createStringError(std::string("$CC ('") + cc +
                                   "') is not an executable program");
  }
  for (llvm::StringRef name : {"clang-22", "clang", "cc", "gcc"})
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return llvm::createStringError(
      "no C compiler driver to link with (tried $CC, clang-22, clang, cc, "
      "gcc)");
}

llvm::Error mlir::softmax::linkSharedLibrary(
    llvm::StringRef objectPath, llvm::StringRef libraryPath,
    llvm::ArrayRef<std::string> extraInputs, bool sanitizeAddress) {
  llvm::Expected<std::string> driver = findLinkerDriver();
  if (!driver)
    return driver.takeError();

  llvm::SmallString<128> logPath;
  if (std::error_code ec =
          llvm::sys::fs::createTemporaryFile("softmax-link", "log", logPath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::FileRemover removeLog(logPath);

  std::string libDir = getRuntimeLibraryDirectory();
  llvm::SmallVector<std::string> args = {*driver, "-shared", "-o",
                                         libraryPath.str(), objectPath.str()};
  args.append(extraInputs.begin(), extraInputs.end());
  // The instrumented code calls the shared ASan runtime (which the host
  // process loads first).
  if (sanitizeAddress)
    args.append({"-fsanitize=address", "-shared-libasan"});
  // MLIR's runtime support and LLVM's OpenMP runtime are linked only if the
  // code calls into them, and then found through the RUNPATH (by their
  // sonames).
  args.append({"-Wl,--as-needed", "-L" + libDir, "-Wl,-rpath," + libDir});
  for (llvm::StringRef stem : {"libmlir_c_runner_utils", "libomp"}) {
    std::string file = findRuntimeLibrary(stem);
    args.push_back(file.empty() ? "-l" + stem.drop_front(3).str() : file);
  }
  args.append({"-lm", "-Wl,-z,defs", "-Wl,-z,noexecstack"});
  llvm::SmallVector<llvm::StringRef> argRefs(args.begin(), args.end());
  std::optional<llvm::StringRef> redirects[] = {std::nullopt, logPath.str(),
                                                logPath.str()};
  std::string errorMessage;
  int rc = llvm::sys::ExecuteAndWait(*driver, argRefs, std::nullopt, redirects,
                                     0, 0, &errorMessage);
  if (rc == 0)
    return llvm::Error::success();
  std::string log;
  if (auto buffer = llvm::MemoryBuffer::getFile(logPath))
    log = (*buffer)->getBuffer().trim().str();
  return llvm::createStringError(
      "linking '" + libraryPath.str() + "' with " + *driver + " failed" +
      (errorMessage.empty() ? "" : ": " + errorMessage) +
      (log.empty() ? "" : "\n" + log));
}
