//===- PipelineRegistration.h - registering the named pipelines -*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// PassPipelineRegistration, with errors instead of aborts: the pipelines
// hold passes that run on modules, so nesting one under another op (e.g.
// `func.func(softmax-cpu-pipeline)`) is reported, and so are options the
// pipeline's `verify`, if it has one, rejects (a message; empty if valid).
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_LIB_PIPELINES_PIPELINEREGISTRATION_H
#define SOFTMAX_MLIR_LIB_PIPELINES_PIPELINEREGISTRATION_H

#include "softmax-mlir/Pipelines/OptionParser.h"

#include "mlir/IR/BuiltinOps.h"
#include "mlir/Pass/PassRegistry.h"

#include <functional>
#include <string>

namespace mlir::softmax::detail {

template <typename Options>
void registerModulePipeline(
    StringRef name, StringRef description,
    std::function<void(OpPassManager &, const Options &)> build,
    std::function<std::string(const Options &)> verify = nullptr) {
  std::string pipeline = name.str();
  registerPassPipeline(
      name, description,
      [=](OpPassManager &pm, StringRef text,
          function_ref<LogicalResult(const Twine &)> errorHandler) {
        std::optional<StringRef> anchor = pm.getOpName();
        if (anchor && *anchor != ModuleOp::getOperationName())
          return errorHandler(pipeline + " runs on builtin.module, not " +
                              *anchor + " (do not nest it)");
        Options options;
        std::string errors;
        llvm::raw_string_ostream errorStream(errors);
        ScopedOptionErrors scope(errorStream);
        if (failed(options.parseFromString(text, errorStream))) {
          // Empty where LLVM's parser printed the reason itself (an option
          // without a ReportingParser).
          if (StringRef(errors).trim().empty())
            return failure();
          return errorHandler(pipeline + ": " + StringRef(errors).trim());
        }
        if (std::string problem = verify ? verify(options) : "";
            !problem.empty())
          return errorHandler(pipeline + ": " + problem);
        build(pm, options);
        return success();
      },
      [](function_ref<void(const mlir::detail::PassOptions &)> optHandler) {
        optHandler(Options());
      });
}

} // namespace mlir::softmax::detail

#endif // SOFTMAX_MLIR_LIB_PIPELINES_PIPELINEREGISTRATION_H
