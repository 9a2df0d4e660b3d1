//===- consumer-opt.cpp - an opt tool of another project ------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// What a project that embeds softmax-mlir writes: its own opt-style tool
// with the dialects it uses, plus softmax-mlir's dialect, passes and
// pipelines, found through find_package(SoftmaxMLIR).
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/InitAll.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Func/IR/FuncOps.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/IR/DialectRegistry.h"
#include "mlir/Tools/mlir-opt/MlirOptMain.h"

int main(int argc, char **argv) {
  mlir::DialectRegistry registry;
  // This project's own dialects: here a few of upstream's.
  registry.insert<mlir::arith::ArithDialect, mlir::func::FuncDialect,
                  mlir::linalg::LinalgDialect, mlir::math::MathDialect,
                  mlir::tensor::TensorDialect>();
  // softmax-mlir's.
  mlir::softmax::registerAllSoftmaxDialects(registry);
  mlir::softmax::registerAllSoftmaxPasses();
  return mlir::asMainReturnCode(mlir::MlirOptMain(
      argc, argv, "a tool built on softmax-mlir\n", registry));
}
