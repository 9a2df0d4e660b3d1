"""Compiles softmax and log_softmax of the scores of an attention layer,
softmax(x * 0.125 * t[row] + bias[col], masked to -inf where mask <= 0.5),
with softmax-compile, runs them through the C ABI and compares them with a
float64 NumPy reference.

Usage: fused_check.py --compiler softmax-compile --workdir DIR [--flags=..]
                      [--scores f32|f16|bf16]

With `softmax-fuse` (the default pipeline) the producer is computed in the
row loops; `--vectorize=false` runs it as its own loop, which checks the
same reference. Rows cover short (grouped), long and split rows, row tails,
fully masked rows (zeros / -inf) and NaN scores.
"""

import argparse
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from softmax_check import DTYPES, build_library, descriptor  # noqa: E402

MAPS = """#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#row = affine_map<(d0, d1) -> (d0)>
"""

MODULE = """func.func @{name}(%s: tensor<{ts}>, %bias: tensor<{c}xf32>, %mask: tensor<{t}>,
                  %temp: tensor<{r}xf32>) -> tensor<{t}> {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %s, %c0 : tensor<{ts}>
  %cols = tensor.dim %s, %c1 : tensor<{ts}>
  %e = tensor.empty({dims}) : tensor<{t}>
  %scores = linalg.generic {{indexing_maps = [#id, #col, #id, #row, #id],
                             iterator_types = ["parallel", "parallel"]}}
      ins(%s, %bias, %mask, %temp : tensor<{ts}>, tensor<{c}xf32>, tensor<{t}>, tensor<{r}xf32>)
      outs(%e : tensor<{t}>) {{
  ^bb0(%x: {se}, %b: f32, %m: f32, %tt: f32, %o: f32):{ext}
    %scale = arith.constant 0.125 : f32
    %half = arith.constant 0.5 : f32
    %ninf = arith.constant 0xFF800000 : f32
    %a = arith.mulf {xv}, %scale : f32
    %a2 = arith.mulf %a, %tt : f32
    %v = arith.addf %a2, %b : f32
    %keep = arith.cmpf ogt, %m, %half : f32
    %w = arith.select %keep, %v, %ninf : f32
    linalg.yield %w : f32
  }} -> tensor<{t}>
  %y = softmax.{op} %scores dim(1) : tensor<{t}>
  return %y : tensor<{t}>
}}
"""

# (rows, cols, static): short rows in lockstep groups, a partial group,
# rows with a tail, and a row split into chunks on several threads.
CASES = [(9, 7, True), (8, 32, False), (5, 100, False), (3, 1000, True), (2, 40000, False)]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--scores", choices=["f32", "f16", "bf16"], default="f32",
                        help="the type of the scores, extended to f32 in the producer")
    args = parser.parse_args()
    se = args.scores
    ext = "" if se == "f32" else "\n    %%xf = arith.extf %%x : %s to f32" % se
    xv = "%x" if se == "f32" else "%xf"
    os.makedirs(args.workdir, exist_ok=True)

    funcs, cases = [], []
    for rows, cols, static in CASES:
        for op in ["softmax", "log_softmax"]:
            name = "%s_%dx%d%s" % (op, rows, cols, "_static" if static else "")
            if static:
                t, c, r, dims = "%dx%dxf32" % (rows, cols), str(cols), str(rows), ""
            else:
                t, c, r, dims = "?x?xf32", "?", "?", "%rows, %cols"
            funcs.append(MODULE.format(name=name, t=t, c=c, r=r, dims=dims, op=op,
                                       ts=t.replace("xf32", "x" + se), se=se, ext=ext,
                                       xv=xv))
            cases.append((name, op, rows, cols))
    stem = os.path.join(args.workdir, "fused_%s%s" % (se, args.tag))
    lib = build_library(args.compiler, stem, MAPS + "\n".join(funcs), args.flags.split())

    rng = np.random.default_rng(7)
    failures = 0
    for name, op, rows, cols in cases:
        s = (rng.standard_normal((rows, cols)) * 20).astype(np.float32)
        bias = rng.standard_normal(cols).astype(np.float32)
        mask = (rng.random((rows, cols)) > 0.2).astype(np.float32)
        temp = (1 + rng.random(rows)).astype(np.float32)
        mask[0, :] = 0.0  # a fully masked row
        if rows > 2:
            s[2, cols // 2] = np.nan  # a NaN score (masked or not)
            mask[2, cols // 2] = 1.0
        y = np.full((rows, cols), 12345.0, dtype=np.float32)
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        # The scores in their type (and as the f32 the producer reads).
        s_in = DTYPES[se].from_f64(s.astype(np.float64))
        s = DTYPES[se].to_f64(s_in).astype(np.float32)
        fn(*[ctypes.byref(descriptor(a)) for a in (s_in, bias, mask, temp, y)])

        # The producer in float32, as the compiled code rounds it.
        a = (s * np.float32(0.125)) * temp[:, None] + bias[None, :]
        scores = np.where(mask > 0.5, a, np.float32(-np.inf)).astype(np.float64)
        with np.errstate(all="ignore"):
            m = scores.max(axis=1, keepdims=True)
            ex = np.exp(scores - m)
            ssum = ex.sum(axis=1, keepdims=True)
            ref = (scores - m - np.log(ssum)) if op == "log_softmax" else ex / ssum
        masked = (mask <= 0.5).all(axis=1)
        ref[masked] = -np.inf if op == "log_softmax" else 0.0
        nan_rows = np.isnan(scores).any(axis=1)
        ref[nan_rows] = np.nan
        got = y.astype(np.float64)
        np.seterr(invalid="ignore")
        both_nan = np.isnan(got) & np.isnan(ref)
        same_inf = np.isinf(ref) & (got == ref)
        tol = 1e-6 + 1e-5 * np.abs(np.where(np.isfinite(ref), ref, 0))
        ok = both_nan | same_inf | (np.abs(got - ref) <= tol)
        if not ok.all():
            failures += 1
            bad = np.argwhere(~ok)[0]
            print("FAIL %s: %d elements off, first at %s: got %r want %r"
                  % (name, (~ok).sum(), tuple(bad), got[tuple(bad)], ref[tuple(bad)]))
    print("fused: %d functions, %d failures" % (len(cases), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
