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

#include "llvm/ADT/STLFunctionalExtras.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/ADT/Twine.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/Path.h"
#include "llvm/Support/WithColor.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdio>
#include <string>
#include <unistd.h>

namespace mlir::softmax {

/// Prints `error: message` and returns the tool's failure exit status.
inline int reportToolError(const llvm::Twine &message) {
  llvm::WithColor::error() << message << "\n";
  return 1;
}

/// Runs `fn` with the process's stderr going to a temporary file and returns
/// what was written there. LLVM's option parsers print a bad value's message
/// straight to stderr (`tool: for the --x option: 'v' value invalid ...`),
/// not to the stream a caller gives them, so MLIR's own error for the same
/// option comes out empty; the tools capture that text and report it as
/// their `error:`. It swaps file descriptor 2: for a tool's main thread
/// before any other starts, never for a library. Where the file cannot be
/// made, `fn` runs as it is and nothing is captured. Only option parsing
/// runs inside: an abort or a crash there (none is known) would lose its
/// message to the file.
inline std::string captureStderr(llvm::function_ref<void()> fn) {
  llvm::errs().flush();
  std::fflush(stderr);
  std::FILE *file = std::tmpfile();
  int saved = file ? ::dup(STDERR_FILENO) : -1;
  if (saved < 0 || ::dup2(::fileno(file), STDERR_FILENO) < 0) {
    if (saved >= 0)
      ::close(saved);
    if (file)
      std::fclose(file);
    fn();
    return "";
  }
  fn();
  llvm::errs().flush();
  std::fflush(stderr);
  ::dup2(saved, STDERR_FILENO);
  ::close(saved);
  std::string text;
  std::rewind(file);
  char chunk[4096];
  for (size_t read; (read = std::fread(chunk, 1, sizeof(chunk), file)) > 0;)
    text.append(chunk, read);
  std::fclose(file);
  return text;
}

/// Prints what captureStderr caught in the tool's conventions: LLVM's
/// `tool: message` lines as `error: message` (a suggestion after one as a
/// `note:`), MLIR's `<unknown>:0: error:`
/// lines left empty by them dropped, the other lines as they were. Returns
/// whether an `error:` was printed.
inline bool reportCapturedOutput(llvm::StringRef text, llvm::StringRef tool) {
  llvm::SmallVector<llvm::StringRef> lines;
  text.split(lines, '\n', /*MaxSplit=*/-1, /*KeepEmpty=*/false);
  bool reported = false;
  for (llvm::StringRef line : lines) {
    llvm::StringRef message = line;
    if (message.consume_front(tool) && message.consume_front(":")) {
      message = message.trim();
      // LLVM's suggestion for a misspelt option follows its error.
      if (reported && message.starts_with("Did you mean")) {
        llvm::WithColor::note() << message << "\n";
        continue;
      }
      reportToolError(message);
      reported = true;
      continue;
    }
    if (line.trim().ends_with("error:"))
      continue;
    llvm::errs() << line << "\n";
  }
  return reported;
}

/// Parses the command line; on failure reports LLVM's message (without its
/// `tool:` prefix) as an `error:` and returns false.
inline bool parseToolCommandLine(int argc, char **argv,
                                 llvm::StringRef overview) {
  std::string errors;
  llvm::raw_string_ostream errorStream(errors);
  bool parsed = false;
  std::string printed = captureStderr([&] {
    parsed =
        llvm::cl::ParseCommandLineOptions(argc, argv, overview, &errorStream);
  });
  llvm::StringRef tool = llvm::sys::path::filename(argv[0]);
  bool reported = reportCapturedOutput(printed + errors, tool);
  if (!parsed && !reported)
    reportToolError("invalid command line");
  return parsed;
}

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TOOLS_COMMANDLINE_H
