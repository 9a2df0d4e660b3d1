"""Compiles softmax and log_softmax followed by a cast of their result (a
linalg.generic of one arith.truncf or arith.extf: f32 -> f16, f16 -> f32,
f32 <-> f64, f32 <-> bf16) with softmax-compile, runs them through the C ABI and compares
them with a float64 NumPy reference rounded as the program rounds it.

Usage: consumer_check.py --compiler softmax-compile --workdir DIR [--flags=..]
                         [--pin]

With `softmax-fuse` (the default pipeline) the row loops write the cast
result where that pays (log_softmax; softmax to its accumulator type);
`--pin` sets `softmax.fuse_consumer` by hand on every op, so that the row
loops write every cast; `--vectorize=false` runs the cast as its own loop.
All check the same reference. Rows cover short (grouped), long and split rows, row tails,
an all -inf row and NaN entries.
"""

import argparse
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from fused_check import CASES  # noqa: E402
from softmax_check import DTYPES, build_library, descriptor  # noqa: E402

MODULE = """func.func @{name}(%x: tensor<{t_in}>) -> tensor<{t_out}> {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<{t_in}>
  %cols = tensor.dim %x, %c1 : tensor<{t_in}>
  %y = softmax.{op} %x dim(1){attrs} : tensor<{t_in}>
  %e = tensor.empty({dims}) : tensor<{t_out}>
  %z = linalg.generic {{indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>,
                                         affine_map<(d0, d1) -> (d0, d1)>],
                        iterator_types = ["parallel", "parallel"]}}
      ins(%y : tensor<{t_in}>) outs(%e : tensor<{t_out}>) {{
  ^bb0(%a: {e_in}, %o: {e_out}):
    %c = arith.{cast} %a : {e_in} to {e_out}
    linalg.yield %c : {e_out}
  }} -> tensor<{t_out}>
  return %z : tensor<{t_out}>
}}
"""

# (input type, output type, cast)
CASTS = [("f32", "f16", "truncf"), ("f16", "f32", "extf"), ("f32", "f64", "extf"),
         ("f64", "f32", "truncf"), ("f32", "bf16", "truncf"), ("bf16", "f32", "extf")]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--pin", action="store_true")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    funcs, cases = [], []
    for e_in, e_out, cast in CASTS:
        for rows, cols, static in CASES:
            for op in ["softmax", "log_softmax"]:
                name = "%s_%s_to_%s_%dx%d%s" % (op, e_in, e_out, rows, cols,
                                                "_static" if static else "")
                shape = "%dx%d" % (rows, cols) if static else "?x?"
                funcs.append(MODULE.format(
                    name=name, op=op, cast=cast, e_in=e_in, e_out=e_out,
                    attrs=" {softmax.fuse_consumer}" if args.pin else "",
                    t_in="%sx%s" % (shape, e_in), t_out="%sx%s" % (shape, e_out),
                    dims="" if static else "%rows, %cols"))
                cases.append((name, op, e_in, e_out, rows, cols))
    stem = os.path.join(args.workdir, "consumer%s" % args.tag)
    lib = build_library(args.compiler, stem, "\n".join(funcs), args.flags.split())

    rng = np.random.default_rng(11)
    failures = 0
    np.seterr(all="ignore")
    for name, op, e_in, e_out, rows, cols in cases:
        t_in, t_out = DTYPES[e_in], DTYPES[e_out]
        xd = rng.standard_normal((rows, cols)) * 6
        xd[0, :] = -np.inf  # an all -inf row
        if rows > 2:
            xd[2, cols // 3] = np.nan
        x = t_in.from_f64(xd)
        xd = t_in.to_f64(x)
        y = np.zeros((rows, cols), dtype=t_out.storage)
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        fn(ctypes.byref(descriptor(x)), ctypes.byref(descriptor(y)))

        m = xd.max(axis=1, keepdims=True)
        ex = np.exp(xd - m)
        s = ex.sum(axis=1, keepdims=True)
        ref = (xd - m - np.log(s)) if op == "log_softmax" else ex / s
        ref[0, :] = -np.inf if op == "log_softmax" else 0.0
        ref[np.isnan(xd).any(axis=1)] = np.nan
        # The program rounds to the softmax's type, then casts.
        ref = t_in.to_f64(t_in.from_f64(ref))
        got = t_out.to_f64(y)
        # One 16-bit ulp: a last-bit f32 difference may round either way.
        rel = {"f16": 2.0 ** -10, "bf16": 2.0 ** -7}.get(
            e_out if e_out in ("f16", "bf16") else e_in, 1e-5)
        both_nan = np.isnan(got) & np.isnan(ref)
        same_inf = np.isinf(ref) & (got == ref)
        tol = 1e-6 + rel * np.abs(np.where(np.isfinite(ref), ref, 0))
        ok = both_nan | same_inf | (np.abs(got - ref) <= tol)
        if not ok.all():
            failures += 1
            bad = tuple(np.argwhere(~ok)[0])
            print("FAIL %s: %d elements off, first at %s: got %r want %r"
                  % (name, (~ok).sum(), bad, got[bad], ref[bad]))
    print("consumer: %d functions, %d failures" % (len(cases), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
