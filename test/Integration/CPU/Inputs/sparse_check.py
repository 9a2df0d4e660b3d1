"""Compiles softmax.sparsemax (or, with --alpha, softmax.entmax; with --op
grad, their gradients) with softmax-compile, runs it through the
shared-library C ABI, and compares every output with a float64 reference on
the same inputs.

Usage: sparse_check.py --compiler softmax-compile --dtype f32 --workdir DIR
                       [--op forward|grad] [--alpha A]
                       [--reference numpy|entmax]

The NumPy references: for sparsemax (and alpha = 2) the textbook sort (the
largest k with 1 + k z_k > sum of the k largest, tau = (that sum - 1) / k);
for alpha = 1.5 the sort-based exact algorithm of Peters et al. (2019) (the
largest k whose quadratic threshold lies below the k-th largest entry); for
other alpha 200 bisection steps on the threshold, then the row rescaled to
sum 1; the gradients by their closed form. The other reference is the
`entmax` package (sparsemax, entmax15, entmax_bisect) and its backward
(torch.autograd), in float64. Outputs must have exactly the reference's support and match it
within the tolerance of softmax_check.py. Rows: random, ties, all equal,
one dominant entry (support of size 1), tightly packed values (support of
size N), huge ranges, -inf entries; N up to 65536.
"""

import argparse
import os
import sys

import numpy as np

from softmax_check import DTYPES, build_library, call_fenced

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
    # Groups of short rows whose searches go a lane per row (16 or 8
    # rows; the last group partial), specials mixed with normal rows.
    ([40, 100], 1, ["40", "100"]),
    ([37, 128], 1, ["?", "?"]),
    ([2, 20, 33], 2, ["2", "?", "33"]),
    # Long rows in such groups (8 rows at most 32768 long; a partial
    # group, a tail).
    ([11, 4099], 1, ["?", "4099"]),
    ([8, 8192], 1, ["8", "8192"]),
]

# Longer rows in groups (8 rows up to 32768, 4 up to 65536, 2 up to
# 131072; partial groups): only where the groups take them, the f32, f16
# and bf16 forward of sparsemax and entmax(1.5) (the other ops, f64 and
# alpha take the one-row loops that [2, 65536] tests; these rows cost the
# suite minutes).
BATCH_CASES = [
    ([13, 16385], 1, ["13", "?"]),
    ([9, 32768], 1, ["?", "32768"]),
    ([11, 40000], 1, ["11", "?"]),
    ([11, 70001], 1, ["?", "?"]),
]


def special_row(z):
    """The contract's row for a NaN, a +inf or an all -inf row, else None."""
    if np.isnan(z).any():
        return np.full_like(z, np.nan)
    if np.isposinf(z).any():
        big = np.isposinf(z)
        return np.where(big, 1.0 / big.sum(), 0.0)
    if np.isneginf(z).all():
        return np.zeros_like(z)
    return None


def sparsemax_rows(rows):
    out = np.zeros_like(rows)
    for i, z in enumerate(rows):
        special = special_row(z)
        if special is not None:
            out[i] = special
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


def entmax_rows(rows, alpha):
    if alpha == 2.0:
        return sparsemax_rows(rows)
    out = np.zeros_like(rows)
    p = 1.0 / (alpha - 1.0)
    for i, z in enumerate(rows):
        special = special_row(z)
        if special is not None:
            out[i] = special
            continue
        x = (alpha - 1.0) * (z - z.max())
        if alpha == 1.5:
            s = np.sort(x[np.isfinite(x)])[::-1]
            k = np.arange(1, s.size + 1)
            mean = np.cumsum(s) / k
            mean_sq = np.cumsum(s * s) / k
            delta = (1.0 - k * (mean_sq - mean * mean)) / k
            taus = mean - np.sqrt(np.maximum(delta, 0.0))
            kk = k[taus <= s][-1]
            out[i] = np.maximum(x - taus[kk - 1], 0.0) ** 2
        else:
            lo, hi = -1.0, 0.0
            for _ in range(200):
                mid = (lo + hi) / 2
                if (np.maximum(x - mid, 0.0) ** p).sum() >= 1.0:
                    lo = mid
                else:
                    hi = mid
            y = np.maximum(x - lo, 0.0) ** p
            out[i] = y / y.sum()
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
        # Tenths whose f32 threshold search lets an entry back in at the
        # threshold (the support it ends on is larger than its count).
        lambda r: (r.fill(-5.0), r.__setitem__(
            slice(0, 10), [-1.8, -0.8, -0.3, -0.9, -0.9, -0.7, -0.1, -1.8, -0.8, -1.8]))
        if n >= 10 else None,
    ]
    for i, make in enumerate(specials[:num_rows]):
        make(rows[i])
    # Beyond the specials, every third row quantized to tenths (f32 rounds
    # them): thresholds land on entries, where an f32 search's rounding can
    # let an entry back into the support.
    for i in range(len(specials), num_rows, 3):
        rows[i] = np.round(rows[i] * 5) / 10
    return dtype.to_f64(dtype.from_f64(rows))


def package_op(alpha):
    import entmax

    if alpha is None or alpha == 2.0:
        return entmax.sparsemax
    if alpha == 1.5:
        return entmax.entmax15
    return lambda x, dim: entmax.entmax_bisect(x, alpha, dim=dim, n_iter=100)


def entmax_forward(rows, alpha):
    import torch

    return package_op(alpha)(torch.tensor(rows, dtype=torch.float64), dim=-1).numpy()


def entmax_backward(rows, dy, alpha):
    import torch

    x = torch.tensor(rows, dtype=torch.float64, requires_grad=True)
    package_op(alpha)(x, dim=-1).backward(torch.tensor(dy, dtype=torch.float64))
    return x.grad.numpy()


def compare_sparse(got, ref, dtype, alpha, grad, slack=None):
    """Problems with `got` against `ref` (float64): NaN where the reference
    has it, exactly its support (forward), and within the tolerance of
    softmax_check.py plus `slack` (if given) at each element; for alpha > 2
    (None: sparsemax) plus the steepness of y = u^p at the threshold."""
    problems = []
    if (np.isnan(got) != np.isnan(ref)).any():
        problems.append("NaN mismatch at %d elements" % (np.isnan(got) != np.isnan(ref)).sum())
    fin = ~np.isnan(ref)
    # The support in the output's type (entries of a large power may
    # underflow).
    ref_support = dtype.to_f64(dtype.from_f64(ref[fin])) > 0
    if not grad and ((got[fin] > 0) != ref_support).any():
        problems.append("support differs at %d elements"
                        % ((got[fin] > 0) != ref_support).sum())
    g, r = got[fin], ref[fin]
    if dtype.name == "f32":
        tol = 1e-5 * np.abs(r) + 1e-7
    elif dtype.name == "f64":
        tol = 1e-12 * np.abs(r) + 1e-15
    else:
        tol = 2 * dtype.ulp(r) + 2.0**-14
    if slack is not None:
        tol = tol + slack[fin]
    if not grad and alpha is not None and alpha > 2.0:
        # y = u^p with p < 1 is steep at the threshold: a few f64 ulps
        # of tau move y by p u^(p-1) = p y^((p-1)/p) times as much.
        p = 1.0 / (alpha - 1.0)
        with np.errstate(divide="ignore"):
            steep = p * np.where(r > 0, r, np.inf) ** ((p - 1.0) / p)
        tol = tol + 8 * np.finfo(np.float64).eps * np.where(r > 0, steep, 0.0)
    bad = ~(np.abs(g - r) <= tol)
    if bad.any():
        j = np.argmax(np.where(bad, np.abs(g - r) - tol, -np.inf))
        problems.append("%d elements off; worst got %r, want %r" % (bad.sum(), g[j], r[j]))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--op", choices=["forward", "grad"], default="forward")
    parser.add_argument("--alpha", type=float,
                        help="softmax.entmax with this alpha (default: softmax.sparsemax)")
    parser.add_argument("--reference", choices=["numpy", "entmax"], default="numpy")
    parser.add_argument("--vector-bits", type=int, default=0,
                        help="softmax-compile's --vector-bits (0: the host's)")
    parser.add_argument("--flags", default="", help="extra softmax-compile flags")
    parser.add_argument("--tag", default="", help="suffix of the library's name")
    args = parser.parse_args()
    alpha = args.alpha
    if alpha is None:
        name, attrs, forward_rows = "sparsemax", "", sparsemax_rows
    else:
        name, attrs = "entmax", " alpha(%r)" % alpha
        forward_rows = lambda r: entmax_rows(r, alpha)
    # The support's weights in the gradient: y^(2 - alpha), 1 for sparsemax.
    exponent = 0.0 if alpha is None else 2.0 - alpha
    dtype = DTYPES[args.dtype]
    grad = args.op == "grad"
    cases = list(CASES)
    if dtype.name != "f64" and not grad and alpha in (None, 1.5, 2.0):
        cases += BATCH_CASES
    funcs = []
    for i, (shape, dim, spelled) in enumerate(cases):
        t = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        if grad:
            funcs.append("func.func @case%d(%%y: %s, %%dy: %s) -> %s {\n"
                         "  %%dx = softmax.%s_grad %%y, %%dy dim(%d)%s : %s\n"
                         "  return %%dx : %s\n}\n" % (i, t, t, t, name, dim, attrs, t, t))
        else:
            funcs.append("func.func @case%d(%%x: %s) -> %s {\n"
                         "  %%y = softmax.%s %%x dim(%d)%s : %s\n"
                         "  return %%y : %s\n}\n" % (i, t, t, name, dim, attrs, t, t))
    stem = os.path.join(args.workdir, "%s%s_%s_%s_%s%s" % (
        name, alpha or "", args.op, dtype.name, args.reference,
        "_v%d" % args.vector_bits if args.vector_bits else "") + args.tag)
    flags = ["--vector-bits=%d" % args.vector_bits] if args.vector_bits else []
    flags += args.flags.split()
    lib = build_library(args.compiler, stem, "\n".join(funcs), flags)
    rng = np.random.default_rng(11)
    failures = 0
    with np.errstate(all="ignore"):
        for i, (shape, dim, spelled) in enumerate(cases):
            n = shape[dim]
            moved = list(np.moveaxis(np.empty(shape), dim, -1).shape)
            rows = make_rows(rng, int(np.prod(shape)) // n, n, dtype)
            if args.reference == "entmax":
                # The package has no special values: finite rows only.
                rows = np.where(np.isfinite(rows), rows, 0.0)
                if alpha not in (None, 1.5, 2.0):
                    # entmax_bisect brackets the threshold by max(x) - 1 without
                    # shifting x first, which rounds to max(x) for huge x (NaN
                    # rows): its rows stay within 1e6.
                    rows = np.clip(rows, -1e6, 1e6)
            back = lambda r: np.ascontiguousarray(np.moveaxis(r.reshape(moved), -1, dim))
            if grad:
                y64 = dtype.to_f64(dtype.from_f64(forward_rows(rows)))
                y64 = np.where(np.isfinite(y64), y64, 0.0)
                if (dtype.name == "f32" and args.reference == "numpy" and n >= 4
                        and y64.shape[0] >= 2):
                    # The last row's support holds f32's smallest positive
                    # entry: y^(2 - alpha) of it overflows f32 for alpha > 2,
                    # so the weights must be formed in f64 (the vector rows
                    # formed them in f32: a row of NaN).
                    y64[-1] = 0.0
                    y64[-1, :4] = [2.0**-149, 0.3, 0.3, 0.4]
                    y64[-1] = dtype.to_f64(dtype.from_f64(y64[-1]))
                dy64 = dtype.to_f64(dtype.from_f64(rng.standard_normal(rows.shape)))
                support = y64 > 0
                w = np.where(support, np.where(support, y64, 1.0) ** exponent, 0.0)
                q = (w * dy64).sum(axis=1, keepdims=True) / np.maximum(
                    w.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
                if args.reference == "entmax":
                    ref_rows = entmax_backward(rows, dy64, alpha)
                else:
                    ref_rows = w * (dy64 - q)
                inputs = [back(y64), back(dy64)]
                # The rounding of q = sum(w dy) / sum(w) in float64, ours and
                # the reference's: a sum of n terms is within n eps of the
                # sum of their magnitudes (f64 rows of 40000 with dy - q
                # nearly cancelling were 5e-12 off relative to dx).
                n = rows.shape[1]
                wsum = np.maximum(w.sum(axis=1, keepdims=True), np.finfo(np.float64).tiny)
                magnitude = (np.abs(w * dy64).sum(axis=1, keepdims=True) / wsum
                             + np.abs(q))
                slack = back(2 * n * np.finfo(np.float64).eps * w * magnitude)
            else:
                ref_rows = (entmax_forward(rows, alpha) if args.reference == "entmax"
                            else forward_rows(rows))
                inputs = [back(rows)]
                slack = None
            ref = back(ref_rows)
            arrays = [np.ascontiguousarray(dtype.from_f64(a)) for a in inputs]
            fn = getattr(lib, "_mlir_ciface_case%d" % i)
            fn.restype = None
            out, problems = call_fenced(fn, arrays, shape, dtype)
            got = dtype.to_f64(out)
            problems += compare_sparse(got, ref, dtype, alpha, grad, slack)
            if problems:
                failures += 1
                print("FAIL %s %s shape=%s dim=%d type=tensor<%sx%s>: %s"
                      % (name, args.op, shape, dim, "x".join(spelled), dtype.name, "; ".join(problems)))
    print("%s%s %s %s (%s reference%s): %d functions, %d failures"
          % (name, attrs, args.op, dtype.name, args.reference,
             ", %d-bit vectors" % args.vector_bits if args.vector_bits else "",
             len(cases), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
