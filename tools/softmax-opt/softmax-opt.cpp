//===- softmax-opt.cpp - the softmax-mlir optimizer driver ----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// mlir-opt with the softmax dialect, passes and pipelines. It parses its own
// command line (instead of MlirOptMain's) so that every problem with the
// invocation is reported as an `error:` and a non-zero exit.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"
#include "softmax-mlir/Tools/CommandLine.h"

#include "mlir/Debug/Counter.h"
#include "mlir/IR/AsmState.h"
#include "mlir/IR/Dialect.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/IR/MLIRContext.h"
#include "mlir/Pass/PassManager.h"
#include "mlir/Pass/PassRegistry.h"
#include "mlir/Support/FileUtilities.h"
#include "mlir/Support/Timing.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/InitLLVM.h"
#include "llvm/Support/MemoryBuffer.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/ToolOutputFile.h"

using namespace mlir;
namespace cl = llvm::cl;

using softmax::reportToolError;

int main(int argc, char **argv) {
  llvm::InitLLVM initLLVM(argc, argv);
  DialectRegistry registry;
  softmax::registerSoftmaxToolDialectsAndPasses(registry);

  static cl::opt<std::string> inputFilename(
      cl::Positional, cl::desc("<input file>"), cl::init("-"));
  static cl::opt<std::string> outputFilename("o", cl::desc("Output filename"),
                                             cl::value_desc("filename"),
                                             cl::init("-"));
  MlirOptMainConfig::registerCLOptions(registry);
  registerAsmPrinterCLOptions();
  registerMLIRContextCLOptions();
  registerPassManagerCLOptions();
  registerDefaultTimingManagerCLOptions();
  tracing::DebugCounter::registerCLOptions();

  std::string header = "softmax-mlir optimizer driver\nAvailable Dialects: ";
  llvm::interleave(
      registry.getDialectNames(), [&](llvm::StringRef name) { header += name; },
      [&] { header += ", "; });

  if (!softmax::parseToolCommandLine(argc, argv, header))
    return 1;

  MlirOptMainConfig config = MlirOptMainConfig::createFromCLOptions();
  // A bad pass option's value is printed by LLVM's option parser to stderr
  // without an `error:` (and MLIR's error for it is empty): capture it and
  // report it as one, then the pipeline's failure.
  config.setPassPipelineSetupFn(
      [upstream = config, tool = std::string(llvm::sys::path::filename(
                              argv[0]))](PassManager &pm) {
        LogicalResult result = failure();
        std::string printed = softmax::captureStderr(
            [&] { result = upstream.setupPassPipeline(pm); });
        softmax::reportCapturedOutput(printed, tool);
        if (succeeded(result))
          return success();
        reportToolError("invalid pass pipeline or pass options");
        return failure();
      });
  if (config.shouldShowDialects()) {
    llvm::outs() << header << "\n";
    return 0;
  }
  if (config.shouldListPasses()) {
    printRegisteredPasses();
    return 0;
  }

  std::string errorMessage;
  std::unique_ptr<llvm::MemoryBuffer> input =
      openInputFile(inputFilename, &errorMessage);
  if (!input)
    return reportToolError(errorMessage);
  std::unique_ptr<llvm::ToolOutputFile> output =
      openOutputFile(outputFilename, &errorMessage);
  if (!output)
    return reportToolError(errorMessage);
  LogicalResult result =
      MlirOptMain(output->os(), std::move(input), registry, config);
  // A write that failed (a full disk) is an error, not an abort when the
  // stream is destroyed with it.
  output->os().flush();
  if (output->os().has_error()) {
    reportToolError("cannot write '" + outputFilename +
                    "': " + output->os().error().message());
    output->os().clear_error();
    return 1;
  }
  if (failed(result))
    return 1;
  output->keep();
  return 0;
}
