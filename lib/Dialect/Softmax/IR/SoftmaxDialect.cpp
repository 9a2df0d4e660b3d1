//===- SoftmaxDialect.cpp - softmax dialect -------------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

using namespace mlir;
using namespace mlir::softmax;

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOpsDialect.cpp.inc"

void SoftmaxDialect::initialize() {
  addOperations<
#define GET_OP_LIST
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.cpp.inc"
      >();
}
