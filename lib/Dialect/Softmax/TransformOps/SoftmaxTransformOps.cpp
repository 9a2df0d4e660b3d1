//===- SoftmaxTransformOps.cpp - the softmax transform ops ----------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/TransformOps/SoftmaxTransformOps.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.h"
#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Dialect/Arith/IR/Arith.h"
#include "mlir/Dialect/Linalg/IR/Linalg.h"
#include "mlir/Dialect/Math/IR/Math.h"
#include "mlir/Dialect/MemRef/IR/MemRef.h"
#include "mlir/Dialect/SCF/IR/SCF.h"
#include "mlir/Dialect/Tensor/IR/Tensor.h"
#include "mlir/Dialect/Transform/IR/TransformDialect.h"
#include "mlir/Dialect/Transform/IR/TransformOps.h"
#include "mlir/Dialect/Vector/IR/VectorOps.h"

using namespace mlir;
using namespace mlir::softmax;

//===----------------------------------------------------------------------===//
// Pattern descriptors
//===----------------------------------------------------------------------===//

void transform::ApplySoftmaxRaisePatternsOp::populatePatterns(
    RewritePatternSet &patterns) {
  populateSoftmaxRaisePatterns(patterns);
}

void transform::ApplySoftmaxExpandMaskPatternsOp::populatePatterns(
    RewritePatternSet &patterns) {
  populateSoftmaxExpandMaskPatterns(patterns);
}

LogicalResult transform::ApplySoftmaxVectorizePatternsOp::verify() {
  if (getVectorBits() <= 0 || getVectorBits() % 32 != 0 || getUnroll() <= 0 ||
      getThreads() < 0)
    return emitOpError("vector_bits must be a positive multiple of 32, "
                       "unroll positive and threads non-negative");
  return success();
}

void transform::ApplySoftmaxVectorizePatternsOp::populatePatterns(
    RewritePatternSet &patterns) {
  RowVectorizationOptions options;
  options.vectorBits = getVectorBits();
  options.unroll = getUnroll();
  options.threads = getThreads();
  populateSoftmaxVectorizationPatterns(patterns, options);
  populateFamilyVectorizationPatterns(patterns, options);
}

void transform::ApplySoftmaxDecomposePatternsOp::populatePatterns(
    RewritePatternSet &patterns) {
  populateSoftmaxDecompositionPatterns(patterns);
}

//===----------------------------------------------------------------------===//
// SoftmaxSetStrategyOp
//===----------------------------------------------------------------------===//

LogicalResult transform::SoftmaxSetStrategyOp::verify() {
  if (!getRowForm() && !getPassForm() && !getStoreForm() && !getGpuStrategy())
    return emitOpError("expects at least one strategy");
  if (getRowForm() && !parseRowForm(*getRowForm()))
    return emitOpError("row_form must be \"rows\", \"groups\" or \"split\"");
  if (getPassForm() && !parsePassForm(*getPassForm()))
    return emitOpError("pass_form must be \"three_pass\" or \"online\"");
  if (getStoreForm() && !parseStoreForm(*getStoreForm()))
    return emitOpError("store_form must be \"cached\" or \"nontemporal\"");
  if (getGpuStrategy() && !parseGPUStrategy(*getGpuStrategy()))
    return emitOpError("gpu_strategy must be \"warp_row\", \"block_row\", "
                       "\"split_row\", \"persistent_row\", \"by_length\" or "
                       "\"column\"");
  return success();
}

DiagnosedSilenceableFailure transform::SoftmaxSetStrategyOp::applyToOne(
    transform::TransformRewriter &rewriter, Operation *target,
    transform::ApplyToEachResultList &results,
    transform::TransformState &state) {
  if (!isa_and_nonnull<SoftmaxDialect>(target->getDialect()))
    return emitSilenceableError() << "expects softmax ops, got " << *target;
  bool cpuForms = getRowForm() || getPassForm() || getStoreForm();
  if (cpuForms && !isa<SoftmaxOp, LogSoftmaxOp>(target))
    return emitSilenceableError()
           << "row_form, pass_form and store_form apply to softmax.softmax "
              "and softmax.log_softmax, not "
           << target->getName();
  rewriter.modifyOpInPlace(target, [&] {
    if (getRowForm())
      target->setAttr(kRowFormAttrName, getRowFormAttr());
    if (getPassForm())
      target->setAttr(kPassFormAttrName, getPassFormAttr());
    if (getStoreForm())
      target->setAttr(kStoreFormAttrName, getStoreFormAttr());
    if (getGpuStrategy())
      target->setAttr(kGPUStrategyAttrName, getGpuStrategyAttr());
  });
  return DiagnosedSilenceableFailure::success();
}

void transform::SoftmaxSetStrategyOp::getEffects(
    SmallVectorImpl<MemoryEffects::EffectInstance> &effects) {
  onlyReadsHandle(getTargetMutable(), effects);
  modifiesPayload(effects);
}

//===----------------------------------------------------------------------===//
// The extension
//===----------------------------------------------------------------------===//

#define GET_OP_CLASSES
#include "softmax-mlir/Dialect/Softmax/TransformOps/SoftmaxTransformOps.cpp.inc"

namespace {
class SoftmaxTransformDialectExtension
    : public transform::TransformDialectExtension<
          SoftmaxTransformDialectExtension> {
public:
  MLIR_DEFINE_EXPLICIT_INTERNAL_INLINE_TYPE_ID(SoftmaxTransformDialectExtension)

  using Base::Base;

  void init() {
    declareDependentDialect<SoftmaxDialect>();
    // What the patterns create.
    declareGeneratedDialect<arith::ArithDialect>();
    declareGeneratedDialect<linalg::LinalgDialect>();
    declareGeneratedDialect<math::MathDialect>();
    declareGeneratedDialect<memref::MemRefDialect>();
    declareGeneratedDialect<scf::SCFDialect>();
    declareGeneratedDialect<tensor::TensorDialect>();
    declareGeneratedDialect<vector::VectorDialect>();
    registerTransformOps<
#define GET_OP_LIST
#include "softmax-mlir/Dialect/Softmax/TransformOps/SoftmaxTransformOps.cpp.inc"
        >();
  }
};
} // namespace

void mlir::softmax::registerTransformDialectExtension(
    DialectRegistry &registry) {
  registry.addExtensions<SoftmaxTransformDialectExtension>();
}
