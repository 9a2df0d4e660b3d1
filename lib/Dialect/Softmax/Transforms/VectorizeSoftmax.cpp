//===- VectorizeSoftmax.cpp - the softmax-vectorize pass ------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "mlir/Transforms/GreedyPatternRewriteDriver.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXVECTORIZE
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
/// False, with a diagnostic, if `op` pins the form `name` to a value
/// `parse` does not know (`expected` lists the known ones).
template <typename Parse>
bool isKnownForm(Operation *op, StringRef name, Parse parse,
                 StringRef expected) {
  if (!op->hasAttr(name))
    return true;
  auto form = op->getAttrOfType<StringAttr>(name);
  if (form && parse(form.getValue()))
    return true;
  op->emitError() << "softmax-vectorize: " << name << " must be " << expected;
  return false;
}

struct SoftmaxVectorizePass
    : softmax::impl::SoftmaxVectorizeBase<SoftmaxVectorizePass> {
  using Base::Base;

  void runOnOperation() override {
    if (vectorBits <= 0 || vectorBits % 32 != 0 || unroll <= 0 || threads < 0 ||
        l1CacheKiB <= 0 || l2CacheKiB <= 0) {
      getOperation()->emitError(
          "softmax-vectorize: vector-bits must be a positive multiple of 32, "
          "unroll, l1-cache-kib and l2-cache-kib positive and threads "
          "non-negative");
      return signalPassFailure();
    }
    // Pinned forms must be ones the loops know.
    WalkResult result = getOperation()->walk([](Operation *op) {
      if (!isKnownForm(op, kRowFormAttrName, parseRowForm,
                       "\"rows\", \"groups\" or \"split\"") ||
          !isKnownForm(op, kPassFormAttrName, parsePassForm,
                       "\"three_pass\" or \"online\"") ||
          !isKnownForm(op, kStoreFormAttrName, parseStoreForm,
                       "\"cached\" or \"nontemporal\""))
        return WalkResult::interrupt();
      return WalkResult::advance();
    });
    if (result.wasInterrupted())
      return signalPassFailure();
    std::optional<RowVectorizationOptions::LeftPack> pack =
        parseLeftPack(leftPack);
    if (!pack) {
      getOperation()->emitError()
          << "softmax-vectorize: left-pack must be none, avx2 or avx512, not '"
          << leftPack << "'";
      return signalPassFailure();
    }
    // A left-pack packs one register of the width it was made for.
    using LeftPack = RowVectorizationOptions::LeftPack;
    if ((*pack == LeftPack::AVX2 && vectorBits != 256) ||
        (*pack == LeftPack::AVX512 && vectorBits != 512)) {
      getOperation()->emitError()
          << "softmax-vectorize: left-pack=" << leftPack
          << " needs vector-bits=" << (*pack == LeftPack::AVX2 ? 256 : 512)
          << ", not " << vectorBits.getValue();
      return signalPassFailure();
    }
    if (simplexVectorBits < 0 || simplexVectorBits % 32 != 0) {
      getOperation()->emitError()
          << "softmax-vectorize: simplex-vector-bits must be 0 or a positive "
             "multiple of 32, not "
          << simplexVectorBits.getValue();
      return signalPassFailure();
    }
    RewritePatternSet patterns(&getContext());
    RowVectorizationOptions options;
    options.leftPack = *pack;
    options.simplexVectorBits = simplexVectorBits;
    options.simplexWideLeftPack = simplexWideLeftPack;
    options.vectorBits = vectorBits;
    options.unroll = unroll;
    options.threads = threads;
    options.prefetch = prefetch;
    options.gradPrefetch = gradPrefetch;
    options.softmaxGradPrefetch = softmaxGradPrefetch;
    options.caches.l1Bytes = l1CacheKiB * 1024;
    options.caches.l2Bytes = l2CacheKiB * 1024;
    options.nontemporal = nontemporal;
    options.streamMisaligned = streamMisaligned;
    options.f32CachedGrad = f32CachedGrad;
    options.streamAcrossRows = streamAcrossRows;
    populateSoftmaxVectorizationPatterns(patterns, options);
    populateFamilyVectorizationPatterns(patterns, options);
    // The greedy driver, not the walk one: a fused consumer, erased with
    // the op, comes after it. Only the softmax ops are rewritten.
    GreedyRewriteConfig config;
    config.setStrictness(GreedyRewriteStrictness::ExistingOps)
        .setUseTopDownTraversal()
        .enableFolding(false)
        .enableConstantCSE(false)
        .setRegionSimplificationLevel(GreedySimplifyRegionLevel::Disabled);
    if (failed(applyPatternsGreedily(getOperation(), std::move(patterns),
                                     config))) {
      getOperation()->emitError(
          "softmax-vectorize: the rewrite did not converge");
      return signalPassFailure();
    }
  }
};
} // namespace
