"""The numerics torture suite: every op of the family on every hard row.

Compiles each op of a group (forward: softmax and log_softmax, plain, scaled
and masked; sparse: sparsemax and entmax; grad: the four gradients; ce:
cross_entropy and its gradient) for rows of 1, 2, 15, 16, 17, 1023, 1024,
1025 and 65537 elements, runs them through the shared-library C ABI on the
rows of HARD_ROWS (all equal, one-hot, near +-max, subnormals, signed zeros,
-inf mixed with finite, all -inf, NaN anywhere, +inf once and several
times, ...), and compares every output with the float64 reference of the
semantics docs/numerics.md documents. Each length is compiled with a static
shape; 1025 and 65537 also through a dynamic [?, ?] function called one row
at a time (few rows: the split-row form on several threads).

Usage: torture_check.py --compiler softmax-compile --dtype f32 --group forward
                        --workdir DIR [--flags=...] [--tag T]
       torture_check.py --target cuda --mode build|run ... (the GPU)

Prints a FAIL line per wrong (op, length, row) and one summary line; exits
non-zero on any failure.

With `--target cuda` the functions compile for the GPU (`--target=cuda
--chip=CHIP`, `--chip` default sm_90: the C ABI over device pointers) and run on device buffers,
outputs fenced by guards there too: `--mode build` (any machine) compiles
the library and writes which functions it holds (those the GPU lowering
rejects, e.g. a relative's row longer than a block holds or a shape known
at run time, are left out with the compiler's reason, listed in the
summary); `--mode run` (a machine with a GPU) runs them. The inputs come
from the same seeds on both machines.
"""

import argparse
import ctypes
import json
import os
import re
import subprocess
import sys

import numpy as np

from grad_check import compare_grad, compare_with_slack
from softmax_check import (DTYPES, GUARD, build_library, call_fenced, check_row_sums, compare,
                           descriptor, reference_rows)
from sparse_check import compare_sparse, entmax_rows, sparsemax_rows

LENGTHS = [1, 2, 15, 16, 17, 1023, 1024, 1025, 65537]
DYNAMIC_LENGTHS = [1025, 65537]  # Also run one row at a time through [?, ?].
# Zero-sized dims, static and through [?, ?]: empty outputs (nothing
# written), and a loss per row of no classes (NaN, 0 at ignore_index).
ZERO_SHAPES = [(0, 8), (3, 0), (0, 0)]

# Largest finite value and smallest subnormal of each element type.
LIMITS = {
    "f32": (float(np.finfo(np.float32).max), 2.0**-149),
    "f64": (float(np.finfo(np.float64).max), 2.0**-1074),
    "f16": (65504.0, 2.0**-24),
    "bf16": (float.fromhex("0x1.fep127"), 2.0**-133),
}


def hard_rows(n, dtype, rng):
    """[(name, row)]: float64 rows of n elements, exactly representable in
    `dtype`; the names are the ones docs/numerics.md uses."""
    big, tiny = LIMITS[dtype.name]
    at = lambda k: k % n

    def random():
        return rng.standard_normal(n) * 4.0

    def put(row, pairs):
        for k, v in pairs:
            row[at(k)] = v
        return row

    # Far enough down that exp underflows through the subnormals to zero.
    depth = -np.log(tiny) + 10.0
    rows = [
        ("random", random()),
        ("all equal", np.full(n, 0.75)),
        ("all equal +max", np.full(n, big)),
        ("all equal -max", np.full(n, -big)),
        ("one-hot", put(np.zeros(n), [(n // 2, 1.0)])),
        ("one dominant", put(np.full(n, -30.0), [(3, 30.0)])),
        ("near +max", big * (1.0 - rng.random(n) * 1e-2)),
        ("+max and -max", rng.choice([-big, big], n)),
        ("subnormal inputs", rng.integers(0, 64, n) * tiny),
        ("subnormal outputs", -np.linspace(0.0, depth, n)),
        ("signed zeros", np.where(np.arange(n) % 2 == 1, -0.0, 0.0)),
        ("-inf mixed", put(np.where(rng.random(n) < 0.4, -np.inf, random()), [(1, 2.0)])),
        ("all -inf", np.full(n, -np.inf)),
        ("NaN first", put(random(), [(0, np.nan)])),
        ("NaN last", put(random(), [(n - 1, np.nan)])),
        ("NaN among -inf", put(np.full(n, -np.inf), [(n // 2, np.nan)])),
        ("+inf once", put(random(), [(n // 3, np.inf)])),
        ("+inf several", put(random(), [(0, np.inf), (n // 2, np.inf), (n - 1, np.inf)])),
        ("+inf among -inf", put(np.full(n, -np.inf), [(n // 2, np.inf)])),
        ("+inf and +max", put(np.full(n, big), [(2, np.inf)])),
        ("+inf and NaN", put(random(), [(0, np.inf), (n - 1, np.nan)])),
    ]
    return [(name, dtype.to_f64(dtype.from_f64(row))) for name, row in rows]


# ---------------------------------------------------------------------------
# The ops of each group: how to spell them and their reference.
# ---------------------------------------------------------------------------


def infinities_first(compare):
    """`compare` after checking the reference's infinities exactly: where
    the reference (rounded to the output type) is +-inf the output must be
    the same infinity; those elements are then left out (as 0)."""
    def check(got, ref, inputs, dtype):
        rounded = dtype.to_f64(dtype.from_f64(ref))
        inf = np.isinf(rounded)
        problems = []
        if (got[inf] != rounded[inf]).any():
            problems.append("infinity mismatch at %d elements" % (got[inf] != rounded[inf]).sum())
        got, ref = np.where(inf, 0.0, got), np.where(inf, 0.0, ref)
        return problems + compare(got, ref, inputs, dtype)
    return check


def within(slack, compare):
    """`compare` after accepting outputs within `slack(ref, inputs, dtype)`
    of the reference (set to it): what sums over a row lose besides the
    tolerance of `compare`."""
    def check(got, ref, inputs, dtype):
        close = np.abs(got - ref) <= slack(ref, inputs, dtype)
        return compare(np.where(close, ref, got), ref, inputs, dtype)
    return check


def f64_row_sums(ref, inputs, dtype):
    """f64 sums over a row of n entries: n ulps of the row's largest finite
    input (for a gradient, of dy; the weights are at most 1)."""
    if dtype.name != "f64":
        return 0.0
    source = np.abs(inputs[-1])
    big = np.max(np.where(np.isfinite(source), source, 0.0), axis=1, keepdims=True)
    return ref.shape[1] * 2.0**-53 * np.maximum(big, np.abs(ref))


def flushed_subnormals(ref, inputs, dtype):
    """f32, bf16: a probability below the smallest normal f32 (2^-126) may
    come out as 0 (the f32 exponential flushes its subnormal results)."""
    return 2.0**-126 if dtype.name in ("f32", "bf16") else 0.0


class Op:
    """One op of a group. `operands(rows, rng)` gives the float64 inputs
    (first the op's row input, then the others, all [rows, n] or [rows])
    and `reference(inputs, dtype)` the float64 output."""

    def __init__(self, name, body, extra_types, reference, compare, operands=None,
                 result="rows"):
        self.name = name
        self.body = body  # MLIR body; %x is the first operand, %a.. the others.
        self.extra_types = extra_types  # Element types of the other operands.
        self.reference = reference
        self.compare = infinities_first(compare)
        self.operands = operands or (lambda rows, rng: [rows])
        self.result = result  # "rows" ([rows, n]) or "loss" ([rows]).


def in_compute_type(values, dtype):
    """`values` rounded to the type the op computes in: f64 for f64, else
    f32 (beyond its range: +-inf)."""
    return values if dtype.name == "f64" else values.astype(np.float32).astype(np.float64)


def masked(rows, keep):
    return np.where(keep, rows, -np.inf)


def random_mask(rows, rng):
    """Keeps about 70% of each row, none of every fourth row."""
    keep = rng.random(rows.shape) < 0.7
    keep[::4] = False
    return keep


def dense_forward_ops():
    def dense(log):
        def check(got, ref, inputs, dtype):
            problems = compare(got, ref, dtype, log)
            return problems if log else problems + check_row_sums(got, ref, dtype)
        return check if log else within(flushed_subnormals, check)

    ops = []
    for log in (False, True):
        name = "log_softmax" if log else "softmax"
        ops.append(Op(name, "softmax.%s %%x dim(1) : {X}" % name, [],
                      lambda i, dt, log=log: reference_rows(i[0], log), dense(log)))
        # Scaled in the compute type (f32 for f16, bf16 and f32): near the
        # largest f32, x * 3 overflows to +-inf, whose rules then apply.
        scale = 3.0 if log else 0.5
        ops.append(Op("%s scale=%g" % (name, scale),
                      "softmax.%s %%x dim(1) {scale = %r : f64} : {X}" % (name, scale), [],
                      lambda i, dt, log=log, s=scale:
                          reference_rows(in_compute_type(i[0] * s, dt), log),
                      dense(log)))
        # An i1 mask: masked elements take no part, whatever their value.
        ops.append(Op("%s mask" % name,
                      "softmax.%s %%x mask(%%a : {A}) dim(1) : {X}" % name, ["i1"],
                      lambda i, dt, log=log: reference_rows(masked(i[0], i[1]), log), dense(log),
                      operands=lambda rows, rng: [rows, random_mask(rows, rng)]))
    return ops


def sparse_ops():
    ops = [Op("sparsemax", "softmax.sparsemax %x dim(1) : {X}", [],
              lambda i, dt: sparsemax_rows(i[0]),
              within(f64_row_sums, lambda got, ref, inputs, dtype:
                     compare_sparse(got, ref, dtype, None, False)))]
    for alpha in (1.5, 1.25):
        ops.append(Op("entmax alpha=%g" % alpha,
                      "softmax.entmax %%x dim(1) alpha(%r) : {X}" % alpha, [],
                      lambda i, dt, a=alpha: entmax_rows(i[0], a),
                      within(f64_row_sums, lambda got, ref, inputs, dtype, a=alpha:
                             compare_sparse(got, ref, dtype, a, False))))
    return ops


def output_grads(rows, rng):
    """dy rows cycling through random, NaN, +inf, huge, subnormal and
    signed-zero gradients."""
    n = rows.shape[1]
    dy = rng.standard_normal(rows.shape)
    for r in range(rows.shape[0]):
        kind = r % 6
        if kind == 1:
            dy[r, (r * 7) % n] = np.nan
        elif kind == 2:
            dy[r, (r * 5) % n] = np.inf
        elif kind == 3:
            dy[r] *= 1.0e30
        elif kind == 4:
            dy[r] *= 2.0**-140
        elif kind == 5:
            dy[r] = np.where(np.arange(n) % 2 == 1, -0.0, 0.0)
    return dy


def sparse_grad_reference(y, dy, exponent):
    """The support's weights g = y^(2 - alpha) (1 for sparsemax), 0 off the
    support, NaN where y is NaN; dx = g (dy - sum(g dy) / sum(g)) on the
    support (and where y is NaN), 0 off it whatever dy holds there."""
    nan = np.isnan(y)
    support = (y > 0) | nan
    g = np.where(support, np.where(y > 0, y, 1.0) ** exponent, 0.0)
    g = np.where(nan, np.nan, g)
    gdy = np.where(support, g * dy, 0.0)
    q = gdy.sum(axis=1, keepdims=True) / g.sum(axis=1, keepdims=True)
    return np.where(support, g * (dy - q), 0.0)


def grad_ops():
    ops = []
    for log in (False, True):
        name = "log_softmax_grad" if log else "softmax_grad"
        ref = ((lambda i, dt: i[1] - np.exp(i[0]) * i[1].sum(axis=1, keepdims=True)) if log else
               (lambda i, dt: i[0] * (i[1] - (i[1] * i[0]).sum(axis=1, keepdims=True))))
        ops.append(Op(name, "softmax.%s %%x, %%a dim(1) : {X}" % name, ["{T}"], ref,
                      lambda got, r, inputs, dtype, log=log:
                          compare_grad(got, r, inputs[0], inputs[1], 1, dtype, log),
                      operands=lambda rows, rng, log=log: [reference_rows(rows, log),
                                                           output_grads(rows, rng)]))
    for alpha, forward in ((None, sparsemax_rows), (1.5, lambda r: entmax_rows(r, 1.5))):
        name = "sparsemax_grad" if alpha is None else "entmax_grad alpha=%g" % alpha
        attr = "" if alpha is None else " alpha(%r)" % alpha
        exponent = 0.0 if alpha is None else 2.0 - alpha
        op = "sparsemax_grad" if alpha is None else "entmax_grad"
        ops.append(Op(name, "softmax.%s %%x, %%a dim(1)%s : {X}" % (op, attr), ["{T}"],
                      lambda i, dt, e=exponent: sparse_grad_reference(i[0], i[1], e),
                      within(f64_row_sums, lambda got, r, inputs, dtype, a=alpha:
                             compare_sparse(got, r, dtype, a, True)),
                      operands=lambda rows, rng, f=forward: [f(rows), output_grads(rows, rng)]))
    return ops


IGNORE = -100


def labels_for(rows, rng):
    """A label per row: in range, except every fifth row ignore_index and
    the row after it one past the classes."""
    num_rows, n = rows.shape
    labels = rng.integers(0, n, num_rows)
    labels[::5] = IGNORE
    labels[1::5] = n
    return labels


def ce_reference(x, labels, smoothing, dtype):
    """-(1 - eps) log_softmax(x)[label] - eps mean(log_softmax(x)), from the
    log_softmax contract; 0 for ignore_index, NaN for a label outside the
    classes. The mean sums x - max(x) in the compute type: that of a bf16
    row spanning more than the largest f32 overflows to -inf."""
    lsm = reference_rows(x, True)
    n = x.shape[1]
    ok = (labels >= 0) & (labels < n)
    picked = lsm[np.arange(x.shape[0]), np.clip(labels, 0, n - 1)]
    loss = -picked
    if smoothing:
        mean = lsm.mean(axis=1)
        if dtype.name == "bf16":
            t = in_compute_type(x - x.max(axis=1, keepdims=True), dtype)
            mean[(np.isinf(t) & np.isfinite(x)).any(axis=1)] = -np.inf
        loss = (1.0 - smoothing) * loss - smoothing * mean
    loss = np.where(ok, loss, np.nan)
    return np.where(labels == IGNORE, 0.0, loss)


def ce_grad_reference(x, labels, dloss, smoothing):
    """(softmax(x) - target) dloss, target the smoothed one-hot; 0 for
    ignore_index rows, NaN for labels outside the classes."""
    p = reference_rows(x, False)
    n = x.shape[1]
    ok = (labels >= 0) & (labels < n)
    target = np.full_like(p, smoothing / n)
    target[np.arange(x.shape[0])[ok], labels[ok]] += 1.0 - smoothing
    dx = (p - target) * dloss[:, None]
    dx[~ok] = np.nan
    dx[labels == IGNORE] = 0.0
    return dx


# A few ulps of the computation: f64 sums for f32 (the exponentials of its
# row sum in f32), f32 for f16 and bf16.
COMPUTE_EPS = {"f32": 2.0**-22, "f64": 2.0**-48, "f16": 2.0**-20, "bf16": 2.0**-20}


def loss_slack(x, dtype):
    """The loss is log(s) - (x[label] - max): a few ulps (of the sums' type)
    of the row's largest finite magnitude, and for f32 those of the f32
    exponentials summed into s."""
    ax = np.abs(x)
    big = np.max(np.where(np.isfinite(ax), ax, 0.0), axis=1) + 1.0
    if dtype.name == "f32":
        return 2.0**-48 * big + COMPUTE_EPS["f32"]
    return COMPUTE_EPS[dtype.name] * big


def grad_slack(x, dloss, smoothing, dtype):
    """dx = (p - target) dloss: a few ulps of p and of the target, times
    |dloss|."""
    p = np.nan_to_num(reference_rows(x, False))
    return COMPUTE_EPS[dtype.name] * (p + 1e-30 + smoothing) * np.abs(dloss)[:, None]


def ce_ops():
    ops = []
    for smoothing in (0.0, 0.1):
        attrs = "{ignore_index = %d : i64, label_smoothing = %r : f64}" % (IGNORE, smoothing)
        ops.append(Op("cross_entropy smoothing=%g" % smoothing,
                      "softmax.cross_entropy %%x, %%a dim(1) %s : {X}, {A} -> {L}" % attrs,
                      ["i64"], lambda i, dt, s=smoothing: ce_reference(i[0], i[1], s, dt),
                      lambda got, ref, i, dtype: compare_with_slack(
                          got, ref, loss_slack(i[0], dtype), dtype),
                      operands=lambda rows, rng: [rows, labels_for(rows, rng)], result="loss"))
        ops.append(Op("cross_entropy_grad smoothing=%g" % smoothing,
                      "softmax.cross_entropy_grad %%x, %%a, %%b dim(1) %s : {X}, {A}, {B} -> {X}"
                      % attrs,
                      ["i64", "{L}"],
                      lambda i, dt, s=smoothing: ce_grad_reference(i[0], i[1], i[2], s),
                      lambda got, ref, i, dtype, s=smoothing: compare_with_slack(
                          got, ref, grad_slack(i[0], i[2], s, dtype), dtype),
                      operands=lambda rows, rng: [rows, labels_for(rows, rng),
                                                  rng.standard_normal(rows.shape[0]) * 2.0]))
    return ops


GROUPS = {"forward": dense_forward_ops, "sparse": sparse_ops, "grad": grad_ops, "ce": ce_ops}

# ---------------------------------------------------------------------------
# Building and running.
# ---------------------------------------------------------------------------


def function(name, op, dims, dtype):
    """The MLIR function @name applying `op` to [dims] operands."""
    rows, n = dims
    types = {
        "X": "tensor<%sx%sx%s>" % (rows, n, dtype.name),
        "L": "tensor<%sx%s>" % (rows, dtype.name),
        "T": dtype.name,
    }
    extra = []
    for kind in op.extra_types:
        kind = kind.format(**types)
        if kind == "i64":
            extra.append("tensor<%sxi64>" % rows)
        elif kind.startswith("tensor"):
            extra.append(kind)
        else:
            extra.append("tensor<%sx%sx%s>" % (rows, n, kind))
    types.update({"AB"[k]: t for k, t in enumerate(extra)})
    args = ["%%x: %s" % types["X"]] + ["%%%s: %s" % ("ab"[k], t) for k, t in enumerate(extra)]
    result = types["X"] if op.result == "rows" else types["L"]
    body = op.body.replace("{X}", types["X"]).replace("{L}", types["L"])
    body = body.replace("{A}", types.get("A", "")).replace("{B}", types.get("B", ""))
    return ("func.func @%s(%s) -> %s {\n  %%y = %s\n  return %%y : %s\n}\n"
            % (name, ", ".join(args), result, body, result))


def to_storage(array, kind, dtype):
    if kind == "i1":
        return np.ascontiguousarray(array.astype(np.bool_))
    if kind == "i64":
        return np.ascontiguousarray(array.astype(np.int64))
    return np.ascontiguousarray(dtype.from_f64(array))


def zero_sized_call(fn, op, shape, dtype, caller=call_fenced):
    """Problems with `op` on operands of `shape` with a zero-sized dim."""
    rows = np.zeros(shape)
    inputs = [rows]
    for kind in op.extra_types:
        if kind == "i64":
            inputs.append(np.resize(np.array([IGNORE, 0, 1]), shape[0]))
        elif kind == "{L}":
            inputs.append(np.ones(shape[0]))
        else:
            inputs.append(np.zeros(shape))
    kinds = ["{T}"] + op.extra_types
    arrays = [to_storage(a, kind, dtype) for a, kind in zip(inputs, kinds)]
    if op.result == "rows":
        want = np.zeros(shape)
    else:  # Every label lies outside [0, 0) classes; ignore_index gives 0.
        want = np.where(inputs[1] == IGNORE, 0.0, np.nan) if shape[1] == 0 else np.zeros(0)
    out, problems = caller(fn, arrays, want.shape, dtype)
    got = dtype.to_f64(out)
    if (np.isnan(got) != np.isnan(want)).any() or (got[~np.isnan(want)] != 0).any():
        problems.append("got %r, want %r" % (got, want))
    return problems


def plan(args):
    """(dtype, ops, functions, source-by-symbol): functions are (symbol, op
    index, length, dynamic)."""
    dtype = DTYPES[args.dtype]
    ops = GROUPS[args.group]()
    functions = []  # (symbol, op index, length, dynamic)
    for k, op in enumerate(ops):
        for n in LENGTHS:
            functions.append(("op%d_n%d" % (k, n), k, n, False))
        functions.append(("op%d_dyn" % k, k, None, True))
    num_rows = len(hard_rows(1, dtype, np.random.default_rng(0)))
    sources = {sym: function(sym, ops[k], ("?", "?") if dyn else (num_rows, n), dtype)
               for sym, k, n, dyn in functions}
    for k, op in enumerate(ops):
        for z, shape in enumerate(ZERO_SHAPES):
            sources["op%d_zero%d" % (k, z)] = function("op%d_zero%d" % (k, z), op, shape, dtype)
    return dtype, ops, functions, sources


def stem_of(args, dtype):
    return os.path.join(args.workdir, "torture_%s_%s%s%s" % (
        args.group, dtype.name, "_cuda" if args.target == "cuda" else "", args.tag))


def build_cuda(args):
    """Compiles the functions the GPU lowering takes into STEM.so; writes
    STEM.json: {"kept": [...], "left_out": {symbol: reason}}."""
    dtype, ops, functions, sources = plan(args)
    stem = stem_of(args, dtype)
    os.makedirs(args.workdir, exist_ok=True)
    kept = list(sources)
    left_out = {}
    while kept:
        text = "\n".join(sources[sym] for sym in kept)
        with open(stem + ".mlir", "w") as f:
            f.write(text)
        done = subprocess.run(
            [args.compiler, stem + ".mlir", "-o", stem + ".so", "--emit=shared-lib",
             "--target=cuda", "--chip=" + args.chip] + args.flags.split(),
            capture_output=True, text=True)
        if done.returncode == 0:
            break
        # Leave out the functions the errors point into (by line).
        starts = []
        line = 1
        for sym in kept:
            starts.append((line, sym))
            line += sources[sym].count("\n") + (1 if sym != kept[-1] else 0)
        bad = {}
        for m in re.finditer(r"\.mlir:(\d+):\d+: error: (.*)", done.stderr):
            at = int(m.group(1))
            sym = [s for first, s in starts if first <= at][-1]
            bad.setdefault(sym, m.group(2))
        if not bad:
            sys.exit("error: compiling %s failed:\n%s" % (stem + ".mlir", done.stderr))
        left_out.update(bad)
        kept = [sym for sym in kept if sym not in bad]
    with open(stem + ".json", "w") as f:
        json.dump({"kept": kept, "left_out": left_out}, f, indent=1)
    print("torture %s %s%s: built %d functions for the GPU, %d left out"
          % (args.group, dtype.name, args.tag, len(kept), len(left_out)))
    return 0


class DeviceCaller:
    """Calls a --target=cuda library's function on device copies of the
    operands, the output between guards of sentinel values there (as
    call_fenced does on the host)."""

    def __init__(self, path):
        here = os.path.dirname(os.path.abspath(__file__))
        sys.path.insert(0, os.path.join(here, "..", "..", "GPU", "Inputs"))
        from gpu_check import device_descriptor, last_error, load_library
        self.lib = load_library(path)
        self.descriptor, self.last_error = device_descriptor, last_error
        if self.last_error(self.lib):
            sys.exit("error: the library did not load its kernels: %s"
                     % self.last_error(self.lib))

    def __call__(self, fn, inputs, out_shape, dtype):
        lib = self.lib
        size = int(np.prod(out_shape, dtype=np.int64))
        host = np.empty(size + 2 * GUARD, dtype=dtype.storage)
        dtype.bits(host)[:] = dtype.sentinel_bits
        buffers = []
        try:
            for a in list(inputs) + [host]:
                ptr = lib.mgpuMemAlloc(max(a.nbytes, 1), None, False)
                if not ptr:
                    return np.zeros(out_shape), ["device allocation failed: %s"
                                                 % self.last_error(lib)]
                buffers.append(ptr)
                if a.nbytes:
                    lib.mgpuMemcpy(ptr, a.ctypes.data, a.nbytes, None)
            item = host.itemsize
            descs = [self.descriptor(ptr, a.shape) for ptr, a in zip(buffers, inputs)]
            descs.append(self.descriptor(buffers[-1] + GUARD * item, out_shape))
            fn(*[ctypes.byref(d) for d in descs])
            problems = []
            if self.last_error(lib):
                problems.append("the call failed: %s" % self.last_error(lib))
            lib.mgpuMemcpy(host.ctypes.data, buffers[-1], host.nbytes, None)
            for ptr, a in zip(buffers, inputs):
                back = np.empty_like(a)
                if a.nbytes:
                    lib.mgpuMemcpy(back.ctypes.data, ptr, a.nbytes, None)
                if back.tobytes() != a.tobytes():
                    problems.append("an input was written")
        finally:
            for ptr in buffers:
                lib.mgpuMemFree(ptr, None)
        guards = np.concatenate([dtype.bits(host[:GUARD]), dtype.bits(host[-GUARD:])])
        if (guards != dtype.sentinel_bits).any():
            problems.append("memory outside the output was written")
        out = host[GUARD:GUARD + size].reshape(out_shape)
        if (dtype.bits(out) == dtype.sentinel_bits).any():
            problems.append("%d output elements were not written"
                            % (dtype.bits(out) == dtype.sentinel_bits).sum())
        return out, problems


def run(args):
    dtype, ops, functions, sources = plan(args)
    stem = stem_of(args, dtype)
    left_out = {}
    if args.target == "cuda":
        with open(stem + ".json") as f:
            manifest = json.load(f)
        left_out = manifest["left_out"]
        caller = DeviceCaller(os.path.abspath(stem + ".so"))
        lib = caller.lib
    else:
        lib = build_library(args.compiler, stem, "\n".join(sources.values()),
                            args.flags.split())
        caller = call_fenced

    rng = np.random.default_rng(2026)
    failures = checked = 0
    for sym, k, n, dyn in functions:
        op = ops[k]
        # The same draws whether or not the function runs.
        if sym in left_out:
            for length in (DYNAMIC_LENGTHS if dyn else [n]):
                named = hard_rows(length, dtype, rng)
                op.operands(np.stack([row for _, row in named]), rng)
            continue
        fn = getattr(lib, "_mlir_ciface_" + sym)
        fn.restype = None
        for length in (DYNAMIC_LENGTHS if dyn else [n]):
            named = hard_rows(length, dtype, rng)
            names = [name for name, _ in named]
            rows = np.stack([row for _, row in named])
            inputs = op.operands(rows, rng)
            kinds = ["{T}"] + op.extra_types
            # What the op reads, rounded to the types it reads them in.
            inputs = [dtype.to_f64(dtype.from_f64(a)) if kind not in ("i1", "i64") else a
                      for a, kind in zip(inputs, kinds)]
            ref = op.reference(inputs, dtype)
            calls = [slice(r, r + 1) for r in range(rows.shape[0])] if dyn else [slice(None)]
            got = np.empty_like(ref)
            problems = []
            for part in calls:
                arrays = [to_storage(a[part], kind, dtype) for a, kind in zip(inputs, kinds)]
                out, trouble = caller(fn, arrays, ref[part].shape, dtype)
                problems += trouble
                got[part] = dtype.to_f64(out)
            checked += 1
            problems = [("(ABI) " + p) for p in problems]
            # Row by row, so that a failure names its hard row.
            for r, name in enumerate(names):
                sel = (slice(r, r + 1),)
                trouble = op.compare(got[sel], ref[sel], [a[sel] for a in inputs], dtype)
                problems += ["row '%s': %s" % (name, p) for p in trouble]
            if problems:
                failures += 1
                print("FAIL %s %s n=%d%s: %s" % (op.name, dtype.name, length,
                                                 " (dynamic, row by row)" if dyn else "",
                                                 "; ".join(problems)))
    for k, op in enumerate(ops):
        for z, shape in enumerate(ZERO_SHAPES):
            for sym in ("op%d_zero%d" % (k, z), "op%d_dyn" % k):
                if sym in left_out:
                    continue
                fn = getattr(lib, "_mlir_ciface_" + sym)
                fn.restype = None
                problems = zero_sized_call(fn, op, shape, dtype, caller)
                checked += 1
                if problems:
                    failures += 1
                    print("FAIL %s %s shape=%s%s: %s" % (
                        op.name, dtype.name, list(shape),
                        " (dynamic)" if sym.endswith("dyn") else "", "; ".join(problems)))
    if left_out:
        reasons = sorted(set(left_out.values()))
        print("left out for the GPU: %d functions (%s)"
              % (len(left_out), "; ".join(reasons)))
    print("torture %s %s%s%s: %d ops, %d runs, %d failures"
          % (args.group, dtype.name, " on the GPU" if args.target == "cuda" else "",
             args.tag, len(ops), checked, failures))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--group", choices=sorted(GROUPS), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="", help="extra softmax-compile flags")
    parser.add_argument("--tag", default="", help="names this configuration")
    parser.add_argument("--target", choices=["cpu", "cuda"], default="cpu")
    parser.add_argument("--chip", default="sm_90", help="cuda: the GPU to compile for")
    parser.add_argument("--mode", choices=["both", "build", "run"], default="both",
                        help="cuda: build here, run on a machine with a GPU")
    args = parser.parse_args()
    if args.target == "cuda" and args.mode == "both":
        parser.error("--target cuda takes --mode build or --mode run")
    with np.errstate(all="ignore"):
        if args.mode == "build":
            sys.exit(build_cuda(args))
        failures = run(args)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
