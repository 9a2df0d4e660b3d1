"""Compiles softmax-dialect functions with softmax-compile, runs them through
the shared-library C ABI, and compares every output with a float64 reference.

Usage: softmax_check.py --compiler softmax-compile --dtype f32 --suite shapes
                        --workdir DIR

Prints one summary line per suite and exits non-zero on any mismatch. Besides
the values, each call checks the ABI contract: inputs are never written,
every output element is written, and nothing outside the output is.
"""

import argparse
import ctypes
import itertools
import os
import subprocess
import sys

import numpy as np

# ---------------------------------------------------------------------------
# Element types: NumPy storage, conversions, tolerances.
# ---------------------------------------------------------------------------


def bf16_bits_from_f64(x):
    """Rounds float64 values to bfloat16 (to nearest even) and returns bits."""
    u = np.asarray(x, dtype=np.float64).astype(np.float32).view(np.uint32)
    u = u.astype(np.uint64)
    rounded = ((u + 0x7FFF + ((u >> 16) & 1)) >> 16).astype(np.uint16)
    nan = np.isnan(np.asarray(x, dtype=np.float64))
    rounded[nan] = 0x7FC0
    return rounded


def bf16_bits_to_f64(bits):
    u = np.asarray(bits, dtype=np.uint16).astype(np.uint32) << 16
    return u.view(np.float32).astype(np.float64)


class DType:
    def __init__(self, name, storage, sentinel_bits):
        self.name = name
        self.storage = storage  # NumPy dtype of the buffers.
        # A NaN bit pattern no computation produces: marks unwritten slots.
        self.sentinel_bits = sentinel_bits

    def from_f64(self, x):
        if self.name == "bf16":
            return bf16_bits_from_f64(x)
        return np.asarray(x, dtype=np.float64).astype(self.storage)

    def to_f64(self, a):
        if self.name == "bf16":
            return bf16_bits_to_f64(a)
        return np.asarray(a).astype(np.float64)

    def bits(self, a):
        width = np.dtype(self.storage).itemsize
        return a.view({2: np.uint16, 4: np.uint32, 8: np.uint64}[width])

    def ulp(self, ref):
        """Spacing of the output type at |ref| (its value rounded to it)."""
        r = np.abs(ref)
        if self.name == "f16":
            return np.spacing(r.astype(np.float16)).astype(np.float64)
        # bf16: 8 significant bits, subnormals down to 2**-133.
        with np.errstate(divide="ignore"):
            e = np.floor(np.log2(np.where(r > 0, r, 1.0)))
        return np.exp2(np.maximum(e, -126.0) - 7.0)

    @property
    def largest(self):
        """A magnitude near 1e30 the type can hold."""
        return 6.0e4 if self.name == "f16" else 1.0e30


DTYPES = {
    "f32": DType("f32", np.float32, 0x7FA5A5A5),
    "f64": DType("f64", np.float64, 0x7FF5A5A5A5A5A5A5),
    "f16": DType("f16", np.float16, 0x7D5A),
    "bf16": DType("bf16", np.uint16, 0x7FA5),
}

# ---------------------------------------------------------------------------
# The float64 reference, written from the dialect's contract row by row.
# ---------------------------------------------------------------------------


def reference_rows(rows, log):
    out = np.empty_like(rows)
    for i, row in enumerate(rows):
        if np.isnan(row).any():
            out[i] = np.nan
        elif np.isposinf(row).any():
            big = np.isposinf(row)
            k = big.sum()
            if log:
                out[i] = np.where(big, -np.log(k), -np.inf)
            else:
                out[i] = np.where(big, 1.0 / k, 0.0)
        elif np.isneginf(row).all():
            out[i] = -np.inf if log else 0.0
        else:
            m = row.max()
            e = np.exp(row - m)
            s = e.sum()
            # log(s) as log1p of what is not the maximum's 1: a dominant
            # entry's log-probability keeps its digits.
            top = row == m
            rest = top.sum() - 1.0 + e[~top].sum()
            out[i] = (row - m) - np.log1p(rest) if log else e / s
    return out


def to_rows(x, dim):
    moved = np.moveaxis(x, dim, -1)
    return moved.reshape(-1, x.shape[dim]), moved.shape


def from_rows(rows, moved_shape, dim):
    return np.moveaxis(rows.reshape(moved_shape), -1, dim)


# ---------------------------------------------------------------------------
# Test data.
# ---------------------------------------------------------------------------


def make_rows(rng, num_rows, n, dtype, special):
    """float64 rows exactly representable in `dtype`."""
    rows = rng.standard_normal((num_rows, n)) * 4.0
    if special:
        # Sprinkle -inf entries; they must behave as exp(-inf) = 0.
        rows[rng.random((num_rows, n)) < 0.05] = -np.inf
        big = dtype.largest
        specials = [
            lambda r: r.fill(-np.inf),  # all -inf: zeros / -inf
            lambda r: r.__setitem__(n // 2, np.nan),  # NaN row
            lambda r: r.__setitem__(n // 3, np.inf),  # one +inf
            lambda r: (r.__setitem__(0, np.inf), r.__setitem__(n - 1, np.inf)),
            lambda r: r.__setitem__(slice(None), rng.choice([-big, big], n)),
            lambda r: r.__setitem__(slice(None), big * (1 - rng.random(n) * 1e-3)),
            lambda r: (r.__setitem__(slice(None), -big), r.__setitem__(0, -np.inf)),
            lambda r: r.__setitem__(slice(0, (n + 1) // 2), -np.inf),  # -inf half
        ]
        for i, make in enumerate(specials[:num_rows]):
            make(rows[i])
    return dtype.to_f64(dtype.from_f64(rows))


# ---------------------------------------------------------------------------
# Calling the compiled code through the C ABI.
# ---------------------------------------------------------------------------


def build_library(compiler, stem, source, flags=()):
    """Writes `source` to STEM.mlir, compiles it with softmax-compile into
    the shared library STEM.so (with `flags`) and loads it."""
    os.makedirs(os.path.dirname(os.path.abspath(stem)), exist_ok=True)
    with open(stem + ".mlir", "w") as f:
        f.write(source)
    subprocess.run([compiler, stem + ".mlir", "-o", stem + ".so", "--emit=shared-lib"]
                   + list(flags), check=True)
    return ctypes.CDLL(os.path.abspath(stem + ".so"))


def descriptor_type(rank):
    fields = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
    ]
    if rank:
        fields += [
            ("sizes", ctypes.c_int64 * rank),
            ("strides", ctypes.c_int64 * rank),
        ]
    return type("MemRef%dD" % rank, (ctypes.Structure,), {"_fields_": fields})


def descriptor(array):
    desc = descriptor_type(array.ndim)()
    desc.allocated = desc.aligned = array.ctypes.data
    desc.offset = 0
    itemsize = array.itemsize
    for i in range(array.ndim):
        desc.sizes[i] = array.shape[i]
        desc.strides[i] = array.strides[i] // itemsize
    return desc


GUARD = 64  # Elements of sentinel on each side of an output.


def call_fenced(fn, inputs, out_shape, dtype, shift=0):
    """Runs fn(*inputs, out) with out (of `out_shape` and `dtype`, `shift`
    elements further into its buffer) between guards of sentinel values;
    returns (out, problems), the ABI contract checked: inputs unchanged,
    every output element written, nothing outside it."""
    problems = []
    before = [a.copy() for a in inputs]
    size = int(np.prod(out_shape, dtype=np.int64))
    buf = np.empty(size + 2 * GUARD + shift, dtype=dtype.storage)
    dtype.bits(buf)[:] = dtype.sentinel_bits
    out = buf[GUARD + shift : GUARD + shift + size].reshape(out_shape)
    fn(*[ctypes.byref(descriptor(a)) for a in list(inputs) + [out]])
    if any(a.tobytes() != b.tobytes() for a, b in zip(inputs, before)):
        problems.append("an input was written")
    guards = np.concatenate([dtype.bits(buf[: GUARD + shift]), dtype.bits(buf[-GUARD:])])
    if (guards != dtype.sentinel_bits).any():
        problems.append("memory outside the output was written")
    unwritten = (dtype.bits(out) == dtype.sentinel_bits).sum()
    if unwritten:
        problems.append("%d output elements were not written" % unwritten)
    return out, problems


def compare(got, ref, dtype, log):
    """Returns a list of problems with got (float64) against ref."""
    problems = []
    nan_ref = np.isnan(ref)
    if (np.isnan(got) != nan_ref).any():
        problems.append("NaN mismatch at %d elements" % (np.isnan(got) != nan_ref).sum())
    # A value beyond the output type's range correctly rounds to infinity.
    rounded = dtype.to_f64(dtype.from_f64(ref))
    inf_ref = np.isinf(rounded)
    if (got[inf_ref] != rounded[inf_ref]).any():
        problems.append("infinity mismatch")
    fin = ~nan_ref & ~inf_ref
    g, r = got[fin], ref[fin]
    if not np.isfinite(g).all():
        problems.append("non-finite value where the reference is finite")
        return problems
    err = np.abs(g - r)
    if dtype.name == "f32":
        tol = 1e-6 + 1e-5 * np.abs(r)
    elif dtype.name == "f64":
        tol = 1e-9 * np.abs(r) + 1e-300
    else:
        tol = dtype.ulp(r)
    bad = err > tol
    if bad.any():
        i = np.argmax(err - tol)
        problems.append(
            "%d elements off; worst got %r, want %r (tolerance %.3g)"
            % (bad.sum(), g[i], r[i], tol[i])
        )
    return problems


def check_row_sums(got_rows, ref_rows, dtype):
    """Every finite row of a softmax sums to 1 (within the output rounding)."""
    finite = np.isfinite(ref_rows).all(axis=1) & (ref_rows.sum(axis=1) > 0)
    sums = got_rows[finite].sum(axis=1)
    eps = {"f32": 0.0, "f64": 0.0, "f16": 2.0**-11, "bf16": 2.0**-8}[dtype.name]
    # The spacing of subnormals: below 6e-5, f16 has 2^-24 absolute steps.
    tiny = {"f32": 0.0, "f64": 0.0, "f16": 2.0**-24, "bf16": 2.0**-133}[dtype.name]
    # f16/bf16 outputs are each rounded once: the sum may drift by that much
    # (a long flat row of subnormal outputs all rounds the same way).
    tol = 1e-5 + (eps * np.abs(got_rows[finite]) + tiny).sum(axis=1)
    bad = np.abs(sums - 1.0) > tol
    if bad.any():
        return ["%d finite rows do not sum to 1 (worst %r)" % (bad.sum(), sums[bad][0])]
    return []


# ---------------------------------------------------------------------------
# Suites.
# ---------------------------------------------------------------------------

OTHER_DIMS = [3, 2, 4]  # Sizes of the non-reduced dimensions.
REDUCED_SIZES = [1, 7, 33, 1025]


def shape_cases():
    """(shape, dim, dims spelled in the function type) for every rank 1-4,
    every dim, every reduced size, static, dynamic and mixed."""
    for rank in range(1, 5):
        for dim, n, kind in itertools.product(
            range(rank), REDUCED_SIZES, ["static", "dynamic", "mixed"]
        ):
            shape = [OTHER_DIMS[(i + dim) % 3] for i in range(rank)]
            shape[dim] = n
            if kind == "static":
                spelled = [str(s) for s in shape]
            elif kind == "dynamic":
                spelled = ["?"] * rank
            else:  # The reduced dim dynamic, the others static.
                spelled = ["?" if i == dim else str(s) for i, s in enumerate(shape)]
            yield shape, dim, spelled


def special_cases():
    """2-D rows holding every hard value, reduced along either dim."""
    for n in [1, 2, 7, 33, 1025]:
        yield [9, n], 1, ["?", str(n)]
        yield [n, 9], 0, [str(n), "?"]


def split_cases():
    """Few long rows: with more than one thread, each row is split into
    column chunks whose (max, sum) pairs are merged."""
    yield [1, 40000], 1, ["1", "40000"]
    yield [1, 40000], 1, ["?", "?"]
    yield [1, 70001], 1, ["?", "?"]
    yield [70001], 0, ["?"]
    yield [8, 50000], 1, ["?", "?"]
    yield [2, 3, 40000], 2, ["2", "3", "?"]


def build_module(cases, dtype, row_form=None, pass_form=None, store_form=None):
    pinned = []
    if row_form:
        pinned.append('softmax.row_form = "%s"' % row_form)
    if pass_form:
        pinned.append('softmax.pass_form = "%s"' % pass_form)
    if store_form:
        pinned.append('softmax.store_form = "%s"' % store_form)
    attrs = " {%s}" % ", ".join(pinned) if pinned else ""
    funcs = []
    for index, (shape, dim, spelled, op) in enumerate(cases):
        ty = "tensor<%sx%s>" % ("x".join(spelled), dtype.name)
        funcs.append(
            "func.func @case%d(%%x: %s) -> %s {\n"
            "  %%y = softmax.%s %%x dim(%d)%s : %s\n"
            "  return %%y : %s\n}\n" % (index, ty, ty, op, dim, attrs, ty, ty)
        )
    return "\n".join(funcs)


def run_suite(args, suite):
    dtype = DTYPES[args.dtype]
    rng = np.random.default_rng(1234)
    base = {"shapes": shape_cases, "special": special_cases, "split": split_cases}[suite]()
    cases = [
        (shape, dim, spelled, op)
        for (shape, dim, spelled) in base
        for op in ["softmax", "log_softmax"]
    ]
    stem = os.path.join(args.workdir, "%s_%s%s" % (suite, dtype.name, args.tag))
    lib = build_library(
        args.compiler, stem,
        build_module(cases, dtype, args.row_form, args.pass_form, args.store_form),
        args.flags.split())

    failures = 0
    for index, (shape, dim, spelled, op) in enumerate(cases):
        log = op == "log_softmax"
        n = shape[dim]
        num_rows = int(np.prod(shape)) // n
        rows = make_rows(rng, num_rows, n, dtype, special=True)
        moved_shape = list(np.moveaxis(np.empty(shape), dim, -1).shape)
        x64 = np.ascontiguousarray(from_rows(rows, moved_shape, dim))
        x = np.ascontiguousarray(dtype.from_f64(x64))

        fn = getattr(lib, "_mlir_ciface_case%d" % index)
        fn.restype = None
        y, problems = call_fenced(fn, [x], x.shape, dtype, index % args.shifts)
        got = dtype.to_f64(y)
        ref_rows = reference_rows(rows, log)
        ref = from_rows(ref_rows, moved_shape, dim)
        problems += compare(got, ref, dtype, log)
        if not log:
            problems += check_row_sums(to_rows(got, dim)[0], ref_rows, dtype)
        if problems:
            failures += 1
            print(
                "FAIL %s %s shape=%s dim=%d type=tensor<%sx%s>: %s"
                % (suite, op, shape, dim, "x".join(spelled), dtype.name, "; ".join(problems))
            )
    print("%s %s: %d functions, %d failures" % (suite, dtype.name, len(cases), failures))
    return failures


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--dtype", choices=sorted(DTYPES), required=True)
    parser.add_argument("--suite", choices=["shapes", "special", "split"], required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="", help="extra softmax-compile flags")
    parser.add_argument("--tag", default="", help="names this configuration")
    parser.add_argument("--row-form", choices=["rows", "groups", "split"],
                        help="pin softmax.row_form on every op")
    parser.add_argument("--pass-form", choices=["three_pass", "online"],
                        help="pin softmax.pass_form on every op")
    parser.add_argument("--store-form", choices=["cached", "nontemporal"],
                        help="pin softmax.store_form on every op")
    parser.add_argument("--shifts", type=int, default=1,
                        help="write function i's output (i mod SHIFTS) elements further "
                        "into its buffer, so that rows start at various alignments")
    args = parser.parse_args()
    with np.errstate(all="ignore"):
        failures = run_suite(args, args.suite)
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
