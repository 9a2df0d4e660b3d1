//===- Passes.td - softmax dialect passes ------------------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_TD
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SoftmaxDecompose : Pass<"softmax-decompose"> {
  let summary = "Decompose softmax ops into the stable max-exp-sum form in linalg";
  let description = [{
    Rewrites every `softmax.softmax` and `softmax.log_softmax` into
    `linalg.generic` ops on tensors that compute, along `dim`:

    1. `m = max(x)` with `arith.maximumf` (identity `-inf`, NaN propagates);
    2. in one reduction, `c` = the number of entries equal to `m` and
       `r = sum(exp(x - m))` over the others, so that `s = c + r`;
    3. per row, `1/s` (softmax) or `log1p((c - 1) + r)` (log_softmax), or,
       when `m == -inf`, 0 (softmax) or `+inf` (log_softmax);
    4. `y = exp(t) * (1/s)` (softmax) or `y = t - log(s)` (log_softmax),
       with `t = (x == m) ? 0 : x - m`.

    The select in `t` makes `+inf` entries share the mass instead of giving
    `inf - inf = NaN`; the per-row select makes an all `-inf` row give zeros
    (`-inf`) instead of NaN; `log1p` keeps `log(s)` exact to an ulp when
    `s` is within an ulp of 1. f16 and bf16 inputs are extended to f32, and
    the result is rounded once; f32 rows sum in f64, so that long rows keep
    `log(s)` and `1/s` accurate to an ulp. No fast-math flags are set, so the special
    values survive every later rewrite.

    Before:

    ```mlir
    %y = softmax.softmax %x dim(1) : tensor<4x?xf32>
    ```

    After (abridged):

    ```mlir
    %m = linalg.generic {iterator_types = ["parallel", "reduction"]}
           ins(%x : tensor<4x?xf32>) outs(%minit : tensor<4xf32>) {...}
    %s = linalg.generic ... ins(%x, %m ...) outs(%sinit : tensor<4xf32>)
    %r = linalg.generic ... ins(%m, %s ...) outs(... : tensor<4xf32>)
    %y = linalg.generic ... ins(%x, %m, %r ...) outs(... : tensor<4x?xf32>)
    ```

    `softmax.softmax_grad` and `softmax.log_softmax_grad` become a row
    reduction `s = sum(dy * y)` (`sum(dy)`) and an elementwise
    `dx = y * (dy - s)` (`dx = dy - exp(y) * s`), in f32 for f16/bf16 and
    in f64 for f32, rounded once. `softmax.cross_entropy` becomes the row
    maximum, `sum(exp(x - m))` (and with label smoothing the row total of
    `x - m`), and a per-sample `lse - x[label]` that reads the label's
    logit with `tensor.extract` at a label clamped into the row: 0 for
    `ignore_index`, NaN for a label outside the classes;
    `softmax.cross_entropy_grad` the same row maximum and sum and an
    elementwise `(exp(t) / s - target) * dloss` (`t` and `exp` in f64 for
    f32: `p - target` may cancel). `softmax.sparsemax` becomes the row
    maximum and an `scf.while` refining each row's threshold `tau` from
    `max - 1` (`S = {x > tau}`, `tau = (sum(S) - 1) / |S|`, until no
    support changes), then `max(x - tau, 0)`; `softmax.sparsemax_grad` a
    reduction of `dy` over the support and `dy - mean` there.
    `softmax.entmax` becomes the row maximum and an `scf.while` of rounds,
    each one pass for the sums at the current threshold and a per-row
    update (a bracketed Newton step, bisection for `alpha > 2`, the exact
    quadratic for `alpha = 1.5`), then the rescaled output; `alpha = 2` is
    sparsemax. A softmax or log_softmax with a mask, scale or causal mask is
    expanded first as `softmax-expand-mask` does.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def SoftmaxRaise : Pass<"softmax-raise"> {
  let summary = "Raise linalg forms of softmax-family ops into the ops";
  let description = [{
    Rewrites linalg forms of softmax-family ops into the ops, so that the
    rest of the pipeline compiles them as such (see RaiseSoftmax.cpp and
    RaiseFamily.cpp for exactly what is matched).

    Softmax and log_softmax: `linalg.softmax` on tensors, and the
    max-exp-sum chains of `linalg.generic` ops that torch-mlir's
    linalg-on-tensors output and hand-written code use, along any dim:

    ```mlir
    %m = linalg.generic {reduction along d} ins(%x) outs(%neg_inf_fill) {max}
    %t = linalg.generic ins(%x, %m) { x - m }        // m broadcast along d
    %e = linalg.generic ins(%t) { exp }
    %s = linalg.generic {reduction along d} ins(%e) outs(%zero_fill) {addf}
    %y = linalg.generic ins(%e, %s) { e / s }        // or e * (1 / s)
    ```

    becomes `softmax.softmax %x dim(d)`, and `t - log(s)` the same way
    `softmax.log_softmax`. The steps may be fused into their consumers'
    payloads, the reductions may be `linalg.reduce`s and may keep the dim (a size-1 dim read through the
    constant 0, as torch-mlir writes them), the max may be `maximumf`,
    `maxnumf` or a compare and select from -inf or the lowest finite value,
    and the max may be missing (`exp(x)`: the raised op is the same
    function, without the overflow). `x` may be any tensor, such as a
    producer applying a scale or an additive mask.

    The gradients:

    ```mlir
    %p = linalg.generic ... ins(%dy, %y) { mulf }            // dy * y
    %s = linalg.generic {iterator_types = [..., "reduction"]}
           ins(%p) outs(%zero_fill) { addf }                 // sum over dim
    %dx = linalg.generic ins(%y, %dy, %s) { y * (dy - s) }   // s broadcast
    ```

    becomes `softmax.softmax_grad %y, %dy dim(d)`, and `dy - exp(y) * s`
    with `s = sum(dy)` becomes `softmax.log_softmax_grad`. The product may
    also be computed inside the reduction.

    Only a whole chain is raised: no intermediate result with a use outside
    it, the same tensors wherever the chain reads them, these payloads (in
    either operand order where the arithmetic commutes). A shift by anything
    but the row max, a broadcast along another dim than the reduction's, or
    a reduction from another init is left alone. The raised ops differ from
    the chains in rounding (they sum in f64 for f32, f32 for f16/bf16), in
    giving the right answer where a chain without the max overflows, and on
    rows that are all -inf (0 or -inf where a chain gives NaN).
  }];
  let dependentDialects = ["::mlir::softmax::SoftmaxDialect"];
}

def SoftmaxExpandMask : Pass<"softmax-expand-mask"> {
  let summary = "Turn the mask, scale and causal mask of softmax ops into an elementwise producer";
  let description = [{
    Rewrites a `softmax.softmax` or `softmax.log_softmax` with a `mask`
    operand, a `scale` or `causal` into a `linalg.generic` computing the
    masked input `z` (scaled; an i1 mask selecting `-inf` where false, a
    float mask added; `causal` selecting `-inf` where `j > i +
    causal_offset` over the last two dims, from `linalg.index`) and the
    same op on `z` without masking. The mask is read through a broadcasting
    map (its dims of static size 1 at index 0). f16 and bf16 inputs compute
    `z` in f32 and round the result once after the op. The producer is
    elementwise, so `softmax-fuse` can take it into the vector row loops.

    Before:

    ```mlir
    %y = softmax.softmax %x mask(%m : tensor<1x8xi1>) dim(1) {scale = 0.5 : f64}
        : tensor<4x8xf32>
    ```

    After:

    ```mlir
    %z = linalg.generic {indexing_maps = [(d0, d1) -> (d0, d1),
                                          (d0, d1) -> (0, d1), ...]}
           ins(%x, %m : tensor<4x8xf32>, tensor<1x8xi1>) ... {
      %s = arith.mulf %in, %cst_0_5 : f32
      %v = arith.select %mask, %s, %cst_ninf : f32
      linalg.yield %v : f32
    }
    %y = softmax.softmax %z dim(1) : tensor<4x8xf32>
    ```

    `softmax-decompose` expands the masking the same way first.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def SoftmaxFuse : Pass<"softmax-fuse"> {
  let summary = "Mark elementwise producers and cast consumers for the softmax row loops";
  let description = [{
    Marks every `softmax.softmax` and `softmax.log_softmax` over the
    innermost dimension whose input is made by an elementwise
    `linalg.generic` that the vector row loops can compute on the fly (the
    scale, bias add and mask select in front of an attention softmax) with
    the unit attribute `softmax.fuse_producer`. `softmax-vectorize` then
    reads the producer's inputs instead of its result and evaluates its
    payload on vectors in every pass over the row, so that the producer's
    result is never written to memory, and erases the producer.

    The producer qualifies when all its loops are parallel, the softmax op
    is its only user, its output is written and not read, each input is
    read elementwise (identity map), per column (`(d0, .., dn) -> (dn)`)
    or per row (`(d0, .., dn) -> (d0, .., dn-1)`), and its payload is
    scalar `arith` and `math` ops. Anything else is left as it is, and the
    attribute may be set (or removed) by hand to pin the choice: the row
    loops re-check the conditions and ignore it when they do not hold.

    ```mlir
    %s = linalg.generic {indexing_maps = [#id, #col, #id], ...}
           ins(%scores, %bias : tensor<?x?xf32>, tensor<?xf32>) outs(...) {
           ^bb0(%x: f32, %b: f32, %o: f32):
             %t = arith.mulf %x, %scale : f32
             %u = arith.addf %t, %b : f32
             linalg.yield %u : f32
         } -> tensor<?x?xf32>
    %y = softmax.softmax %s dim(1) : tensor<?x?xf32>
    ```

    gets `%y = softmax.softmax %s dim(1) {softmax.fuse_producer} : ...`.

    A consumer is marked with `softmax.fuse_consumer` when the op's only
    user is an elementwise `linalg.generic` (identity maps, its output not
    read) whose payload is one `arith.truncf` or `arith.extf` to f16, bf16,
    f32 or f64: the row loops then write the cast result (rounded to the op's
    type first, as the program rounds it) and the consumer goes. It is
    marked only where that pays: for log_softmax, and for softmax when the
    cast's type is the accumulator type (f16 softmax read as f32), so that
    exp(x - m) still fits in the output between the last two passes; a
    softmax cast to a narrower type would recompute exp, slower than the
    separate cast. The attribute set by hand fuses any qualifying cast.
  }];
  let dependentDialects = ["::mlir::linalg::LinalgDialect"];
}

def SoftmaxTile : Pass<"softmax-tile"> {
  let summary = "Choose how the vector row loops cover the rows, by a cost model";
  let description = [{
    Records on every `softmax.softmax` and `softmax.log_softmax` over the
    innermost dimension with static sizes how `softmax-vectorize` will
    spread its rows, as `softmax.row_form`:

    * `"split"` when there are fewer rows than `threads` (16 when `threads`
      is 0, known at run time) and each row has at least 2 x 16384
      elements: each row is cut into column chunks of at least 16384
      elements that run in parallel, their (max, sum) pairs merged;
    * `"groups"` for rows of at most 128 elements (rank 2 or more): short
      rows are latency-bound, so several run in lockstep in one parallel
      iteration;
    * `"rows"` otherwise: one row per parallel iteration, rows spread over
      the threads.

    and how it passes over a row, as `softmax.pass_form`:

    * `"online"` for log_softmax rows of more than a quarter of L1
      (`l1-cache-kib`; 8 KiB on 32 KiB): one pass keeps a
      running maximum and a sum rescaled when it grows, a second writes the
      output, so the row comes from memory twice instead of three times
      (measured on AVX2: 4x262144 1.35 -> 1.16 ns/element, 1x1048576 1.45
      -> 1.35);
    * `"three_pass"` otherwise, and always for softmax: its three passes
      compute exp once per element (kept in the output), the online form
      twice, which costs more than the extra pass at every row length
      measured (4 KiB to 128 MiB rows, AVX2).

    and how the output pass stores, as `softmax.store_form`:

    * `"nontemporal"` for rows longer than half of L2 (`l2-cache-kib`; 256
      KiB on 512 KiB, in input bytes) whose output pass is the only one
      writing the output (log_softmax, softmax in the online form): aligned
      streaming stores, which skip reading each output line from memory
      before writing it (measured on AVX2, log_softmax one thread: 4x262144
      1.35 -> 1.29 ns/element, 1x1048576 1.58 -> 1.44, 2x8388608 1.79 ->
      1.53);
    * `"cached"` otherwise: shorter rows prefetch their output lines for
      writing and measured faster with ordinary stores even for outputs
      far larger than the last-level cache (8192x4096 log_softmax: 1.32 ->
      1.35 ns/element streamed), and softmax's three passes reread the exps
      they stored.

    Ops with a dynamic size are left alone: the row loops evaluate the same
    model at run time. An attribute already present is kept, so a test (or a
    user) can pin a form by hand; `softmax-vectorize` rejects unknown
    forms.

    ```mlir
    %y = softmax.softmax %x dim(1) : tensor<16384x32xf32>
    ```

    becomes

    ```mlir
    %y = softmax.softmax %x dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "groups", softmax.store_form = "cached"} : tensor<16384x32xf32>
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads the code runs on (0: known at run time)">,
    Option<"l1CacheKiB", "l1-cache-kib", "int64_t", /*default=*/"32",
           "Per-core L1 data cache (KiB) the pass form is sized against">,
    Option<"l2CacheKiB", "l2-cache-kib", "int64_t", /*default=*/"512",
           "Per-core L2 cache (KiB) the store form is sized against">,
  ];
}

def SoftmaxShareKernels
    : Pass<"softmax-share-kernels", "::mlir::ModuleOp"> {
  let summary = "Compile each repeated softmax op once, as a kernel function";
  let description = [{
    A model repeats its softmax shapes (every attention layer has the same
    one), and each op would otherwise be vectorized, bufferized and compiled
    by LLVM once per occurrence. This pass outlines every op of the
    dialect in the `func.func`s of the module, together with what the row
    loops compute with it (its producer marked by `softmax-fuse`, its
    marked cast consumer and the `tensor.empty` each of them writes into),
    into a private function, and keeps one function per group of
    structurally equal outlines (same ops, operand and result types, and
    attributes, `softmax-tile`'s forms included): every occurrence becomes
    a `func.call` of it, marked `no_inline`.

    The kernel takes its result's destination as its last argument and
    writes the result into it (`bufferization.materialize_in_destination`),
    so that after inlining and empty-tensor elimination the caller passes
    its own output buffer and One-Shot Bufferize writes the rows in place,
    with no copy; `drop-equivalent-buffer-results` then drops the returned
    buffer. The call site makes the destination with `tensor.empty`, whose
    dynamic sizes come from the op's first operand (or the empty tensor a
    fused producer writes), so an op whose dynamic result shape differs from
    its first operand's (`softmax.cross_entropy` over dynamic sizes) stays
    where it is, as does one whose group spans blocks.

    Outlines that occur fewer than `min-uses` times stay inline.

    ```mlir
    func.func @a(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
      %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
      return %y : tensor<4x128xf32>
    }
    func.func @b(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
      %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
      return %y : tensor<4x128xf32>
    }
    ```

    becomes

    ```mlir
    func.func @a(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
      %0 = tensor.empty() : tensor<4x128xf32>
      %1 = call @__softmax_kernel_0(%x, %0) {no_inline} : ...
      return %1 : tensor<4x128xf32>
    }
    // @b likewise
    func.func private @__softmax_kernel_0(%x: tensor<4x128xf32>,
        %out: tensor<4x128xf32>) -> tensor<4x128xf32> {
      %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
      %0 = bufferization.materialize_in_destination %y in %out : ...
      return %0 : tensor<4x128xf32>
    }
    ```
  }];
  let options = [
    Option<"minUses", "min-uses", "int64_t", /*default=*/"2",
           "Outline an op only where at least this many equal ones occur">,
  ];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::tensor::TensorDialect",
  ];
}

def SoftmaxGPUStrategy : Pass<"softmax-gpu-strategy"> {
  let summary = "Choose how a GPU kernel covers the rows, by a cost model";
  let description = [{
    Records on every `softmax.softmax` and `softmax.log_softmax` over the
    innermost dimension (the other dims may be dynamic: the launch counts
    the rows at run time), the strategy `convert-softmax-to-gpu` lowers it
    with, as `softmax.gpu_strategy`:

    * `"warp_row"` for rows of at most 1024 elements: a warp per row, 4
      rows per block of 32 x 4 threads, each lane holding its part of the
      row (at most 32 elements, in 16-byte vectors when the row is a whole
      number of them) in registers, reductions by `gpu.shuffle xor`; and
      for rows of 1025 to 2048 elements however many (64 elements a lane:
      on an H200 rows of 1025 ran at 92% of the copy bandwidth so, 48% as
      block rows);
    * `"persistent_row"` for such rows when there are many (at least
      16384, or a count known only at run time): a group of 1 to 32 lanes
      per row (a power of two that leaves a lane at least two vectors, so
      a warp takes several short rows), and a grid of no more blocks than
      the device holds at once (8 or 16 a multiprocessor, by the
      registers a lane needs), each looping over rows;
    * `"block_row"` for longer rows, up to 32768 elements (32 a thread of
      1024: more spill registers): a block per row of 64 to 1024 threads
      (about 4 vectors each), warps combined through shared memory;
    * `"split_row"` for rows longer than that, and for fewer than 64 rows
      of at least 16384 elements (a block per row would leave most of the
      GPU idle): chunks of 8192 elements, a block of 512 threads each; one
      kernel writes each chunk's (max, sum, count), a second merges a row's
      and writes the chunk, which it reads again;
    * `"by_length"` for a row length known only at run time: a variant of
      the kernels for each range of lengths (up to 32, 256, 1024, 4096 and
      32768 elements, each with the strategy above for its longest row and
      the rows, and split rows beyond), the one that holds the length
      launched at run time;

    and over another dimension:

    * `"column"`: a thread per (outer, inner) column of the buffer viewed
      as [outer x dim x inner], or per 16 bytes of columns where the inner
      size is whole vectors, neighbouring threads reading neighbouring
      elements, an online (max, count, sum) over the dim and then the
      outputs: no transpose. Any sizes, static or known at run time.

    The first three read and write each element once. Dynamic rows count
    as many. An attribute already present is kept, so a test can
    pin a strategy; an unknown one is an error.

    The rest of the dialect (the gradients, sparsemax, entmax,
    cross-entropy, and softmax / log_softmax with a mask, scale or causal
    mask) gets the same choice over its first operand's rows, except that
    it holds each row in registers: `"warp_row"` for many short rows too,
    and `"block_row"` up to 32768 elements (`convert-softmax-to-gpu` takes
    a warp's rows to a block where a lane cannot hold them, and rejects
    rows longer than a block's registers hold for the op).

    ```mlir
    %y = softmax.softmax %x dim(1) : tensor<4096x1024xf32>
    ```

    becomes

    ```mlir
    %y = softmax.softmax %x dim(1) {softmax.gpu_strategy = "warp_row"} : tensor<4096x1024xf32>
    ```
  }];
}

def SoftmaxVectorize : Pass<"softmax-vectorize"> {
  let summary = "Turn softmax ops over the innermost dim into vector row loops";
  let description = [{
    Rewrites every `softmax.softmax` and `softmax.log_softmax` (without
    masking: `softmax-expand-mask` comes first) that reduces
    along its innermost (contiguous) dimension into an `scf.forall` over
    rows (the other dimensions), each writing its own slice of the output,
    whose body makes three passes over the row with
    `vector.transfer_read`/`transfer_write` on tensors:

    1. `m = max(x)` over the entries that are not NaN, kept in a vector of
       partial maxima (`(v > acc) ? v : acc`, one x86 max instruction);
    2. when `m` is finite (the lean form): `e = exp(x - m)`, which turns a
       NaN entry into a NaN sum; softmax sums every `e` (f32 rows in f64)
       and f32/f64 softmax stores `e` in the output row; log_softmax sums
       the entries below `m` and counts those at `m` apart, for `log1p`.
       Otherwise (a row of -inf, NaN or +inf; the general form): a
       NaN-propagating max and `t = (x == m) ? 0 : x - m`, so that `+inf`
       entries share the mass, exactly as `softmax-decompose`;
    3. the output: `e * (1/s)` (from the stored `e`, or recomputed for f16)
       or `t - log1p(c - 1 + r)`, with the per-row special values of the
       dialect's contract.

    Horizontal reductions happen once per row; the row tail is one masked
    vector, skipped when the row ends on a whole vector. A vector holds
    `vector-bits / accumulator width * unroll` lanes: `unroll` registers
    give independent chains. With `threads` other than 1, a run-time test
    picks, when there are fewer rows than threads and the rows are at least
    2 x 16384 long, a split form: a first parallel loop over (row, column
    chunk) makes passes 1 and 2 per chunk, a second one merges each row's
    (max, sum) pairs (rescaling a chunk's sum by `exp(m_chunk - m)`) and
    normalises its chunk. Rows of at most 128 elements (rank 2 or more) go
    in lockstep groups (2 rows for softmax, 4 for log_softmax) so that the
    per-row latency chains overlap. The forms are chained, all but one over
    an empty range, so that the output is written in place; the attribute
    `softmax.row_form` ("rows", "groups", "split", see `softmax-tile`) pins
    one of them instead of the run-time choice. A producer marked by
    `softmax-fuse` is computed in the loops, and a marked cast consumer
    written by them (the result rounded to the op's type, then cast).

    With `prefetch` (the default), pass 2 of a row (one row per iteration,
    rank >= 2) prefetches the same columns of the next row of the input
    (`memref.prefetch` on a read-only `bufferization.to_buffer`), one per
    cache line, for rows up to 256 KiB: the hardware prefetcher does not
    follow the jump back to a row's start; log_softmax, which writes nothing
    in pass 2, also prefetches its output row for writing.

    The online pass form (`softmax.pass_form`, see `softmax-tile`; chosen at
    run time for dynamic log_softmax rows of more than 8 KiB) makes passes 1
    and 2 one pass over blocks of 32 vectors: each block's maximum, then,
    when it exceeds the running maximum, the f64 sums so far rescaled by
    `exp(m_old - m_new)`, then the block's exps from L1 while the next block
    is prefetched; rows whose maximum is not finite fall back to the general
    form.

    With `nontemporal` (the default), an output pass that is the only one
    writing the output (log_softmax's, softmax's in the online form)
    streams it where `softmax.store_form` says "nontemporal" (see
    `softmax-tile`; for dynamic sizes, at run time, rows longer than half
    of L2): it finds the address of the row's first output column (from a
    read-only `bufferization.to_buffer` of the output row), writes one
    masked vector up to the first column aligned to a vector register, then
    whole vectors from there in an `scf.for` marked `softmax.nontemporal =
    <alignment>` for `softmax-nontemporal-stores`, then the masked tail;
    the output row is then not prefetched for writing. Ops that reduce along
    an outer dimension are left for `softmax-decompose`.

    ```mlir
    %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
    ```

    becomes (abridged)

    ```mlir
    %y = scf.forall (%row) in (%rows) shared_outs(%o = %empty) {
      %out = tensor.extract_slice %o[%row, 0] [1, %n] [1, 1]
      %mv = scf.for %col = %c0 to %main step %c32 iter_args(%acc = %neg_inf) {
        %v = vector.transfer_read %x[%row, %col], %pad {in_bounds = [true]}
        %gt = arith.cmpf ogt, %v, %acc : vector<32xf32>
        %max = arith.select %gt, %v, %acc : vector<32xi1>, vector<32xf32>
        scf.yield %max : vector<32xf32>
      }
      %m = vector.reduction <maxnumf>, %mv fastmath<nnan>
      %stats:4 = scf.if %m_is_finite -> (tensor<1x?xf32>, f32, f64, f64) {
        ... exp(x - m) stored in %out, summed ...
      } else {
        ... the general form ...
      }
      ... %out = e * (1/s) ...
      scf.forall.in_parallel { tensor.parallel_insert_slice ... }
    }
    ```

    The rest of the family that reduces its innermost dim (any type; f16
    and bf16 compute in f32) becomes one `scf.forall` over the rows
    whose passes over a row are vector loops with a masked tail, in the
    decomposition's types: `softmax_grad` and `log_softmax_grad` (the sum,
    then the output), `cross_entropy` (max, sum of exp, the loss from
    `x[label]`) and `cross_entropy_grad` (max, sum, the output; without
    smoothing `exp(t_hi) (1 + t_lo)` from an f32 exp and the label's element
    in f64), both in one loop where a function has the two on the same
    logits and labels; `sparsemax` and `entmax` (the max and the lanes'
    maxima, whose threshold bounds the row's from below; the candidates
    above it packed into a scratch a vector at a time; the threshold rounds
    over the scratch; the output); `sparsemax_grad` and `entmax_grad` (the
    sums of g dy and g, g = y^(2 - alpha) on the support; the output).
    f32, f16 and bf16 rows of at most 32768 go a register's lanes of rows at
    a time (longer rows fewer, 1 MiB a batch at
    most, down to two rows of up to 131072) with their searches a lane per
    row (on the lanes' maxima transposed: vector j every row's lane j); with
    `left-pack` (which the CPU pipeline sets from the target: `avx2` with
    AVX2 at 256 bits, `avx512` with AVX-512F at 512), their candidates
    above the bound are packed exactly, a register at a time with
    `softmax.left_pack`, and the rounds read them instead of the rows.

    With `nontemporal`, the gradients stream their output where
    `softmax.store_form` on the op says "nontemporal", or, unpinned, where
    the whole output is larger than L2 (`l2-cache-kib`): rows whose output
    starts aligned to a vector register, or that are long enough (1 KiB for
    `softmax_grad`, 4 KiB for `log_softmax_grad`), write it with streaming
    stores as above (a masked head up to the aligned column, a loop marked
    `softmax.nontemporal`, a masked tail); with `stream-misaligned=false`
    only rows whose output starts aligned do. With `stream-across-rows`,
    `softmax_grad` on a static shape whose rows are at least a vector and at
    most half of L2 long streams instead as one sequence per group of rows
    (about 16 KiB of output, contiguous): a masked head up to the group's
    first aligned element, then per row its whole vectors and, after the
    next row's first pass, the vector across its end into that row (its
    lanes take either row's sum, in the sum type), a masked tail after the
    group's last row: every other store is aligned and streams, whatever
    each row's alignment. `softmax_grad` on f32 then makes
    its second pass in f32, `y ((dy - hi) - lo)` with `s = hi + lo` (two
    f32), where `|dy| + |s|` is at most half of f32's largest value, and in
    f64 with ordinary stores elsewhere (with `f32-cached-grad`, in f32 with
    ordinary stores too where that bound holds). With `prefetch` and
    `grad-prefetch`, the gradients' second pass (whose reads hit L1)
    prefetches the next row's `y` and `dy` where a row is at most half of
    L2 (softmax_grad's only with `softmax-grad-prefetch`); sparsemax's and
    entmax's output passes of rows in groups (batches, pairs) prefetch the
    row of the next group at the same place. With `simplex-vector-bits` below `vector-bits`,
    sparsemax's and entmax's row loops use registers of that width (and
    AVX2's left-pack at 256 bits where `left-pack` is avx512, or with
    `simplex-wide-left-pack` AVX-512's compress on the row batches' 16
    lanes). The CPU pipeline turns `grad-prefetch` and `stream-misaligned`
    off, `f32-cached-grad` on and `simplex-vector-bits` to 256 for CPUs
    where that measured faster (AMD Zen 4; Zen 5 and later only
    `simplex-vector-bits`, `simplex-wide-left-pack` on and
    `softmax-grad-prefetch` off, see `getCPUTuning`).
  }];
  let options = [
    Option<"vectorBits", "vector-bits", "int64_t", /*default=*/"256",
           "Bits of one hardware vector register">,
    Option<"unroll", "unroll", "int64_t", /*default=*/"4",
           "Vector registers per vector value (independent chains)">,
    Option<"threads", "threads", "int64_t", /*default=*/"1",
           "Threads the code runs on (0: known at run time); with more than "
           "one, rows fewer than threads are split into column chunks">,
    Option<"prefetch", "prefetch", "bool", /*default=*/"true",
           "Prefetch the next row's input during a row's second pass (the "
           "simplex ops: the next group's rows during a group's output "
           "pass)">,
    Option<"f32CachedGrad", "f32-cached-grad", "bool", /*default=*/"false",
           "softmax_grad on f32 makes its f32 second pass also where it "
           "stores through the cache (else only where it streams)">,
    Option<"gradPrefetch", "grad-prefetch", "bool", /*default=*/"true",
           "With prefetch, also the gradients' second pass prefetches the "
           "next row's y and dy">,
    Option<"softmaxGradPrefetch", "softmax-grad-prefetch", "bool",
           /*default=*/"true",
           "With grad-prefetch, softmax_grad's too (else only "
           "log_softmax_grad's)">,
    Option<"nontemporal", "nontemporal", "bool", /*default=*/"true",
           "Let rows that write their output once stream it (see "
           "softmax.store_form)">,
    Option<"streamMisaligned", "stream-misaligned", "bool",
           /*default=*/"true",
           "Let a gradient row whose output starts off a register's "
           "alignment stream it where it is long enough (1 KiB for "
           "softmax_grad, 4 KiB for log_softmax_grad)">,
    Option<"streamAcrossRows", "stream-across-rows", "bool",
           /*default=*/"true",
           "Let the gradients' streamed rows (static shapes, rows of a "
           "vector up to half of L2) stream as one sequence a group of "
           "rows, one vector across each row's end">,
    Option<"l1CacheKiB", "l1-cache-kib", "int64_t", /*default=*/"32",
           "Per-core L1 data cache (KiB) the run-time pass form choice is "
           "sized against">,
    Option<"l2CacheKiB", "l2-cache-kib", "int64_t", /*default=*/"512",
           "Per-core L2 cache (KiB) the next-row prefetch is sized against">,
    Option<"simplexVectorBits", "simplex-vector-bits", "int64_t",
           /*default=*/"0",
           "Vector register bits of sparsemax's and entmax's row loops (0: "
           "vector-bits; less on a target whose wide registers run their "
           "searches slower, with the left-pack of that width)">,
    Option<"simplexWideLeftPack", "simplex-wide-left-pack", "bool",
           /*default=*/"false",
           "With simplex-vector-bits below vector-bits and left-pack=avx512, "
           "the row batches pack 16 lanes at a time with AVX-512's compress "
           "(else 8 with AVX2's table)">,
    Option<"leftPack", "left-pack", "std::string", /*default=*/"\"none\"",
           "How the target left-packs a register of f32 lanes without a "
           "branch: none, avx2 (a table of vpermps indices) or avx512 "
           "(vcompressps); with one, sparsemax's and entmax's short rows "
           "pack their candidates exactly">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::math::MathDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::tensor::TensorDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMS_PASSES_TD
