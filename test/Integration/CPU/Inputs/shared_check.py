"""Compiles a module whose softmax-family ops repeat (as a model's layers
do) with softmax-compile, so that softmax-share-kernels makes one kernel per
distinct op that every occurrence calls, runs every function through the C
ABI and compares it with a float64 NumPy reference.

Usage: shared_check.py --compiler softmax-compile --workdir DIR [--flags=..]
                       [--tag T] [--statics N]

The repeats: a static softmax in three functions; an attention softmax with
a fused producer over dynamic sizes in two functions, called on short, long
and split rows; a log_softmax over dynamic rows in one function and twice
in a chain in another (the second call reads the first one's result); an
f16 log_softmax cast to f32 by a fused consumer in two functions; the
softmax gradient and cross-entropy twice each. Also checks that no kernel
is exported from the shared library (each is local to it).
"""

import argparse
import ctypes
import os
import sys

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from softmax_check import build_library, descriptor  # noqa: E402

MAPS = """#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
"""

STATIC = """func.func @static_{i}(%x: tensor<9x7xf32>) -> tensor<9x7xf32> {{
  %y = softmax.softmax %x dim(1) : tensor<9x7xf32>
  return %y : tensor<9x7xf32>
}}
"""

ATTENTION = """func.func @attention_{i}(%x: tensor<?x?xf32>, %bias: tensor<?xf32>) -> tensor<?x?xf32> {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %s = linalg.generic {{indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%x, %bias : tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %scale = arith.constant 0.125 : f32
    %t = arith.mulf %a, %scale : f32
    %u = arith.addf %t, %b : f32
    linalg.yield %u : f32
  }} -> tensor<?x?xf32>
  %y = softmax.softmax %s dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}}
"""

CHAIN = """func.func @log_once(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x512xf32>
  return %y : tensor<?x512xf32>
}
func.func @log_twice(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x512xf32>
  %z = softmax.log_softmax %y dim(1) : tensor<?x512xf32>
  return %z : tensor<?x512xf32>
}
"""

CAST = """func.func @cast_{i}(%x: tensor<6x300xf16>) -> tensor<6x300xf32> {{
  %y = softmax.log_softmax %x dim(1) : tensor<6x300xf16>
  %e = tensor.empty() : tensor<6x300xf32>
  %c = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%y : tensor<6x300xf16>) outs(%e : tensor<6x300xf32>) {{
  ^bb0(%a: f16, %o: f32):
    %w = arith.extf %a : f16 to f32
    linalg.yield %w : f32
  }} -> tensor<6x300xf32>
  return %c : tensor<6x300xf32>
}}
"""

FAMILY = """func.func @grad_{i}(%y: tensor<5x33xf32>, %dy: tensor<5x33xf32>) -> tensor<5x33xf32> {{
  %g = softmax.softmax_grad %y, %dy dim(1) : tensor<5x33xf32>
  return %g : tensor<5x33xf32>
}}
func.func @loss_{i}(%x: tensor<5x33xf32>, %l: tensor<5xi64>) -> tensor<5xf32> {{
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<5x33xf32>, tensor<5xi64> -> tensor<5xf32>
  return %loss : tensor<5xf32>
}}
"""


def softmax_rows(x, log=False):
    x = x.astype(np.float64)
    m = x.max(axis=-1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=-1, keepdims=True)
    return x - m - np.log(s) if log else e / s


def run(lib, name, inputs, out_shape, out_dtype=np.float32):
    out = np.full(out_shape, 12345, dtype=out_dtype)
    fn = getattr(lib, "_mlir_ciface_" + name)
    fn.restype = None
    fn(*[ctypes.byref(descriptor(np.ascontiguousarray(a))) for a in list(inputs) + [out]])
    return out.astype(np.float64)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--statics", type=int, default=3,
                        help="functions holding the static softmax (40 make a module "
                        "softmax-compile optimizes and compiles in parts)")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)

    source = (MAPS + "".join(STATIC.format(i=i) for i in range(args.statics))
              + "".join(ATTENTION.format(i=i) for i in range(2)) + CHAIN
              + "".join(CAST.format(i=i) for i in range(2))
              + "".join(FAMILY.format(i=i) for i in range(2)))
    stem = os.path.join(args.workdir, "shared%s" % args.tag)
    lib = build_library(args.compiler, stem, source, args.flags.split())

    rng = np.random.default_rng(11)
    failures, checked = 0, 0

    def check(name, got, ref, rtol=1e-5, atol=1e-6):
        nonlocal failures, checked
        checked += 1
        if got.shape != ref.shape or not np.allclose(got, ref, rtol=rtol, atol=atol):
            failures += 1
            err = np.abs(got - ref).max() if got.shape == ref.shape else "shape"
            print("FAIL %s: max error %s" % (name, err))

    for i in range(args.statics):
        x = (rng.standard_normal((9, 7)) * 5).astype(np.float32)
        check("static_%d" % i, run(lib, "static_%d" % i, [x], (9, 7)), softmax_rows(x))
    # Short rows, rows with a tail, a long row that threads split.
    for i, (rows, cols) in enumerate([(8, 32), (3, 1000), (2, 40000), (5, 100)]):
        name = "attention_%d" % (i % 2)
        x = (rng.standard_normal((rows, cols)) * 20).astype(np.float32)
        bias = rng.standard_normal(cols).astype(np.float32)
        scores = (x * np.float32(0.125) + bias[None, :]).astype(np.float32)
        check("%s %dx%d" % (name, rows, cols), run(lib, name, [x, bias], (rows, cols)),
              softmax_rows(scores))
    for rows in (1, 7):
        x = (rng.standard_normal((rows, 512)) * 10).astype(np.float32)
        once = softmax_rows(x, log=True)
        check("log_once %d rows" % rows, run(lib, "log_once", [x], (rows, 512)), once)
        # The second log_softmax reads the first one's float32 result.
        twice = softmax_rows(once.astype(np.float32), log=True)
        check("log_twice %d rows" % rows, run(lib, "log_twice", [x], (rows, 512)), twice,
              atol=1e-5)
    for i in range(2):
        x = (rng.standard_normal((6, 300)) * 4).astype(np.float16)
        # The op's result rounds to f16, the cast keeps it.
        ref = softmax_rows(x, log=True).astype(np.float16).astype(np.float64)
        check("cast_%d" % i, run(lib, "cast_%d" % i, [x], (6, 300)), ref, rtol=2e-3,
              atol=2e-3)
    for i in range(2):
        y = softmax_rows(rng.standard_normal((5, 33))).astype(np.float32)
        dy = rng.standard_normal((5, 33)).astype(np.float32)
        y64, dy64 = y.astype(np.float64), dy.astype(np.float64)
        ref = y64 * (dy64 - (dy64 * y64).sum(axis=1, keepdims=True))
        check("grad_%d" % i, run(lib, "grad_%d" % i, [y, dy], (5, 33)), ref)
        x = (rng.standard_normal((5, 33)) * 3).astype(np.float32)
        labels = rng.integers(0, 33, 5).astype(np.int64)
        ref = -softmax_rows(x, log=True)[np.arange(5), labels]
        check("loss_%d" % i, run(lib, "loss_%d" % i, [x, labels], (5,)), ref)

    for symbol in ("__softmax_kernel_0", "__softmax_kernel_1"):
        if hasattr(lib, symbol):
            failures += 1
            print("FAIL %s is exported from the shared library" % symbol)
    print("shared: %d calls checked, %d failures" % (checked, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
