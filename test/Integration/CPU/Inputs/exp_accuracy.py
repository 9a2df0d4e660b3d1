"""Measures the f32 exp of `softmax-approximate-math{nonpositive-exp}` (the exp
that softmax-vectorize uses for t = x - max(x) <= 0) against float64 exp.

Usage: exp_accuracy.py --opt softmax-opt --compiler softmax-compile --workdir D

Every 64th f32 bit pattern in [-87.3, 0] (about 17 million arguments) is
checked: the error must be within 2 ulp of the correctly rounded result.
Below -87.3 the true value is near or below the smallest normal f32 (2^-126);
there the result must be within 2^-126 of it, and exactly 0 from -88 down to
-inf.
"""

import argparse
import ctypes
import os
import subprocess
import sys

import numpy as np

MODULE = """
#id = affine_map<(d0) -> (d0)>
func.func @exp(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  return %y : tensor<?xf32>
}
"""


class MemRef1D(ctypes.Structure):
    _fields_ = [
        ("allocated", ctypes.c_void_p),
        ("aligned", ctypes.c_void_p),
        ("offset", ctypes.c_int64),
        ("sizes", ctypes.c_int64 * 1),
        ("strides", ctypes.c_int64 * 1),
    ]


def descriptor(a):
    return MemRef1D(a.ctypes.data, a.ctypes.data, 0, (a.size,), (1,))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--opt", required=True)
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    src = os.path.join(args.workdir, "exp.mlir")
    approximated = os.path.join(args.workdir, "exp.approx.mlir")
    lib = os.path.join(args.workdir, "libexp.so")
    with open(src, "w") as f:
        f.write(MODULE)
    subprocess.run([args.opt, src, "--softmax-approximate-math=nonpositive-exp=1",
                    "-o", approximated], check=True)
    with open(approximated) as f:
        if "math.exp" in f.read():
            sys.exit("math.exp was not replaced")
    subprocess.run([args.compiler, approximated, "--emit=shared-lib", "-o", lib],
                   check=True)
    fn = ctypes.CDLL(os.path.abspath(lib))._mlir_ciface_exp
    fn.restype = None

    def run(x):
        x = np.ascontiguousarray(x, dtype=np.float32)
        y = np.full_like(x, np.nan)
        fn(ctypes.byref(descriptor(x)), ctypes.byref(descriptor(y)))
        return y

    # Negative floats: larger bit patterns are more negative values.
    lo = np.array([-0.0], dtype=np.float32).view(np.uint32)[0]
    hi = np.array([-87.3], dtype=np.float32).view(np.uint32)[0]
    x = np.arange(lo, hi + 1, 64, dtype=np.uint32).view(np.float32)
    x = np.concatenate([x, np.float32([-0.0, 0.0, -1e-30, -0.6931472, -87.3])])
    y = run(x).astype(np.float64)
    ref = np.exp(x.astype(np.float64))
    ulp = np.spacing(ref.astype(np.float32)).astype(np.float64)
    err = np.abs(y - ref) / ulp
    worst = int(np.argmax(err))
    print("in [-87.3, 0]: %d arguments, max error %.2f ulp (at %r)"
          % (x.size, err[worst], float(x[worst])))

    tiny = np.float32(-87.3) - np.float32(0.01) * np.arange(0, 1000, dtype=np.float32)
    y_tiny = run(tiny)
    below = run(np.float32([-88.0, -88.5, -100.0, -1e30, -np.inf]))
    tiny_err = np.abs(y_tiny.astype(np.float64) - np.exp(tiny.astype(np.float64)))
    ok_tiny = bool(np.all((y_tiny >= 0) & (tiny_err <= 2.0 ** -126)))
    ok_zero = bool(np.all(below == 0))
    print("below -87.3: absolute error within 2^-126: %s; exactly 0 from -88 to -inf: %s"
          % (ok_tiny, ok_zero))
    if err[worst] > 2.0 or not ok_tiny or not ok_zero:
        sys.exit(1)
    print("PASS")


if __name__ == "__main__":
    main()
