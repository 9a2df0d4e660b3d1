//===- SoftmaxOps.td - softmax dialect ops -----------------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_TD
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_TD

include "softmax-mlir/Dialect/Softmax/IR/SoftmaxDialect.td"
include "mlir/IR/OpBase.td"
include "mlir/Interfaces/InferTypeOpInterface.td"
include "mlir/Interfaces/SideEffectInterfaces.td"

// Every op reifies its result's sizes from its operands' (the first
// operand's, without `dim` for cross_entropy's loss), so that shape
// reasoning (tensor.dim folding, the C ABI's run-time size checks) sees
// through it.
class Softmax_Op<string mnemonic, list<Trait> traits = []>
    : Op<Softmax_Dialect, mnemonic, !listconcat(traits, [
        DeclareOpInterfaceMethods<ReifyRankedShapedTypeOpInterface,
                                  ["reifyResultShapes"]>])>;

// Ops that normalise their input along `dim` and return a tensor of the same
// type. The operand is `AnyTensor` on purpose: the C++ verifier then gives
// one precise message per kind of misuse (unranked, rank 0, element type,
// dim out of range) instead of a generic type-constraint failure.
class Softmax_NormalizeOp<string mnemonic, list<Trait> traits = []>
    : Softmax_Op<mnemonic, !listconcat(traits, [
        Pure, AllTypesMatch<["input", "output"]>])> {
  let arguments = (ins AnyTensor:$input, I64Attr:$dim);
  let results = (outs AnyTensor:$output);

  let assemblyFormat = [{
    $input `dim` `(` $dim `)` attr-dict `:` type($input)
  }];

  let hasVerifier = 1;
}

// softmax and log_softmax: a normalisation with an optional mask operand
// (broadcast against the input), an optional `scale` and a `causal` mask.
// The form with only the input stays valid.
class Softmax_MaskableNormalizeOp<string mnemonic, list<Trait> traits = []>
    : Softmax_Op<mnemonic, !listconcat(traits, [
        Pure, AllTypesMatch<["input", "output"]>])> {
  let arguments = (ins AnyTensor:$input, Optional<AnyTensor>:$mask,
                       I64Attr:$dim, OptionalAttr<F64Attr>:$scale,
                       UnitAttr:$causal,
                       DefaultValuedAttr<I64Attr, "0">:$causal_offset);
  let results = (outs AnyTensor:$output);

  let assemblyFormat = [{
    $input (`mask` `(` $mask^ `:` type($mask) `)`)? `dim` `(` $dim `)`
    attr-dict `:` type($input)
  }];

  let builders = [
    OpBuilder<(ins "Value":$input, "int64_t":$dim), [{
      build($_builder, $_state, input.getType(), input, /*mask=*/Value(),
            dim, /*scale=*/nullptr, /*causal=*/false, /*causal_offset=*/0);
    }]>
  ];

  let extraClassDeclaration = [{
    /// Whether the op has a mask, a scale or the causal mask: what
    /// softmax-expand-mask turns into an elementwise producer.
    bool hasMasking() {
      return getMask() || getScale() || getCausal();
    }
  }];

  let hasVerifier = 1;
}

def Softmax_SoftmaxOp : Softmax_MaskableNormalizeOp<"softmax"> {
  let summary = "Softmax along one dimension";
  let description = [{
    Computes `y = exp(x) / sum(exp(x))` along dimension `dim`, in the
    numerically stable form `exp(x - max(x)) / sum(exp(x - max(x)))`. Edge
    values follow the dialect's contract: an all `-inf` row gives zeros, a
    NaN anywhere in a row gives a NaN row, `+inf` entries share the mass.

    Masking, applied to the input first, in this order: `scale` multiplies
    it; a `mask` operand of i1 keeps the elements where it is true (the
    others become `-inf`), one of floats is added; `causal` keeps element
    `j` of row `i` over the last two dims where `j <= i + causal_offset`.
    The mask has at most the input's rank and is broadcast against its
    trailing dims: each of its dims is 1 or the input's (a dynamic one must
    equal the input's at run time). A fully masked row gives zeros (and
    `-inf` from log_softmax), never NaN. f16 and bf16 inputs are scaled and
    masked in f32.

    Example:

    ```mlir
    %y = softmax.softmax %x dim(1) : tensor<?x1024xf32>
    %a = softmax.softmax %s mask(%m : tensor<1x128xi1>) dim(1)
        {causal, scale = 0.125 : f64} : tensor<128x128xf32>
    ```

    The generic form is
    `"softmax.softmax"(%x) <{dim = 1 : i64}> : (tensor<?x1024xf32>) -> tensor<?x1024xf32>`.
  }];
}

def Softmax_LogSoftmaxOp : Softmax_MaskableNormalizeOp<"log_softmax"> {
  let summary = "Log-softmax along one dimension";
  let description = [{
    Computes `y = x - log(sum(exp(x)))` along dimension `dim`, in the
    numerically stable form `(x - max(x)) - log(sum(exp(x - max(x))))`.
    An all `-inf` row gives `-inf` everywhere, a NaN anywhere in a row gives
    a NaN row, and a row with `k` `+inf` entries gives `-log(k)` there and
    `-inf` elsewhere.

    Example:

    ```mlir
    %y = softmax.log_softmax %x dim(0) : tensor<16xf16>
    ```
  }];
}

def Softmax_SparsemaxOp : Softmax_NormalizeOp<"sparsemax"> {
  let summary = "Sparsemax along one dimension";
  let description = [{
    The Euclidean projection of `x` onto the probability simplex along
    `dim` (Martins & Astudillo, 2016): `y = max(x - tau, 0)` with the
    threshold `tau` such that the row sums to 1. Unlike softmax it gives
    exact zeros: the support is the entries above `tau`. A NaN anywhere in
    a row gives a NaN row.

    Example:

    ```mlir
    %y = softmax.sparsemax %x dim(1) : tensor<?x1024xf32>
    ```
  }];
}

def Softmax_EntmaxOp
    : Softmax_Op<"entmax", [Pure, AllTypesMatch<["input", "output"]>]> {
  let summary = "alpha-entmax along one dimension";
  let description = [{
    alpha-entmax (Peters, Niculae & Martins, 2019), which interpolates
    between softmax (`alpha` -> 1) and sparsemax (`alpha` = 2):
    `y = max((alpha - 1) * x - tau, 0) ^ (1 / (alpha - 1))` with the
    threshold `tau` such that the row sums to 1. `alpha` is an f64 > 1.
    For `alpha` = 1.5 the threshold is exact (the support's quadratic is
    solved once the support is known); for other values it is found by a
    bracketed Newton iteration to the precision of the sums (f64 for f32),
    and the row is rescaled to sum to 1 (in f64 for every type when
    `alpha` > 2, where `y` is steep in `tau` at the threshold: entries within
    an f64 ulp of it are then ill-conditioned for any method). `alpha` = 2
    is sparsemax. Special
    values as for sparsemax: a NaN anywhere in a row gives a NaN row, `k`
    `+inf` entries share the mass, an all `-inf` row gives zeros.

    Example:

    ```mlir
    %y = softmax.entmax %x dim(1) alpha(1.5) : tensor<?x1024xf32>
    ```

    The generic form is
    `"softmax.entmax"(%x) <{alpha = 1.5 : f64, dim = 1 : i64}> : (tensor<?x1024xf32>) -> tensor<?x1024xf32>`.
  }];
  let arguments = (ins AnyTensor:$input, I64Attr:$dim, F64Attr:$alpha);
  let results = (outs AnyTensor:$output);

  let assemblyFormat = [{
    $input `dim` `(` $dim `)` `alpha` `(` $alpha `)` attr-dict `:`
    type($input)
  }];

  let hasVerifier = 1;
}

// The gradients of a normalisation: from its output and the gradient of a
// loss with respect to that output, the gradient with respect to its input
// (a vector-Jacobian product along `dim`). All three have one type.
class Softmax_GradOp<string mnemonic, list<Trait> traits = []>
    : Softmax_Op<mnemonic, !listconcat(traits, [
        Pure, AllTypesMatch<["output", "output_grad", "input_grad"]>])> {
  let arguments = (ins AnyTensor:$output, AnyTensor:$output_grad,
                       I64Attr:$dim);
  let results = (outs AnyTensor:$input_grad);

  let assemblyFormat = [{
    $output `,` $output_grad `dim` `(` $dim `)` attr-dict `:` type($output)
  }];

  let hasVerifier = 1;
}

def Softmax_SoftmaxGradOp : Softmax_GradOp<"softmax_grad"> {
  let summary = "Gradient of softmax along one dimension";
  let description = [{
    From `y = softmax(x)` along `dim` and `dy`, the gradient of a loss with
    respect to `y`, computes the gradient with respect to `x`:
    `dx = y * (dy - sum(dy * y))`, the sum along `dim` (accumulated in f32
    for f16/bf16 and in f64 for f32).

    Example:

    ```mlir
    %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<?x1024xf32>
    ```

    The generic form is
    `"softmax.softmax_grad"(%y, %dy) <{dim = 1 : i64}> : (tensor<?x1024xf32>, tensor<?x1024xf32>) -> tensor<?x1024xf32>`.
  }];
}

def Softmax_LogSoftmaxGradOp : Softmax_GradOp<"log_softmax_grad"> {
  let summary = "Gradient of log-softmax along one dimension";
  let description = [{
    From `y = log_softmax(x)` along `dim` and `dy`, the gradient of a loss
    with respect to `y`, computes the gradient with respect to `x`:
    `dx = dy - exp(y) * sum(dy)`, the sum along `dim` (accumulated as for
    softmax_grad). Where `y` is `-inf` (a probability of 0), `dx = dy`.

    Example:

    ```mlir
    %dx = softmax.log_softmax_grad %y, %dy dim(0) : tensor<16xbf16>
    ```
  }];
}

def Softmax_SparsemaxGradOp : Softmax_GradOp<"sparsemax_grad"> {
  let summary = "Gradient of sparsemax along one dimension";
  let description = [{
    From `y = sparsemax(x)` along `dim` and `dy`: on the support of `y`
    (its entries above 0), `dx = dy - mean(dy over the support)`, and 0
    elsewhere whatever `dy` holds there. A NaN in `y` makes the support's
    entries NaN (docs/numerics.md).

    Example:

    ```mlir
    %dx = softmax.sparsemax_grad %y, %dy dim(1) : tensor<?x1024xf32>
    ```
  }];
}

def Softmax_EntmaxGradOp
    : Softmax_Op<"entmax_grad", [Pure, AllTypesMatch<["output", "output_grad",
                                                     "input_grad"]>]> {
  let summary = "Gradient of alpha-entmax along one dimension";
  let description = [{
    From `y = entmax(x)` along `dim` with the same `alpha` and `dy`: with
    `g = y ^ (2 - alpha)` on the support of `y` (0 elsewhere),
    `dx = g * (dy - sum(g * dy) / sum(g))`, the sums along `dim`, and 0 off
    the support whatever `dy` holds there. A NaN in `y` makes the support's
    entries NaN (docs/numerics.md).

    Example:

    ```mlir
    %dx = softmax.entmax_grad %y, %dy dim(1) alpha(1.5) : tensor<?x1024xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$output, AnyTensor:$output_grad,
                       I64Attr:$dim, F64Attr:$alpha);
  let results = (outs AnyTensor:$input_grad);

  let assemblyFormat = [{
    $output `,` $output_grad `dim` `(` $dim `)` `alpha` `(` $alpha `)`
    attr-dict `:` type($output)
  }];

  let hasVerifier = 1;
}

def Softmax_CrossEntropyOp : Softmax_Op<"cross_entropy", [Pure]> {
  let summary = "Cross-entropy of logits against integer class labels";
  let description = [{
    The loss of each sample: `logits` holds one row of class scores along
    `dim` per sample, `labels` (any integer type) the class of each sample,
    with the shape of `logits` without `dim`; the result has that shape and
    the element type of `logits`. Computed from log-softmax without
    materialising the probabilities:
    `loss = (1 - e) * (lse - x[label]) + e * (lse - mean(x))`, with
    `lse = log(sum(exp(x)))` (stable: `max(x) + log(sum(exp(x - max(x))))`)
    and `e = label_smoothing`, as PyTorch's `cross_entropy` with
    `reduction='none'`. A row whose maximum is not finite follows the
    log_softmax contract, `loss = -(1 - e) log_softmax(x)[label] -
    e mean(log_softmax(x))`: NaN for a NaN row, +inf for an all `-inf` row,
    `log(k)` at a label on one of `k` `+inf` entries (docs/numerics.md). A
    sample whose label is `ignore_index` has loss 0; a label outside
    `[0, classes)` gives NaN (never a read out of bounds).

    Example:

    ```mlir
    %loss = softmax.cross_entropy %logits, %labels dim(1)
        {ignore_index = -100 : i64, label_smoothing = 0.1 : f64}
        : tensor<?x50257xf32>, tensor<?xi64> -> tensor<?xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$logits, AnyTensor:$labels, I64Attr:$dim,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing);
  let results = (outs AnyTensor:$loss);

  let assemblyFormat = [{
    $logits `,` $labels `dim` `(` $dim `)` attr-dict `:` type($logits) `,`
    type($labels) `->` type($loss)
  }];

  let hasVerifier = 1;
}

// A code generation op of the CPU row loops, not of models.
def Softmax_LeftPackOp : Op<Softmax_Dialect, "left_pack", [Pure,
    AllTypesMatch<["input", "packed"]>]> {
  let summary = "Move the chosen lanes of a register to its front";
  let description = [{
    `packed` holds the lanes of `input` where `keep` is set first, in their
    order; its lanes from `count` on are lanes of `input`, unspecified
    which (vcompressps leaves the input's own there); `count` is how many
    lanes `keep` sets. The row loops of sparsemax and entmax pack their
    candidates with it, a register at a time and without a branch per lane.
    `target` names the instruction it becomes (`softmax-lower-left-pack`):
    `"avx512"` (16 lanes, vcompressps) or `"avx2"` (8 lanes, vpermps by a
    table of 256 permutations indexed by the mask's bits).

    Example:

    ```mlir
    %packed, %count = softmax.left_pack %v, %keep target("avx2")
        : vector<8xf32>, vector<8xi1>
    ```
  }];
  let arguments = (ins VectorOfRankAndType<[1], [F32]>:$input,
                       VectorOfRankAndType<[1], [I1]>:$keep,
                       StrAttr:$target);
  let results = (outs VectorOfRankAndType<[1], [F32]>:$packed, Index:$count);

  let assemblyFormat = [{
    $input `,` $keep `target` `(` $target `)` attr-dict `:` type($input) `,`
    type($keep)
  }];

  let hasVerifier = 1;
}

def Softmax_CrossEntropyGradOp
    : Softmax_Op<"cross_entropy_grad",
                 [Pure, AllTypesMatch<["logits", "logits_grad"]>]> {
  let summary = "Gradient of cross-entropy with respect to the logits";
  let description = [{
    With the operands and attributes of `softmax.cross_entropy` and `dloss`,
    the gradient of a loss with respect to its per-sample result (of that
    result's type), computes the gradient with respect to `logits`:
    `dx = (softmax(x) - target) * dloss` along `dim`, where `target` is the
    one-hot label smoothed as PyTorch does (`(1 - e)` at the label plus
    `e / classes` everywhere), `softmax(x)` as `softmax.softmax` gives it
    (0 for an all `-inf` row). Samples whose label is `ignore_index` get 0,
    a label outside the classes NaN.

    Example:

    ```mlir
    %dx = softmax.cross_entropy_grad %logits, %labels, %dloss dim(1)
        : tensor<?x50257xf32>, tensor<?xi64>, tensor<?xf32> -> tensor<?x50257xf32>
    ```
  }];
  let arguments = (ins AnyTensor:$logits, AnyTensor:$labels,
                       AnyTensor:$loss_grad, I64Attr:$dim,
                       DefaultValuedAttr<I64Attr, "-100">:$ignore_index,
                       DefaultValuedAttr<F64Attr, "0.0">:$label_smoothing);
  let results = (outs AnyTensor:$logits_grad);

  let assemblyFormat = [{
    $logits `,` $labels `,` $loss_grad `dim` `(` $dim `)` attr-dict `:`
    type($logits) `,` type($labels) `,` type($loss_grad) `->`
    type($logits_grad)
  }];

  let hasVerifier = 1;
}

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXOPS_TD
