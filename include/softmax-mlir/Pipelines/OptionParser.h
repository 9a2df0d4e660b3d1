//===- OptionParser.h - pipeline options that report bad values -*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// LLVM's option parsers print a bad value's message to stderr
// (llvm::errs()), not to the stream PassOptions::parseFromString is given,
// so a library parsing pipeline options for its caller (the C API, the
// Python package) would write to the process's stderr and fail without a
// reason. The pipelines' boolean and integer options parse with
// ReportingParser instead, their enum options with ReportingEnumParser:
// while a ScopedOptionErrors is alive on the thread, a bad value's message
// goes to its stream.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_PIPELINES_OPTIONPARSER_H
#define SOFTMAX_MLIR_PIPELINES_OPTIONPARSER_H

#include "llvm/ADT/ArrayRef.h"
#include "llvm/ADT/STLExtras.h"
#include "llvm/ADT/StringRef.h"
#include "llvm/Support/CommandLine.h"
#include "llvm/Support/raw_ostream.h"

#include <cstdint>
#include <optional>
#include <string>

namespace mlir::softmax {

/// Sends the messages of ReportingParser on this thread to `os` while it
/// lives (scopes nest).
class ScopedOptionErrors {
public:
  explicit ScopedOptionErrors(llvm::raw_ostream &os) : previous(current) {
    current = &os;
  }
  ~ScopedOptionErrors() { current = previous; }
  ScopedOptionErrors(const ScopedOptionErrors &) = delete;
  ScopedOptionErrors &operator=(const ScopedOptionErrors &) = delete;

  /// The stream of the innermost scope on this thread, or null.
  static llvm::raw_ostream *getStream() { return current; }

  /// Reports a bad `value` of `option` (which expects `expected`) to the
  /// scope's stream, or as LLVM's parsers do without one. Returns true.
  static bool report(llvm::cl::Option &option, llvm::StringRef value,
                     llvm::StringRef expected) {
    if (!current)
      return option.error("'" + value + "' is not " + expected);
    *current << "'" << value << "' is not a valid value for option '"
             << option.ArgStr << "' (expected " << expected << ")\n";
    return true;
  }

private:
  static inline thread_local llvm::raw_ostream *current = nullptr;
  llvm::raw_ostream *previous;
};

/// The parser of the pipelines' options of type T (bool or int64_t):
/// LLVM's, reporting a bad value through ScopedOptionErrors.
template <typename T> struct ReportingParser;

template <> struct ReportingParser<bool> : public llvm::cl::parser<bool> {
  using llvm::cl::parser<bool>::parser;

  /// True on a bad value, as LLVM's parsers; the values LLVM's accepts.
  bool parse(llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
             bool &value) {
    if (arg.empty() || arg == "true" || arg == "TRUE" || arg == "True" ||
        arg == "1") {
      value = true;
      return false;
    }
    if (arg == "false" || arg == "FALSE" || arg == "False" || arg == "0") {
      value = false;
      return false;
    }
    return ScopedOptionErrors::report(option, arg, "true or false");
  }
};

// LLVM's parser<long> (int64_t here) is final; parser<long long> is the
// same parser for the same values.
static_assert(sizeof(long long) == sizeof(int64_t));
template <>
struct ReportingParser<int64_t> : public llvm::cl::parser<long long> {
  using llvm::cl::parser<long long>::parser;

  bool parse(llvm::cl::Option &option, llvm::StringRef, llvm::StringRef arg,
             long long &value) {
    if (!arg.getAsInteger(0, value))
      return false;
    return ScopedOptionErrors::report(option, arg, "an integer");
  }
};

/// The parser of the pipelines' enum options of type T: LLVM's, reporting a
/// bad value through ScopedOptionErrors, and printing a value as its name
/// (pass pipelines print their options). `Derived::names()` are the
/// values' names in the order of T's enumerators (0, 1, ...).
template <typename T, typename Derived>
struct ReportingEnumParser : public llvm::cl::parser<T> {
  using llvm::cl::parser<T>::parser;

  bool parse(llvm::cl::Option &option, llvm::StringRef argName,
             llvm::StringRef arg, T &value) {
    if (!ScopedOptionErrors::getStream())
      return llvm::cl::parser<T>::parse(option, argName, arg, value);
    if (std::optional<T> found = lookup(arg)) {
      value = *found;
      return false;
    }
    return ScopedOptionErrors::report(option, arg, listNames());
  }

  /// The value named `name`, if any.
  static std::optional<T> lookup(llvm::StringRef name) {
    llvm::ArrayRef<llvm::StringLiteral> names = Derived::names();
    const auto *found = llvm::find(names, name);
    if (found == names.end())
      return std::nullopt;
    return static_cast<T>(found - names.begin());
  }

  /// The values' names as an error message lists them: "a, b or c".
  static std::string listNames() {
    llvm::ArrayRef<llvm::StringLiteral> names = Derived::names();
    std::string list;
    for (auto [index, name] : llvm::enumerate(names)) {
      if (index > 0)
        list += index + 1 == names.size() ? " or " : ", ";
      list += name;
    }
    return list;
  }

  static void print(llvm::raw_ostream &os, T value) {
    os << Derived::names()[static_cast<size_t>(value)];
  }
};

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_PIPELINES_OPTIONPARSER_H
