"""Builds softmax kernels for CUDA as shared libraries (the C ABI over
device pointers) and checks them on a GPU against a float64 reference.

Usage:
  gpu_check.py build DIR --compiler softmax-compile   # any machine
  gpu_check.py run DIR                                # a machine with a GPU
  gpu_check.py no-driver DIR                          # a machine without one

`build` writes DIR/libcheck.so and DIR/cases.json. `run` calls every case
with inputs of random and hard values (NaN, +-inf, all -inf, ties, huge
magnitudes) in device memory, the output poisoned and fenced by guard
elements, at a 16-byte aligned and an unaligned address, and compares
with the float64 reference of softmax_check.py (same tolerances).
`no-driver` checks that, without a CUDA driver, loading the library and
calling it fail cleanly: an `error:` on stderr, the error readable from
softmax_mlir_cuda_last_error(), no buffer touched, no crash.
"""

import argparse
import ctypes
import json
import os
import subprocess
import sys

import numpy as np

sys.path.insert(
    0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "CPU", "Inputs")
)
from softmax_check import (  # noqa: E402
    DTYPES,
    GUARD,
    compare,
    descriptor_type,
    from_rows,
    make_rows,
    reference_rows,
)

# (name, op, dtype, shape): the strategies (warp and block per row, split
# rows, persistent grids, columns; vectorized and element-wise), partial
# blocks, ranks 1 to 3.
CASES = [
    ("warp_f32", "softmax", "f32", (64, 1024)),
    ("warp_log_f32", "log_softmax", "f32", (6, 1024)),
    ("warp_f16", "softmax", "f16", (9, 128)),
    ("warp_odd_f32", "log_softmax", "f32", (11, 1000)),
    ("block_odd_f32", "softmax", "f32", (37, 1025)),
    ("block_bf16", "log_softmax", "bf16", (8, 4096)),
    ("block_max_f32", "softmax", "f32", (3, 32768)),
    ("block_max_bf16", "softmax", "bf16", (2, 32768)),
    ("rank3_f32", "softmax", "f32", (2, 3, 256)),
    ("rank1_f32", "log_softmax", "f32", (512,)),
    # split_row: longer than a block holds; few rows; a partial last chunk;
    # element-wise (40001 is no whole number of vectors).
    ("split_f32", "softmax", "f32", (3, 65536)),
    ("split_few_bf16", "log_softmax", "bf16", (2, 20000)),
    ("split_odd_f32", "log_softmax", "f32", (2, 40001)),
    ("split_one_row_f32", "softmax", "f32", (1, 262144)),
    # Many short rows: a persistent grid; groups of 16 and 2 lanes a row
    # (several rows a warp), rows that are no whole number of blocks'.
    ("persistent_f32", "softmax", "f32", (20001, 128)),
    ("persistent_bf16", "log_softmax", "bf16", (16390, 24)),
    # Rows known at run time (the MLIR type says ?): a persistent grid for
    # short rows, element-wise for 100 f16.
    ("dyn_rows_f32", "softmax", "f32", (37, 1024)),
    ("dyn_rows_f16", "log_softmax", "f16", (1000, 100)),
    ("dyn_split_bf16", "log_softmax", "bf16", (3, 65536)),
]
DYNAMIC_ROWS = {"dyn_rows_f32", "dyn_rows_f16", "dyn_split_bf16"}
# Rows and row length known at run time (tensor<?x?xT>): one function each
# for f32 log_softmax and bf16 softmax, called with a length in every range
# of its variants (32, 256, 1024, 4096, 32768, longer), whole numbers of
# vectors (the vector kernels, when aligned) or not (element-wise).
DYNAMIC_LENGTH = {}
for n in (5, 32, 100, 256, 1000, 1024, 3000, 4096, 20000, 32768, 70001):
    for op, dt, m in (("log_softmax", "f32", 33), ("softmax", "bf16", 3)):
        name = "len%d_%s" % (n, dt)
        CASES.append((name, op, dt, (m, n)))
        DYNAMIC_LENGTH[name] = "dyn_len_" + dt
# Few static rows of a length known at run time: split from 4097 on.
CASES.append(("rows8_len10000_bf16", "log_softmax", "bf16", (8, 10000)))
ONLY_LENGTH_DYNAMIC = {"rows8_len10000_bf16"}
CASES += [
    # Another dim than the innermost: a thread per column.
    ("col_f32", "softmax", "f32", (8, 300, 5)),
    ("col0_bf16", "log_softmax", "bf16", (1000, 600)),
    # More outer indices than a grid's y dimension holds (65535).
    ("col_outer_f32", "softmax", "f32", (70000, 3, 2)),
    # 16 bytes of columns a thread (64 f32), and columns of sizes known at
    # run time (tensor<?x?x?xT>): 40 bf16 are whole vectors, 7 f32 not.
    ("col_vec_f32", "softmax", "f32", (6, 50, 64)),
    ("dyn_col_bf16", "log_softmax", "bf16", (5, 77, 40)),
    ("dyn_col_odd_f32", "softmax", "f32", (3, 20, 7)),
]
ALL_DYNAMIC = {"dyn_col_bf16", "dyn_col_odd_f32"}
# The reduced dim where it is not the last one.
REDUCED_DIM = {"col_f32": 1, "col0_bf16": 0, "col_outer_f32": 1,
               "col_vec_f32": 1, "dyn_col_bf16": 1, "dyn_col_odd_f32": 1}

# Run again on a stream of the caller's.
STREAM_CASES = ["warp_f32", "split_f32", "len70001_f32", "persistent_bf16"]
assert set(STREAM_CASES) <= {c[0] for c in CASES}

MLIR_TYPES = {"f32": "f32", "f16": "f16", "bf16": "bf16"}


def build(args):
    os.makedirs(args.dir, exist_ok=True)
    funcs = {}
    for name, op, dt, shape in CASES:
        dims = [str(d) for d in shape]
        if name in DYNAMIC_ROWS:
            dims[0] = "?"
        if name in DYNAMIC_LENGTH or name in ALL_DYNAMIC:
            dims = ["?"] * len(dims)
        if name in ONLY_LENGTH_DYNAMIC:
            dims[-1] = "?"
        func = function_name(name)
        t = "tensor<%sx%s>" % ("x".join(dims), MLIR_TYPES[dt])
        funcs[func] = (
            "func.func @%s(%%x: %s) -> %s {\n"
            "  %%y = softmax.%s %%x dim(%d) : %s\n"
            "  return %%y : %s\n}\n"
            % (func, t, t, op, REDUCED_DIM.get(name, len(shape) - 1), t, t)
        )
    src = os.path.join(args.dir, "check.mlir")
    with open(src, "w") as f:
        f.write("\n".join(funcs.values()))
    subprocess.run(
        [args.compiler, src, "--target=cuda", "--chip=" + args.chip,
         "--emit=shared-lib", "-o", os.path.join(args.dir, "libcheck.so")],
        check=True,
    )
    with open(os.path.join(args.dir, "cases.json"), "w") as f:
        json.dump([list(c) for c in CASES], f)
    print("built %d cases in %s" % (len(CASES), args.dir))


def function_name(case):
    """The compiled function a case calls."""
    return DYNAMIC_LENGTH.get(case, case)


def load_library(path):
    """A --target=cuda shared library, its runtime's functions typed."""
    lib = ctypes.CDLL(path)
    lib.softmax_mlir_cuda_last_error.restype = ctypes.c_char_p
    lib.mgpuMemAlloc.restype = ctypes.c_void_p
    lib.mgpuMemAlloc.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_bool]
    lib.mgpuMemFree.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.mgpuMemcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t, ctypes.c_void_p]
    lib.softmax_mlir_cuda_set_stream.argtypes = [ctypes.c_void_p]
    return lib


def load(directory):
    lib = load_library(os.path.join(directory, "libcheck.so"))
    with open(os.path.join(directory, "cases.json")) as f:
        cases = [tuple(c) for c in json.load(f)]
    return lib, cases


def device_descriptor(ptr, shape):
    desc = descriptor_type(len(shape))()
    desc.allocated = desc.aligned = ptr
    desc.offset = 0
    stride = 1
    for i in reversed(range(len(shape))):
        desc.sizes[i] = shape[i]
        desc.strides[i] = stride
        stride *= shape[i]
    return desc


def last_error(lib):
    e = lib.softmax_mlir_cuda_last_error()
    return e.decode() if e else None


def run_case(lib, name, op, dt, shape, shift, rng, after_call=None):
    """Runs one case with its output `shift` elements into a fenced buffer
    (`after_call` then, e.g. to wait for a stream); returns a list of
    problems."""
    dtype = DTYPES[dt]
    dim = REDUCED_DIM.get(name, len(shape) - 1)
    n = shape[dim]
    num_rows = int(np.prod(shape)) // n
    rows = make_rows(rng, num_rows, n, dtype, special=True)
    # The rows run along `dim` in the buffer.
    moved_shape = np.moveaxis(np.empty(shape), dim, -1).shape
    x = np.ascontiguousarray(dtype.from_f64(from_rows(rows, moved_shape, dim)))
    size, item = x.size, x.itemsize
    # Device buffers: the input at `shift` elements, the output between
    # guards of sentinel values.
    total = size + 2 * GUARD + shift
    host_out = np.empty(total, dtype=dtype.storage)
    dtype.bits(host_out)[:] = dtype.sentinel_bits
    dx = lib.mgpuMemAlloc((size + shift) * item, None, False)
    dy = lib.mgpuMemAlloc(total * item, None, False)
    if not dx or not dy:
        return ["device allocation failed: %s" % last_error(lib)]
    try:
        lib.mgpuMemcpy(dx + shift * item, x.ctypes.data, size * item, None)
        lib.mgpuMemcpy(dy, host_out.ctypes.data, total * item, None)
        fn = getattr(lib, "_mlir_ciface_" + function_name(name))
        xd = device_descriptor(dx + shift * item, shape)
        yd = device_descriptor(dy + (GUARD + shift) * item, shape)
        fn(ctypes.byref(xd), ctypes.byref(yd))
        if after_call:
            after_call()
        if last_error(lib):
            return ["the call failed: %s" % last_error(lib)]
        lib.mgpuMemcpy(host_out.ctypes.data, dy, total * item, None)
        x_back = np.empty_like(x)
        lib.mgpuMemcpy(x_back.ctypes.data, dx + shift * item, size * item, None)
    finally:
        lib.mgpuMemFree(dx, None)
        lib.mgpuMemFree(dy, None)
    problems = []
    if not np.array_equal(dtype.bits(x_back), dtype.bits(x)):
        problems.append("the input was written")
    guards = np.concatenate([dtype.bits(host_out[: GUARD + shift]), dtype.bits(host_out[-GUARD:])])
    if (guards != dtype.sentinel_bits).any():
        problems.append("memory outside the output was written")
    y = host_out[GUARD + shift : GUARD + shift + size]
    unwritten = (dtype.bits(y) == dtype.sentinel_bits).sum()
    if unwritten:
        problems.append("%d output elements were not written" % unwritten)
    ref = from_rows(reference_rows(rows, op == "log_softmax"), moved_shape, dim)
    ref = np.ascontiguousarray(ref).reshape(-1)
    problems += compare(dtype.to_f64(y), ref, dtype, op == "log_softmax")
    return problems


def run(args):
    lib, cases = load(args.dir)
    if last_error(lib):
        sys.exit("error: the library did not load its kernels: %s" % last_error(lib))
    rng = np.random.default_rng(7)
    failures = 0
    for name, op, dt, shape in cases:
        # Shift 0: 16-byte aligned (vector kernels); 1: one element off
        # (the element-wise fallback).
        for shift in (0, 1):
            problems = run_case(lib, name, op, dt, shape, shift, rng)
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            print("%s %s %s %s shift %d: %s" % (name, op, dt, "x".join(map(str, shape)), shift, status))
            failures += bool(problems)
    # The caller's stream (a non-blocking one: the library's own copies on
    # the legacy stream do not wait for it): calls return once queued, the
    # caller waits for the stream; split rows' workspace on it too.
    cuda = ctypes.CDLL("libcuda.so.1")
    stream = ctypes.c_void_p()
    checks = 2 * len(cases) + len(STREAM_CASES)
    if cuda.cuStreamCreate(ctypes.byref(stream), 1) != 0:
        print("stream: FAIL: cuStreamCreate failed")
        failures += len(STREAM_CASES)
    else:
        lib.softmax_mlir_cuda_set_stream(stream)
        for name, op, dt, shape in (c for c in cases if c[0] in STREAM_CASES):
            problems = run_case(lib, name, op, dt, shape, 0, rng,
                                lambda: cuda.cuStreamSynchronize(stream))
            status = "ok" if not problems else "FAIL: " + "; ".join(problems)
            print("%s on a stream: %s" % (name, status))
            failures += bool(problems)
        lib.softmax_mlir_cuda_set_stream(None)
        cuda.cuStreamDestroy_v2(stream)
    print("%d of %d GPU checks passed" % (checks - failures, checks))
    sys.exit(1 if failures else 0)


def no_driver(args):
    lib, cases = load(args.dir)
    err = last_error(lib)
    if not err or "no CUDA driver" not in err:
        sys.exit("error: expected a 'no CUDA driver' error, got %r" % err)
    name, op, dt, shape = cases[0]
    dtype = DTYPES[dt]
    x = np.ones(shape, dtype=dtype.storage)
    y = np.full(shape, 7, dtype=dtype.storage)
    fn = getattr(lib, "_mlir_ciface_" + name)
    fn(ctypes.byref(device_descriptor(x.ctypes.data, shape)),
       ctypes.byref(device_descriptor(y.ctypes.data, shape)))
    if not (y == 7).all():
        sys.exit("error: the output was written without a driver")
    print("no driver: %s" % err)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["build", "run", "no-driver"])
    parser.add_argument("dir")
    parser.add_argument("--compiler", default="softmax-compile")
    parser.add_argument("--chip", default="sm_90")
    args = parser.parse_args()
    {"build": build, "run": run, "no-driver": no_driver}[args.mode](args)


if __name__ == "__main__":
    main()
