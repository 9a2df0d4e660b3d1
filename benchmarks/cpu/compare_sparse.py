"""Times softmax, sparsemax and entmax(1.5) of two builds against each other.

Usage: compare_sparse.py --write-mlir FILE [--dtype bf16] [--grad]
       compare_sparse.py A.so B.so [--reps 21] [--dtype bf16] [--grad]

The first form writes the functions (@softmax_RxN, @sparsemax_RxN,
@entmax15_RxN for rows of 128, 256 and 1024, about 4M elements each, of
`--dtype`; with `--grad` also @softmax_grad_RxN and @entmax15_grad_RxN);
compile it with each build's `softmax-compile FILE -o X.so
--emit=shared-lib --num-threads=1`. The second checks B's outputs against
A's (within 1e-6 for f32; for the 16-bit types within a unit in the last
place plus 1e-3 of the row block's largest output, since two builds may
sum in different orders and round an entry near a support's edge either
way: a sanity check, the tests compare with float64) and times the libraries'
functions in turn, rep after rep on the same inputs (a noisy stretch of
a shared machine weighs on both alike; which of A and B goes first
alternates), and
prints the medians, A / B (> 1: B is faster) and B's ratio to its own
softmax (the sparse ops' target is within 2x of it). Run with
SOFTMAX_MLIR_NUM_THREADS=1 for one thread.
"""

import argparse
import ctypes
import os
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "Integration", "CPU", "Inputs"))
from softmax_check import DTYPES, descriptor  # noqa: E402

SHAPES = ((32768, 128), (16384, 256), (4096, 1024))
OPS = (("softmax", "softmax", ""), ("sparsemax", "sparsemax", ""),
       ("entmax15", "entmax", " alpha(1.5)"))
GRAD_OPS = (("softmax_grad", "softmax_grad", ""),
            ("entmax15_grad", "entmax_grad", " alpha(1.5)"))
TEMPLATE = """func.func @{name}_{s}(%x: tensor<{s}x{t}>) -> tensor<{s}x{t}> {{
  %y = softmax.{op} %x dim(1){attrs} : tensor<{s}x{t}>
  return %y : tensor<{s}x{t}>
}}
"""
GRAD_TEMPLATE = """func.func @{name}_{s}(%y: tensor<{s}x{t}>, %dy: tensor<{s}x{t}>) -> tensor<{s}x{t}> {{
  %dx = softmax.{op} %y, %dy dim(1){attrs} : tensor<{s}x{t}>
  return %dx : tensor<{s}x{t}>
}}
"""
# The largest difference allowed between two builds' outputs, by element
# type (the C ABI's storage and conversions: softmax_check.DTYPES).
TOLERANCE = {"f32": 1e-6, "f16": 2.0 ** -10, "bf16": 2.0 ** -7}


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("libs", nargs="*")
    parser.add_argument("--write-mlir")
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--dtype", choices=sorted(TOLERANCE), default="f32")
    parser.add_argument("--grad", action="store_true",
                        help="also softmax_grad and entmax_grad (alpha 1.5)"
                        " of the forward ops' outputs")
    parser.add_argument("--rows", choices=("normal", "uniform"), default="normal",
                        help="the inputs: standard normal rows (a support of a"
                        " few entries), or uniform in [0, 1) (most of a row"
                        " within 1 of its maximum: many candidates)")
    args = parser.parse_args()
    grads = GRAD_OPS if args.grad else ()
    if args.write_mlir:
        with open(args.write_mlir, "w") as f:
            for shape in SHAPES:
                for ops, template in ((OPS, TEMPLATE), (grads, GRAD_TEMPLATE)):
                    for name, op, attrs in ops:
                        f.write(template.format(name=name, op=op, attrs=attrs,
                                                s="%dx%d" % shape, t=args.dtype))
        return
    if len(args.libs) != 2:
        parser.error("give two libraries (or --write-mlir)")
    libs = [ctypes.CDLL(os.path.abspath(path)) for path in args.libs]
    rng = np.random.default_rng(0)
    print("op | shape | A (ms) | B (ms) | A / B | B / B's softmax")
    print("---|---|---|---|---|---")
    for shape in SHAPES:
        s = "%dx%d" % shape
        if args.rows == "normal":
            x = rng.standard_normal(shape).astype(np.float32)
        else:
            x = rng.random(shape, dtype=np.float32)
        dtype = DTYPES[args.dtype]
        x = dtype.from_f64(x)
        dy = dtype.from_f64(rng.standard_normal(shape).astype(np.float32))
        calls = {}
        outs = {}
        for name, _, _ in OPS + grads:
            for lib, tag in zip(libs, "AB"):
                out = np.empty_like(x)
                fn = getattr(lib, "_mlir_ciface_%s_%s" % (name, s))
                # A gradient's y: the forward op's output (A's), computed
                # before it in the loop below.
                ins = [outs[(name[: -len("_grad")], "A")], dy] if name.endswith("_grad") else [x]
                descs = [ctypes.byref(descriptor(a)) for a in ins + [out]]
                calls[(name, tag)] = lambda fn=fn, descs=descs: fn(*descs)
                outs[(name, tag)] = out
                calls[(name, tag)]()
        for name, _, _ in OPS + grads:
            a = dtype.to_f64(outs[(name, "A")])
            b = dtype.to_f64(outs[(name, "B")])
            tol = TOLERANCE[args.dtype]
            if args.dtype == "f32":
                bound = tol
            else:
                # A unit in the last place of either, or near the support's
                # edge (an entry just above or below the threshold) 1e-3 of
                # the largest output.
                bound = tol * np.maximum(np.abs(a), np.abs(b)) + 1e-3 * np.max(np.abs(a))
            if not np.all(np.abs(a - b) <= bound):
                raise SystemExit("%s %s: B differs from A by %g"
                                 % (name, s, float(np.max(np.abs(a - b)))))
        times = {key: [] for key in calls}
        # Each op's A and B one after the other, which goes first
        # alternating (the second of two identical builds measured up to
        # 1.5x slower on sparsemax and entmax otherwise).
        for rep in range(args.reps):
            for name, _, _ in OPS + grads:
                for tag in "AB" if rep % 2 == 0 else "BA":
                    start = time.perf_counter()
                    calls[(name, tag)]()
                    times[(name, tag)].append(time.perf_counter() - start)
        med = {key: 1e3 * float(np.median(t)) for key, t in times.items()}
        for name, _, _ in OPS + grads:
            a, b = med[(name, "A")], med[(name, "B")]
            print("%s | %s | %.2f | %.2f | %.2fx | %.2fx"
                  % (name, s, a, b, a / b, b / med[("softmax", "B")]))


if __name__ == "__main__":
    main()
