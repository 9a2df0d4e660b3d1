"""Compiles softmax.sparsemax (or, with --op grad, softmax.sparsemax_grad)
with softmax-compile, runs it through the shared-library C ABI, and
compares every output with a float64 reference on the same inputs.

Usage: sparse_check.py --compiler softmax-compile --dtype f32 --workdir DIR
                       [--op forward|grad] [--reference numpy|entmax]

The NumPy reference sorts each row (the textbook algorithm: the largest k
with 1 + k z_k > sum of the k largest, tau = (that sum - 1) / k); the other
is the `entmax` package's sparsemax and its backward (torch.autograd), in
float64. Outputs must have exactly the reference's support and match it
within the tolerance of softmax_check.py. Rows: random, ties, all equal,
one dominant entry (support of size 1), tightly packed values (support of
size N), huge ranges, -inf entries; N up to 65536.
"""

import argparse
import ctypes
import os
import subprocess
import sys

import numpy as np

from softmax_check import DTYPES, call_fenced

# (shape, dim, dims spelled).
CASES = [
    ([9, 7], 1, ["9", "7"]),
    ([9, 33], 1, ["?", "?"]),
    ([9, 1025], 1, ["?", "1025"]),
    ([33, 9], 0, ["33", "?"]),
    ([3, 4, 100], 2, ["3", "?", "?"]),
    ([2, 65536], 1, ["?", "?"]),
    ([13], 0, ["?"]),
    ([9, 1], 1, ["9", "1"]),
]


def sparsemax_rows(rows):
    out = np.zeros_like(rows)
    for i, z in enumerate(rows):
        if np.isnan(z).any():
            out[i] = np.nan
            continue
        if np.isposinf(z).any():
            big = np.isposinf(z)
            out[i] = np.where(big, 1.0 / big.sum(), 0.0)
            continue
        if np.isneginf(z).all():
            continue
        # On z - max(z), so that 1 is not lost against huge values.
        t = z - z.max()
        s = np.sort(t[np.isfinite(t)])[::-1]
        c = np.cumsum(s)
        k = np.arange(1, s.size + 1)
        support = 1 + k * s > c
        kk = k[support][-1]
        tau = (c[kk - 1] - 1) / kk
        out[i] = np.maximum(t - tau, 0.0)
    return out


def make_rows(rng, num_rows, n, dtype):
    rows = rng.standard_normal((num_rows, n)) * 2.0
    specials = [
        lambda r: r.fill(0.5),  # all equal: 1/n each
        lambda r: (r.fill(0.0), r.__setitem__(n // 2, 5.0)),  # support 1
        lambda r: r.__setitem__(slice(None), 1e-4 * rng.standard_normal(n)),  # all
        lambda r: r.__setitem__(slice(None), np.round(r * 2) / 2),  # ties
        lambda r: r.__setitem__(slice(None), r * (dtype.largest / 1e2)),  # huge
        lambda r: r.__setitem__(rng.random(n) < 0.3, -np.inf),  # -inf entries
        lambda r: r.__setitem__(n - 1, np.nan),
        lambda r: r.__setitem__(0, np.inf),
        lambda r: r.fill(-np.inf),
    ]
    for i, make in enumerate(specials[:num_rows]):
        make(rows[i])
    return dtype.to_f64(dtype.from_f64(rows))


def entmax_forward(rows):
    import torch
    from entmax import sparsemax

    return sparsemax(torch.tensor(rows, dtype=torch.float64), dim=-1).numpy()


def entmax_backward(rows, dy):
    import torch
    from entmax import sparsemax

    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    sparsemax(x, dim=-1).backward(torch.tensor(dy, dtype=torch.float64))
    return x.grad.numpy()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--op", choices=["forward", "grad"], default="forward")
    parser.add_argument("--reference", choices=["numpy", "entmax"], default="numpy")
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    grad = args.op == "grad"
    funcs = []
    for i, (shape, dim, spelled) in enumerate(CASES):
        t = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        if grad:
            funcs.append("func.func @case%d(%%y: %s, %%dy: %s) -> %s {\n"
                         "  %%dx = softmax.sparsemax_grad %%y, %%dy dim(%d) : %s\n"
                         "  return %%dx : %s\n}\n" % (i, t, t, t, dim, t, t))
        else:
            funcs.append("func.func @case%d(%%x: %s) -> %s {\n"
                         "  %%y = softmax.sparsemax %%x dim(%d) : %s\n"
                         "  return %%y : %s\n}\n" % (i, t, t, dim, t, t))
    os.makedirs(args.workdir, exist_ok=True)
    stem = os.path.join(args.workdir, "sparse_%s_%s_%s" % (args.op, dtype.name, args.reference))
    with open(stem + ".mlir", "w") as f:
        f.write("\n".join(funcs))
    subprocess.run([args.compiler, stem + ".mlir", "-o", stem + ".so", "--emit=shared-lib"],
                   check=True)
    lib = ctypes.CDLL(os.path.abspath(stem + ".so"))
    rng = np.random.default_rng(11)
    failures = 0
    with np.errstate(all="ignore"):
        for i, (shape, dim, spelled) in enumerate(CASES):
            n = shape[dim]
            moved = list(np.moveaxis(np.empty(shape), dim, -1).shape)
            rows = make_rows(rng, int(np.prod(shape)) // n, n, dtype)
            if args.reference == "entmax":
                # The package has no special values: finite rows only.
                rows = np.where(np.isfinite(rows), rows, 0.0)
            back = lambda r: np.ascontiguousarray(np.moveaxis(r.reshape(moved), -1, dim))
            if grad:
                y64 = dtype.to_f64(dtype.from_f64(sparsemax_rows(rows)))
                y64 = np.where(np.isfinite(y64), y64, 0.0)
                dy64 = dtype.to_f64(dtype.from_f64(rng.standard_normal(rows.shape)))
                support = y64 > 0
                cnt = np.maximum(support.sum(axis=1, keepdims=True), 1)
                mean = np.where(support, dy64, 0.0).sum(axis=1, keepdims=True) / cnt
                if args.reference == "entmax":
                    ref_rows = entmax_backward(rows, dy64)
                else:
                    ref_rows = np.where(support, dy64 - mean, 0.0)
                inputs = [back(y64), back(dy64)]
            else:
                ref_rows = entmax_forward(rows) if args.reference == "entmax" else sparsemax_rows(rows)
                inputs = [back(rows)]
            ref = back(ref_rows)
            arrays = [np.ascontiguousarray(dtype.from_f64(a)) for a in inputs]
            fn = getattr(lib, "_mlir_ciface_case%d" % i)
            fn.restype = None
            out, problems = call_fenced(fn, arrays, shape, dtype)
            got = dtype.to_f64(out)
            if (np.isnan(got) != np.isnan(ref)).any():
                problems.append("NaN mismatch at %d elements" % (np.isnan(got) != np.isnan(ref)).sum())
            fin = ~np.isnan(ref)
            if not grad and ((got[fin] > 0) != (ref[fin] > 0)).any():
                problems.append("support differs at %d elements"
                                % ((got[fin] > 0) != (ref[fin] > 0)).sum())
            g, r = got[fin], ref[fin]
            if dtype.name == "f32":
                tol = 1e-5 * np.abs(r) + 1e-7
            elif dtype.name == "f64":
                tol = 1e-12 * np.abs(r) + 1e-15
            else:
                tol = 2 * dtype.ulp(r) + 2.0**-14
            bad = ~(np.abs(g - r) <= tol)
            if bad.any():
                j = np.argmax(np.where(bad, np.abs(g - r) - tol, -np.inf))
                problems.append("%d elements off; worst got %r, want %r" % (bad.sum(), g[j], r[j]))
            if problems:
                failures += 1
                print("FAIL sparsemax %s shape=%s dim=%d type=tensor<%sx%s>: %s"
                      % (args.op, shape, dim, "x".join(spelled), dtype.name, "; ".join(problems)))
    print("sparsemax %s %s (%s reference): %d functions, %d failures"
          % (args.op, dtype.name, args.reference, len(CASES), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
