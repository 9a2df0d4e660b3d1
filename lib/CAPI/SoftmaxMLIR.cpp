//===- SoftmaxMLIR.cpp - the C API of softmax-mlir ------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/CAPI/SoftmaxMLIR.h"

#include "softmax-mlir/InitAll.h"
#include "softmax-mlir/Pipelines/Pipelines.h"
#include "softmax-mlir/Target/CPU/CPUTarget.h"
#include "softmax-mlir/Target/GPU/GPUTarget.h"
#include "softmax-mlir/Transforms/CABI.h"

#include "mlir/ExecutionEngine/ExecutionEngine.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/Diagnostics.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Target/TargetMachine.h"
#include "llvm/TargetParser/Host.h"
#include "llvm/TargetParser/Triple.h"

#include <dlfcn.h>

#include <cstdlib>
#include <cstring>
#include <mutex>

using namespace mlir;

struct SmlModule {
  std::unique_ptr<ExecutionEngine> engine;
  std::string signatures;
};

namespace {
/// The dialects, passes and translations softmax-compile accepts, made once
/// (pass registration is global).
const DialectRegistry &getRegistry() {
  static DialectRegistry *registry = [] {
    auto *result = new DialectRegistry;
    softmax::registerSoftmaxToolDialectsAndPasses(*result);
    return result;
  }();
  return *registry;
}

/// One compilation: a context of its own whose diagnostics are collected,
/// with their source lines, as text.
struct Compilation {
  Compilation()
      : context(getRegistry(), MLIRContext::Threading::DISABLED),
        stream(diagnostics), handler(sourceMgr, &context, stream) {}

  OwningOpRef<ModuleOp> parse(const char *source, size_t length,
                              const char *sourceName) {
    sourceMgr.AddNewSourceBuffer(
        llvm::MemoryBuffer::getMemBufferCopy(
            llvm::StringRef(source, source ? length : 0),
            sourceName && *sourceName ? sourceName : "<source>"),
        llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  }

  /// Adds an `error:` line without a location.
  void fail(const llvm::Twine &message) {
    stream << "error: " << message << "\n";
  }

  /// `*error` set to the diagnostics so far, if `error` is given.
  void report(char **error) {
    if (!error)
      return;
    stream.flush();
    if (diagnostics.empty())
      diagnostics = "error: compilation failed\n";
    *error = strdup(diagnostics.c_str());
  }

  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  std::string diagnostics;
  llvm::raw_string_ostream stream;
  SourceMgrDiagnosticHandler handler;
};
} // namespace

/// The runtime libraries compiled code may call, LLVM's OpenMP runtime and
/// MLIR's support (from softmax::getRuntimeLibraryDirectory() when first
/// needed), opened once and never closed (OpenMP's threads outlive any
/// module). They are opened with RTLD_LOCAL, not into the process's
/// global scope as ExecutionEngine's `sharedLibPaths` would: there they
/// would also resolve libraries loaded later (another OpenMP runtime's
/// users, say Triton's under PyTorch), which then crash.
static llvm::ArrayRef<void *> getRuntimeLibraries() {
  static const std::vector<void *> libraries = [] {
    std::vector<void *> result;
    for (const char *stem : {"libomp", "libmlir_c_runner_utils"}) {
      std::string path = softmax::findRuntimeLibrary(stem);
      if (void *library = path.empty()
                              ? nullptr
                              : dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL))
        result.push_back(library);
    }
    return result;
  }();
  return libraries;
}

/// The signature lines of `module`'s exported functions (see smlDescribe).
static FailureOr<std::string> describe(ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  for (auto func : module.getOps<func::FuncOp>()) {
    if (!softmax::isExportedThroughCABI(func))
      continue;
    FailureOr<SmallVector<softmax::CABIParam>> params =
        softmax::getCABIParams(func);
    if (failed(params))
      return failure();
    os << func.getSymName();
    for (const softmax::CABIParam &param : *params) {
      os << (param.isOutput ? " out:" : " in:") << param.type.getElementType()
         << ":";
      llvm::interleave(
          param.type.getShape(), os,
          [&](int64_t size) {
            if (ShapedType::isDynamic(size))
              os << "?";
            else
              os << size;
          },
          "x");
    }
    os << "\n";
  }
  return text;
}

/// Parses `source` and runs softmax-cpu-pipeline with `options` on it.
/// Writes the signatures of its exported functions to `signatures`.
static OwningOpRef<ModuleOp>
compileToLLVMDialect(Compilation &compilation, const char *source,
                     size_t length, const char *sourceName, const char *options,
                     softmax::CPUPipelineOptions &pipelineOptions,
                     std::string &signatures) {
  std::string optionErrors;
  llvm::raw_string_ostream optionStream(optionErrors);
  bool parsed;
  {
    softmax::ScopedOptionErrors scope(optionStream);
    parsed = succeeded(
        pipelineOptions.parseFromString(options ? options : "", optionStream));
  }
  if (!parsed) {
    compilation.fail("invalid softmax-cpu-pipeline options '" +
                     llvm::Twine(options) +
                     "': " + llvm::StringRef(optionErrors).trim());
    return nullptr;
  }
  OwningOpRef<ModuleOp> module = compilation.parse(source, length, sourceName);
  if (!module)
    return nullptr;
  FailureOr<std::string> described = describe(*module);
  if (failed(described))
    return nullptr;
  signatures = std::move(*described);
  PassManager pm(&compilation.context, ModuleOp::getOperationName());
  softmax::buildSoftmaxCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return nullptr;
  return module;
}

SmlModule *smlCompileCPU(const char *source, size_t length,
                         const char *sourceName, const char *options,
                         char **error) {
  Compilation compilation;
  softmax::CPUPipelineOptions pipelineOptions;
  std::string signatures;
  OwningOpRef<ModuleOp> module =
      compileToLLVMDialect(compilation, source, length, sourceName, options,
                           pipelineOptions, signatures);
  if (!module) {
    compilation.report(error);
    return nullptr;
  }
  if (!pipelineOptions.triple.empty() &&
      llvm::Triple(llvm::Triple::normalize(pipelineOptions.triple)) !=
          llvm::Triple(llvm::sys::getProcessTriple())) {
    compilation.fail("cannot run code for triple '" + pipelineOptions.triple +
                     "' in this process (" + llvm::sys::getProcessTriple() +
                     "): compile it to a library instead");
    compilation.report(error);
    return nullptr;
  }

  // One target machine optimizes the LLVM IR, the other generates code.
  softmax::CPUTargetSpec spec{pipelineOptions.triple, pipelineOptions.mcpu};
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> optimizer =
      softmax::createCPUTargetMachine(spec);
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> generator =
      softmax::createCPUTargetMachine(spec);
  if (!optimizer || !generator) {
    compilation.fail(llvm::toString(optimizer ? generator.takeError()
                                              : optimizer.takeError()));
    if (!generator)
      llvm::consumeError(generator.takeError());
    compilation.report(error);
    return nullptr;
  }
  bool translated = true;
  std::vector<std::string> declarations;
  auto buildLLVMModule =
      [&](Operation *op,
          llvm::LLVMContext &llvmContext) -> std::unique_ptr<llvm::Module> {
    FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
        softmax::translateToOptimizedLLVMIR(cast<ModuleOp>(op), llvmContext,
                                            **optimizer);
    if (failed(llvmModule)) {
      translated = false;
      return nullptr;
    }
    for (const llvm::Function &function : **llvmModule)
      if (function.isDeclaration() && !function.isIntrinsic())
        declarations.push_back(function.getName().str());
    return std::move(*llvmModule);
  };
  ExecutionEngineOptions engineOptions;
  engineOptions.llvmModuleBuilder = buildLLVMModule;
  engineOptions.jitCodeGenOptLevel = llvm::CodeGenOptLevel::Aggressive;
  engineOptions.enableGDBNotificationListener = false;
  engineOptions.enablePerfNotificationListener = false;
  llvm::Expected<std::unique_ptr<ExecutionEngine>> engine =
      ExecutionEngine::create(*module, engineOptions, std::move(*generator));
  if (!engine) {
    std::string message = llvm::toString(engine.takeError());
    if (translated)
      compilation.fail("cannot load the compiled code: " + message);
    compilation.report(error);
    return nullptr;
  }
  // The runtime functions the code calls come from the libraries opened
  // locally here; the rest (libc, libm) from the process.
  (*engine)->registerSymbols([&](llvm::orc::MangleAndInterner interner) {
    llvm::orc::SymbolMap symbols;
    for (const std::string &name : declarations)
      for (void *library : getRuntimeLibraries())
        if (void *address = dlsym(library, name.c_str())) {
          symbols[interner(name)] = llvm::orc::ExecutorSymbolDef(
              llvm::orc::ExecutorAddr::fromPtr(address),
              llvm::JITSymbolFlags::Exported);
          break;
        }
    return symbols;
  });
  (*engine)->initialize();
  return new SmlModule{std::move(*engine), std::move(signatures)};
}

/// The LLVM-dialect `module` optimized and compiled for `tm` into the shared
/// library `libraryPath`, linked with `extraInputs`.
static LogicalResult writeLibrary(Compilation &compilation, ModuleOp module,
                                  llvm::TargetMachine &tm,
                                  const char *libraryPath,
                                  llvm::ArrayRef<std::string> extraInputs) {
  llvm::LLVMContext llvmContext;
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      softmax::translateToOptimizedLLVMIR(module, llvmContext, tm);
  if (failed(llvmModule))
    return failure();
  llvm::SmallString<128> objectPath;
  int objectFD;
  if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
          "softmax-mlir", "o", objectFD, objectPath)) {
    compilation.fail("cannot create a temporary file: " + ec.message());
    return failure();
  }
  llvm::FileRemover removeObject(objectPath);
  {
    llvm::raw_fd_ostream objectStream(objectFD, /*shouldClose=*/true);
    if (llvm::Error emitted = softmax::emitMachineCode(
            **llvmModule, tm, llvm::CodeGenFileType::ObjectFile,
            objectStream)) {
      compilation.fail(llvm::toString(std::move(emitted)));
      return failure();
    }
    // A failed write (a full disk) is an error, not an abort when the
    // stream is closed.
    objectStream.flush();
    if (objectStream.has_error()) {
      compilation.fail("cannot write '" + objectPath +
                       "': " + objectStream.error().message());
      objectStream.clear_error();
      return failure();
    }
  }
  if (llvm::Error linked =
          softmax::linkSharedLibrary(objectPath, libraryPath, extraInputs)) {
    compilation.fail(llvm::toString(std::move(linked)));
    return failure();
  }
  return success();
}

void smlSetRuntimeLibraryDirectory(const char *directory) {
  softmax::setRuntimeLibraryDirectory(directory ? directory : "");
}

int smlCompileCPUToLibrary(const char *source, size_t length,
                           const char *sourceName, const char *options,
                           const char *libraryPath, char **error) {
  Compilation compilation;
  if (!libraryPath || !*libraryPath) {
    compilation.fail("no library path given");
    compilation.report(error);
    return 1;
  }
  softmax::CPUPipelineOptions pipelineOptions;
  std::string signatures;
  OwningOpRef<ModuleOp> module =
      compileToLLVMDialect(compilation, source, length, sourceName, options,
                           pipelineOptions, signatures);
  if (!module) {
    compilation.report(error);
    return 1;
  }
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      softmax::createCPUTargetMachine(
          {pipelineOptions.triple, pipelineOptions.mcpu});
  if (!tm) {
    compilation.fail(llvm::toString(tm.takeError()));
    compilation.report(error);
    return 1;
  }
  if (failed(writeLibrary(compilation, *module, **tm, libraryPath, {}))) {
    compilation.report(error);
    return 1;
  }
  return 0;
}

int smlCompileCUDAToLibrary(const char *source, size_t length,
                            const char *sourceName, const char *options,
                            const char *runtimeLibrary, const char *libraryPath,
                            char **error) {
  Compilation compilation;
  auto fail = [&](const llvm::Twine &message) {
    compilation.fail(message);
    compilation.report(error);
    return 1;
  };
  if (!libraryPath || !*libraryPath)
    return fail("no library path given");
  softmax::GPUPipelineOptions pipelineOptions;
  {
    std::string optionErrors;
    llvm::raw_string_ostream optionStream(optionErrors);
    softmax::ScopedOptionErrors scope(optionStream);
    if (failed(pipelineOptions.parseFromString(options ? options : "",
                                               optionStream)))
      return fail("invalid softmax-gpu-pipeline options '" +
                  llvm::Twine(options) +
                  "': " + llvm::StringRef(optionErrors).trim());
  }
  if (std::string problem = softmax::checkGPUPipelineOptions(pipelineOptions);
      !problem.empty())
    return fail(problem);
  // The runtime opens the driver with dlopen and is written in C++.
  std::string runtime = runtimeLibrary && *runtimeLibrary
                            ? std::string(runtimeLibrary)
                            : std::string(SOFTMAX_MLIR_CUDA_RUNTIME_LIBRARY);
  if (!llvm::sys::fs::exists(runtime))
    return fail("no CUDA runtime library at '" + runtime + "'");
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      softmax::createCPUTargetMachine({});
  if (!tm)
    return fail(llvm::toString(tm.takeError()));
  OwningOpRef<ModuleOp> module = compilation.parse(source, length, sourceName);
  if (!module ||
      failed(softmax::runSoftmaxGPUPipelines(*module, pipelineOptions))) {
    compilation.report(error);
    return 1;
  }
  if (failed(writeLibrary(compilation, *module, **tm, libraryPath,
                          {runtime, "-ldl", "-lstdc++"}))) {
    compilation.report(error);
    return 1;
  }
  return 0;
}

char *smlDescribe(const char *source, size_t length, const char *sourceName,
                  char **error) {
  Compilation compilation;
  OwningOpRef<ModuleOp> module = compilation.parse(source, length, sourceName);
  if (module) {
    FailureOr<std::string> described = describe(*module);
    if (succeeded(described))
      return strdup(described->c_str());
  }
  compilation.report(error);
  return nullptr;
}

const char *smlModuleSignatures(const SmlModule *module) {
  return module ? module->signatures.c_str() : "";
}

void *smlModuleLookup(const SmlModule *module, const char *name) {
  if (!module || !name)
    return nullptr;
  llvm::Expected<void *> address =
      module->engine->lookup(("_mlir_ciface_" + llvm::Twine(name)).str());
  if (!address) {
    llvm::consumeError(address.takeError());
    return nullptr;
  }
  return *address;
}

void smlModuleDestroy(SmlModule *module) { delete module; }

void smlFreeString(char *string) { std::free(string); }
