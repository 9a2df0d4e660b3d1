"""Compiles one function applying a long chain of softmax-family ops and
checks it against float64 NumPy.

The function applies N ops in turn to a 4x64 f32 tensor (softmax,
log_softmax and softmax with a scale, over the rows), the equal ones
compiled once by softmax-share-kernels and called N/3 times each, and
returns the first three results and the last: a compiler that let the
calls share a destination would overwrite the early ones. Prints one line
`chain: N ops, K results checked, F failures` (and a FAIL line per bad
result).
"""

import argparse
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from softmax_check import build_library, descriptor, reference_rows  # noqa: E402

SHAPE = (4, 64)
# (op, attributes, reference over the rows) applied in turn.
OPS = [
    ("softmax", "", lambda x: reference_rows(x, log=False)),
    ("log_softmax", "", lambda x: reference_rows(x, log=True)),
    ("softmax", " {scale = 3.0 : f64}", lambda x: reference_rows(3.0 * x, log=False)),
]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--ops", type=int, default=2000)
    args = parser.parse_args()
    n = args.ops
    t = "tensor<%dx%dxf32>" % SHAPE
    kept = [1, 2, 3, n]
    lines = ["func.func @chain(%%x0: %s) -> (%s) {" % (t, ", ".join([t] * len(kept)))]
    for i in range(n):
        op, attrs, _ = OPS[i % len(OPS)]
        lines.append("  %%x%d = softmax.%s %%x%d dim(1)%s : %s" % (i + 1, op, i, attrs, t))
    lines.append("  return %s : %s\n}\n" % (", ".join("%%x%d" % k for k in kept),
                                          ", ".join([t] * len(kept))))
    lib = build_library(args.compiler, os.path.join(args.workdir, "chain%d" % n),
                        "\n".join(lines), ["--num-threads=1"])
    x = np.random.default_rng(5).standard_normal(SHAPE).astype(np.float32)
    outs = [np.empty(SHAPE, np.float32) for _ in kept]
    fn = lib._mlir_ciface_chain
    fn.restype = None
    fn(ctypes.byref(descriptor(x)), *[ctypes.byref(descriptor(o)) for o in outs])
    ref = x.astype(np.float64)
    refs = {}
    for i in range(n):
        ref = OPS[i % len(OPS)][2](ref)
        if i + 1 in kept:
            refs[i + 1] = ref
    failures = 0
    for k, out in zip(kept, outs):
        err = float(np.max(np.abs(out - refs[k]) / np.maximum(np.abs(refs[k]), 1.0)))
        if not err <= 1e-5:
            failures += 1
            print("FAIL chain result x%d: error %g" % (k, err))
    print("chain: %d ops, %d results checked, %d failures" % (n, len(kept), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
