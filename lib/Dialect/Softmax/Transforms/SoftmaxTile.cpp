//===- SoftmaxTile.cpp - the softmax-tile pass ----------------------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"
#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

namespace mlir::softmax {
#define GEN_PASS_DEF_SOFTMAXTILE
#include "softmax-mlir/Dialect/Softmax/Transforms/Passes.h.inc"
} // namespace mlir::softmax

using namespace mlir;
using namespace mlir::softmax;

namespace {
struct SoftmaxTilePass : softmax::impl::SoftmaxTileBase<SoftmaxTilePass> {
  using Base::Base;

  void runOnOperation() override {
    if (threads < 0 || l1CacheKiB <= 0 || l2CacheKiB <= 0) {
      getOperation()->emitError("softmax-tile: threads must be >= 0 and "
                                "l1-cache-kib and l2-cache-kib positive");
      return signalPassFailure();
    }
    CacheSizes caches;
    caches.l1Bytes = l1CacheKiB * 1024;
    caches.l2Bytes = l2CacheKiB * 1024;
    getOperation()->walk([&](Operation *op) {
      std::optional<NormalizeOperands> operands = getNormalizeOperands(op);
      if (!operands)
        return;
      auto [input, dim] = *operands;
      auto type = dyn_cast<RankedTensorType>(input.getType());
      if (!type || !type.hasStaticShape() || dim != type.getRank() - 1)
        return;
      int64_t rows = 1;
      for (int64_t size : type.getShape().drop_back())
        rows *= size;
      int64_t length = type.getShape().back();
      if (!op->hasAttr(kRowFormAttrName)) {
        RowForm form = chooseRowForm(type.getRank(), rows, length, threads);
        op->setAttr(kRowFormAttrName,
                    StringAttr::get(op->getContext(), stringifyRowForm(form)));
      }
      bool logarithmic = isa<LogSoftmaxOp>(op);
      auto elementType = cast<FloatType>(type.getElementType());
      if (!op->hasAttr(kPassFormAttrName)) {
        PassForm form = choosePassForm(logarithmic, length,
                                       elementType.getWidth() / 8, caches);
        op->setAttr(kPassFormAttrName,
                    StringAttr::get(op->getContext(), stringifyPassForm(form)));
      }
      if (!op->hasAttr(kStoreFormAttrName)) {
        FloatType outType =
            getWrittenElementType(op, getMarkedConsumer(op, dim));
        std::optional<PassForm> passForm;
        if (auto name = op->getAttrOfType<StringAttr>(kPassFormAttrName))
          passForm = parsePassForm(name.getValue());
        bool writesOnce = passForm == PassForm::Online ||
                          !keepsExpInOutput(logarithmic, elementType, outType);
        StoreForm form = chooseStoreForm(writesOnce, length,
                                         elementType.getWidth() / 8, caches);
        op->setAttr(
            kStoreFormAttrName,
            StringAttr::get(op->getContext(), stringifyStoreForm(form)));
      }
    });
  }
};
} // namespace
