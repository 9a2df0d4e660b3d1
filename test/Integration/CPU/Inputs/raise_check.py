"""Compiles hand-written linalg chains of the softmax gradients with
softmax-compile (whose pipeline raises them into softmax.softmax_grad and
softmax.log_softmax_grad), checks that they were raised (the pipeline's MLIR
has the row loops' f64 sums) and runs them through the shared-library C ABI
against float64 NumPy on the same inputs.

Usage: raise_check.py --compiler softmax-compile --workdir DIR
"""

import argparse
import os
import subprocess
import sys

import numpy as np

from softmax_check import DTYPES, build_library, call_fenced

SOURCE = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax_grad(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %y, %c0 : tensor<?x?xf32>
  %n = tensor.dim %y, %c1 : tensor<?x?xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %se = tensor.empty(%m) : tensor<?xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%dy, %y : tensor<?x?xf32>, tensor<?x?xf32>) outs(%s0 : tensor<?xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %p = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %p : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %r = arith.mulf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %dx : tensor<?x?xf32>
}
func.func @log_softmax_grad(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %y, %c0 : tensor<?x?xf32>
  %n = tensor.dim %y, %c1 : tensor<?x?xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %se = tensor.empty(%m) : tensor<?xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<?xf32>) -> tensor<?xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%dy : tensor<?x?xf32>) outs(%s0 : tensor<?xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<?xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %s : tensor<?x?xf32>, tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %x = math.exp %a : f32
    %p = arith.mulf %x, %c : f32
    %r = arith.subf %b, %p : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %dx : tensor<?x?xf32>
}
"""


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    stem = os.path.join(args.workdir, "raise")
    lib = build_library(args.compiler, stem, SOURCE)
    mlir = subprocess.run([args.compiler, stem + ".mlir", "-o", "-", "--emit=mlir"],
                          check=True, capture_output=True, text=True).stdout
    # The raised ops' row loops sum f32 products in f64 vectors.
    raised = mlir.count("vector<16xf64>") > 0 or mlir.count("vector<8xf64>") > 0
    dtype = DTYPES["f32"]
    rng = np.random.default_rng(3)
    failures = 0
    for name, shape in (("softmax_grad", (7, 1000)), ("log_softmax_grad", (5, 37))):
        x = rng.standard_normal(shape) * 2
        e = np.exp(x - x.max(axis=1, keepdims=True))
        p = e / e.sum(axis=1, keepdims=True)
        y64 = p if name == "softmax_grad" else np.log(p)
        y = y64.astype(np.float32)
        dy = rng.standard_normal(shape).astype(np.float32)
        yd, dyd = y.astype(np.float64), dy.astype(np.float64)
        if name == "softmax_grad":
            ref = yd * (dyd - (dyd * yd).sum(axis=1, keepdims=True))
        else:
            ref = dyd - np.exp(yd) * dyd.sum(axis=1, keepdims=True)
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        out, problems = call_fenced(fn, [y, dy], shape, dtype)
        got = out.astype(np.float64)
        scale = np.abs(dyd).max(axis=1, keepdims=True) * (np.abs(yd).max() + 1)
        bad = ~(np.abs(got - ref) <= 1e-5 * np.abs(ref) + 1e-6 * scale)
        if bad.any():
            problems.append("%d elements off" % bad.sum())
        if problems:
            failures += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
    print("raised gradients: %s, 2 functions, %d failures"
          % ("raised" if raised else "NOT raised", failures))
    sys.exit(1 if failures or not raised else 0)


if __name__ == "__main__":
    main()
