"""Compiles softmax.cross_entropy (or, with --op grad,
softmax.cross_entropy_grad) with softmax-compile, runs it through the
shared-library C ABI, and compares every loss (gradient) with a float64
reference on the same (rounded) logits.

Usage: ce_check.py --compiler softmax-compile --dtype f32 --workdir DIR
                   [--op loss|grad] [--reference numpy|torch]

The reference is the formula in NumPy (a stable log-sum-exp, the label's
logit, PyTorch's label smoothing; for the gradient softmax(x) minus the
smoothed one-hot label, times dloss) or torch.nn.functional.cross_entropy
with reduction='none' in float64 (its gradient by torch.autograd). Labels include ignore_index (loss 0); logits
include -inf entries, huge magnitudes and rows of 50257 classes; labels
outside the classes give NaN (PyTorch raises: checked with NumPy only).
"""

import argparse
import ctypes
import os
import sys

import numpy as np

from softmax_check import DTYPES, build_library, call_fenced, descriptor

# (logits shape, dim, dims spelled, label type, ignore_index, smoothing).
CASES = [
    ([8, 10], 1, ["8", "10"], "i64", -100, 0.0),
    ([8, 10], 1, ["?", "?"], "i64", -100, 0.1),
    ([5, 7, 3], 1, ["?", "7", "3"], "i32", 2, 0.0),
    ([6, 33], 1, ["6", "?"], "i64", -1, 0.25),
    ([4, 50257], 1, ["?", "50257"], "i64", -100, 0.0),
    ([3, 50257], 1, ["3", "?"], "i64", -100, 0.1),
    ([12], 0, ["12"], "i64", -100, 0.0),
    ([7, 5], 0, ["7", "5"], "i64", -100, 0.0),
]


def numpy_reference(x, labels, dim, ignore, smoothing):
    """Loss per sample; x float64 with the classes along dim."""
    xm = np.moveaxis(x, dim, -1)
    classes = xm.shape[-1]
    rows = xm.reshape(-1, classes)
    lab = np.asarray(labels).reshape(-1)
    m = rows.max(axis=1, keepdims=True)
    t = np.where(rows == m, 0.0, rows - m)
    lse = (m + np.log(np.exp(t).sum(axis=1, keepdims=True)))[:, 0]
    safe = np.clip(lab, 0, classes - 1)
    loss = lse - rows[np.arange(rows.shape[0]), safe]
    if smoothing:
        loss = (1 - smoothing) * loss + smoothing * (lse - rows.mean(axis=1))
    loss = np.where((lab >= 0) & (lab < classes), loss, np.nan)
    loss = np.where(lab == ignore, 0.0, loss)
    return loss.reshape(np.shape(labels))


def numpy_grad_reference(x, labels, dloss, dim, ignore, smoothing):
    xm = np.moveaxis(x, dim, -1)
    classes = xm.shape[-1]
    rows = xm.reshape(-1, classes)
    lab = np.asarray(labels).reshape(-1)
    m = rows.max(axis=1, keepdims=True)
    t = np.where(rows == m, 0.0, rows - m)
    e = np.exp(t)
    p = e / e.sum(axis=1, keepdims=True)
    target = np.zeros_like(p)
    ok = (lab >= 0) & (lab < classes)
    target[np.arange(rows.shape[0])[ok], lab[ok]] = 1.0 - smoothing
    target += smoothing / classes
    dx = (p - target) * np.asarray(dloss).reshape(-1)[:, None]
    dx[~ok] = np.nan
    dx[lab == ignore] = 0.0
    return np.moveaxis(dx.reshape(xm.shape), -1, dim)


def torch_reference(x, labels, dim, ignore, smoothing, dloss=None):
    import torch
    import torch.nn.functional as F

    xt = torch.tensor(np.moveaxis(x, dim, 1) if x.ndim > 1 else x[None], dtype=torch.float64)
    lt = torch.tensor(labels if x.ndim > 1 else labels[None], dtype=torch.int64)
    if x.ndim > 1 and dim != 1:
        raise ValueError("torch takes the classes along dim 1")
    if dloss is not None:
        xt.requires_grad_(True)
    loss = F.cross_entropy(xt, lt, reduction="none", ignore_index=ignore,
                           label_smoothing=smoothing)
    if dloss is None:
        loss = loss.detach().numpy()
        return loss if x.ndim > 1 else loss[0]
    dl = torch.tensor(np.asarray(dloss).reshape(loss.shape), dtype=torch.float64)
    loss.backward(dl)
    grad = xt.grad.numpy()
    return np.moveaxis(grad, 1, dim) if x.ndim > 1 else grad[0]


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--reference", choices=["numpy", "torch"], default="numpy")
    parser.add_argument("--op", choices=["loss", "grad", "both"], default="loss",
                        help="both: one function computing the loss and the gradient "
                             "(which the row loops compute together)")
    args = parser.parse_args()
    grad = args.op == "grad"
    both = args.op == "both"
    dtype = DTYPES[args.dtype]
    cases = CASES
    if args.reference == "torch":
        # PyTorch takes the classes along dim 1 (or a single sample).
        cases = [c for c in CASES if c[1] == 1 or len(c[0]) == 1]
    funcs = []
    for i, (shape, dim, spelled, lt, ignore, smoothing) in enumerate(cases):
        xt = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        rest = [s for j, s in enumerate(spelled) if j != dim]
        lab = "tensor<%s%s>" % ("".join(d + "x" for d in rest), lt)
        out = "tensor<%s%s>" % ("".join(d + "x" for d in rest), dtype.name)
        attrs = "{ignore_index = %d : i64, label_smoothing = %r : f64}" % (
            ignore, float(smoothing))
        if both:
            funcs.append(
                "func.func @case%d(%%x: %s, %%l: %s, %%d: %s) -> (%s, %s) {\n"
                "  %%loss = softmax.cross_entropy %%x, %%l dim(%d) %s : %s, %s -> %s\n"
                "  %%dx = softmax.cross_entropy_grad %%x, %%l, %%d dim(%d) %s"
                " : %s, %s, %s -> %s\n"
                "  return %%loss, %%dx : %s, %s\n}\n"
                % (i, xt, lab, out, out, xt, dim, attrs, xt, lab, out, dim, attrs,
                   xt, lab, out, xt, out, xt))
        elif grad:
            funcs.append(
                "func.func @case%d(%%x: %s, %%l: %s, %%d: %s) -> %s {\n"
                "  %%dx = softmax.cross_entropy_grad %%x, %%l, %%d dim(%d) %s"
                " : %s, %s, %s -> %s\n"
                "  return %%dx : %s\n}\n"
                % (i, xt, lab, out, xt, dim, attrs, xt, lab, out, xt, xt))
        else:
            funcs.append(
                "func.func @case%d(%%x: %s, %%l: %s) -> %s {\n"
                "  %%loss = softmax.cross_entropy %%x, %%l dim(%d) %s : %s, %s -> %s\n"
                "  return %%loss : %s\n}\n"
                % (i, xt, lab, out, dim, attrs, xt, lab, out, out))
    stem = os.path.join(args.workdir, "ce_%s_%s_%s" % (args.op, dtype.name, args.reference))
    lib = build_library(args.compiler, stem, "\n".join(funcs))
    rng = np.random.default_rng(5)
    failures = 0
    with np.errstate(all="ignore"):
        for i, (shape, dim, spelled, lt, ignore, smoothing) in enumerate(cases):
            x64 = rng.standard_normal(shape) * 3.0
            x64[rng.random(shape) < 0.02] = -np.inf if not smoothing else -30.0
            xm = np.moveaxis(x64, dim, -1)
            rows = xm.reshape(-1, shape[dim])
            if rows.shape[0] > 2:
                rows[1] = dtype.largest * (1 - rng.random(shape[dim]) * 1e-3)
                rows[2] *= 1e3 if dtype.name != "f16" else 1e2
            x64 = np.ascontiguousarray(np.moveaxis(rows.reshape(xm.shape), -1, dim))
            x64 = dtype.to_f64(dtype.from_f64(x64))
            x = np.ascontiguousarray(dtype.from_f64(x64))
            lshape = [s for j, s in enumerate(shape) if j != dim]
            labels = np.asarray(rng.integers(0, shape[dim], size=lshape)).reshape(lshape)
            flat = labels.reshape(-1)
            flat[0] = ignore if ignore >= 0 or ignore < -1 else flat[0]
            if flat.size > 3 and args.reference == "numpy":
                flat[3] = shape[dim]  # outside the classes: NaN
            if ignore == -1 and flat.size > 1:
                flat[1] = -1
            # (A copy, not ascontiguousarray: that makes a 0-d array 1-d.)
            labels = labels.astype({"i64": np.int64, "i32": np.int32}[lt]).copy()
            l64 = labels.astype(np.int64)
            dloss64 = dtype.to_f64(dtype.from_f64(np.atleast_1d(rng.standard_normal(lshape) * 2.0))).reshape(lshape)
            # (from_f64 takes arrays of at least one dimension.)
            dloss = np.asarray(dtype.from_f64(np.atleast_1d(dloss64))).reshape(lshape).copy()
            def check(is_grad, out, problems):
                if is_grad and args.reference == "torch":
                    ref = torch_reference(x64, l64, dim, ignore, smoothing, dloss64)
                elif is_grad:
                    ref = numpy_grad_reference(x64, l64, dloss64, dim, ignore, smoothing)
                elif args.reference == "torch":
                    ref = torch_reference(x64, l64, dim, ignore, smoothing)
                else:
                    ref = numpy_reference(x64, l64, dim, ignore, smoothing)
                grad = is_grad
                got = dtype.to_f64(out)
                if (np.isnan(got) != np.isnan(ref)).any():
                    problems.append("NaN mismatch at %d samples" % (np.isnan(got) != np.isnan(ref)).sum())
                got, ref = got.reshape(-1), np.asarray(ref, dtype=np.float64).reshape(-1)
                fin = ~np.isnan(ref)
                g, r = got[fin], ref[fin]
                # The loss is lse - x[label]: besides its own rounding, the
                # computation (f64 for f32, f32 for f16/bf16) loses a few ulps
                # of the magnitudes it cancels, up to the row's largest |x|.
                ax = np.abs(np.moveaxis(x64, dim, -1).reshape(-1, shape[dim]))
                big = np.max(np.where(np.isfinite(ax), ax, 0.0), axis=1) + 1.0
                if grad:
                    # |dx| <= |dloss| (p + target) <= 2 |dloss|: the computation
                    # loses a few ulps of |dloss|.
                    big = np.broadcast_to(
                        np.abs(np.asarray(dloss64)).reshape(-1)[:, None], ax.shape)
                    big = np.moveaxis(big.reshape(np.moveaxis(x64, dim, -1).shape), -1, dim)
                    big = big.reshape(-1) + 1e-30
                big = big[fin]
                if dtype.name == "f32":
                    tol = 1e-6 * np.abs(r) + 2.0**-48 * big
                elif dtype.name == "f64":
                    tol = 1e-12 * np.abs(r) + 2.0**-48 * big
                else:
                    tol = dtype.ulp(r) + 2.0**-20 * big
                bad = ~(np.abs(g - r) <= tol)
                if bad.any():
                    j = np.argmax(np.where(bad, np.abs(g - r) - tol, -np.inf))
                    problems.append("%d samples off; worst got %r, want %r" % (bad.sum(), g[j], r[j]))

            fn = getattr(lib, "_mlir_ciface_case%d" % i)
            fn.restype = None
            if both:
                # Both outputs in one call (call_fenced checks one): every
                # element written, over a sentinel fill.
                loss_out = np.empty(lshape, dtype=dtype.storage)
                grad_out = np.empty(shape, dtype=dtype.storage)
                dtype.bits(loss_out)[...] = dtype.sentinel_bits
                dtype.bits(grad_out)[...] = dtype.sentinel_bits
                fn(*[ctypes.byref(descriptor(a))
                     for a in (x, labels, dloss, loss_out, grad_out)])
                problems = []
                for out_ in (loss_out, grad_out):
                    if (dtype.bits(out_) == dtype.sentinel_bits).any():
                        problems.append("output elements not written")
                check(False, loss_out, problems)
                check(True, grad_out, problems)
            else:
                operands = [x, labels] + ([dloss] if grad else [])
                out, problems = call_fenced(fn, operands, shape if grad else lshape, dtype)
                check(grad, out, problems)
            if problems:
                failures += 1
                print("FAIL cross_entropy %s shape=%s dim=%d labels=%s ignore=%d smoothing=%g: %s"
                      % (args.op, shape, dim, lt, ignore, smoothing, "; ".join(problems)))
    print("cross_entropy %s %s (%s reference): %d functions, %d failures"
          % (args.op, dtype.name, args.reference, len(cases), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
