//===- SoftmaxDialect.cpp - softmax dialect -------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "mlir/Dialect/Tensor/IR/Tensor.h"

#include "mlir/Transforms/InliningUtils.h"

using namespace mlir;
using namespace mlir::softmax;

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOpsDialect.cpp.inc"

namespace {
/// Every softmax op is pure and has no regions: a call to a function that
/// holds them may be inlined (the GPU pipeline lowers them only once they
/// read and write the caller's buffers).
struct SoftmaxInlinerInterface : public DialectInlinerInterface {
  using DialectInlinerInterface::DialectInlinerInterface;

  bool isLegalToInline(Operation *, Region *, bool, IRMapping &) const final {
    return true;
  }
};
} // namespace

void SoftmaxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.cpp.inc"
      >();
  addInterfaces<SoftmaxInlinerInterface>();
}
