//===- RowForm.cpp - how the vector row loops cover the rows --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The cost model of the row forms: short rows are latency bound (horizontal
// reductions and the row factor are chains of dependent instructions), so
// several go in lockstep; few long rows leave threads idle, so each is split
// into column chunks; everything else runs a row per parallel iteration. And
// the passes over a row: three (max; exp and sum; output) or, for long
// log_softmax rows, online (a running max with a rescaled sum, then the
// output), which reads the row from memory twice instead of three times.
// The vector row loops evaluate the same model at run time when a shape is
// dynamic (see SoftmaxVectorization.cpp).
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/Dialect/Softmax/Transforms/Transforms.h"

#include "softmax-mlir/Dialect/Softmax/IR/SoftmaxOps.h"

#include "llvm/ADT/StringSwitch.h"

#include <unistd.h>

using namespace mlir;
using namespace mlir::softmax;

std::optional<RowForm> mlir::softmax::parseRowForm(StringRef name) {
  return llvm::StringSwitch<std::optional<RowForm>>(name)
      .Case("rows", RowForm::Rows)
      .Case("groups", RowForm::Groups)
      .Case("split", RowForm::Split)
      .Default(std::nullopt);
}

StringRef mlir::softmax::stringifyRowForm(RowForm form) {
  switch (form) {
  case RowForm::Rows:
    return "rows";
  case RowForm::Groups:
    return "groups";
  case RowForm::Split:
    return "split";
  }
  llvm_unreachable("unknown row form");
}

RowForm mlir::softmax::chooseRowForm(int64_t rank, int64_t rows, int64_t length,
                                     int64_t threads) {
  if (threads != 1) {
    int64_t wanted = ((threads > 0 ? threads : kMaxRowChunks) + rows - 1) /
                     std::max<int64_t>(rows, 1);
    if (std::min(wanted, length / kMinChunkLength) >= 2)
      return RowForm::Split;
  }
  if (rank >= 2 && length <= kShortRowLength)
    return RowForm::Groups;
  return RowForm::Rows;
}

std::optional<PassForm> mlir::softmax::parsePassForm(StringRef name) {
  return llvm::StringSwitch<std::optional<PassForm>>(name)
      .Case("three_pass", PassForm::ThreePass)
      .Case("online", PassForm::Online)
      .Default(std::nullopt);
}

StringRef mlir::softmax::stringifyPassForm(PassForm form) {
  switch (form) {
  case PassForm::ThreePass:
    return "three_pass";
  case PassForm::Online:
    return "online";
  }
  llvm_unreachable("unknown pass form");
}

PassForm mlir::softmax::choosePassForm(bool logarithmic, int64_t length,
                                       int64_t elementBytes,
                                       const CacheSizes &caches) {
  return logarithmic && length * elementBytes > getOnlineRowBytes(caches)
             ? PassForm::Online
             : PassForm::ThreePass;
}

std::optional<StoreForm> mlir::softmax::parseStoreForm(StringRef name) {
  return llvm::StringSwitch<std::optional<StoreForm>>(name)
      .Case("cached", StoreForm::Cached)
      .Case("nontemporal", StoreForm::Nontemporal)
      .Default(std::nullopt);
}

StringRef mlir::softmax::stringifyStoreForm(StoreForm form) {
  switch (form) {
  case StoreForm::Cached:
    return "cached";
  case StoreForm::Nontemporal:
    return "nontemporal";
  }
  llvm_unreachable("unknown store form");
}

std::optional<RowVectorizationOptions::LeftPack>
mlir::softmax::parseLeftPack(StringRef name) {
  using LeftPack = RowVectorizationOptions::LeftPack;
  return llvm::StringSwitch<std::optional<LeftPack>>(name)
      .Case("none", LeftPack::None)
      .Case("avx2", LeftPack::AVX2)
      .Case("avx512", LeftPack::AVX512)
      .Default(std::nullopt);
}

StoreForm mlir::softmax::chooseStoreForm(bool writesOnce, int64_t length,
                                         int64_t elementBytes,
                                         const CacheSizes &caches) {
  return writesOnce && length * elementBytes > getPrefetchRowBytes(caches)
             ? StoreForm::Nontemporal
             : StoreForm::Cached;
}

CacheSizes mlir::softmax::getHostCacheSizes() {
  CacheSizes caches;
#if defined(_SC_LEVEL1_DCACHE_SIZE) && defined(_SC_LEVEL2_CACHE_SIZE)
  if (long l1 = sysconf(_SC_LEVEL1_DCACHE_SIZE); l1 > 0)
    caches.l1Bytes = l1;
  if (long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE); l2 > 0)
    caches.l2Bytes = l2;
#endif
  return caches;
}

bool mlir::softmax::keepsExpInOutput(bool logarithmic, FloatType elementType,
                                     Type outType) {
  return !logarithmic && outType == getAccumulatorType(elementType);
}
