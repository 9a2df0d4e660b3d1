"""Times two builds of benchmarks/cpu/kernels.mlir against each other.

Usage: compare_builds.py A.so B.so SHAPE[,SHAPE...] [--reps N]

Both libraries export softmax_rows and log_softmax_rows through the C ABI.
Every shape's output of both is checked against a float64 reference, then
the two are timed in interleaved batches (alternating which goes first);
prints a markdown table of the median ns per element and the ratio A / B
(> 1: B is faster).
"""

import argparse
import ctypes
import time

import numpy as np

from bench import Memref2D, memref, reference


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("a")
    parser.add_argument("b")
    parser.add_argument("shapes")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--batch-s", type=float, default=0.02)
    args = parser.parse_args()
    libs = [ctypes.CDLL(args.a), ctypes.CDLL(args.b)]
    rng = np.random.default_rng(42)
    print("| op | shape | A ns/element | B ns/element | A / B |")
    print("|---|---|---|---|---|")
    for op in ("softmax", "log_softmax"):
        for shape in args.shapes.split(","):
            rows, cols = (int(v) for v in shape.split("x"))
            x = rng.uniform(-10, 10, (rows, cols)).astype(np.float32)
            y = np.zeros_like(x)
            xd, yd = memref(x), memref(y)
            ref = reference(x, op == "log_softmax")
            fns = []
            for lib in libs:
                fn = getattr(lib, "_mlir_ciface_%s_rows" % op)
                fn.argtypes = [ctypes.POINTER(Memref2D)] * 2
                y.fill(np.nan)
                fn(ctypes.byref(xd), ctypes.byref(yd))
                err = np.abs(y.astype(np.float64) - ref).max()
                if not err < 1e-4:
                    raise SystemExit("%s %s: max abs error %g" % (op, shape, err))
                fns.append(fn)
            t0 = time.perf_counter()
            fns[0](ctypes.byref(xd), ctypes.byref(yd))
            iters = max(1, int(args.batch_s / max(1e-9, time.perf_counter() - t0)))
            samples = [[], []]
            for rep in range(args.reps):
                for k in (0, 1) if rep % 2 == 0 else (1, 0):
                    fns[k](ctypes.byref(xd), ctypes.byref(yd))
                    t0 = time.perf_counter()
                    for _ in range(iters):
                        fns[k](ctypes.byref(xd), ctypes.byref(yd))
                    samples[k].append((time.perf_counter() - t0) / iters / x.size * 1e9)
            a, b = (float(np.median(s)) for s in samples)
            print("| %s | %s | %.3f | %.3f | %.2fx |" % (op, shape, a, b, a / b))


if __name__ == "__main__":
    main()
