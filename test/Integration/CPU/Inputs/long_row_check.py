"""Rows longer than 2^31 elements: the 64-bit index path.

Compiles softmax and log_softmax of a dynamic f16 row (`tensor<?xf16>`) and
runs them on one row of 2^31 + 37 elements (4 GiB in, 4 GiB out; split into
column chunks over the threads). The row is -inf except four finite entries,
two of them past element 2^31, so its exact result is known: the finite
entries' log-probabilities (or probabilities) and -inf (or 0) elsewhere; an
index that wrapped at 2^31 would miss or misplace them. Then a row of zeros
(log_softmax -log(n) everywhere: the row sum of 2^31 ones). The outputs
are checked in slices of 2^28 elements, so that the check needs no float64
copy of the row.

Usage: long_row_check.py --compiler softmax-compile --workdir DIR
"""

import argparse
import ctypes
import os
import sys

import numpy as np

from softmax_check import build_library, descriptor

N = 2**31 + 37
SLICE = 2**28
SOURCE = "".join(
    "func.func @%s(%%x: tensor<?xf16>) -> tensor<?xf16> {\n"
    "  %%y = softmax.%s %%x dim(0) : tensor<?xf16>\n"
    "  return %%y : tensor<?xf16>\n}\n" % (op, op) for op in ("softmax", "log_softmax"))


def call(lib, name, x, y):
    fn = getattr(lib, "_mlir_ciface_" + name)
    fn.restype = None
    fn(ctypes.byref(descriptor(x)), ctypes.byref(descriptor(y)))


def check(y, expected_at, elsewhere, what):
    """Problems: y must hold expected_at {index: value} (to f16 rounding)
    and `elsewhere` at every other element."""
    problems = []
    for start in range(0, N, SLICE):
        part = y[start:start + SLICE].astype(np.float32)
        keep = np.ones(part.size, bool)
        for index in expected_at:
            if start <= index < start + SLICE:
                keep[index - start] = False
        bad = (part[keep] != elsewhere).sum()
        if bad:
            problems.append("%s: %d elements in [%d, %d) are not %r"
                            % (what, bad, start, start + part.size, elsewhere))
    for index, want in expected_at.items():
        got = float(y[index])
        if abs(got - want) > 2.0**-10 * max(1.0, abs(want)):
            problems.append("%s: element %d is %r, want %r" % (what, index, got, want))
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    lib = build_library(args.compiler, os.path.join(args.workdir, "long_row"), SOURCE)

    x = np.full(N, -np.inf, np.float16)
    places = [5, 2**31 - 1, 2**31, N - 1]
    values = np.arange(4.0)
    x[places] = values
    log_p = values - np.log(np.exp(values).sum())
    y = np.empty(N, np.float16)
    problems = []
    call(lib, "log_softmax", x, y)
    problems += check(y, dict(zip(places, log_p)), -np.inf, "log_softmax")
    call(lib, "softmax", x, y)
    problems += check(y, dict(zip(places, np.exp(log_p))), 0.0, "softmax")
    x[...] = 0
    call(lib, "log_softmax", x, y)
    problems += check(y, {}, np.float32(np.float16(-np.log(N))), "log_softmax of zeros")
    for p in problems:
        print("FAIL " + p)
    print("long row of %d elements: %d problems" % (N, len(problems)))
    sys.exit(1 if problems else 0)


if __name__ == "__main__":
    main()
