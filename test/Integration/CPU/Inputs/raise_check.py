"""Compiles linalg and TOSA forms of softmax, log_softmax and their
gradients with softmax-compile (whose pipeline raises them into the softmax
ops first, then lowers what is left of TOSA): linalg.softmax, the
max-exp-sum chains as torch-mlir writes them (reductions that keep the dim),
a chain without the max, a small TOSA model around a TOSA softmax chain, a
TOSA log_softmax, and hand-written gradient chains. Checks that softmax-opt --softmax-raise turns each function into
its op, then runs them through the shared-library C ABI against float64
NumPy on the same inputs (rows whose values would overflow the chain
without the max included: the raised op is stable).

Usage: raise_check.py --compiler softmax-compile --opt softmax-opt
                      --workdir DIR
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
#kept = affine_map<(d0, d1) -> (d0, 0)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @linalg_softmax(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = tensor.dim %x, %c0 : tensor<?x?xf32>
  %n = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%m, %n) : tensor<?x?xf32>
  %y = linalg.softmax dimension(0) ins(%x : tensor<?x?xf32>) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
""" + "".join("""
func.func @torch_{name}(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {{
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %c1 : tensor<?x?xf32>
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty(%rows) : tensor<?x1xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%re : tensor<?x1xf32>) -> tensor<?x1xf32>
  %m = linalg.generic {{indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}}
      ins(%x : tensor<?x?xf32>) outs(%m0 : tensor<?x1xf32>) {{
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  }} -> tensor<?x1xf32>
  %fe = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %t = linalg.generic {{indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%x, %m : tensor<?x?xf32>, tensor<?x1xf32>) outs(%fe : tensor<?x?xf32>) {{
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  }} -> tensor<?x?xf32>
  %e = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%t : tensor<?x?xf32>) outs(%fe : tensor<?x?xf32>) {{
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  }} -> tensor<?x?xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<?x1xf32>) -> tensor<?x1xf32>
  %s = linalg.generic {{indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}}
      ins(%e : tensor<?x?xf32>) outs(%s0 : tensor<?x1xf32>) {{
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  }} -> tensor<?x1xf32>
{tail}
}}
""".format(name=name, tail=tail) for name, tail in (
    ("softmax", """  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<?x?xf32>, tensor<?x1xf32>) outs(%fe : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>"""),
    ("log_softmax", """  %l = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<?x1xf32>) outs(%re : tensor<?x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.log %a : f32
    linalg.yield %r : f32
  } -> tensor<?x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t, %l : tensor<?x?xf32>, tensor<?x1xf32>) outs(%fe : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<?x?xf32>
  return %y : tensor<?x?xf32>"""))) + """
func.func @softmax_no_max(%x: tensor<9x300xf32>) -> tensor<9x300xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %fe = tensor.empty() : tensor<9x300xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<9x300xf32>) outs(%fe : tensor<9x300xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<9x300xf32>
  %re = tensor.empty() : tensor<300xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<300xf32>) -> tensor<300xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%e : tensor<9x300xf32>) outs(%s0 : tensor<300xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<300xf32>
  %y = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<9x300xf32>, tensor<300xf32>) outs(%fe : tensor<9x300xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %q = arith.divf %one, %b : f32
    %r = arith.mulf %q, %a : f32
    linalg.yield %r : f32
  } -> tensor<9x300xf32>
  return %y : tensor<9x300xf32>
}
"""

TOSA_SOURCE = """
func.func @tosa_model(%x: tensor<6x50xf32>, %b: tensor<6x50xf32>) -> tensor<6x50xf32> {
  %xb = tosa.add %x, %b : (tensor<6x50xf32>, tensor<6x50xf32>) -> tensor<6x50xf32>
  %max = tosa.reduce_max %xb {axis = 1 : i32} : (tensor<6x50xf32>) -> tensor<6x1xf32>
  %t = tosa.sub %xb, %max : (tensor<6x50xf32>, tensor<6x1xf32>) -> tensor<6x50xf32>
  %e = tosa.exp %t : (tensor<6x50xf32>) -> tensor<6x50xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<6x50xf32>) -> tensor<6x1xf32>
  %r = tosa.reciprocal %s : (tensor<6x1xf32>) -> tensor<6x1xf32>
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %y = tosa.mul %e, %r, %shift : (tensor<6x50xf32>, tensor<6x1xf32>, tensor<1xi8>) -> tensor<6x50xf32>
  %z = tosa.tanh %y : (tensor<6x50xf32>) -> tensor<6x50xf32>
  return %z : tensor<6x50xf32>
}
func.func @tosa_log_softmax(%x: tensor<40x3xf32>) -> tensor<40x3xf32> {
  %max = tosa.reduce_max %x {axis = 0 : i32} : (tensor<40x3xf32>) -> tensor<1x3xf32>
  %t = tosa.sub %x, %max : (tensor<40x3xf32>, tensor<1x3xf32>) -> tensor<40x3xf32>
  %e = tosa.exp %t : (tensor<40x3xf32>) -> tensor<40x3xf32>
  %s = tosa.reduce_sum %e {axis = 0 : i32} : (tensor<40x3xf32>) -> tensor<1x3xf32>
  %l = tosa.log %s : (tensor<1x3xf32>) -> tensor<1x3xf32>
  %y = tosa.sub %t, %l : (tensor<40x3xf32>, tensor<1x3xf32>) -> tensor<40x3xf32>
  return %y : tensor<40x3xf32>
}
"""
SOURCE += TOSA_SOURCE

# Each function and the op softmax-raise must leave in it.
RAISED = {
    "softmax_grad": "softmax.softmax_grad",
    "log_softmax_grad": "softmax.log_softmax_grad",
    "linalg_softmax": "softmax.softmax",
    "torch_softmax": "softmax.softmax",
    "torch_log_softmax": "softmax.log_softmax",
    "softmax_no_max": "softmax.softmax",
    "tosa_model": "softmax.softmax",
    "tosa_log_softmax": "softmax.log_softmax",
}


def raised_functions(opt, path):
    """The functions of `path` in which softmax-raise leaves their op and
    no step of the chain (no linalg op, no TOSA reduction or exp)."""
    text = subprocess.run([opt, path, "--softmax-raise"], check=True,
                          capture_output=True, text=True).stdout
    raised = []
    for chunk in text.split("func.func @")[1:]:
        name = chunk.split("(", 1)[0]
        steps = ("linalg.", "tosa.reduce", "tosa.exp")
        if RAISED[name] + " " in chunk and not any(step in chunk for step in steps):
            raised.append(name)
    return raised


def softmax64(x, axis):
    e = np.exp(x - x.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


def grad_case(rng, name, shape):
    """softmax_grad or log_softmax_grad on the f32 output of a softmax of
    random rows: (inputs, float64 reference, tolerance)."""
    x = rng.standard_normal(shape) * 2
    p = softmax64(x, 1)
    y = (p if name == "softmax_grad" else np.log(p)).astype(np.float32)
    dy = rng.standard_normal(shape).astype(np.float32)
    yd, dyd = y.astype(np.float64), dy.astype(np.float64)
    if name == "softmax_grad":
        ref = yd * (dyd - (dyd * yd).sum(axis=1, keepdims=True))
    else:
        ref = dyd - np.exp(yd) * dyd.sum(axis=1, keepdims=True)
    scale = np.abs(dyd).max(axis=1, keepdims=True) * (np.abs(yd).max() + 1)
    return [y, dy], ref, 1e-5 * np.abs(ref) + 1e-6 * scale


def run_case(lib, name, inputs, ref, tol):
    """Problems with `name` run on `inputs` through the C ABI against the
    float64 `ref`, within `tol`."""
    fn = getattr(lib, "_mlir_ciface_" + name)
    fn.restype = None
    out, problems = call_fenced(fn, inputs, ref.shape, DTYPES["f32"])
    with np.errstate(invalid="ignore"):
        bad = ~(np.abs(out.astype(np.float64) - ref) <= tol)
    if bad.any():
        problems.append("%d elements off" % bad.sum())
    return problems


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--opt", required=True)
    parser.add_argument("--workdir", required=True)
    args = parser.parse_args()
    stem = os.path.join(args.workdir, "raise")
    lib = build_library(args.compiler, stem, SOURCE)
    raised = raised_functions(args.opt, stem + ".mlir")
    for name in sorted(set(RAISED) - set(raised)):
        print("FAIL %s: not raised into %s" % (name, RAISED[name]))
    rng = np.random.default_rng(3)
    cases = [(name,) + grad_case(rng, name, shape)
             for name, shape in (("softmax_grad", (7, 1000)), ("log_softmax_grad", (5, 37)))]
    # The forward forms, with rows spanning 200 (the chain without the max
    # would overflow exp there).
    for name, shape, axis, log in (("linalg_softmax", (33, 5), 0, False),
                                   ("torch_softmax", (6, 1000), 1, False),
                                   ("torch_log_softmax", (4, 77), 1, True),
                                   ("softmax_no_max", (9, 300), 0, False)):
        x = (rng.standard_normal(shape) * 50).astype(np.float32)
        p = softmax64(x.astype(np.float64), axis)
        ref = np.log(p) if log else p
        cases.append((name, [x], ref, 1e-5 * np.abs(ref) + 1e-7))
    # The TOSA model: tanh(softmax(x + b)), and log_softmax along dim 0.
    x = (rng.standard_normal((6, 50)) * 50).astype(np.float32)
    b = rng.standard_normal((6, 50)).astype(np.float32)
    ref = np.tanh(softmax64(x.astype(np.float64) + b.astype(np.float64), 1))
    cases.append(("tosa_model", [x, b], ref, 1e-5 * np.abs(ref) + 1e-6))
    x = (rng.standard_normal((40, 3)) * 50).astype(np.float32)
    ref = np.log(softmax64(x.astype(np.float64), 0))
    cases.append(("tosa_log_softmax", [x], ref, 1e-5 * np.abs(ref) + 1e-6))
    failures = 0
    for name, inputs, ref, tol in cases:
        problems = run_case(lib, name, inputs, ref, tol)
        if problems:
            failures += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
    print("raised linalg and TOSA forms: %d of %d raised, %d functions, %d failures"
          % (len(raised), len(RAISED), len(cases), failures))
    sys.exit(1 if failures or len(raised) != len(RAISED) else 0)


if __name__ == "__main__":
    main()
