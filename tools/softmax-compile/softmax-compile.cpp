//===- softmax-compile.cpp - the softmax-mlir compile driver --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// softmax-compile IN.mlir -o OUT --target=cpu [--mcpu=CPU]
//     --emit=mlir|llvm|asm|obj|shared-lib
// softmax-compile IN.mlir -o OUT --target=cuda [--chip=sm_XX]
//     --emit=mlir|llvm|ptx|cubin|shared-lib
//
// Runs the target's pipeline in-process and writes one file. For
// shared-lib it also writes the C header of the library's ABI; for ptx and
// cubin a JSON sidecar per kernel beside the output.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"
#include "softmax-mlir/Pipelines/Pipelines.h"
#include "softmax-mlir/Target/CPU/CPUTarget.h"
#include "softmax-mlir/Target/GPU/GPUTarget.h"
#include "softmax-mlir/Tools/CommandLine.h"

#include "mlir/Dialect/LLVMIR/LLVMDialect.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Parser/Parser.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "llvm/ADT/StringSwitch.h"
#include "llvm/IR/LLVMContext.h"
#include "llvm/IR/Module.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/FileSystem.h"
#include "llvm/Support/FileUtilities.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/SourceMgr.h"
#include "llvm/Support/Threading.h"
#include "llvm/Support/ToolOutputFile.h"
#include "llvm/Target/TargetMachine.h"

using namespace mlir;
namespace cl = llvm::cl;

namespace {
enum class EmitKind { MLIR, LLVM, Asm, Obj, SharedLib, PTX, Cubin };

/// The tool's own options, the only ones `--help` lists: MLIR's and LLVM's
/// (`--mlir-print-ir-after-all`, `--x86-asm-syntax`, ...) still work.
cl::OptionCategory compileCategory("softmax-compile options");

struct Options {
  cl::opt<std::string> input{cl::Positional, cl::desc("<input.mlir>"),
                             cl::init("-"), cl::cat(compileCategory)};
  cl::opt<std::string> output{"o", cl::desc("Output file ('-' for stdout)"),
                              cl::value_desc("filename"), cl::init("-"),
                              cl::cat(compileCategory)};
  cl::opt<std::string> target{"target",
                              cl::desc("Target: cpu (default) or cuda"),
                              cl::init("cpu"), cl::cat(compileCategory)};
  cl::opt<std::string> mcpu{
      "mcpu", cl::desc("Target CPU, as llc's -mcpu (default: host)"),
      cl::init("host"), cl::cat(compileCategory)};
  cl::opt<std::string> mtriple{"mtriple",
                               cl::desc("Target triple (default: the host's)"),
                               cl::init(""), cl::cat(compileCategory)};
  cl::opt<std::string> chip{"chip", cl::desc("GPU chip, e.g. sm_90"),
                            cl::init("sm_90"), cl::cat(compileCategory)};
  cl::opt<std::string> emit{
      "emit",
      cl::desc("What to write: mlir, llvm, asm, obj, shared-lib (cpu); "
               "ptx, cubin (cuda)"),
      cl::init("obj"), cl::cat(compileCategory)};
  cl::opt<bool> vectorize{
      "vectorize",
      cl::desc("Vector row loops for softmax over the innermost dim "
               "(default: on; off uses the generic decomposition)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<bool> fuse{
      "fuse",
      cl::desc("Compute elementwise producers of softmax inputs in the row "
               "loops (default: on)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<bool> runtimeChecks{
      "runtime-checks",
      cl::desc("Check the sizes callers pass at run time and report a "
               "mismatch instead of running (default: on)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<bool> shareKernels{
      "share-kernels",
      cl::desc("Compile each repeated softmax op once, as a kernel function "
               "its occurrences call (default: on)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<int64_t> vectorBits{
      "vector-bits",
      cl::desc("Vector register bits (default 0: the target CPU's)"),
      cl::init(0), cl::cat(compileCategory)};
  // (`--threads` is taken by one of LLVM's own global options.)
  cl::opt<int64_t> threads{
      "num-threads",
      cl::desc("Threads for the rows (default 0: all cores; 1: none)"),
      cl::init(0), cl::cat(compileCategory)};
  cl::opt<int64_t> unroll{
      "unroll", cl::desc("Vector registers per vector value (default 4)"),
      cl::init(4), cl::cat(compileCategory)};
  cl::opt<bool> prefetch{
      "prefetch",
      cl::desc("Prefetch the next row's input during a row's second pass "
               "(default true)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<bool> nontemporal{
      "nontemporal",
      cl::desc("Let rows longer than half of L2 write their output with "
               "streaming stores (default true)"),
      cl::init(true), cl::cat(compileCategory)};
  cl::opt<std::string> tuning{
      "tuning",
      cl::desc("Choices tuned per CPU: auto (the target CPU's), default, "
               "zen4 or zen5 (default auto)"),
      cl::init("auto"), cl::cat(compileCategory)};
  cl::opt<int64_t> codegenThreads{
      "codegen-threads",
      cl::desc("Threads that optimize and compile the LLVM IR of a "
               "--emit=shared-lib module of many functions, in as many "
               "parts (default 0: all cores; 1: one part)"),
      cl::init(0), cl::cat(compileCategory)};
  cl::opt<std::string> sanitize{
      "sanitize",
      cl::desc("Instrument the generated CPU code: 'address' (ASan; the "
               "shared library then needs the ASan runtime loaded first)"),
      cl::init(""), cl::cat(compileCategory)};
  cl::opt<std::string> header{
      "header",
      cl::desc("C header to write with --emit=shared-lib (default: the "
               "output path with the extension .h)"),
      cl::value_desc("filename"), cl::init(""), cl::cat(compileCategory)};
};
} // namespace

static int fail(const llvm::Twine &message) {
  return softmax::reportToolError(message);
}

static std::optional<EmitKind> parseEmitKind(llvm::StringRef name) {
  return llvm::StringSwitch<std::optional<EmitKind>>(name)
      .Case("mlir", EmitKind::MLIR)
      .Case("llvm", EmitKind::LLVM)
      .Case("asm", EmitKind::Asm)
      .Case("obj", EmitKind::Obj)
      .Case("shared-lib", EmitKind::SharedLib)
      .Case("ptx", EmitKind::PTX)
      .Case("cubin", EmitKind::Cubin)
      .Default(std::nullopt);
}

/// An include guard for a header at `path`: its file name in upper case.
static std::string getHeaderGuard(llvm::StringRef path) {
  std::string guard = "SOFTMAX_MLIR_";
  for (char c : llvm::sys::path::filename(path))
    guard += llvm::isAlnum(c) ? llvm::toUpper(c) : '_';
  return guard;
}

/// Writes `contents` to `path`, or fails with an `error:` message.
static LogicalResult writeFile(llvm::StringRef path, llvm::StringRef contents) {
  std::string errorMessage;
  std::unique_ptr<llvm::ToolOutputFile> file =
      openOutputFile(path, &errorMessage);
  if (!file) {
    fail(errorMessage);
    return failure();
  }
  file->os() << contents;
  file->os().flush();
  if (file->os().has_error()) {
    fail("cannot write '" + path + "': " + file->os().error().message());
    file->os().clear_error();
    return failure();
  }
  file->keep();
  return success();
}

/// A context with everything the tool accepts, whose diagnostics print
/// with their source lines.
struct Session {
  static DialectRegistry makeRegistry() {
    DialectRegistry registry;
    softmax::registerSoftmaxToolDialectsAndPasses(registry);
    return registry;
  }

  Session() : context(makeRegistry()), handler(sourceMgr, &context) {}

  /// Parses the input, or reports and returns null.
  OwningOpRef<ModuleOp> parse(const Options &options) {
    std::string errorMessage;
    std::unique_ptr<llvm::MemoryBuffer> inputBuffer =
        openInputFile(options.input, &errorMessage);
    if (!inputBuffer) {
      fail(errorMessage);
      return nullptr;
    }
    sourceMgr.AddNewSourceBuffer(std::move(inputBuffer), llvm::SMLoc());
    return parseSourceFile<ModuleOp>(sourceMgr, ParserConfig(&context));
  }

  MLIRContext context;
  llvm::SourceMgr sourceMgr;
  SourceMgrDiagnosticHandler handler;
};

/// The C header of `module`'s functions (as written, on tensors) and its
/// path: --header, else the output's with the extension .h.
static LogicalResult renderHeader(const Options &options, ModuleOp module,
                                  std::string &headerPath,
                                  std::string &headerText) {
  headerPath = options.header;
  if (headerPath.empty()) {
    llvm::SmallString<128> path(options.output);
    llvm::sys::path::replace_extension(path, ".h");
    headerPath = path.str().str();
  }
  llvm::raw_string_ostream headerStream(headerText);
  bool cuda = options.target == "cuda";
  return softmax::emitCHeader(module, getHeaderGuard(headerPath), headerStream,
                              /*cudaRuntime=*/cuda,
                              /*runtimeChecks=*/!cuda && options.runtimeChecks);
}

/// Writes `module` as text to `path`.
static int writeModule(llvm::StringRef path, ModuleOp module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module->print(os);
  return failed(writeFile(path, text)) ? 1 : 0;
}

/// Writes `module` (LLVM IR) as text to `path`.
static int writeModule(llvm::StringRef path, const llvm::Module &module) {
  std::string text;
  llvm::raw_string_ostream os(text);
  module.print(os, nullptr);
  return failed(writeFile(path, text)) ? 1 : 0;
}

/// Links the object `code` with `extraInputs` into the shared library at
/// the output path, then writes its header: the outputs are checked to be
/// writable first.
static int writeSharedLibrary(const Options &options,
                              llvm::ArrayRef<llvm::SmallString<0>> objects,
                              llvm::StringRef headerPath,
                              llvm::StringRef headerText,
                              llvm::ArrayRef<std::string> extraInputs,
                              bool sanitizeAddress = false) {
  if (failed(writeFile(options.output, "")))
    return 1;
  llvm::SmallVector<std::string> objectPaths;
  llvm::SmallVector<llvm::FileRemover> removers;
  removers.reserve(objects.size());
  for (llvm::StringRef code : objects) {
    llvm::SmallString<128> objectPath;
    if (std::error_code ec = llvm::sys::fs::createTemporaryFile(
            "softmax-compile", "o", objectPath))
      return fail("cannot create a temporary file: " + ec.message());
    removers.emplace_back(objectPath);
    if (failed(writeFile(objectPath, code)))
      return 1;
    objectPaths.push_back(std::string(objectPath));
  }
  // The first object, then the others and the extra inputs.
  llvm::SmallVector<std::string> inputs(std::next(objectPaths.begin()),
                                        objectPaths.end());
  inputs.append(extraInputs.begin(), extraInputs.end());
  if (llvm::Error error = softmax::linkSharedLibrary(
          objectPaths.front(), options.output, inputs, sanitizeAddress))
    return fail(llvm::toString(std::move(error)));
  return failed(writeFile(headerPath, headerText)) ? 1 : 0;
}

/// Modules with at least this many function definitions are optimized and
/// compiled in parts (below it the parts' fixed costs, a TargetMachine and a
/// pass pipeline each, outweigh what they save), on at most this many
/// threads.
constexpr size_t kParallelCodegenFunctions = 64;
constexpr unsigned kMaxCodegenParts = 8;

/// The functions `module` (the LLVM dialect) defines.
static size_t countDefinedFunctions(ModuleOp module) {
  return llvm::count_if(
      module.getOps<LLVM::LLVMFuncOp>(),
      [](LLVM::LLVMFuncOp func) { return !func.isExternal(); });
}

/// The object code of `llvmModule` for `tm`, or an error reported.
static FailureOr<llvm::SmallString<0>>
emitObject(llvm::Module &llvmModule, llvm::TargetMachine &tm,
           llvm::CodeGenFileType fileType) {
  llvm::SmallString<0> code;
  llvm::raw_svector_ostream codeStream(code);
  if (llvm::Error error =
          softmax::emitMachineCode(llvmModule, tm, fileType, codeStream)) {
    fail(llvm::toString(std::move(error)));
    return failure();
  }
  return code;
}

/// --target=cuda: softmax-gpu-pipeline, then the module (mlir) or the
/// kernels' PTX or cubin with a JSON sidecar per kernel.
/// This executable's path, for what is installed beside it.
static std::string mainExecutable;

/// The CUDA runtime archive: in the lib directory beside this executable's
/// (installed, or in the build tree), else where the build put it.
static std::string getCUDARuntimeLibrary() {
  llvm::SmallString<256> path(llvm::sys::path::parent_path(
      llvm::sys::path::parent_path(mainExecutable)));
  llvm::sys::path::append(path, "lib", "libsoftmax_mlir_cuda_runtime.a");
  if (!mainExecutable.empty() && llvm::sys::fs::exists(path))
    return std::string(path);
  return SOFTMAX_MLIR_CUDA_RUNTIME_LIBRARY;
}

static int compileForCUDA(const Options &options, EmitKind emit,
                          TimingScope &timing) {
  if (emit == EmitKind::Asm || emit == EmitKind::Obj)
    return fail("--target=cuda emits mlir, llvm, ptx, cubin or shared-lib, "
                "not --emit=" +
                options.emit);
  if (!softmax::isSupportedGPUChip(options.chip))
    return fail("unknown --chip '" + options.chip +
                "' (expected sm_75, sm_80, sm_86, sm_87, sm_89, sm_90 or "
                "sm_90a)");
  if ((emit == EmitKind::PTX || emit == EmitKind::Cubin) &&
      options.output == "-")
    return fail("--emit=" + options.emit +
                " needs an output file (-o): the sidecars go beside it");
  if (emit == EmitKind::SharedLib && options.output == "-")
    return fail("--emit=shared-lib needs an output file (-o)");
  // The host side of llvm and shared-lib is compiled for this CPU.
  std::unique_ptr<llvm::TargetMachine> hostMachine;
  if (emit == EmitKind::LLVM || emit == EmitKind::SharedLib) {
    llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
        softmax::createCPUTargetMachine({options.mtriple, options.mcpu});
    if (!tm)
      return fail(llvm::toString(tm.takeError()));
    hostMachine = std::move(*tm);
  }

  Session session;
  TimingScope parseTiming = timing.nest("Parse");
  OwningOpRef<ModuleOp> module = session.parse(options);
  parseTiming.stop();
  if (!module)
    return 1;

  // A shared library embeds a fatbin: the cubin for the chip and the PTX
  // for later ones.
  softmax::GPUPipelineOptions pipelineOptions;
  pipelineOptions.chip = std::string(options.chip);
  pipelineOptions.format = emit == EmitKind::Cubin
                               ? softmax::GPUBinaryFormat::Cubin
                           : emit == EmitKind::PTX || emit == EmitKind::MLIR
                               ? softmax::GPUBinaryFormat::PTX
                               : softmax::GPUBinaryFormat::Fatbin;
  std::string headerPath, headerText;
  if (emit == EmitKind::SharedLib &&
      failed(renderHeader(options, *module, headerPath, headerText)))
    return 1;
  // The kernels are described before they become a binary.
  SmallVector<softmax::GPUKernelInfo> kernels;
  if (failed(softmax::runSoftmaxGPUPipelines(
          *module, pipelineOptions,
          [&](PassManager &pm) -> LogicalResult {
            if (failed(applyPassManagerCLOptions(pm)))
              return fail("invalid pass manager options"), failure();
            pm.enableTiming(timing);
            return success();
          },
          &kernels)))
    return 1;

  if (emit == EmitKind::MLIR)
    return writeModule(options.output, *module);
  if (emit == EmitKind::LLVM || emit == EmitKind::SharedLib) {
    llvm::LLVMContext llvmContext;
    FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
        softmax::translateToOptimizedLLVMIR(*module, llvmContext, *hostMachine);
    if (failed(llvmModule))
      return 1;
    if (emit == EmitKind::LLVM)
      return writeModule(options.output, **llvmModule);
    FailureOr<llvm::SmallString<0>> code = emitObject(
        **llvmModule, *hostMachine, llvm::CodeGenFileType::ObjectFile);
    if (failed(code))
      return 1;
    // The runtime opens the driver with dlopen and is written in C++.
    return writeSharedLibrary(options, {*code}, headerPath, headerText,
                              {getCUDARuntimeLibrary(), "-ldl", "-lstdc++"});
  }
  FailureOr<std::string> binary = softmax::getGPUKernelBinary(*module);
  if (failed(binary) || failed(writeFile(options.output, *binary)))
    return 1;
  // OUT.ptx -> OUT.<kernel>.json beside it.
  llvm::SmallString<128> stem(options.output);
  llvm::sys::path::replace_extension(stem, "");
  StringRef kind = emit == EmitKind::Cubin ? "cubin" : "ptx";
  for (const softmax::GPUKernelInfo &kernel : kernels) {
    std::string path = (stem + "." + kernel.name + ".json").str();
    if (failed(writeFile(path, softmax::renderGPUKernelSidecar(
                                   kernel, kind,
                                   llvm::sys::path::filename(options.output),
                                   std::string(options.chip)))))
      return 1;
  }
  return 0;
}

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  mainExecutable = llvm::sys::fs::getMainExecutable(
      argv[0], reinterpret_cast<void *>(&mainExecutable));
  Options options;
  registerPassManagerCLOptions();
  registerMLIRContextCLOptions();
  registerAsmPrinterCLOptions();
  registerDefaultTimingManagerCLOptions();
  cl::HideUnrelatedOptions(compileCategory);

  if (!softmax::parseToolCommandLine(argc, argv,
                                     "softmax-mlir compile driver\n\n"
                                     "  softmax-compile IN.mlir -o OUT "
                                     "--target=cpu --emit=shared-lib\n"))
    return 1;

  // --mlir-timing: the passes, and parsing and LLVM's part around them.
  DefaultTimingManager timingManager;
  applyDefaultTimingManagerCLOptions(timingManager);
  TimingScope timing = timingManager.getRootScope();

  std::optional<EmitKind> emit = parseEmitKind(options.emit);
  if (!emit)
    return fail("unknown --emit kind '" + options.emit +
                "' (expected mlir, llvm, asm, obj, shared-lib, ptx or "
                "cubin)");
  if (options.target != "cpu" && options.target != "cuda")
    return fail("unknown --target '" + options.target +
                "' (expected cpu or cuda)");
  if (!options.sanitize.empty() && options.sanitize != "address")
    return fail("unknown --sanitize '" + options.sanitize +
                "' (expected address)");
  if (options.target == "cuda") {
    if (!options.sanitize.empty())
      return fail("--sanitize instruments CPU code, not --target=cuda");
    // The options of the CPU kernels (--mcpu and --mtriple choose the host
    // code's target for both).
    for (const cl::Option *option : std::initializer_list<const cl::Option *>{
             &options.threads, &options.vectorBits, &options.unroll,
             &options.vectorize, &options.fuse, &options.prefetch,
             &options.nontemporal, &options.tuning, &options.shareKernels,
             &options.runtimeChecks, &options.codegenThreads})
      if (option->getNumOccurrences())
        return fail("--" + option->ArgStr +
                    " is an option of --target=cpu, not --target=cuda");
    return compileForCUDA(options, *emit, timing);
  }
  if (options.chip.getNumOccurrences())
    return fail("--chip is an option of --target=cuda, not --target=cpu");
  if (*emit == EmitKind::PTX || *emit == EmitKind::Cubin)
    return fail("--emit=" + options.emit + " needs --target=cuda");
  if (options.threads < 0)
    return fail("--num-threads must be 0 (all cores) or positive");
  if (options.codegenThreads < 0)
    return fail("--codegen-threads must be 0 (all cores) or positive");
  // --tuning takes the pipeline option's names.
  std::optional<softmax::CPUTuningChoice> tuningChoice =
      softmax::CPUTuningChoiceParser::lookup(options.tuning);
  if (!tuningChoice)
    return fail("--tuning must be " +
                softmax::CPUTuningChoiceParser::listNames() + ", not '" +
                options.tuning + "'");
  if (options.vectorBits < 0 || options.vectorBits % 32 != 0 ||
      options.unroll <= 0)
    return fail("--vector-bits must be 0 or a positive multiple of 32, and "
                "--unroll positive");
  bool binaryOutput = *emit == EmitKind::Obj || *emit == EmitKind::SharedLib;
  if (binaryOutput && options.output == "-")
    return fail("--emit=" + options.emit + " needs an output file (-o)");

  // Check the target before doing any work.
  softmax::CPUTargetSpec targetSpec{options.mtriple, options.mcpu};
  llvm::Expected<std::unique_ptr<llvm::TargetMachine>> tm =
      softmax::createCPUTargetMachine(targetSpec);
  if (!tm)
    return fail(llvm::toString(tm.takeError()));

  Session session;
  MLIRContext &context = session.context;
  TimingScope parseTiming = timing.nest("Parse");
  OwningOpRef<ModuleOp> module = session.parse(options);
  parseTiming.stop();
  if (!module)
    return 1;

  std::string headerPath, headerText;
  if (*emit == EmitKind::SharedLib &&
      failed(renderHeader(options, *module, headerPath, headerText)))
    return 1;

  PassManager pm(&context, module.get()->getName().getStringRef());
  if (failed(applyPassManagerCLOptions(pm)))
    return fail("invalid pass manager options");
  pm.enableTiming(timing);
  softmax::CPUPipelineOptions pipelineOptions;
  pipelineOptions.mcpu = options.mcpu;
  pipelineOptions.triple = options.mtriple;
  pipelineOptions.vectorize = options.vectorize;
  pipelineOptions.fuse = options.fuse;
  pipelineOptions.shareKernels = options.shareKernels;
  pipelineOptions.runtimeChecks = options.runtimeChecks;
  pipelineOptions.vectorBits = options.vectorBits;
  pipelineOptions.unroll = options.unroll;
  pipelineOptions.prefetch = options.prefetch;
  pipelineOptions.nontemporal = options.nontemporal;
  pipelineOptions.tuning = *tuningChoice;
  pipelineOptions.threads = options.threads;
  softmax::buildSoftmaxCPUPipeline(pm, pipelineOptions);
  if (failed(pm.run(*module)))
    return 1;

  if (*emit == EmitKind::MLIR)
    return writeModule(options.output, *module);

  llvm::LLVMContext llvmContext;
  bool sanitizeAddress = options.sanitize == "address";
  // A shared library of many functions: optimized and compiled in parts on
  // all cores, the objects linked together (the 1000-op module of
  // benchmarks/compile on 2 cores: LLVM's part 6.9 -> 3.3 s).
  unsigned parts =
      options.codegenThreads > 0
          ? static_cast<unsigned>(
                std::min<int64_t>(options.codegenThreads, kMaxCodegenParts))
          : std::min(llvm::hardware_concurrency().compute_thread_count(),
                     kMaxCodegenParts);
  if (*emit == EmitKind::SharedLib && !sanitizeAddress && parts > 1 &&
      countDefinedFunctions(*module) >= kParallelCodegenFunctions) {
    TimingScope translateTiming = timing.nest("Translate to LLVM IR");
    FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
        softmax::translateToLLVMIR(*module, llvmContext, **tm);
    translateTiming.stop();
    if (failed(llvmModule))
      return 1;
    TimingScope codegenTiming =
        timing.nest("Optimize and generate machine code in parts");
    llvm::Expected<llvm::SmallVector<llvm::SmallString<0>>> objects =
        softmax::emitObjectsInParallel(**llvmModule, targetSpec, parts);
    codegenTiming.stop();
    if (!objects)
      return fail(llvm::toString(objects.takeError()));
    return writeSharedLibrary(options, *objects, headerPath, headerText, {},
                              /*sanitizeAddress=*/false);
  }
  TimingScope llvmTiming = timing.nest("Translate to LLVM IR and optimize");
  FailureOr<std::unique_ptr<llvm::Module>> llvmModule =
      softmax::translateToOptimizedLLVMIR(*module, llvmContext, **tm);
  llvmTiming.stop();
  if (failed(llvmModule))
    return 1;
  if (sanitizeAddress)
    softmax::instrumentWithAddressSanitizer(**llvmModule, **tm);
  if (*emit == EmitKind::LLVM)
    return writeModule(options.output, **llvmModule);

  TimingScope codegenTiming = timing.nest("Generate machine code");
  FailureOr<llvm::SmallString<0>> code =
      emitObject(**llvmModule, **tm,
                 *emit == EmitKind::Asm ? llvm::CodeGenFileType::AssemblyFile
                                        : llvm::CodeGenFileType::ObjectFile);
  codegenTiming.stop();
  if (failed(code))
    return 1;
  if (*emit != EmitKind::SharedLib)
    return failed(writeFile(options.output, *code)) ? 1 : 0;
  return writeSharedLibrary(options, {*code}, headerPath, headerText, {},
                            sanitizeAddress);
}
