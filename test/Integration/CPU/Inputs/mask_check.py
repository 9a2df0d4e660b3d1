"""Compiles softmax.softmax and softmax.log_softmax with a mask operand (i1
or additive float, broadcast against the input), a scale and the causal
mask with softmax-compile, runs them through the shared-library C ABI, and
compares every output with a float64 reference on the same inputs.

Usage: mask_check.py --compiler softmax-compile --dtype f32 --workdir DIR
                     [--reference numpy|torch]

The NumPy reference applies the contract: z = x * scale; an i1 mask keeps
the true elements (the others -inf), a float mask is added; causal keeps
element j of row i (over the last two dims) where j <= i + offset; then
softmax_check's row-by-row reference (a fully masked row gives zeros, -inf
from log_softmax). The PyTorch one is
torch.nn.functional.scaled_dot_product_attention's masking spelled out:
masked_fill / + mask on float64, then torch.softmax / log_softmax, whose
fully masked rows are NaN and are compared with the contract's values.
Cases: i1 masks per element, per column (1 x N) and per row; float masks of
the input's type and of f32; causal with offsets 0, -1 and 3 on square and
non-square rows, together with a mask and a scale; rows of 1 to 4099; every
case also has fully masked rows.
"""

import argparse
import os
import sys

import numpy as np

from softmax_check import DTYPES, build_library, call_fenced, compare, reference_rows

# (input shape, dim, dims spelled, mask shape or None, mask kind, scale,
#  causal offset or None, op).
CASES = [
    ([6, 40], 1, ["6", "40"], [6, 40], "i1", None, None, "softmax"),
    ([6, 40], 1, ["?", "?"], [1, 40], "i1", 0.125, None, "log_softmax"),
    ([5, 33], 1, ["5", "?"], [5, 1], "i1", None, None, "softmax"),
    ([3, 4, 17], 2, ["3", "?", "?"], [4, 17], "float", 2.0, None, "softmax"),
    ([8, 8], 1, ["8", "8"], None, None, None, 0, "softmax"),
    ([8, 8], 1, ["?", "?"], None, None, 0.5, 0, "log_softmax"),
    ([2, 7, 12], 2, ["2", "7", "12"], [7, 12], "i1", 0.3, 3, "softmax"),
    ([9, 9], 1, ["9", "9"], None, None, None, -1, "log_softmax"),
    ([3, 4099], 1, ["?", "?"], [4099], "float32", -1.5, None, "softmax"),
    ([12, 1], 1, ["12", "1"], [12, 1], "i1", None, None, "log_softmax"),
    ([6, 40], 0, ["6", "40"], [6, 1], "i1", 3.0, None, "softmax"),
]


def spelled_mask(shape, kind, dtype, dynamic):
    element = {"i1": "i1", "float": dtype.name, "float32": "f32"}[kind]
    dims = ["?" if dynamic and d != 1 else str(d) for d in shape]
    return "tensor<%sx%s>" % ("x".join(dims), element)


def make_mask(rng, shape, kind, dtype):
    if kind == "i1":
        m = rng.random(shape) < 0.7
        if m.ndim >= 1 and m.shape[-1] > 1:
            m.reshape(-1, m.shape[-1])[0] = False  # a fully masked row
        return m
    m = rng.standard_normal(shape)
    m[rng.random(shape) < 0.3] = -np.inf
    if m.ndim >= 1 and m.shape[-1] > 1:
        m.reshape(-1, m.shape[-1])[0] = -np.inf
    return m


def masked_input(x, mask, kind, scale, offset, dtype):
    z = x * scale if scale is not None else x.copy()
    if kind == "i1":
        z = np.where(np.broadcast_to(mask, z.shape), z, -np.inf)
    elif kind is not None:
        m = mask if kind == "float32" else dtype.to_f64(dtype.from_f64(mask))
        if dtype.name in ("f16", "bf16") or kind == "float32" and dtype.name == "f32":
            # Added in f32 (f16/bf16 compute in f32).
            z = (z.astype(np.float32) + np.float32(1) * m.astype(np.float32)).astype(np.float64)
        else:
            z = z + m
    if offset is not None:
        i = np.arange(x.shape[-2])[:, None]
        j = np.arange(x.shape[-1])[None, :]
        z = np.where(j <= i + offset, z, -np.inf)
    return z


def torch_reference(x, mask, kind, scale, offset, dim, log):
    import torch

    t = torch.tensor(x, dtype=torch.float64)
    if scale is not None:
        t = t * scale
    if kind == "i1":
        t = t.masked_fill(~torch.tensor(np.broadcast_to(mask, x.shape)), float("-inf"))
    elif kind is not None:
        t = t + torch.tensor(mask, dtype=torch.float64)
    if offset is not None:
        keep = torch.ones(x.shape[-2], x.shape[-1], dtype=torch.bool).tril(offset)
        t = t.masked_fill(~keep, float("-inf"))
    y = torch.log_softmax(t, dim) if log else torch.softmax(t, dim)
    y = y.numpy().copy()
    # PyTorch gives NaN for a fully masked row; the contract gives 0 / -inf.
    full = np.isneginf(np.moveaxis(t.numpy(), dim, -1)).all(axis=-1, keepdims=True)
    full = np.moveaxis(np.broadcast_to(full, np.moveaxis(y, dim, -1).shape), -1, dim)
    y[full] = -np.inf if log else 0.0
    return y


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--reference", choices=["numpy", "torch"], default="numpy")
    args = parser.parse_args()
    dtype = DTYPES[args.dtype]
    funcs = []
    for i, (shape, dim, spelled, mshape, kind, scale, offset, op) in enumerate(CASES):
        t = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        attrs = []
        if offset is not None:
            attrs.append("causal")
            if offset:
                attrs.append("causal_offset = %d : i64" % offset)
        if scale is not None:
            attrs.append("scale = %r : f64" % scale)
        attr = " {%s}" % ", ".join(attrs) if attrs else ""
        if mshape is not None:
            mt = spelled_mask(mshape, kind, dtype, "?" in spelled)
            funcs.append("func.func @case%d(%%x: %s, %%m: %s) -> %s {\n"
                         "  %%y = softmax.%s %%x mask(%%m : %s) dim(%d)%s : %s\n"
                         "  return %%y : %s\n}\n" % (i, t, mt, t, op, mt, dim, attr, t, t))
        else:
            funcs.append("func.func @case%d(%%x: %s) -> %s {\n"
                         "  %%y = softmax.%s %%x dim(%d)%s : %s\n"
                         "  return %%y : %s\n}\n" % (i, t, t, op, dim, attr, t, t))
    stem = os.path.join(args.workdir, "mask_%s_%s" % (dtype.name, args.reference))
    lib = build_library(args.compiler, stem, "\n".join(funcs))
    rng = np.random.default_rng(5)
    failures = 0
    with np.errstate(all="ignore"):
        for i, (shape, dim, spelled, mshape, kind, scale, offset, op) in enumerate(CASES):
            log = op == "log_softmax"
            x = dtype.to_f64(dtype.from_f64(rng.standard_normal(shape) * 3))
            mask = make_mask(rng, mshape, kind, dtype) if mshape is not None else None
            if kind == "float":
                mask = dtype.to_f64(dtype.from_f64(mask))
            if args.reference == "torch":
                ref = torch_reference(x, mask, kind, scale, offset, dim, log)
            else:
                z = masked_input(x, mask, kind, scale, offset, dtype)
                moved = np.moveaxis(z, dim, -1)
                ref = np.moveaxis(reference_rows(moved.reshape(-1, shape[dim]), log)
                                  .reshape(moved.shape), -1, dim)
            inputs = [np.ascontiguousarray(dtype.from_f64(x))]
            if mask is not None:
                if kind == "i1":
                    inputs.append(np.ascontiguousarray(mask.astype(np.bool_)))
                elif kind == "float32":
                    inputs.append(np.ascontiguousarray(mask.astype(np.float32)))
                else:
                    inputs.append(np.ascontiguousarray(dtype.from_f64(mask)))
            fn = getattr(lib, "_mlir_ciface_case%d" % i)
            fn.restype = None
            out, problems = call_fenced(fn, inputs, shape, dtype)
            got = dtype.to_f64(out)
            problems += compare(got, ref, dtype, log)
            if problems:
                failures += 1
                print("FAIL mask case%d %s shape=%s dim=%d mask=%s %s scale=%s causal=%s: %s"
                      % (i, op, shape, dim, mshape, kind, scale, offset, "; ".join(problems)))
    print("masked softmax %s (%s reference): %d functions, %d failures"
          % (dtype.name, args.reference, len(CASES), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
