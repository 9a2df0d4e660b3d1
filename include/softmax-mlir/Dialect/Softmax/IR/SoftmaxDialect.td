//===- SoftmaxDialect.td - softmax dialect definition ------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_TD
#define SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_TD

include "mlir/IR/OpBase.td"

def Softmax_Dialect : Dialect {
  let name = "softmax";
  let cppNamespace = "::mlir::softmax";
  // tensor.dim, for the ops' reified result sizes.
  let dependentDialects = ["::mlir::tensor::TensorDialect"];
  let summary = "The softmax family of normalisation operators";
  let description = [{
    The `softmax` dialect holds softmax and its relatives as single ops on
    ranked tensors, so that the compiler sees the whole normalisation at once
    and can choose a numerically stable, fused and vectorized lowering for
    each target. Every op reduces along one dimension, given by the i64
    attribute `dim` (in `[0, rank)`; frontends normalise negative values).

    Element types are f16, bf16, f32 and f64. f16 and bf16 inputs are
    computed in f32 and the result is rounded once; f64 computes in f64.

    Special values follow one contract in every op and on every target:

    * a row whose entries are all `-inf` gives all zeros from `softmax` and
      all `-inf` from `log_softmax` (never NaN);
    * a row that contains a NaN gives NaN in every entry of the row;
    * a row that contains `+inf` gives its mass to the `+inf` entries in
      equal shares (`1/k` each for `k` of them, `log(1/k)` from
      `log_softmax`) and 0 (`-inf`) elsewhere.
  }];
}

#endif // SOFTMAX_MLIR_DIALECT_SOFTMAX_IR_SOFTMAXDIALECT_TD
