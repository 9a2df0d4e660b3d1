//===- InitAll.h - register everything softmax-mlir defines -----*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_INITALL_H
#define SOFTMAX_MLIR_INITALL_H

namespace mlir {
class DialectRegistry;

namespace softmax {

/// Adds the softmax-mlir dialects to `registry`, and the softmax ops of the
/// transform dialect.
void registerAllSoftmaxDialects(DialectRegistry &registry);

/// Registers every softmax-mlir pass and named pipeline.
void registerAllSoftmaxPasses();

/// Adds everything a softmax-mlir tool accepts to `registry` and registers
/// every pass and pipeline it can run: all of upstream MLIR plus ours.
void registerSoftmaxToolDialectsAndPasses(DialectRegistry &registry);

} // namespace softmax
} // namespace mlir

#endif // SOFTMAX_MLIR_INITALL_H
