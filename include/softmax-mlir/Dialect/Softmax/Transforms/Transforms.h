//===- Transforms.h - softmax rewrite patterns ------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H

#include "mlir/IR/AffineMap.h"
#include "mlir/IR/BuiltinOps.h"
#include "mlir/IR/PatternMatch.h"

namespace mlir {
namespace linalg {
class GenericOp;
} // namespace linalg

namespace softmax {

class SoftmaxOp;
class LogSoftmaxOp;
class SoftmaxGradOp;
class LogSoftmaxGradOp;
class CrossEntropyOp;
class CrossEntropyGradOp;
class SparsemaxOp;
class SparsemaxGradOp;
class EntmaxOp;
class EntmaxGradOp;

/// Rewrites `op` into the stable max-exp-sum form in linalg on tensors and
/// replaces it. See the `softmax-decompose` pass for the exact form.
FailureOr<Value> decomposeSoftmax(RewriterBase &rewriter, SoftmaxOp op);
FailureOr<Value> decomposeLogSoftmax(RewriterBase &rewriter, LogSoftmaxOp op);

/// Rewrites a gradient op into a row reduction and an elementwise
/// linalg.generic on tensors and replaces it (see GradDecomposition.cpp).
FailureOr<Value> decomposeSoftmaxGrad(RewriterBase &rewriter, SoftmaxGradOp op);
FailureOr<Value> decomposeLogSoftmaxGrad(RewriterBase &rewriter,
                                         LogSoftmaxGradOp op);

/// Rewrites a cross-entropy op into row reductions and a per-sample
/// linalg.generic on tensors and replaces it (see
/// CrossEntropyDecomposition.cpp).
FailureOr<Value> decomposeCrossEntropy(RewriterBase &rewriter,
                                       CrossEntropyOp op);
FailureOr<Value> decomposeCrossEntropyGrad(RewriterBase &rewriter,
                                           CrossEntropyGradOp op);

/// Rewrites sparsemax into linalg and an scf.while refining each row's
/// support, and its gradient into a reduction over the support (see
/// SparsemaxDecomposition.cpp).
FailureOr<Value> decomposeSparsemax(RewriterBase &rewriter, SparsemaxOp op);
FailureOr<Value> decomposeSparsemaxGrad(RewriterBase &rewriter,
                                        SparsemaxGradOp op);

/// Rewrites alpha-entmax into linalg and an scf.while finding each row's
/// threshold, and its gradient into a weighted reduction over the support
/// (see EntmaxDecomposition.cpp).
FailureOr<Value> decomposeEntmax(RewriterBase &rewriter, EntmaxOp op);
FailureOr<Value> decomposeEntmaxGrad(RewriterBase &rewriter, EntmaxGradOp op);

/// Rewrites a softmax or log_softmax with a mask, a scale or the causal
/// mask into an elementwise linalg.generic computing the masked input and
/// the op without masking on it, and replaces it (see MaskExpansion.cpp).
/// Returns that op; fails on other ops and on ops without masking.
FailureOr<Operation *> expandMasking(RewriterBase &rewriter, Operation *op);

/// Adds the patterns of softmax-raise: linalg.softmax and the max-exp-sum
/// linalg and TOSA chains of softmax and log_softmax to the ops (see
/// RaiseSoftmax.cpp and RaiseTosa.cpp), and hand-written linalg chains of the
/// gradients to softmax.softmax_grad and softmax.log_softmax_grad (see
/// RaiseFamily.cpp).
void populateSoftmaxRaisePatterns(RewritePatternSet &patterns);

/// Adds the patterns raising softmax and log_softmax from linalg alone.
void populateRaiseSoftmaxPatterns(RewritePatternSet &patterns);

/// Adds the patterns raising softmax and log_softmax from TOSA (see
/// RaiseTosa.cpp).
void populateRaiseTosaSoftmaxPatterns(RewritePatternSet &patterns);

/// Adds the pattern of softmax-expand-mask.
void populateSoftmaxExpandMaskPatterns(RewritePatternSet &patterns);

/// Adds the patterns that decompose every softmax-dialect op.
void populateSoftmaxDecompositionPatterns(RewritePatternSet &patterns);

/// Outlines each op of the dialect in the functions of `module` (with its
/// fused producer, its marked cast consumer and their empty destinations)
/// into a private kernel function that writes into a destination argument,
/// keeps one kernel per group of equal outlines occurring at least `minUses`
/// times, and calls it from each occurrence (see KernelSharing.cpp and the
/// softmax-share-kernels pass). Returns the number of kernels made.
int64_t shareKernels(ModuleOp module, int64_t minUses);

/// The per-core data caches the cost models size rows against.
struct CacheSizes {
  int64_t l1Bytes = 32 * 1024;
  int64_t l2Bytes = 512 * 1024;
};

/// This machine's caches, where the C library reports them (else the
/// defaults).
CacheSizes getHostCacheSizes();

/// How `softmax-vectorize` shapes its vectors.
struct RowVectorizationOptions {
  /// Bits of one hardware vector register (512 for AVX-512, 256 for AVX2).
  int64_t vectorBits = 256;
  /// Registers per vector value: independent accumulator chains.
  int64_t unroll = 4;
  /// Threads the code will run on: 1 keeps every row on one thread; more
  /// (or 0, not known until run time) lets few long rows be split into
  /// column chunks that run in parallel.
  int64_t threads = 1;
  /// Prefetch, in one row's second pass, the next row's input (and, where
  /// that pass does not write the output, this row's output lines).
  bool prefetch = true;
  /// With `prefetch`, also the gradients' second pass prefetches the next
  /// row's y and dy.
  bool gradPrefetch = true;
  /// With `gradPrefetch`, softmax_grad's too (else only log_softmax_grad's).
  bool softmaxGradPrefetch = true;
  /// Let rows whose last pass is the only one writing the output stream it
  /// where softmax.store_form (or, without it, the cost model at run time)
  /// says so; false: never.
  bool nontemporal = true;
  /// Let a gradient row whose output starts off a register's alignment
  /// stream it where it is long enough; false: only aligned rows stream.
  bool streamMisaligned = true;
  /// Let the gradients' rows that stream their output (static shapes, rows
  /// of a vector up to half of L2) stream it as one sequence a group of
  /// rows: aligned whole vectors whatever each row's alignment, one vector
  /// across each row's end.
  bool streamAcrossRows = true;
  /// softmax_grad on f32 makes its f32 second pass also where it stores
  /// through the cache (else only where it streams).
  bool f32CachedGrad = false;
  /// The caches the run-time choices size rows against.
  CacheSizes caches;
  /// How a register of f32 lanes is left-packed (its chosen lanes moved to
  /// the front, in order) on the target, if it can be without a branch per
  /// lane: the sparse ops' short rows then pack their candidates exactly.
  enum class LeftPack { None, AVX2, AVX512 } leftPack = LeftPack::None;
  /// Bits of the registers sparsemax's and entmax's row loops use: 0 (or
  /// vectorBits) for vectorBits; less on a target whose wide registers run
  /// their searches slower.
  int64_t simplexVectorBits = 0;
  /// With simplexVectorBits below vectorBits on an AVX-512 target, the
  /// row batches pack their candidates 16 lanes at a time with AVX-512's
  /// compress (two of those registers) instead of 8 with AVX2's table.
  bool simplexWideLeftPack = false;
};

/// The left-pack `name` ("none", "avx2", "avx512") stands for, if any.
std::optional<RowVectorizationOptions::LeftPack>
parseLeftPack(llvm::StringRef name);

/// Adds the patterns that turn softmax ops reducing along their innermost
/// dimension into vector row loops (see `softmax-vectorize`).
void populateSoftmaxVectorizationPatterns(
    RewritePatternSet &patterns, const RowVectorizationOptions &options);

/// Adds the patterns that turn the gradients and cross-entropy ops reducing
/// along their innermost dimension into vector row loops (see
/// FamilyVectorization.cpp).
void populateFamilyVectorizationPatterns(
    RewritePatternSet &patterns, const RowVectorizationOptions &options);

/// How the vector row loops cover the rows of a softmax over the innermost
/// dim, as the string attribute `softmax.row_form` pins it ("rows",
/// "groups", "split"); without the attribute they choose at run time.
enum class RowForm {
  Rows,   // one row per parallel iteration
  Groups, // short rows, several in lockstep per parallel iteration
  Split   // few long rows, column chunks in parallel, (max, sum) merged
};
inline constexpr StringLiteral kRowFormAttrName = "softmax.row_form";
std::optional<RowForm> parseRowForm(StringRef name);
StringRef stringifyRowForm(RowForm form);

/// Rows of at most this many elements take the grouped form.
inline constexpr int64_t kShortRowLength = 128;
/// A row is split into column chunks of at least this many elements.
inline constexpr int64_t kMinChunkLength = 16384;
/// The most chunks per row when the thread count is only known at run time.
inline constexpr int64_t kMaxRowChunks = 16;

/// The form the row loops choose for `rows` rows of `length` elements (the
/// product of the outer dims and the innermost dim, static) at `threads`
/// threads (0: known at run time), for an input of rank `rank`.
RowForm chooseRowForm(int64_t rank, int64_t rows, int64_t length,
                      int64_t threads);

/// How the vector row loops pass over a row, as the string attribute
/// `softmax.pass_form` pins it ("three_pass", "online"); without the
/// attribute they choose at run time.
enum class PassForm {
  ThreePass, // max; sum of exp; output (softmax keeps exp in the output)
  Online     // running max and rescaled sum in one pass; output
};
inline constexpr StringLiteral kPassFormAttrName = "softmax.pass_form";
std::optional<PassForm> parsePassForm(StringRef name);
StringRef stringifyPassForm(PassForm form);

/// log_softmax rows of more than this many bytes take the online form: a
/// quarter of L1 (8 KiB on a 32 KiB L1).
inline int64_t getOnlineRowBytes(const CacheSizes &caches) {
  return caches.l1Bytes / 4;
}

/// Rows of at most this many bytes prefetch the next row while they are
/// processed: a row and its successor then fit in half of L2 (longer rows
/// are streamed by the hardware prefetcher within each pass).
inline int64_t getPrefetchRowBytes(const CacheSizes &caches) {
  return caches.l2Bytes / 2;
}

/// The gradients write their output in one pass, and stream it (aligned
/// streaming stores, which skip reading each line for ownership) where the
/// whole output is larger than this: L2, which it would leave before it is
/// all written.
inline int64_t getStreamingOutputBytes(const CacheSizes &caches) {
  return caches.l2Bytes;
}

/// The pass form for rows of `length` elements of `elementBytes` bytes:
/// online for log_softmax rows longer than getOnlineRowBytes (two passes
/// over memory instead of three; measured on AVX2 with a 32 KiB L1: equal
/// at 4 KiB rows, 1-14% faster from 16 KiB); three passes otherwise, and
/// always for softmax, whose three-pass form computes exp once per element,
/// the online form twice (measured slower on AVX2 at every row length,
/// 4 KiB to 128 MiB).
PassForm choosePassForm(bool logarithmic, int64_t length, int64_t elementBytes,
                        const CacheSizes &caches);

/// How the last pass of a row stores the output, as the string attribute
/// `softmax.store_form` pins it ("cached", "nontemporal"); without the
/// attribute the row loops choose at run time. Only a pass that writes the
/// output once (not softmax's, which rereads the exps it stored) streams.
enum class StoreForm {
  Cached,     // ordinary stores: the lines are read for ownership first
  Nontemporal // streaming stores, aligned, past the caches to memory
};
inline constexpr StringLiteral kStoreFormAttrName = "softmax.store_form";
std::optional<StoreForm> parseStoreForm(StringRef name);
StringRef stringifyStoreForm(StoreForm form);

/// The store form for rows of `length` elements of `elementBytes` bytes
/// (the input's). `writesOnce`: the last pass is the only one that writes
/// the output. Streaming for rows longer than getPrefetchRowBytes, whose
/// output row does not fit the half of L2 the row works in and is not
/// prefetched for writing: a cached store would first read each line from
/// memory. Shorter rows keep cached stores, their lines prefetched for
/// writing in pass 2, even when the whole output exceeds the last-level
/// cache (measured on AVX2, log_softmax 1 thread: 4x262144 1.36 -> 1.30
/// ns/element streamed, 2x8388608 1.72 -> 1.52, but 1024x1024 1.33 -> 1.79
/// and 8192x4096 (128 MiB) 1.32 -> 1.35).
StoreForm chooseStoreForm(bool writesOnce, int64_t length, int64_t elementBytes,
                          const CacheSizes &caches);

/// How a GPU kernel covers the rows of a softmax over the innermost
/// dimension, as the string attribute `softmax.gpu_strategy` pins it
/// ("warp_row", "block_row", "split_row", "persistent_row"; "column" for
/// another dimension). All
/// hold the elements in registers, in 16-byte vectors where the row length
/// allows.
enum class GPUStrategy {
  WarpRow,  // a warp per row, several rows per block, shuffle reductions
  BlockRow, // a block per row, shuffles then shared memory across warps
  SplitRow, // a block per chunk of a row: chunk (max, sum) partials, then
            // a second kernel merges them and writes the chunk
  Column,   // a reduced dim that is not the innermost: a thread per
            // (outer, inner) column, coalesced across threads, looping over
            // the dim twice (an online max/sum, then the output)
  PersistentRow, // many short rows: a group of up to a warp per row, a
                 // grid of as many blocks as the GPU holds at once, each
                 // looping over rows
  ByLength       // a row length known at run time: a variant of the above
                 // for each range of lengths, chosen at run time
};
inline constexpr StringLiteral kGPUStrategyAttrName = "softmax.gpu_strategy";
/// The gpu.module convert-softmax-to-gpu builds its kernels in, and the
/// dictionary attribute that describes an op's launches on its last kernel.
inline constexpr StringLiteral kGPUKernelModuleName = "softmax_kernels";
inline constexpr StringLiteral kGPUKernelInfoAttrName = "softmax.kernel";

/// The rows of a softmax over `dim` of `type`: the product of the dims
/// before it (ShapedType::kDynamic if one is dynamic).
int64_t getGPURowCount(ShapedType type, int64_t dim);
std::optional<GPUStrategy> parseGPUStrategy(StringRef name);
StringRef stringifyGPUStrategy(GPUStrategy strategy);

/// Threads of a warp, and the most a block may have.
inline constexpr int64_t kGPUWarpSize = 32;
inline constexpr int64_t kGPUMaxBlockThreads = 1024;
/// The most row elements a thread keeps in registers: with 1024 threads a
/// block, a thread has 64 registers (ptxas spills bf16 rows of 64 a thread).
inline constexpr int64_t kGPUMaxElementsPerThread = 32;
/// The longest row the register-resident strategies hold.
inline constexpr int64_t kGPUMaxRowLength =
    kGPUMaxBlockThreads * kGPUMaxElementsPerThread;
/// The longest row a warp's lanes hold at kGPUMaxElementsPerThread each:
/// persistent rows' groups, and the family's warp rows.
inline constexpr int64_t kGPUShortRowMaxLength =
    kGPUWarpSize * kGPUMaxElementsPerThread;
/// The longest row a warp_row lane group holds: 64 elements a lane (blocks
/// of 128 threads leave a lane the registers; 48 to 80 used, no spills).
/// On an H200, rows of 1025 (no whole number of vectors) ran at 92% (f32)
/// and 82% (bf16) of the copy bandwidth as warp rows, 48% and 24% as block
/// rows; rows of 2048 alike either way.
inline constexpr int64_t kGPUWarpRowMaxLength = 2 * kGPUShortRowMaxLength;

/// Elements of one vector access to a row of `length` elements of
/// `elementBytes` bytes: 16 bytes' worth when the length is a multiple of
/// it (every row then starts 16-byte aligned), else 1.
int64_t getGPUVectorElements(int64_t length, int64_t elementBytes);

/// column blocks: threads, one per column.
inline constexpr int64_t kGPUColumnThreads = 256;

/// split_row blocks: threads, and elements a thread (a chunk of 8192).
inline constexpr int64_t kGPUSplitThreads = 512;
inline constexpr int64_t kGPUSplitElementsPerThread = 16;
inline constexpr int64_t kGPUSplitChunkElements =
    kGPUSplitThreads * kGPUSplitElementsPerThread;
/// Fewer rows than this leave most of a GPU idle with a block per row:
/// rows of at least two chunks are split then.
inline constexpr int64_t kGPUFewRows = 64;

/// The strategy for `rows` rows (ShapedType::kDynamic: many) of `length`
/// elements (static): a warp per row up to 1024 elements (at most 32 a
/// lane, no block-wide synchronisation), as a persistent grid from
/// kGPUPersistentMinRows rows on, and up to kGPUWarpRowMaxLength (2048) as
/// warp rows whatever the rows; a block per row up to kGPUMaxRowLength,
/// split rows beyond, and for fewer than kGPUFewRows rows of at least two
/// chunks.
GPUStrategy chooseGPUStrategy(int64_t rows, int64_t length,
                              int64_t elementBytes);

/// The threads a block-per-row kernel gives a row of `vectors` vector
/// accesses: enough for at most 4 a thread, a power of two from 64 to 1024
/// (so at most 32 elements a thread for rows of at most kGPUMaxRowLength).
int64_t getGPUBlockRowThreads(int64_t vectors);

/// Rows a warp-per-row block holds (one per warp).
inline constexpr int64_t kGPUWarpRowsPerBlock = 4;

/// From this many rows (of at most a warp's 1024 elements) on, or for
/// rows counted at run time, a persistent grid: blocks that each loop over
/// rows instead of one block per kGPUWarpRowsPerBlock rows (launching and
/// retiring that many short blocks costs more than their loads).
inline constexpr int64_t kGPUPersistentMinRows = 16384;

/// The lanes a persistent_row kernel gives a row of `vectors` vector
/// accesses: a power of two from 1 to a warp, so that a lane holds at least
/// two vectors where the row has them (a warp then takes 32 / lanes rows).
int64_t getGPUPersistentGroupThreads(int64_t vectors);

/// The blocks of kGPUWarpSize x kGPUWarpRowsPerBlock threads a persistent
/// kernel whose lanes hold `elementsPerLane` elements asks each
/// multiprocessor to hold at once (its grid is that times the
/// multiprocessors, at most): 16 (2048 threads, 32 registers a thread) for
/// at most 8 elements a lane, else 8 (64 registers).
int64_t getGPUPersistentBlocksPerMultiprocessor(int64_t elementsPerLane);

/// The unit attribute `softmax-fuse` sets on a softmax op whose input the
/// vector row loops compute from its elementwise producer.
inline constexpr StringLiteral kFuseProducerAttrName = "softmax.fuse_producer";

/// How a fused producer reads one of its inputs, by its indexing map.
enum class ProducerOperandKind {
  Element,    // identity: one value per element
  Column,     // (d0, .., dn) -> (dn): one per column, broadcast over rows
  Row,        // (d0, .., dn) -> (d0, .., dn-1): one per row
  Unsupported // anything else
};
ProducerOperandKind classifyProducerOperand(AffineMap map, int64_t rank);

/// The `linalg.generic` producing `input` if the row loops of a softmax over
/// `dim` can compute it on the fly: `dim` innermost; all loops parallel; the
/// softmax is its only user; its output is written, not read; its inputs
/// are read elementwise, per column or per row; its payload is scalar arith
/// and math ops. Null otherwise.
linalg::GenericOp getFusableProducer(Value input, int64_t dim);

/// Whether the row loops keep exp(x - m) in an output of element type
/// `outType` between passes 2 and 3 (else they compute it again): softmax
/// only, and only where the output holds the accumulator type of the op's
/// element type `elementType` (a narrower copy would round it twice).
bool keepsExpInOutput(bool logarithmic, FloatType elementType, Type outType);

/// The unit attribute `softmax-fuse` sets on a softmax op whose result the
/// vector row loops convert for its elementwise consumer, a cast.
inline constexpr StringLiteral kFuseConsumerAttrName = "softmax.fuse_consumer";

/// The `linalg.generic` consuming `result` (a softmax over `dim`) if the row
/// loops can write its result instead: `dim` innermost; the generic is the
/// only user; all loops parallel; identity maps; one input, `result`; its
/// output is written, not read, with the shape of `result`; its payload is
/// one `arith.truncf` or `arith.extf` of the input to f16, f32 or f64.
/// Null otherwise.
linalg::GenericOp getFusableConsumer(Value result, int64_t dim);

/// The cast consumer of the softmax op `op` (over `dim`) that softmax-fuse
/// marked and that still qualifies, else null.
linalg::GenericOp getMarkedConsumer(Operation *op, int64_t dim);

/// The element type the row loops of `op` write: that of its marked cast
/// consumer `consumer` if there is one, else its own.
FloatType getWrittenElementType(Operation *op, linalg::GenericOp consumer);

} // namespace softmax
} // namespace mlir

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_TRANSFORMS_H
