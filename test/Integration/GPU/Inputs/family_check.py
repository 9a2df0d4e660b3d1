"""Builds softmax's relatives for CUDA (the C ABI over device pointers) and
checks them on a GPU against the float64 references of the CPU checks;
times them against PyTorch where it has CUDA (sparsemax, entmax(1.5) and
sparsemax_grad against the entmax package's PyTorch ops, where installed).

Usage:
  family_check.py build DIR --compiler softmax-compile   # any machine
  family_check.py run DIR                                # a machine with a GPU
  family_check.py time DIR                               # a machine with a GPU
  family_check.py cpu DIR --compiler softmax-compile     # any machine

`cpu` compiles the same functions for the host and runs the same checks on
host buffers: the cases, references and bounds checked against the CPU
backend, which shares the GPU's contract.

The cases: softmax_grad, log_softmax_grad (grad_check.py's inputs and
bounds), sparsemax, entmax (alpha 1.5, 1.25, 3) and their gradients
(sparse_check.py's rows: ties, all equal, support 1 and N, huge ranges,
-inf, NaN and +inf rows; exactly the reference's support), cross_entropy
and its gradient (ce_check.py's references: smoothing, ignore_index, a
label outside the classes, a confident row, -inf logits), and masked
softmax / log_softmax (mask_check.py's: i1 and additive masks broadcast
over the leading dims, scale, causal with an offset, fully masked rows):
a warp and a block per row, f32, f16 and bf16, each at a 16-byte aligned
address (vector kernels) and one element off (the element-wise twin),
outputs fenced by guards.
"""

import argparse
import ctypes
import os
import subprocess
import sys
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "CPU", "Inputs"))
sys.path.insert(0, HERE)
import ce_check  # noqa: E402
import grad_check  # noqa: E402
import mask_check  # noqa: E402
import sparse_check  # noqa: E402
from gpu_check import device_descriptor, last_error, load_library  # noqa: E402
from softmax_check import DTYPES, GUARD, build_library, compare, reference_rows  # noqa: E402

# (name, op, dtype, shape, attributes): rows along the innermost dim.
CASES = [
    ("sgrad_warp_f32", "softmax_grad", "f32", (9, 1000), {}),
    ("sgrad_block_bf16", "softmax_grad", "bf16", (5, 4096), {}),
    ("sgrad_odd_f16", "softmax_grad", "f16", (6, 1025), {}),
    ("lgrad_warp_f32", "log_softmax_grad", "f32", (7, 512), {}),
    ("lgrad_block_f32", "log_softmax_grad", "f32", (5, 16384), {}),
    ("sparsemax_warp_f32", "sparsemax", "f32", (10, 1000), {}),
    ("sparsemax_block_f32", "sparsemax", "f32", (10, 8192), {}),
    ("sparsemax_odd_bf16", "sparsemax", "bf16", (10, 3001), {}),
    ("entmax15_warp_f32", "entmax", "f32", (10, 256), {"alpha": 1.5}),
    ("entmax15_block_f16", "entmax", "f16", (10, 4096), {"alpha": 1.5}),
    ("entmax125_f32", "entmax", "f32", (10, 600), {"alpha": 1.25}),
    ("entmax3_bf16", "entmax", "bf16", (10, 2048), {"alpha": 3.0}),
    ("entmax2_f32", "entmax", "f32", (10, 700), {"alpha": 2.0}),
    ("sgrad_sparse_f32", "sparsemax_grad", "f32", (10, 2000), {}),
    ("egrad15_f32", "entmax_grad", "f32", (10, 1000), {"alpha": 1.5}),
    ("egrad125_bf16", "entmax_grad", "bf16", (10, 1500), {"alpha": 1.25}),
    ("ce_warp_f32", "cross_entropy", "f32", (40, 1000),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("ce_block_f32", "cross_entropy", "f32", (12, 16384),
     {"ignore": 3, "smoothing": 0.1, "labels": "i32"}),
    ("ce_vocab_f32", "cross_entropy", "f32", (6, 32000),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("ce_odd_bf16", "cross_entropy", "bf16", (12, 1001),
     {"ignore": -1, "smoothing": 0.25, "labels": "i64"}),
    ("ceg_warp_f32", "cross_entropy_grad", "f32", (40, 1000),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("ceg_block_f16", "cross_entropy_grad", "f16", (12, 8000),
     {"ignore": 3, "smoothing": 0.1, "labels": "i32"}),
    ("mask_i1_f32", "softmax", "f32", (2, 3, 64, 64),
     {"mask": "i1", "mask_shape": (64, 64), "scale": 0.125}),
    ("mask_add_bf16", "log_softmax", "bf16", (4, 8, 2048),
     {"mask": "float", "mask_shape": (8, 2048)}),
    ("mask_causal_f32", "softmax", "f32", (3, 100, 100),
     {"causal": 2, "scale": 2.0}),
    ("mask_row_f16", "softmax", "f16", (2, 6, 5000),
     {"mask": "i1", "mask_shape": (6, 1), "causal": -1}),
]

# Timed by `time`: (op, dtype, shape, attributes), with PyTorch's same op.
TIME_CASES = [
    ("softmax_grad", "f32", (16384, 1024), {}),
    ("softmax_grad", "bf16", (4096, 8192), {}),
    ("log_softmax_grad", "f32", (16384, 1024), {}),
    ("cross_entropy", "f32", (2048, 32000),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("cross_entropy_grad", "f32", (2048, 16384),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("cross_entropy_grad", "bf16", (2048, 16384),
     {"ignore": -100, "smoothing": 0.0, "labels": "i64"}),
    ("softmax", "f16", (4, 16, 1024, 1024),
     {"mask": "i1", "mask_shape": (1024, 1024), "scale": 0.125}),
    ("softmax", "bf16", (4, 16, 1024, 1024), {"causal": 0, "scale": 0.125}),
    ("sparsemax", "f32", (16384, 1024), {}),
    ("entmax", "f32", (16384, 1024), {"alpha": 1.5}),
    ("sparsemax_grad", "f32", (16384, 1024), {}),
]


def tensor(shape, element):
    return "tensor<%s>" % "x".join([str(d) for d in shape] + [element])


def signature(op, dt, shape, attrs):
    """(argument types, result type, the op's line) of a case."""
    t = tensor(shape, dt)
    rows = tensor(shape[:-1], dt)
    dim = len(shape) - 1
    if op in ("softmax_grad", "log_softmax_grad", "sparsemax_grad", "entmax_grad"):
        alpha = " alpha(%r)" % attrs["alpha"] if "alpha" in attrs else ""
        return [t, t], t, "softmax.%s %%a0, %%a1 dim(%d)%s : %s" % (op, dim, alpha, t)
    if op in ("sparsemax", "entmax"):
        alpha = " alpha(%r)" % attrs["alpha"] if "alpha" in attrs else ""
        return [t], t, "softmax.%s %%a0 dim(%d)%s : %s" % (op, dim, alpha, t)
    if op.startswith("cross_entropy"):
        labels = tensor(shape[:-1], attrs["labels"])
        a = "{ignore_index = %d : i64, label_smoothing = %r : f64}" % (
            attrs["ignore"], attrs["smoothing"])
        if op == "cross_entropy":
            return [t, labels], rows, "softmax.cross_entropy %%a0, %%a1 dim(%d) %s : %s, %s -> %s" % (
                dim, a, t, labels, rows)
        return [t, labels, rows], t, (
            "softmax.cross_entropy_grad %%a0, %%a1, %%a2 dim(%d) %s : %s, %s, %s -> %s"
            % (dim, a, t, labels, rows, t))
    # Masked softmax / log_softmax.
    args, mask = [t], ""
    if "mask" in attrs:
        m = tensor(attrs["mask_shape"], "i1" if attrs["mask"] == "i1" else dt)
        args.append(m)
        mask = " mask(%%a1 : %s)" % m
    a = []
    if "scale" in attrs:
        a.append("scale = %r : f64" % attrs["scale"])
    if "causal" in attrs:
        a += ["causal", "causal_offset = %d : i64" % attrs["causal"]]
    return args, t, "softmax.%s %%a0%s dim(%d) {%s} : %s" % (op, mask, dim, ", ".join(a), t)


def function(name, op, dt, shape, attrs):
    args, result, line = signature(op, dt, shape, attrs)
    params = ", ".join("%%a%d: %s" % (i, a) for i, a in enumerate(args))
    return "func.func @%s(%s) -> %s {\n  %%r = %s\n  return %%r : %s\n}\n" % (
        name, params, result, line, result)


def time_name(i):
    return "time%d" % i


def build(args):
    os.makedirs(args.dir, exist_ok=True)
    funcs = [function(*c) for c in CASES]
    funcs += [function(time_name(i), *c) for i, c in enumerate(TIME_CASES)]
    src = os.path.join(args.dir, "family.mlir")
    with open(src, "w") as f:
        f.write("\n".join(funcs))
    subprocess.run(
        [args.compiler, src, "--target=cuda", "--chip=" + args.chip,
         "--emit=shared-lib", "-o", os.path.join(args.dir, "libfamily.so")],
        check=True,
    )
    print("built %d cases and %d timed ones in %s" % (len(CASES), len(TIME_CASES), args.dir))


def load(directory):
    return load_library(os.path.join(directory, "libfamily.so"))


# ---------------------------------------------------------------------------
# Inputs and references (float64, the inputs exactly representable).
# ---------------------------------------------------------------------------


def label_type(name):
    return {"i32": np.int32, "i64": np.int64}[name]


def make_case(rng, op, dt, shape, attrs):
    """(inputs as arrays of their storage types, reference, checker)."""
    dtype = DTYPES[dt]
    n = shape[-1]
    num_rows = int(np.prod(shape)) // n
    store = lambda a: np.ascontiguousarray(dtype.from_f64(a))
    if op in ("softmax_grad", "log_softmax_grad"):
        log = op == "log_softmax_grad"
        y, dy = grad_check.make_inputs(rng, list(shape), len(shape) - 1, dtype, log)
        ref = grad_check.numpy_reference(y, dy, len(shape) - 1, log)
        # The rounding of the terms (exp(y) in f32 for log_softmax_grad;
        # the sums in f64) times what the difference can cancel.
        with np.errstate(all="ignore"):
            p = np.exp(y) if log else np.abs(y)
            s = np.abs(np.nansum(dy if log else dy * y, axis=-1, keepdims=True))
            floor = 2.0**-21 * (p * (np.abs(dy) + s))
        floor = np.where(np.isfinite(floor), floor, 0.0)
        return [store(y), store(dy)], lambda got: compare_close(
            got.reshape(ref.shape), ref, dtype, floor)
    alpha = attrs.get("alpha", 2.0)
    if op in ("sparsemax", "entmax"):
        rows = sparse_check.make_rows(rng, num_rows, n, dtype)
        ref = sparse_check.entmax_rows(rows, alpha)
        return [store(rows.reshape(shape))], lambda got: sparse_check.compare_sparse(
            got.reshape(ref.shape), ref, dtype, alpha, grad=False)
    if op in ("sparsemax_grad", "entmax_grad"):
        rows = sparse_check.make_rows(rng, num_rows, n, dtype)
        y = dtype.to_f64(dtype.from_f64(sparse_check.entmax_rows(rows, alpha)))
        y = np.where(np.isfinite(y), y, 0.0)
        dy = dtype.to_f64(dtype.from_f64(rng.standard_normal(y.shape)))
        support = y > 0
        w = np.where(support, np.where(support, y, 1.0) ** (2.0 - alpha), 0.0)
        q = (w * dy).sum(axis=1, keepdims=True) / np.maximum(
            w.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
        ref = w * (dy - q)
        return [store(y.reshape(shape)), store(dy.reshape(shape))], lambda got: sparse_check.compare_sparse(
            got.reshape(ref.shape), ref, dtype, alpha, grad=True)
    if op.startswith("cross_entropy"):
        x = rng.standard_normal((num_rows, n)) * 3.0
        labels = rng.integers(0, n, num_rows)
        x[0, labels[0]] = 40.0  # a confident prediction: p - 1 ~ e^-40
        x[1, rng.random(n) < 0.3] = -np.inf
        x[1, labels[1]] = 0.5
        labels[2] = attrs["ignore"]
        labels[3] = n  # outside the classes: NaN
        x = dtype.to_f64(dtype.from_f64(x))
        labels = labels.astype(label_type(attrs["labels"]))
        e, ignore = attrs["smoothing"], attrs["ignore"]
        if op == "cross_entropy":
            ref = ce_check.numpy_reference(x, labels, 1, ignore, e)
            # Rows with a finite maximum as log(s) - t[label] with log(s) =
            # log1p(the sum off the maximum + its count - 1): a confident
            # prediction's loss (~e^-40 here) to its last digits, which
            # lse - x[label] in f64 rounds to 0.
            for i, label in enumerate(labels):
                m = x[i].max()
                if 0 <= label < n and label != ignore and np.isfinite(m):
                    t = np.where(x[i] == m, 0.0, x[i] - m)
                    at = x[i] == m
                    log_s = np.log1p((at.sum() - 1.0) + np.exp(t[~at]).sum())
                    ref[i] = (1 - e) * (log_s - t[label])
                    if e:
                        ref[i] += e * (log_s - t.mean())
            inputs = [store(x.reshape(shape)), labels.reshape(shape[:-1])]
            return inputs, lambda got: compare_close(got.reshape(-1), ref, dtype, 0.0)
        dloss = dtype.to_f64(dtype.from_f64(rng.standard_normal(num_rows)))
        ref = ce_check.numpy_grad_reference(x, labels, dloss, 1, ignore, e)
        # p - 1 at a label that is the maximum, without f64's cancellation
        # (-(sum of the others) / sum).
        for i, label in enumerate(labels):
            if 0 <= label < n and label != ignore and x[i, label] == x[i].max() \
                    and np.isfinite(x[i, label]):
                t = np.where(x[i] == x[i, label], 0.0, x[i] - x[i, label])
                others = np.exp(np.delete(t, label)).sum()
                ref[i, label] = (-others / (1.0 + others) + e - e / n) * dloss[i]
        inputs = [store(x.reshape(shape)), labels.reshape(shape[:-1]),
                  store(dloss.reshape(shape[:-1]))]
        # p - e / N cancels where p is near it: f32 math is within a few ulps
        # of p and of the target.
        floor = 4e-7 * (np.abs(ref) + e / n + np.abs(dloss)[:, None] * e / n)
        return inputs, lambda got: compare_close(got.reshape(ref.shape), ref, dtype, floor)
    # Masked softmax / log_softmax.
    log = op == "log_softmax"
    x = rng.standard_normal(shape) * 3.0
    x = dtype.to_f64(dtype.from_f64(x))
    kind = attrs.get("mask")
    mask = None
    inputs = [store(x)]
    if kind:
        mask = mask_check.make_mask(rng, attrs["mask_shape"], kind, dtype)
        if kind == "i1":
            inputs.append(np.ascontiguousarray(mask.astype(np.bool_)))
        else:
            inputs.append(store(mask))
            mask = dtype.to_f64(dtype.from_f64(mask))
    z = mask_check.masked_input(x, mask, kind, attrs.get("scale"), attrs.get("causal"), dtype)
    ref = reference_rows(z.reshape(-1, n), log)
    return inputs, lambda got: compare(got.reshape(-1), ref.reshape(-1), dtype, log)


def compare_close(got, ref, dtype, floor):
    problems = []
    nan = np.isnan(ref)
    if (np.isnan(got) != nan).any():
        problems.append("NaN mismatch at %d elements" % (np.isnan(got) != nan).sum())
    # Infinities exactly.
    inf = np.isinf(ref)
    if (got[inf] != ref[inf]).any():
        problems.append("infinity mismatch")
    floor = np.broadcast_to(floor, ref.shape)
    fin = ~nan & ~inf
    g, r, fl = got[fin], ref[fin], floor[fin]
    if dtype.name == "f32":
        # (and an ulp of the subnormals)
        tol = 1e-5 * np.abs(r) + fl + 2.0**-149
    else:
        tol = 2 * dtype.ulp(r) + 2 * fl + 2.0**-14
    bad = ~(np.abs(g - r) <= tol)
    if bad.any():
        j = np.argmax(np.where(bad, np.abs(g - r) - tol, -np.inf))
        problems.append("%d elements off; worst got %r, want %r" % (bad.sum(), g[j], r[j]))
    return problems


# ---------------------------------------------------------------------------
# Device buffers and calls.
# ---------------------------------------------------------------------------


class Device:
    def __init__(self, lib):
        self.lib = lib
        self.buffers = []
        # Host memory instead (the `cpu` mode): keeps the arrays alive.
        self.host = lib is None

    def alloc(self, nbytes):
        if self.host:
            array = np.empty(max(nbytes, 1), dtype=np.uint8)
            self.buffers.append(array)
            return array.ctypes.data
        ptr = self.lib.mgpuMemAlloc(max(nbytes, 1), None, False)
        if not ptr:
            raise RuntimeError("device allocation failed: %s" % last_error(self.lib))
        self.buffers.append(ptr)
        return ptr

    def put(self, array, shift=0):
        """A device copy of `array` `shift` elements into its buffer."""
        item = array.itemsize
        ptr = self.alloc((array.size + shift) * item)
        self.copy(ptr + shift * item, array.ctypes.data, array.nbytes)
        return ptr + shift * item

    def get(self, ptr, like):
        out = np.empty_like(like)
        self.copy(out.ctypes.data, ptr, out.nbytes)
        return out

    def copy(self, to, src, nbytes):
        if self.host:
            ctypes.memmove(to, src, nbytes)
        else:
            self.lib.mgpuMemcpy(to, src, nbytes, None)

    def free(self):
        if not self.host:
            for ptr in self.buffers:
                self.lib.mgpuMemFree(ptr, None)
        self.buffers = []


def output_shape(op, shape):
    return shape[:-1] if op == "cross_entropy" else shape


def run_case(lib, name, op, dt, shape, attrs, shift, rng, host_lib=None):
    """Checks one case on the device (or, with `host_lib`, the host)."""
    dtype = DTYPES[dt]
    inputs, check = make_case(rng, op, dt, shape, attrs)
    out_shape = output_shape(op, shape)
    size = int(np.prod(out_shape))
    device = Device(None if host_lib else lib)
    lib = host_lib or lib
    try:
        # Buffers of rows `shift` elements off 16 bytes; the others aligned.
        pointers = [device.put(a, shift if a.shape == tuple(shape) else 0) for a in inputs]
        fence = np.empty(size + 2 * GUARD + shift, dtype=dtype.storage)
        dtype.bits(fence)[:] = dtype.sentinel_bits
        out = device.put(fence)
        descriptors = [device_descriptor(p, a.shape) for p, a in zip(pointers, inputs)]
        descriptors.append(device_descriptor(out + (GUARD + shift) * fence.itemsize, out_shape))
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        fn(*[ctypes.byref(d) for d in descriptors])
        if not host_lib and last_error(lib):
            return ["the call failed: %s" % last_error(lib)]
        back = device.get(out, fence)
        inputs_back = [device.get(p, a) for p, a in zip(pointers, inputs)]
    finally:
        device.free()
    problems = []
    if any(a.tobytes() != b.tobytes() for a, b in zip(inputs, inputs_back)):
        problems.append("an input was written")
    guards = np.concatenate([dtype.bits(back[: GUARD + shift]), dtype.bits(back[-GUARD:])])
    if (guards != dtype.sentinel_bits).any():
        problems.append("memory outside the output was written")
    y = back[GUARD + shift : GUARD + shift + size]
    if (dtype.bits(y) == dtype.sentinel_bits).any():
        problems.append("%d output elements were not written"
                        % (dtype.bits(y) == dtype.sentinel_bits).sum())
    with np.errstate(all="ignore"):
        problems += check(dtype.to_f64(y))
    return problems


def run(args):
    host_lib = None
    if args.mode == "cpu":
        lib = host_lib = build_library(args.compiler, os.path.join(args.dir, "family_cpu"),
                                       "\n".join(function(*c) for c in CASES))
    else:
        lib = load(args.dir)
        if last_error(lib):
            sys.exit("error: the library did not load its kernels: %s" % last_error(lib))
    rng = np.random.default_rng(5)
    failures = checks = 0
    for name, op, dt, shape, attrs in CASES:
        for shift in (0, 1):
            problems = run_case(lib, name, op, dt, shape, attrs, shift, rng, host_lib)
            checks += 1
            failures += bool(problems)
            print("%s %s %s %s shift %d: %s" % (
                name, op, dt, "x".join(map(str, shape)), shift,
                "ok" if not problems else "FAIL: " + "; ".join(problems)))
    print("%d of %d %s family checks passed" % (
        checks - failures, checks, "CPU" if host_lib else "GPU"))
    sys.exit(1 if failures else 0)


# ---------------------------------------------------------------------------
# Timing (CUDA events through the driver API), against PyTorch.
# ---------------------------------------------------------------------------


def moved_bytes(op, shape, attrs, item):
    n = int(np.prod(shape))
    rows = n // shape[-1]
    if op in ("softmax_grad", "log_softmax_grad", "sparsemax_grad", "entmax_grad"):
        return 3 * n * item
    if op == "cross_entropy":
        return n * item + rows * 8 + rows * item
    if op == "cross_entropy_grad":
        return 2 * n * item + rows * (8 + item)
    extra = 0
    if "mask" in attrs:
        extra = int(np.prod(attrs["mask_shape"])) * (1 if attrs["mask"] == "i1" else item)
    return 2 * n * item + extra


def torch_call(op, dt, shape, attrs):
    """A PyTorch callable computing the same on CUDA tensors, or None."""
    try:
        import torch
        import torch.nn.functional as F
    except ImportError:
        return None
    if not torch.cuda.is_available():
        return None
    tdt = {"f32": torch.float32, "f16": torch.float16, "bf16": torch.bfloat16}[dt]
    x = torch.randn(*shape, device="cuda", dtype=tdt)
    dim = len(shape) - 1
    if op in ("softmax_grad", "log_softmax_grad"):
        y = torch.softmax(x, dim) if op == "softmax_grad" else torch.log_softmax(x, dim)
        dy = torch.randn_like(x)
        fn = torch._softmax_backward_data if op == "softmax_grad" else torch._log_softmax_backward_data
        return lambda: fn(dy, y, dim, tdt)
    if op.startswith("cross_entropy"):
        labels = torch.randint(0, shape[-1], shape[:-1], device="cuda")
        if op == "cross_entropy":
            return lambda: F.cross_entropy(x, labels, reduction="none")
        xg = x.detach().requires_grad_()
        dloss = torch.randn(shape[:-1], device="cuda", dtype=tdt)
        loss = F.cross_entropy(xg, labels, reduction="none")
        return lambda: torch.autograd.grad(loss, xg, dloss, retain_graph=True)
    if op in ("softmax", "log_softmax"):
        def masked():
            z = x * attrs.get("scale", 1.0)
            if "mask" in attrs:
                z = z.masked_fill(~keep, float("-inf"))
            if "causal" in attrs:
                z = z.masked_fill(~causal, float("-inf"))
            return torch.softmax(z, dim)
        if "mask" in attrs:
            keep = torch.rand(*attrs["mask_shape"], device="cuda") < 0.7
        if "causal" in attrs:
            causal = torch.ones(shape[-2], shape[-1], device="cuda", dtype=torch.bool).tril(
                attrs["causal"])
        return masked
    # The entmax package (PyTorch ops: sorts or bisection) where installed.
    try:
        import entmax
    except ImportError:
        return None
    if op == "sparsemax":
        return lambda: entmax.sparsemax(x, dim)
    if op == "entmax" and attrs.get("alpha") == 1.5:
        return lambda: entmax.entmax15(x, dim)
    if op == "sparsemax_grad":
        xg = x.detach().requires_grad_()
        y = entmax.sparsemax(xg, dim)
        dy = torch.randn_like(x)
        return lambda: torch.autograd.grad(y, xg, dy, retain_graph=True)
    return None


def peer_name(op):
    """Who torch_call's callable is."""
    return "entmax" if op.startswith(("sparsemax", "entmax")) else "torch"


def time_ms(fn, sync, reps=20):
    fn()
    sync()
    best = float("inf")
    for _ in range(reps):
        start = time.perf_counter()
        fn()
        sync()
        best = min(best, time.perf_counter() - start)
    return best * 1e3


def time_all(args):
    lib = load(args.dir)
    if last_error(lib):
        sys.exit("error: the library did not load its kernels: %s" % last_error(lib))
    cuda = ctypes.CDLL("libcuda.so.1")
    sync = lambda: cuda.cuCtxSynchronize()
    try:
        import torch
        torch_sync = torch.cuda.synchronize if torch.cuda.is_available() else None
    except ImportError:
        torch_sync = None
    rng = np.random.default_rng(1)
    lines = ["op | dtype | shape | ours ms | ours GB/s | peer | peer ms | ours / peer speed",
             "---|---|---|---|---|---|---|---"]
    for i, (op, dt, shape, attrs) in enumerate(TIME_CASES):
        dtype = DTYPES[dt]
        device = Device(lib)
        try:
            out_shape = output_shape(op, shape)
            args_, _, _ = signature(op, dt, shape, attrs)
            arrays = []
            for a in args_:
                dims = [int(d) for d in a[len("tensor<"):-1].split("x")[:-1]]
                element = a[:-1].split("x")[-1]
                if element in ("i32", "i64"):
                    arrays.append(rng.integers(0, shape[-1], dims).astype(label_type(element)))
                elif element == "i1":
                    arrays.append(rng.random(dims) < 0.7)
                else:
                    arrays.append(np.ascontiguousarray(
                        dtype.from_f64(rng.standard_normal(dims).clip(-4, 4) / 8 + 0.01)))
            pointers = [device.put(a) for a in arrays]
            out = device.alloc(int(np.prod(out_shape)) * np.dtype(dtype.storage).itemsize)
            descriptors = [device_descriptor(p, a.shape) for p, a in zip(pointers, arrays)]
            descriptors.append(device_descriptor(out, out_shape))
            fn = getattr(lib, "_mlir_ciface_" + time_name(i))
            fn.restype = None
            refs = [ctypes.byref(d) for d in descriptors]
            ours = time_ms(lambda: fn(*refs), sync)
            if last_error(lib):
                lines.append("%s | %s | %s | error: %s" % (op, dt, shape, last_error(lib)))
                continue
        finally:
            device.free()
        gbs = moved_bytes(op, shape, attrs, np.dtype(dtype.storage).itemsize) / ours / 1e6
        peer = torch_call(op, dt, shape, attrs) if torch_sync else None
        theirs = time_ms(peer, torch_sync) if peer else None
        lines.append("%s%s | %s | %s | %.3f | %.0f | %s | %s | %s" % (
            op, "" if not attrs.get("alpha") else "(%g)" % attrs["alpha"], dt,
            "x".join(map(str, shape)), ours, gbs, peer_name(op) if theirs else "-",
            "%.3f" % theirs if theirs else "-",
            "%.2fx" % (theirs / ours) if theirs else "-"))
    text = "\n".join(lines)
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text + "\n")


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("mode", choices=["build", "run", "time", "cpu"])
    parser.add_argument("dir")
    parser.add_argument("--compiler", default="softmax-compile")
    parser.add_argument("--chip", default="sm_90")
    parser.add_argument("--out", help="time: also write the table here")
    args = parser.parse_args()
    {"build": build, "run": run, "time": time_all, "cpu": run}[args.mode](args)


if __name__ == "__main__":
    main()
