"""Times softmax, sparsemax and entmax(1.5) of two builds against each other.

Usage: compare_sparse.py --write-mlir FILE
       compare_sparse.py A.so B.so [--reps 21]

The first form writes the functions (@softmax_RxN, @sparsemax_RxN,
@entmax15_RxN for rows of 128, 256 and 1024, about 4M f32 each); compile it
with each build's `softmax-compile FILE -o X.so --emit=shared-lib
--num-threads=1`. The second checks B's outputs against A's (within 1e-6)
and times the six libraries' functions in turn, rep after rep on the same
inputs (a noisy stretch of a shared machine weighs on both alike), and
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
from softmax_check import descriptor  # noqa: E402

SHAPES = ((32768, 128), (16384, 256), (4096, 1024))
OPS = (("softmax", "softmax", ""), ("sparsemax", "sparsemax", ""),
       ("entmax15", "entmax", " alpha(1.5)"))
TEMPLATE = """func.func @{name}_{s}(%x: tensor<{s}xf32>) -> tensor<{s}xf32> {{
  %y = softmax.{op} %x dim(1){attrs} : tensor<{s}xf32>
  return %y : tensor<{s}xf32>
}}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("libs", nargs="*")
    parser.add_argument("--write-mlir")
    parser.add_argument("--reps", type=int, default=21)
    parser.add_argument("--rows", choices=("normal", "uniform"), default="normal",
                        help="the inputs: standard normal rows (a support of a"
                        " few entries), or uniform in [0, 1) (most of a row"
                        " within 1 of its maximum: many candidates)")
    args = parser.parse_args()
    if args.write_mlir:
        with open(args.write_mlir, "w") as f:
            for shape in SHAPES:
                for name, op, attrs in OPS:
                    f.write(TEMPLATE.format(name=name, op=op, attrs=attrs,
                                            s="%dx%d" % shape))
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
        calls = {}
        outs = {}
        for name, _, _ in OPS:
            for lib, tag in zip(libs, "AB"):
                out = np.empty_like(x)
                fn = getattr(lib, "_mlir_ciface_%s_%s" % (name, s))
                descs = [ctypes.byref(descriptor(x)), ctypes.byref(descriptor(out))]
                calls[(name, tag)] = lambda fn=fn, descs=descs: fn(*descs)
                outs[(name, tag)] = out
        for call in calls.values():
            call()
        for name, _, _ in OPS:
            diff = float(np.max(np.abs(outs[(name, "A")] - outs[(name, "B")])))
            if not diff <= 1e-6:
                raise SystemExit("%s %s: B differs from A by %g" % (name, s, diff))
        times = {key: [] for key in calls}
        for _ in range(args.reps):
            for key, call in calls.items():
                start = time.perf_counter()
                call()
                times[key].append(time.perf_counter() - start)
        med = {key: 1e3 * float(np.median(t)) for key, t in times.items()}
        for name, _, _ in OPS:
            a, b = med[(name, "A")], med[(name, "B")]
            print("%s | %s | %.2f | %.2f | %.2fx | %.2fx"
                  % (name, s, a, b, a / b, b / med[("softmax", "B")]))


if __name__ == "__main__":
    main()
