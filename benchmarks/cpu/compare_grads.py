"""Times softmax_grad and log_softmax_grad of two builds and oneDNN's backward.

Usage: compare_grads.py --write-mlir FILE
       compare_grads.py A.so B.so [--reps 41] [--offset BYTES]

The first form writes the functions (@softmax_grad_RxN, @log_softmax_grad_RxN
for family.py's gradient shapes, or those of `--shapes`); compile it with each build's
`softmax-compile FILE -o X.so --emit=shared-lib --num-threads=1`. The second
checks A's, B's and oneDNN's outputs against the float64 gradient (the
largest error relative to the row's largest magnitude), times the
three in turn, rep after rep on the same inputs (a noisy stretch of a shared
machine weighs on all alike), and prints the medians and oneDNN / B (> 1: B
is faster; the target is >= 1.3x). The floor (grad_floor.c, built here
with clang-22) is timed after them on the same inputs: one pass that reads
y and dy and writes the output once, with streaming or ordinary stores,
whichever is faster. B / floor says how far B is from it, oneDNN / floor
the most by which any gradient kernel could be faster than oneDNN on this
machine (for tensors past L2: on small ones ctypes' call overhead, ~10 us,
is most of the floor's time). The output array starts `--offset` bytes
past a page boundary (the inputs at one: NumPy's large arrays are
page-aligned here, so 0 is what family.py measures). Run with
SOFTMAX_MLIR_NUM_THREADS=1 for one thread.
"""

import argparse
import ctypes
import os
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, HERE)
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "Integration", "CPU", "Inputs"))
from family import GRAD_SHAPES, GRAD_TEMPLATE, build_library, build_onednn  # noqa: E402
from softmax_check import descriptor  # noqa: E402

OPS = ("softmax_grad", "log_softmax_grad")


def page_array(shape, offset):
    """An uninitialised f32 array of `shape` starting `offset` bytes past a
    page boundary."""
    count = int(np.prod(shape))
    raw = np.empty(count * 4 + 2 * 4096, dtype=np.uint8)
    start = (-raw.ctypes.data) % 4096 + offset
    return raw[start:start + count * 4].view(np.float32).reshape(shape)


def build_floor(work):
    """Builds grad_floor.c and returns it loaded, or None (with a note)."""
    lib = build_library(["clang-22", "-O2", "-march=native", "-shared", "-fPIC",
                         os.path.join(HERE, "grad_floor.c")],
                        os.path.join(work, "grad_floor.so"), "floor")
    if lib is None:
        return None
    for name in ("grad_floor_stream", "grad_floor_cached"):
        getattr(lib, name).restype = None
        getattr(lib, name).argtypes = [ctypes.c_void_p] * 3 + [ctypes.c_size_t]
    return lib


def reference(op, y, dy):
    y, dy = y.astype(np.float64), dy.astype(np.float64)
    if op == "softmax_grad":
        return y * (dy - np.sum(y * dy, axis=1, keepdims=True))
    return dy - np.exp(y) * np.sum(dy, axis=1, keepdims=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("libs", nargs="*")
    parser.add_argument("--write-mlir")
    parser.add_argument("--reps", type=int, default=41)
    parser.add_argument("--offset", type=int, default=0)
    parser.add_argument("--shapes", default=",".join("%dx%d" % s for s in GRAD_SHAPES),
                        help="comma-separated RxN (default: family.py's)")
    args = parser.parse_args()
    shapes = [tuple(int(d) for d in s.split("x")) for s in args.shapes.split(",")]
    if args.write_mlir:
        with open(args.write_mlir, "w") as f:
            for shape in shapes:
                for op in OPS:
                    f.write(GRAD_TEMPLATE.format(op=op, s="%dx%d" % shape) + "\n")
        return
    if len(args.libs) != 2:
        parser.error("give two libraries (or --write-mlir)")
    libs = [ctypes.CDLL(os.path.abspath(path)) for path in args.libs]
    work = tempfile.mkdtemp(prefix="compare_grads_")
    shim = build_onednn(work)
    floor = build_floor(work)
    rng = np.random.default_rng(0)
    print("op | shape | A (ms) | B (ms) | oneDNN (ms) | floor (ms) | A / B | oneDNN / B"
          " | B / floor | oneDNN / floor | error A, B, oneDNN")
    print("---|---|---|---|---|---|---|---|---|---|---")
    for shape in shapes:
        s = "%dx%d" % shape
        logits = rng.standard_normal(shape)
        dy = page_array(shape, 0)
        dy[...] = rng.standard_normal(shape)
        for op in OPS:
            y = page_array(shape, 0)
            shifted = logits - logits.max(axis=1, keepdims=True)
            logp = shifted - np.log(np.exp(shifted).sum(axis=1, keepdims=True))
            y[...] = logp if op == "log_softmax_grad" else np.exp(logp)
            calls, outs = [], []
            for lib in libs:
                out = page_array(shape, args.offset)
                fn = getattr(lib, "_mlir_ciface_%s_%s" % (op, s))
                descs = [ctypes.byref(descriptor(a)) for a in (y, dy, out)]
                calls.append(lambda fn=fn, descs=descs: fn(*descs))
                outs.append(out)
            if shim is not None:
                h = shim.onednn_softmax_backward_create(op == "log_softmax_grad",
                                                        shape[0], shape[1], 1)
                out = page_array(shape, args.offset)
                calls.append(lambda h=h, out=out: shim.onednn_softmax_backward_run(
                    h, y.ctypes.data, dy.ctypes.data, out.ctypes.data))
                outs.append(out)
            # The floor's calls after the checked ones, writing a buffer of
            # their own (its values are not a gradient).
            checked = len(calls)
            if floor is not None:
                out = page_array(shape, args.offset)
                for name in ("grad_floor_stream", "grad_floor_cached"):
                    calls.append(lambda fn=getattr(floor, name), out=out: fn(
                        y.ctypes.data, dy.ctypes.data, out.ctypes.data, y.size))
            for call in calls:
                call()
            want = reference(op, y, dy)
            scale = np.max(np.abs(want), axis=1, keepdims=True)
            errors = [float(np.max(np.abs(out - want) / scale)) for out in outs]
            for tag, err in zip("AB", errors):
                if not err <= 1e-5:
                    raise SystemExit("%s %s: %s's error %.3g" % (op, s, tag, err))
            # The kernels in turn, rep after rep; the floor after them in
            # loops of its own (in the turns, its extra output buffer slowed
            # the others: oneDNN 1.2x-1.5x, log_softmax_grad on misaligned
            # rows of 512 up to 1.8x).
            times = [[] for _ in calls]
            for group in (range(checked), range(checked, len(calls))):
                for _ in range(args.reps):
                    for i in group:
                        start = time.perf_counter()
                        calls[i]()
                        times[i].append(time.perf_counter() - start)
            med = [1e3 * float(np.median(ts)) for ts in times]
            onednn = med[2] if shim is not None else float("nan")
            least = min(med[checked:]) if floor is not None else float("nan")
            print("%s | %s | %.3f | %.3f | %.3f | %.3f | %.2fx | %.2fx | %.2fx | %.2fx | %s"
                  % (op, s, med[0], med[1], onednn, least, med[0] / med[1],
                     onednn / med[1], med[1] / least, onednn / least,
                     ", ".join("%.1e" % e for e in errors)))


if __name__ == "__main__":
    main()
