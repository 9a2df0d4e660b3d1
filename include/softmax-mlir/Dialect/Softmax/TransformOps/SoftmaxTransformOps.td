//===- SoftmaxTransformOps.td - the softmax transform ops --*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// softmax-mlir's passes and strategies as transform dialect ops, for
// compilers that schedule with transform scripts.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_TD
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_TD

include "mlir/Dialect/Transform/IR/TransformDialect.td"
include "mlir/Dialect/Transform/Interfaces/TransformInterfaces.td"
include "mlir/Dialect/Transform/IR/TransformTypes.td"
include "mlir/Interfaces/SideEffectInterfaces.td"
include "mlir/IR/OpBase.td"

def ApplySoftmaxRaisePatternsOp : Op<Transform_Dialect,
    "apply_patterns.softmax.raise",
    [DeclareOpInterfaceMethods<PatternDescriptorOpInterface>]> {
  let summary = "softmax-raise's patterns";
  let description = [{
    The patterns of `softmax-raise`: `linalg.softmax` and the max-exp-sum
    chains of softmax and log_softmax written out in `linalg.generic`s or
    TOSA, and the gradients' chains, rewritten into the softmax ops.
  }];
  let assemblyFormat = "attr-dict";
}

def ApplySoftmaxExpandMaskPatternsOp : Op<Transform_Dialect,
    "apply_patterns.softmax.expand_mask",
    [DeclareOpInterfaceMethods<PatternDescriptorOpInterface>]> {
  let summary = "softmax-expand-mask's pattern";
  let description = [{
    A softmax or log_softmax with a mask, a scale or the causal mask to an
    elementwise producer of the masked input and the op without masking.
  }];
  let assemblyFormat = "attr-dict";
}

def ApplySoftmaxVectorizePatternsOp : Op<Transform_Dialect,
    "apply_patterns.softmax.vectorize",
    [DeclareOpInterfaceMethods<PatternDescriptorOpInterface>]> {
  let summary = "softmax-vectorize's patterns";
  let description = [{
    The ops of the family over the innermost dim to vector row loops, as
    `softmax-vectorize` builds them: `vector_bits` the register width,
    `unroll` the vectors per step, `threads` the threads the rows may be
    split over (1: none). A softmax op's pinned `softmax.row_form`,
    `softmax.pass_form` and `softmax.store_form` (see
    `transform.softmax.set_strategy`) choose its form.
  }];
  let arguments = (ins DefaultValuedAttr<I64Attr, "256">:$vector_bits,
                       DefaultValuedAttr<I64Attr, "4">:$unroll,
                       DefaultValuedAttr<I64Attr, "1">:$threads);
  let assemblyFormat = "attr-dict";
  let hasVerifier = 1;
}

def ApplySoftmaxDecomposePatternsOp : Op<Transform_Dialect,
    "apply_patterns.softmax.decompose",
    [DeclareOpInterfaceMethods<PatternDescriptorOpInterface>]> {
  let summary = "softmax-decompose's patterns";
  let description = [{
    Every op of the softmax dialect to its numerically stable form in linalg
    on tensors (and `scf.while` for the sparse ops' threshold searches).
  }];
  let assemblyFormat = "attr-dict";
}

def SoftmaxSetStrategyOp : Op<Transform_Dialect, "softmax.set_strategy",
    [TransformOpInterface, TransformEachOpTrait,
     DeclareOpInterfaceMethods<MemoryEffectsOpInterface>]> {
  let summary = "Pins how softmax ops are compiled";
  let description = [{
    Records on each softmax op of `target` the strategies given, as
    `softmax-tile` and `softmax-gpu-strategy` would choose them (they keep
    pinned ones): `row_form` (`rows`, `groups`, `split`), `pass_form`
    (`three_pass`, `online`) and `store_form` (`cached`, `nontemporal`) for
    softmax and log_softmax on the CPU, `gpu_strategy` (`warp_row`,
    `block_row`, `split_row`, `persistent_row`, `by_length`, `column`) for
    any op of the dialect on a GPU. The handle is only read.

    #### Return modes

    A silenceable failure where a target is not a softmax op or not one that
    the strategy applies to (unknown strategy names fail verification).
  }];
  let arguments = (ins TransformHandleTypeInterface:$target,
                       OptionalAttr<StrAttr>:$row_form,
                       OptionalAttr<StrAttr>:$pass_form,
                       OptionalAttr<StrAttr>:$store_form,
                       OptionalAttr<StrAttr>:$gpu_strategy);
  let assemblyFormat = "$target attr-dict `:` type($target)";
  let hasVerifier = 1;
  let extraClassDeclaration = [{
    ::mlir::DiagnosedSilenceableFailure applyToOne(
        ::mlir::transform::TransformRewriter &rewriter,
        ::mlir::Operation *target,
        ::mlir::transform::ApplyToEachResultList &results,
        ::mlir::transform::TransformState &state);
  }];
}

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_TRANSFORMOPS_SOFTMAXTRANSFORMOPS_TD
