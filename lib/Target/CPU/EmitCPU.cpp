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
#include "llvm/ADT/StringExtras.h"
#include "llvm/Bitcode/BitcodeReader.h"
#include "llvm/Bitcode/BitcodeWriter.h"
#include "llvm/IR/GlobalVariable.h"
#include "llvm/IR/IRBuilder.h"
#include "llvm/IR/InstIterator.h"
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
#include "llvm/Transforms/Utils/ModuleUtils.h"
#include "llvm/Transforms/Utils/SplitModule.h"

#include <dlfcn.h>
#include <link.h>

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

/// Stores of bf16 values (scalars or vectors) store their bits as i16,
/// taken where the value is defined. The ASan pass puts a check before
/// every store in a block of its own, so a value would cross blocks, and an
/// x86 target without AVX512-BF16 holds a bf16 value between blocks as an
/// f32 and rounds it back by calling __truncsfbf2 (which Debian 12's libgcc
/// lacks); i16 bits cross as they are.
static void storeBF16Bits(llvm::Module &llvmModule) {
  SmallVector<llvm::StoreInst *> stores;
  for (llvm::Function &function : llvmModule)
    for (llvm::Instruction &inst : llvm::instructions(function))
      if (auto *store = dyn_cast<llvm::StoreInst>(&inst))
        if (store->getValueOperand()->getType()->getScalarType()->isBFloatTy())
          stores.push_back(store);
  for (llvm::StoreInst *store : stores) {
    llvm::Value *value = store->getValueOperand();
    llvm::Type *bits = value->getType()->getWithNewType(
        llvm::Type::getInt16Ty(value->getContext()));
    llvm::Value *asBits = nullptr;
    if (auto *cast = dyn_cast<llvm::BitCastInst>(value);
        cast && cast->getSrcTy() == bits) {
      asBits = cast->getOperand(0);
    } else if (auto *constant = dyn_cast<llvm::Constant>(value)) {
      asBits = llvm::ConstantExpr::getBitCast(constant, bits);
    } else {
      std::optional<llvm::BasicBlock::iterator> at;
      if (auto *def = dyn_cast<llvm::Instruction>(value))
        at = def->getInsertionPointAfterDef();
      else
        at = store->getFunction()->getEntryBlock().getFirstInsertionPt();
      asBits = new llvm::BitCastInst(value, bits, "",
                                     at ? *at : store->getIterator());
    }
    store->setOperand(0, asBits);
  }
}

void mlir::softmax::instrumentWithAddressSanitizer(llvm::Module &llvmModule,
                                                   llvm::TargetMachine &tm) {
  storeBF16Bits(llvmModule);
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

/// The C compiler drivers that link shared libraries without $CC, in order.
static constexpr llvm::StringLiteral kLinkerDrivers[] = {"clang-22", "clang",
                                                         "cc", "gcc"};

/// "clang-22, clang, cc, gcc": the drivers looked for, for messages.
static std::string getLinkerDriverNames() {
  return llvm::join(llvm::ArrayRef(kLinkerDrivers), ", ");
}

/// The C compiler driver that links shared libraries: $CC, else the first
/// of kLinkerDrivers on PATH.
static llvm::Expected<std::string> findLinkerDriver() {
  if (const char *cc = std::getenv("CC"); cc && *cc) {
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(cc))
      return *path;
    return llvm::createStringError(std::string("$CC ('") + cc +
                                   "') is not an executable program");
  }
  for (llvm::StringRef name : kLinkerDrivers)
    if (llvm::ErrorOr<std::string> path = llvm::sys::findProgramByName(name))
      return *path;
  return llvm::createStringError(
      "no C compiler driver to link with (tried $CC, " +
      getLinkerDriverNames() + ")");
}

static std::mutex inProcessLinkerMutex;
static InProcessLinker &getInProcessLinker() {
  static InProcessLinker linker;
  return linker;
}

void mlir::softmax::setInProcessLinker(InProcessLinker linker) {
  std::lock_guard<std::mutex> lock(inProcessLinkerMutex);
  getInProcessLinker() = std::move(linker);
}

/// The file of the system library `soname` as this process maps it (loaded
/// if it was not), or empty.
static std::string getLoadedLibraryFile(const char *soname) {
  void *handle = dlopen(soname, RTLD_LAZY | RTLD_NOLOAD);
  if (!handle)
    handle = dlopen(soname, RTLD_LAZY);
  if (!handle)
    return "";
  struct link_map *map = nullptr;
  std::string file;
  if (dlinfo(handle, RTLD_DI_LINKMAP, &map) == 0 && map && map->l_name)
    file = map->l_name;
  dlclose(handle);
  return file;
}

/// The file of the library a `-l` option names, among the C and C++
/// runtime libraries (by soname: no development files needed), or empty.
static std::string getRuntimeLibraryFile(llvm::StringRef name) {
  static const std::pair<llvm::StringRef, const char *> sonames[] = {
      {"c", "libc.so.6"},           {"m", "libm.so.6"},
      {"dl", "libdl.so.2"},         {"pthread", "libpthread.so.0"},
      {"stdc++", "libstdc++.so.6"}, {"gcc_s", "libgcc_s.so.1"}};
  for (auto [stem, soname] : sonames)
    if (name == stem)
      return getLoadedLibraryFile(soname);
  return "";
}

/// An object file with what crtbeginS.o gives a library a compiler driver
/// links: `__dso_handle` (hidden, its own address), which C++ code with
/// static destructors registers them with (__cxa_atexit), and a .fini_array
/// entry that runs them (__cxa_finalize) when the library is closed.
static llvm::Error writeDSOHandleObject(llvm::StringRef path) {
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      createCPUTargetMachine({"", "generic"});
  if (!tm)
    return tm.takeError();
  llvm::LLVMContext context;
  llvm::Module module("dso_handle", context);
  module.setTargetTriple((*tm)->getTargetTriple());
  module.setDataLayout((*tm)->createDataLayout());
  auto *ptr = llvm::PointerType::getUnqual(context);
  auto *handle = new llvm::GlobalVariable(module, ptr, /*isConstant=*/false,
                                          llvm::GlobalValue::ExternalLinkage,
                                          nullptr, "__dso_handle");
  handle->setInitializer(handle);
  handle->setVisibility(llvm::GlobalValue::HiddenVisibility);
  // if (__cxa_finalize) __cxa_finalize(&__dso_handle), __cxa_finalize weak.
  auto *voidType = llvm::Type::getVoidTy(context);
  llvm::Function *finalize = llvm::Function::Create(
      llvm::FunctionType::get(voidType, {ptr}, false),
      llvm::GlobalValue::ExternalWeakLinkage, "__cxa_finalize", module);
  llvm::Function *fini = llvm::Function::Create(
      llvm::FunctionType::get(voidType, false),
      llvm::GlobalValue::InternalLinkage, "softmax_mlir_fini", module);
  auto *entry = llvm::BasicBlock::Create(context, "entry", fini);
  auto *call = llvm::BasicBlock::Create(context, "call", fini);
  auto *done = llvm::BasicBlock::Create(context, "done", fini);
  llvm::IRBuilder<> b(entry);
  b.CreateCondBr(b.CreateIsNotNull(finalize), call, done);
  b.SetInsertPoint(call);
  b.CreateCall(finalize, {handle});
  b.CreateBr(done);
  b.SetInsertPoint(done);
  b.CreateRetVoid();
  llvm::appendToGlobalDtors(module, fini, /*Priority=*/0);
  std::error_code ec;
  llvm::raw_fd_ostream os(path, ec);
  if (ec)
    return llvm::createStringError("cannot write '" + path.str() +
                                   "': " + ec.message());
  if (llvm::Error error =
          emitMachineCode(module, **tm, llvm::CodeGenFileType::ObjectFile, os))
    return error;
  os.close();
  if (os.has_error()) {
    std::error_code error = os.error();
    os.clear_error();
    return llvm::createStringError("cannot write '" + path.str() +
                                   "': " + error.message());
  }
  return llvm::Error::success();
}

/// linkSharedLibrary without a driver: `linker` (lld) on the objects, the
/// runtime libraries by file, libc, libm, libgcc_s and ld.so by the files
/// this process maps.
static llvm::Error linkInProcess(const InProcessLinker &linker,
                                 llvm::StringRef objectPath,
                                 llvm::StringRef libraryPath,
                                 llvm::ArrayRef<std::string> extraInputs) {
  llvm::SmallString<128> handlePath;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "softmax-dso-handle", "o", handlePath))
    return llvm::createStringError("cannot create a temporary file: " +
                                   ec.message());
  llvm::FileRemover removeHandle(handlePath);
  if (llvm::Error error = writeDSOHandleObject(handlePath))
    return error;
  std::string libDir = getRuntimeLibraryDirectory();
  llvm::SmallVector<std::string> args = {
      "ld.lld",          "-shared",        "-o",
      libraryPath.str(), objectPath.str(), handlePath.str().str()};
  auto addLibrary = [&](llvm::StringRef name) -> llvm::Error {
    std::string file = getRuntimeLibraryFile(name);
    if (file.empty())
      return llvm::createStringError(
          "no C compiler driver to link '" + libraryPath.str() +
          "' with (tried " + getLinkerDriverNames() +
          "), and the in-process linker takes -l" + name.str() +
          " only with one (it links the C and C++ runtime libraries only)");
    args.push_back(file);
    return llvm::Error::success();
  };
  args.push_back("--as-needed");
  for (const std::string &input : extraInputs) {
    if (llvm::StringRef(input).starts_with("-l")) {
      if (llvm::Error error = addLibrary(llvm::StringRef(input).drop_front(2)))
        return error;
    } else {
      args.push_back(input);
    }
  }
  args.append({"-rpath", libDir});
  for (llvm::StringRef stem : {"libmlir_c_runner_utils", "libomp"}) {
    std::string file = findRuntimeLibrary(stem);
    if (file.empty())
      return llvm::createStringError("no " + stem.str() + " in '" + libDir +
                                     "' to link with");
    args.push_back(file);
  }
  for (llvm::StringRef name : {"m", "c", "gcc_s"})
    if (llvm::Error error = addLibrary(name))
      return error;
  // __tls_get_addr (thread-local variables of the CUDA runtime).
  std::string loader = getLoadedLibraryFile("ld-linux-x86-64.so.2");
  if (!loader.empty())
    args.push_back(loader);
  args.append({"-z", "defs", "-z", "noexecstack", "--eh-frame-hdr"});
  if (llvm::Error error = linker(args))
    return llvm::createStringError("linking '" + libraryPath.str() +
                                   "' in process with lld failed:\n" +
                                   llvm::toString(std::move(error)));
  return llvm::Error::success();
}

llvm::Error mlir::softmax::linkSharedLibrary(
    llvm::StringRef objectPath, llvm::StringRef libraryPath,
    llvm::ArrayRef<std::string> extraInputs, bool sanitizeAddress) {
  llvm::Expected<std::string> driver = findLinkerDriver();
  // No driver (and no $CC naming one): the in-process linker, if any.
  const char *cc = std::getenv("CC");
  if (!driver && !sanitizeAddress && !(cc && *cc)) {
    InProcessLinker linker;
    {
      std::lock_guard<std::mutex> lock(inProcessLinkerMutex);
      linker = getInProcessLinker();
    }
    llvm::consumeError(driver.takeError());
    if (!linker)
      return llvm::createStringError(
          "no C compiler driver to link '" + libraryPath.str() +
          "' with (tried " + getLinkerDriverNames() +
          "), and this build has no in-process linker (build with "
          "liblld-22-dev installed)");
    return linkInProcess(linker, objectPath, libraryPath, extraInputs);
  }
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
