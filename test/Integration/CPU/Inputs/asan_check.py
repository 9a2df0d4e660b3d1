"""Proves that the generated CPU code stays inside its buffers: compiles
every op of the family with `softmax-compile --sanitize=address` (each load
and store of the kernels, masked vector accesses included, checked against
AddressSanitizer's shadow memory) for every row strategy (vector tails of
1 to 17 elements, grouped short rows, whole rows, rows split across threads,
the online pass, streaming stores, 128-bit vectors, the generic path, static
and dynamic shapes), and runs each function, in a child process that loads
the ASan runtime first, on operands in buffers of exactly their size (ASan
poisons the bytes around each): any access outside them aborts with an ASan
report. A negative control checks that an overread is caught.

Usage: asan_check.py --compiler softmax-compile --workdir DIR

Prints one summary line; exits non-zero on an ASan report or an output
element left unwritten.
"""

import argparse
import ctypes
import os
import subprocess
import sys

import numpy as np

from softmax_check import DTYPES, descriptor_type

# Row shapes: tails of every length against 16-lane vectors, short rows in
# groups (pairs; 8 or 16 rows with their searches a lane per row, a partial
# last group), long rows split over threads (fewer rows than threads).
SHAPES = [(7, 1), (5, 3), (9, 15), (3, 17), (33, 64), (21, 37), (6, 1025),
          (2, 70001)]

# (name, body, extra operands, result): %x [r, n]; %a, %b the others.
OPS = [
    ("softmax", "softmax.softmax %x dim(1){A} : {X}", [], "rows"),
    ("log_softmax", "softmax.log_softmax %x dim(1){A} : {X}", [], "rows"),
    ("masked", "softmax.softmax %x mask(%a : {M}) dim(1) {scale = 0.5 : f64} : {X}",
     ["mask"], "rows"),
    ("sparsemax", "softmax.sparsemax %x dim(1) : {X}", [], "rows"),
    ("entmax15", "softmax.entmax %x dim(1) alpha(1.5) : {X}", [], "rows"),
    ("entmax125", "softmax.entmax %x dim(1) alpha(1.25) : {X}", [], "rows"),
    ("softmax_grad", "softmax.softmax_grad %x, %a dim(1){A} : {X}", ["rows"], "rows"),
    ("log_softmax_grad", "softmax.log_softmax_grad %x, %a dim(1){A} : {X}", ["rows"],
     "rows"),
    ("sparsemax_grad", "softmax.sparsemax_grad %x, %a dim(1) : {X}", ["rows"], "rows"),
    ("entmax_grad", "softmax.entmax_grad %x, %a dim(1) alpha(1.5) : {X}", ["rows"], "rows"),
    ("cross_entropy", "softmax.cross_entropy %x, %a dim(1) {label_smoothing = 0.1 : f64}"
     " : {X}, {L} -> {F}", ["labels"], "loss"),
    ("cross_entropy_grad", "softmax.cross_entropy_grad %x, %a, %b dim(1) : {X}, {L}, {F} -> {X}",
     ["labels", "loss"], "rows"),
]

# (tag, softmax-compile flags, attributes pinned on softmax/log_softmax,
# static shapes too): the pinned forms on dynamic shapes only.
CONFIGS = [
    ("default", [], "", True),
    ("narrow", ["--mcpu=haswell", "--vector-bits=128", "--unroll=1", "--num-threads=3"], "",
     False),
    ("rows", ["--num-threads=1"], ' {softmax.row_form = "rows"}', False),
    ("groups", [], ' {softmax.row_form = "groups"}', False),
    ("split", ["--num-threads=3"], ' {softmax.row_form = "split"}', False),
    ("online", [], ' {softmax.pass_form = "online", softmax.store_form = "nontemporal"}',
     False),
    ("generic", ["--vectorize=false"], "", True),
    # Streamed gradients too: softmax_grad's static rows as one sequence a
    # group of rows (the gradients alone: see ONLY).
    ("streamed", [], ' {softmax.store_form = "nontemporal"}', True),
]

# The ops a configuration compiles where not all of them.
ONLY = {"streamed": ["softmax_grad", "log_softmax_grad"]}


def pins(op, pinned):
    """The attributes pinned on `op`: all on softmax and log_softmax; on the
    gradients, a store form alone."""
    if op in ("softmax", "log_softmax"):
        return pinned
    if op.endswith("softmax_grad") and "store_form" in pinned and "pass_form" not in pinned:
        return pinned
    return ""


def forms(static):
    return (False, True) if static else (True,)


def module(dtype, pinned, static, ops):
    funcs = []
    for op, body, extra, result in OPS:
        if ops and op not in ops:
            continue
        for r, n in SHAPES:
            for dyn in forms(static):
                rows, cols = ("?", "?") if dyn else (str(r), str(n))
                t = {"X": "tensor<%sx%sx%s>" % (rows, cols, dtype),
                     "M": "tensor<%sx%sxi1>" % (rows, cols),
                     "L": "tensor<%sxi64>" % rows, "F": "tensor<%sx%s>" % (rows, dtype),
                     "A": pins(op, pinned)}
                kinds = {"rows": t["X"], "mask": t["M"], "labels": t["L"], "loss": t["F"]}
                args = ["%%x: %s" % t["X"]] + ["%%%s: %s" % (name, kinds[k])
                                               for name, k in zip("ab", extra)]
                out = t["X"] if result == "rows" else t["F"]
                text = body
                for key, value in t.items():
                    text = text.replace("{%s}" % key, value)
                funcs.append("func.func @%s_%dx%d%s(%s) -> %s {\n  %%y = %s\n"
                             "  return %%y : %s\n}\n"
                             % (op, r, n, "_dyn" if dyn else "", ", ".join(args), out, text, out))
    return "\n".join(funcs)


# ---------------------------------------------------------------------------
# The child: calls every function on exactly sized malloc'd buffers.
# ---------------------------------------------------------------------------

libc = ctypes.CDLL(None)
libc.malloc.restype = ctypes.c_void_p
libc.malloc.argtypes = [ctypes.c_size_t]
libc.free.argtypes = [ctypes.c_void_p]


class Exact:
    """An array in a malloc'd buffer of exactly its size (ASan's redzones
    on both sides)."""

    def __init__(self, values, storage):
        values = np.ascontiguousarray(values, dtype=storage)
        self.pointer = libc.malloc(max(values.nbytes, 1))
        raw = (ctypes.c_char * max(values.nbytes, 1)).from_address(self.pointer)
        self.array = np.frombuffer(raw, dtype=storage, count=values.size).reshape(values.shape)
        self.array[...] = values

    def descriptor(self):
        a = self.array
        d = descriptor_type(a.ndim)()
        d.allocated = d.aligned = self.pointer
        d.offset = 0
        for i in range(a.ndim):
            d.sizes[i] = a.shape[i]
            d.strides[i] = a.strides[i] // a.itemsize
        return ctypes.byref(d)


def run_child(library, dtype_name, static, overread, ops):
    dtype = DTYPES[dtype_name]
    lib = ctypes.CDLL(library)
    rng = np.random.default_rng(3)
    calls = unwritten = 0
    for op, _, extra, result in OPS:
        if ops and op not in ops:
            continue
        for r, n in SHAPES:
            for dyn in forms(static):
                x = rng.standard_normal((r, n)) * 3
                x[rng.random((r, n)) < 0.05] = -np.inf
                operands = [Exact(dtype.from_f64(x), dtype.storage)]
                for kind in extra:
                    if kind == "mask":
                        operands.append(Exact(rng.random((r, n)) < 0.7, np.bool_))
                    elif kind == "labels":
                        operands.append(Exact(rng.integers(-1, n + 1, r), np.int64))
                    elif kind == "loss":
                        operands.append(Exact(dtype.from_f64(rng.standard_normal(r)),
                                              dtype.storage))
                    else:
                        y = np.abs(rng.standard_normal((r, n)))
                        operands.append(Exact(dtype.from_f64(y / y.sum(1, keepdims=True)),
                                              dtype.storage))
                shape = (r, n) if result == "rows" else (r,)
                out = Exact(np.zeros(shape), dtype.storage)
                dtype.bits(out.array)[...] = dtype.sentinel_bits
                descriptors = [a.descriptor() for a in operands + [out]]
                if overread and dyn:
                    # The negative control: the input claims one more column.
                    descriptors[0]._obj.sizes[1] += 1
                    descriptors[-1]._obj.sizes[1] += 1
                fn = getattr(lib, "_mlir_ciface_%s_%dx%d%s" % (op, r, n, "_dyn" if dyn else ""))
                fn.restype = None
                fn(*descriptors)
                calls += 1
                if (dtype.bits(out.array) == dtype.sentinel_bits).any():
                    unwritten += 1
                    print("FAIL %s %dx%d%s: output elements not written"
                          % (op, r, n, " (dynamic)" if dyn else ""))
                for a in operands + [out]:
                    libc.free(a.pointer)
    print("child: %d calls, %d with unwritten outputs" % (calls, unwritten))
    sys.exit(1 if unwritten else 0)


# ---------------------------------------------------------------------------
# The parent: builds the libraries and runs the children.
# ---------------------------------------------------------------------------


def asan_runtime():
    path = subprocess.run(["clang-22", "-print-file-name=libclang_rt.asan-x86_64.so"],
                          capture_output=True, text=True).stdout.strip()
    return path if os.path.isabs(path) and os.path.exists(path) else None


def child(runtime, library, dtype, static, overread=False, ops=None):
    env = dict(os.environ)
    env["LD_PRELOAD"] = runtime
    # The interpreter's own allocations are not ours to judge.
    env["ASAN_OPTIONS"] = "detect_leaks=0:abort_on_error=0:exitcode=86"
    args = [sys.executable, os.path.abspath(__file__), "--child", library, "--dtype", dtype]
    args += ["--static"] if static else []
    args += ["--overread"] if overread else []
    args += ["--ops", ",".join(ops)] if ops else []
    return subprocess.run(args, env=env, capture_output=True, text=True)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler")
    parser.add_argument("--workdir")
    parser.add_argument("--child")
    parser.add_argument("--dtype", default="f32")
    parser.add_argument("--static", action="store_true")
    parser.add_argument("--overread", action="store_true")
    parser.add_argument("--ops", help="comma-separated ops the child calls (default: all)")
    args = parser.parse_args()
    if args.child:
        with np.errstate(all="ignore"):
            run_child(args.child, args.dtype, args.static, args.overread,
                      args.ops.split(",") if args.ops else None)
        return
    runtime = asan_runtime()
    if not runtime:
        sys.exit("error: no ASan runtime (clang-22 -print-file-name="
                 "libclang_rt.asan-x86_64.so); install libclang-rt-22-dev")
    os.makedirs(args.workdir, exist_ok=True)
    failures = runs = 0
    for dtype in ("f32", "bf16"):
        for tag, flags, pinned, static in CONFIGS:
            if dtype == "bf16" and tag not in ("default", "generic"):
                continue
            stem = os.path.join(args.workdir, "asan_%s_%s" % (dtype, tag))
            with open(stem + ".mlir", "w") as f:
                f.write(module(dtype, pinned, static, ONLY.get(tag)))
            subprocess.run([args.compiler, stem + ".mlir", "-o", stem + ".so",
                            "--emit=shared-lib", "--sanitize=address"] + flags, check=True)
            result = child(runtime, stem + ".so", dtype, static, ops=ONLY.get(tag))
            runs += 1
            if result.returncode != 0:
                failures += 1
                print("FAIL %s %s: exit %d\n%s" % (dtype, tag, result.returncode,
                                                    (result.stdout + result.stderr)[-3000:]))
    # The negative control: an overread must be reported.
    control = child(runtime, os.path.join(args.workdir, "asan_f32_default.so"), "f32", True,
                    overread=True)
    caught = control.returncode == 86 and "heap-buffer-overflow" in control.stderr
    if not caught:
        failures += 1
        print("FAIL the negative control's overread was not reported (exit %d)"
              % control.returncode)
    print("asan: %d configurations, %d ops x %d shapes, %d failures%s"
          % (runs, len(OPS), len(SHAPES), failures,
             "; the control's overread was reported" if caught else ""))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
