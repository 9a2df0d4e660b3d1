//===- CommandLine.h - error reporting shared by the tools -----*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Both tools report every problem with their invocation as one `error:` line
// and exit status 1; these helpers are that convention.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TOOLS_COMMANDLINE_H
#define SOFTMAX_MLIR_TOOLS_COMMANDLINE_H

#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <string>

namespace mlir::softmax {

/// Prints `error: message` and returns the tool's failure exit status.
inline int reportToolError(const llvm::Twine &message) {
  llvm::WithColor::error() << message << "\n";
  return 1;
}

/// Parses the command line; on failure reports LLVM's message (without its
/// `tool:` prefix) as an `error:` and returns false.
inline bool parseToolCommandLine(int argc, char **argv,
                                 llvm::StringRef overview) {
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  if (llvm::cl::ParseCommandLineOptions(argc, argv, overview, &errorStream))
    return true;
  llvm::StringRef message = llvm::StringRef(errors).trim();
  message.consume_front(llvm::sys::path::filename(argv[0]));
  message.consume_front(":");
  reportToolError(message.trim());
  return false;
}

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TOOLS_COMMANDLINE_H
