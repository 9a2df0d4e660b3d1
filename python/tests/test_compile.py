"""softmax_mlir.compile, compile_library and load_library on MLIR text."""

import os
import subprocess
import sys

import numpy as np
import pytest

import softmax_mlir as sm

import reference
from modules import build

MODULE = """
func.func @probs(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}
func.func @both(%x: tensor<4x?xf64>) -> (tensor<4x?xf64>, tensor<4x?xf64>) {
  %a = softmax.softmax %x dim(1) : tensor<4x?xf64>
  %b = softmax.log_softmax %x dim(1) : tensor<4x?xf64>
  return %a, %b : tensor<4x?xf64>, tensor<4x?xf64>
}
"""


@pytest.fixture(scope="module")
def module():
    return build(MODULE, threads=1)


def test_functions(module):
    assert module.functions == ["probs", "both"]
    assert module["probs"] is module.probs


def test_call_allocates(module):
    x = np.random.default_rng(0).standard_normal((7, 128)).astype(np.float32) * 10
    y = module.probs(x)
    assert y.dtype == np.float32 and y.shape == (7, 128)
    np.testing.assert_allclose(y, reference.softmax(x), rtol=1e-5, atol=1e-7)


def test_two_results(module):
    x = np.random.default_rng(1).standard_normal((4, 33))
    a, b = module.both(x)
    np.testing.assert_allclose(a, reference.softmax(x), rtol=1e-12)
    np.testing.assert_allclose(b, reference.log_softmax(x), rtol=1e-12)


def test_out(module):
    x = np.random.default_rng(2).standard_normal((3, 128)).astype(np.float32)
    out = np.empty_like(x)
    result = module.probs(x, out=out)
    assert result is out
    np.testing.assert_allclose(out, reference.softmax(x), rtol=1e-5, atol=1e-7)


def test_non_contiguous_input(module):
    x = np.random.default_rng(3).standard_normal((128, 5)).astype(np.float32).T
    np.testing.assert_allclose(module.probs(x), reference.softmax(x), rtol=1e-5, atol=1e-7)


@pytest.mark.parametrize("bad, error, match", [
    (lambda: np.zeros((2, 64), np.float32), ValueError, "size 64 in dim 1"),
    (lambda: np.zeros((2, 128), np.float64), TypeError, "wrong element type: expected f32"),
    (lambda: np.zeros((128,), np.float32), ValueError, "rank 1, expected 2"),
    (lambda: [[1.0] * 128], TypeError, "not a CPU array"),
    (lambda: "text", TypeError, "not a CPU array"),
])
def test_bad_arguments(module, bad, error, match):
    with pytest.raises(error, match=match):
        module.probs(bad())


def test_bad_calls(module):
    x = np.zeros((2, 128), np.float32)
    with pytest.raises(TypeError, match="takes 1 arrays, 2 given"):
        module.probs(x, x)
    with pytest.raises(TypeError, match="unexpected keyword argument 'output'"):
        module.probs(x, output=x)
    with pytest.raises(ValueError, match="out.0. has size 3 in dim 0, the inputs make 2"):
        module.probs(x, out=np.zeros((3, 128), np.float32))
    with pytest.raises(ValueError, match="out.0. has size 1 in dim 0, the inputs make 2"):
        module.probs(x, out=np.zeros((1, 128), np.float32))
    with pytest.raises(TypeError, match="not a writable contiguous CPU array"):
        read_only = np.zeros((2, 128), np.float32)
        read_only.flags.writeable = False
        module.probs(x, out=read_only)
    with pytest.raises(KeyError, match="no public function 'nope'"):
        module["nope"]


def test_compile_errors():
    with pytest.raises(sm.CompileError, match=r"<source>:1:\d+: error: .*expected"):
        sm.compile("func.func @f(")
    with pytest.raises(sm.CompileError, match=r"<source>:2:\d+: error: .*dim"):
        sm.compile("func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {\n"
                   "  %y = softmax.softmax %x dim(2) : tensor<4x8xf32>\n"
                   "  return %y : tensor<4x8xf32>\n}\n")
    with pytest.raises(sm.CompileError, match="invalid softmax-cpu-pipeline options"):
        sm.compile(MODULE, no_such_option=1)
    with pytest.raises(sm.CompileError, match="error:"):
        sm.compile(MODULE, mcpu="no-such-cpu")
    with pytest.raises(ValueError, match="unknown target 'tpu'"):
        sm.compile(MODULE, target="tpu")
    with pytest.raises(TypeError, match="must be a str"):
        sm.compile(b"bytes")
    assert issubclass(sm.CompileError, ValueError)


def test_library(tmp_path):
    path = tmp_path / "probs.so"
    signatures = sm.compile_library(MODULE, path, threads=1)
    assert signatures.splitlines()[0] == "probs in:f32:?x128 out:f32:?x128"
    module = sm.load_library(path, signatures)
    x = np.random.default_rng(4).standard_normal((2, 128)).astype(np.float32)
    np.testing.assert_allclose(module.probs(x), reference.softmax(x), rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="cannot load"):
        sm.load_library(tmp_path / "missing.so", signatures)


LINK_WITHOUT_DRIVER = r"""
import shutil, sys
import numpy as np
import softmax_mlir as sm
assert not any(shutil.which(c) for c in ("cc", "gcc", "clang", "clang-22", "clang-14"))
path = sys.argv[1] + "/probs.so"
module = sm.load_library(path, sm.compile_library(sys.argv[2], path, threads=1))
x = np.random.default_rng(4).standard_normal((2, 128)).astype(np.float32)
e = np.exp(x.astype(np.float64) - x.max(1, keepdims=True))
print(float(np.abs(module.probs(x) - e / e.sum(1, keepdims=True)).max()))
"""


@pytest.mark.skipif(os.environ.get("SOFTMAX_MLIR_TEST_NO_JIT") == "1",
                    reason="the sanitized run leaves child processes of the C API out")
def test_library_without_compiler_driver(tmp_path):
    """Without a C compiler driver on PATH (nor $CC), compile_library links
    with lld in the process (the C API carries it where it was built with
    liblld-22-dev)."""
    empty = tmp_path / "bin"
    empty.mkdir()
    env = dict(os.environ, PATH=str(empty))
    env.pop("CC", None)
    run = subprocess.run([sys.executable, "-c", LINK_WITHOUT_DRIVER, str(tmp_path), MODULE],
                         env=env, capture_output=True, text=True)
    if "this build has no in-process linker" in run.stderr:
        pytest.skip("the C API was built without lld (liblld-22-dev)")
    assert run.returncode == 0, run.stderr
    assert float(run.stdout.strip()) < 1e-6


def test_whole_model_module():
    """Upstream ops around the softmax compile too (a linear layer)."""
    text = """
    func.func @classify(%x: tensor<3x4xf32>, %w: tensor<4x5xf32>) -> tensor<3x5xf32> {
      %zero = arith.constant 0.0 : f32
      %e = tensor.empty() : tensor<3x5xf32>
      %z = linalg.fill ins(%zero : f32) outs(%e : tensor<3x5xf32>) -> tensor<3x5xf32>
      %s = linalg.matmul ins(%x, %w : tensor<3x4xf32>, tensor<4x5xf32>) outs(%z : tensor<3x5xf32>) -> tensor<3x5xf32>
      %y = softmax.softmax %s dim(1) : tensor<3x5xf32>
      return %y : tensor<3x5xf32>
    }"""
    module = build(text)
    rng = np.random.default_rng(5)
    x = rng.standard_normal((3, 4)).astype(np.float32)
    w = rng.standard_normal((4, 5)).astype(np.float32)
    ref = reference.softmax(x.astype(np.float64) @ w.astype(np.float64))
    np.testing.assert_allclose(module.classify(x, w), ref, rtol=1e-5, atol=1e-6)


def test_elementwise_arith_on_tensors():
    """arith and math ops on tensors (no linalg) around a softmax: a
    scale and a bias written as arith.mulf / arith.addf, and math.tanh."""
    text = """
    func.func @f(%x: tensor<4x?xf32>, %b: tensor<4x?xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>) {
      %s = arith.addf %x, %x : tensor<4x?xf32>
      %t = arith.addf %s, %b : tensor<4x?xf32>
      %h = math.tanh %t : tensor<4x?xf32>
      %y = softmax.softmax %t dim(1) : tensor<4x?xf32>
      return %y, %h : tensor<4x?xf32>, tensor<4x?xf32>
    }"""
    module = build(text, threads=1)
    rng = np.random.default_rng(6)
    x = rng.standard_normal((4, 37)).astype(np.float32)
    b = rng.standard_normal((4, 37)).astype(np.float32)
    t = 2 * x.astype(np.float64) + b
    y, h = module.f(x, b)
    np.testing.assert_allclose(y, reference.softmax(t), rtol=1e-5, atol=1e-7)
    np.testing.assert_allclose(h, np.tanh(t), rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("threads", [1, 2])
def test_softmax_in_a_loop(threads):
    """A loop carrying the tensor each iteration replaces by its softmax
    (a new buffer per iteration, freed by buffer deallocation)."""
    text = """
    func.func @f(%x: tensor<4x8xf32>, %n: tensor<1xi64>) -> tensor<4x8xf32> {
      %c0 = arith.constant 0 : index
      %c1 = arith.constant 1 : index
      %n64 = tensor.extract %n[%c0] : tensor<1xi64>
      %count = arith.index_cast %n64 : i64 to index
      %r = scf.for %i = %c0 to %count step %c1 iter_args(%a = %x) -> tensor<4x8xf32> {
        %y = softmax.softmax %a dim(1) : tensor<4x8xf32>
        scf.yield %y : tensor<4x8xf32>
      }
      return %r : tensor<4x8xf32>
    }"""
    module = build(text, threads=threads)
    x = np.random.default_rng(7).standard_normal((4, 8)).astype(np.float32) * 4
    for n in (0, 1, 3):
        want = x.astype(np.float64)
        for _ in range(n):
            want = reference.softmax(want)
        np.testing.assert_allclose(module.f(x, np.array([n], np.int64)), want,
                                   rtol=1e-5, atol=1e-7)
