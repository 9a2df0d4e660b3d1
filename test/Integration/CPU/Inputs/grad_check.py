"""Compiles softmax_grad and log_softmax_grad with softmax-compile, runs them
through the shared-library C ABI, and compares every output with a
reference computed in float64 from the same (rounded) inputs.

Usage: grad_check.py --compiler softmax-compile --dtype f32 --workdir DIR
                     [--reference numpy|torch]

The reference is the formula in NumPy (dx = y * (dy - sum(dy * y)) and
dx = dy - exp(y) * sum(dy)), or PyTorch's backward of softmax and
log_softmax from their output (torch._softmax_backward_data and
torch._log_softmax_backward_data, what torch.autograd runs), in float64. The inputs y are outputs of the
forward op (rounded to the element type), with rows holding zeros (-inf
logits), an all -inf row, one-hot rows, large gradients and (softmax_grad
on f32 and f64) gradients near 3e38 whose y (dy - s) is finite where dy - s
overflows f32; a NaN in dy makes its row NaN. Each call also checks the ABI contract
(softmax_check.call_fenced).
"""

import argparse
import os
import sys

import numpy as np

from softmax_check import DTYPES, build_library, call_fenced, from_rows, reference_rows

# (shape, dim, dims spelled in the function type).
CASES = [
    ([7], 0, ["7"]),
    ([1025], 0, ["?"]),
    ([9, 33], 1, ["9", "33"]),
    ([9, 33], 0, ["?", "?"]),
    ([3, 4, 1025], 2, ["?", "4", "?"]),
    ([3, 17, 5], 1, ["3", "?", "5"]),
    ([2, 65536], 1, ["?", "65536"]),
    ([9, 1], 1, ["9", "1"]),
    # Static shapes whose streamed softmax_grad rows go as one sequence a
    # group of rows (16 KiB of output a group: 124 rows of 33 f32, 64 of
    # 64), a vector across each row's end.
    ([300, 33], 1, ["300", "33"]),
    ([130, 64], 1, ["130", "64"]),
    ([2, 5, 100], 2, ["2", "5", "100"]),
]


def make_inputs(rng, shape, dim, dtype, log):
    """(y, dy) in float64, exactly representable in dtype: y the forward
    output of random logits x, dy random."""
    n = shape[dim]
    num_rows = int(np.prod(shape)) // n
    x = rng.standard_normal((num_rows, n)) * 3.0
    x[rng.random((num_rows, n)) < 0.05] = -np.inf
    if num_rows > 2:
        x[0] = -np.inf  # no probability anywhere: y = 0 (or -inf)
        x[1] = -50.0
        x[1, n // 2] = 50.0  # one-hot to rounding
    huge = num_rows > 5 and not log and dtype.name in ("f32", "f64")
    dy = rng.standard_normal((num_rows, n))
    # The special rows from row 0, and in many rows also across the middle,
    # across a group's end (rows 122-126) and at the end.
    starts = [0]
    if num_rows > 20:
        starts += [num_rows // 2 - 2, num_rows - 5]
    if num_rows > 130:
        starts.append(122)
    for at in starts:
        if at > 0:
            x[at] = -np.inf
            x[at + 1] = -50.0
            x[at + 1, n // 2] = 50.0
        if num_rows > 3:
            dy[at + 2] *= 1.0e4 if dtype.name != "f16" else 1.0e3
        if num_rows > 4:
            dy[at + 3, n // 3] = np.nan
        if huge:
            # y about 1 / n; gradients near 3e38, a fifth of them negative:
            # s near 1.5e38, so dy - s overflows f32 where dy is negative
            # while y (dy - s) does not (the f32 second pass's bound sends
            # the row to the f64 pass).
            x[at + 4] = rng.standard_normal(n) * 0.1
            dy[at + 4] = rng.uniform(0.7, 1.0, n) * 3.0e38
            dy[at + 4, ::5] *= -1.0
    y = reference_rows(x, log)
    y = dtype.to_f64(dtype.from_f64(y))
    dy = dtype.to_f64(dtype.from_f64(dy))
    moved = list(np.moveaxis(np.empty(shape), dim, -1).shape)
    back = lambda rows: np.ascontiguousarray(from_rows(rows, moved, dim))
    return back(y), back(dy)


def numpy_reference(y, dy, dim, log):
    if log:
        return dy - np.exp(y) * dy.sum(axis=dim, keepdims=True)
    return y * (dy - (dy * y).sum(axis=dim, keepdims=True))


def torch_reference(y, dy, dim, log):
    import torch

    yt = torch.tensor(y, dtype=torch.float64)
    dyt = torch.tensor(dy, dtype=torch.float64)
    backward = torch._log_softmax_backward_data if log else torch._softmax_backward_data
    return backward(dyt, yt, dim, torch.float64).numpy()


def compare_with_slack(got, ref, slack, dtype):
    """Problems with got against ref: NaN where the reference has NaN, and
    within the rounding of the output type plus `slack` (what the
    computation's precision loses of the magnitudes it cancels)."""
    problems = []
    nan = np.isnan(ref)
    if (np.isnan(got) != nan).any():
        problems.append("NaN mismatch at %d elements" % (np.isnan(got) != nan).sum())
    fin = ~nan
    g, r, s = got[fin], ref[fin], np.broadcast_to(slack, ref.shape)[fin]
    if dtype.name == "f32":
        tol = 1e-6 * np.abs(r) + 1e-30 + s
    elif dtype.name == "f64":
        tol = 1e-12 * np.abs(r) + 1e-300 + s
    else:
        tol = dtype.ulp(r) + s
    err = np.abs(g - r)
    bad = ~(err <= tol)
    if bad.any():
        i = np.argmax(np.where(bad, err - tol, -np.inf))
        problems.append(
            "%d elements off; worst got %r, want %r (tolerance %.3g)"
            % (bad.sum(), g[i], r[i], tol[i])
        )
    return problems


def compare_grad(got, ref, y, dy, dim, dtype, log):
    """compare_with_slack with what the computation's precision (f32 for
    f16/bf16, f64 for f32) loses in the row sum and the difference (a bound
    on the rounding of the terms, p the probability), and for
    log_softmax_grad below f64 what p = exp(y) in f32 loses of p sum(dy)."""
    p = np.exp(y) if log else y
    terms = np.abs(dy) if log else np.abs(p * dy)
    row = np.nansum(terms, axis=dim, keepdims=True)
    n = y.shape[dim]
    compute_eps = 2.0**-24 if dtype.name in ("f16", "bf16") else 2.0**-53
    slack = 2 * (n + 2) * compute_eps * (np.abs(dy) + row) * (1.0 if log else p)
    if log and dtype.name != "f64":
        # p = exp(y) in f32 (a few ulp) times the row's sum of dy.
        slack = slack + 2.0**-21 * p * np.abs(np.nansum(dy, axis=dim, keepdims=True))
    slack = np.where(np.isfinite(slack), slack, 0.0)
    return compare_with_slack(got, ref, slack, dtype)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--reference", choices=["numpy", "torch"], default="numpy")
    parser.add_argument("--flags", default="", help="extra softmax-compile flags")
    parser.add_argument("--tag", default="")
    parser.add_argument("--store-form", choices=["cached", "nontemporal"],
                        help="pin softmax.store_form on the ops (nontemporal: "
                        "softmax_grad streams its output whatever its size)")
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    cases = [(c, op) for c in CASES for op in ("softmax_grad", "log_softmax_grad")]
    funcs = []
    attrs = ' {softmax.store_form = "%s"}' % args.store_form if args.store_form else ""
    for i, ((shape, dim, spelled), op) in enumerate(cases):
        t = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        funcs.append(
            "func.func @case%d(%%y: %s, %%dy: %s) -> %s {\n"
            "  %%dx = softmax.%s %%y, %%dy dim(%d)%s : %s\n"
            "  return %%dx : %s\n}\n" % (i, t, t, t, op, dim, attrs, t, t)
        )
    stem = os.path.join(args.workdir, "grad_%s%s" % (dtype.name, args.tag))
    lib = build_library(args.compiler, stem, "\n".join(funcs), args.flags.split())
    rng = np.random.default_rng(99)
    failures = 0
    with np.errstate(all="ignore"):
        for i, ((shape, dim, spelled), op) in enumerate(cases):
            log = op == "log_softmax_grad"
            y64, dy64 = make_inputs(rng, shape, dim, dtype, log)
            y = np.ascontiguousarray(dtype.from_f64(y64))
            dy = np.ascontiguousarray(dtype.from_f64(dy64))
            fn = getattr(lib, "_mlir_ciface_case%d" % i)
            fn.restype = None
            if args.reference == "torch":
                ref = torch_reference(y64, dy64, dim, log)
            else:
                ref = numpy_reference(y64, dy64, dim, log)
            # The output where NumPy puts it, and one element further (its
            # rows then start at other alignments).
            problems = []
            for shift in (0, 1):
                dx, found = call_fenced(fn, [y, dy], y.shape, dtype, shift)
                found += compare_grad(dtype.to_f64(dx), ref, y64, dy64, dim, dtype, log)
                problems += ["output %d element(s) on: %s" % (shift, p) if shift else p
                             for p in found]
            if problems:
                failures += 1
                print("FAIL %s shape=%s dim=%d type=tensor<%sx%s>: %s"
                      % (op, shape, dim, "x".join(spelled), dtype.name, "; ".join(problems)))
    print("grad %s (%s reference): %d functions, %d failures"
          % (dtype.name, args.reference, len(cases), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
