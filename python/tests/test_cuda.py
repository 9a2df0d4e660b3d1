"""target='cuda': softmax_mlir.compile / compile_library / load_library for
NVIDIA GPUs. Compiling needs the CUDA toolkit (libdevice and ptxas, at
$CUDA_HOME or /usr/local/cuda), not a GPU: those tests skip without it.
Running needs a GPU and PyTorch with CUDA: those tests skip without one
(no GPU on the machines CI runs on)."""

import ctypes
import os

import numpy as np
import pytest

import softmax_mlir as sm

import reference

CUDA_HOME = os.environ.get("CUDA_HOME", "/usr/local/cuda")
HAS_TOOLKIT = os.path.exists(os.path.join(CUDA_HOME, "nvvm", "libdevice", "libdevice.10.bc"))
needs_toolkit = pytest.mark.skipif(not HAS_TOOLKIT, reason="no CUDA toolkit")


def _has_gpu():
    try:
        import torch
    except ImportError:
        return False
    return torch.cuda.is_available()


needs_gpu = pytest.mark.skipif(not (HAS_TOOLKIT and _has_gpu()),
                               reason="no CUDA GPU (or toolkit)")

MODULE = """
func.func @probs(%x: tensor<?x1000xf32>) -> tensor<?x1000xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x1000xf32>
  return %y : tensor<?x1000xf32>
}
func.func @both(%x: tensor<4x?xf16>) -> (tensor<4x?xf16>, tensor<4x?xf16>) {
  %a = softmax.softmax %x dim(1) : tensor<4x?xf16>
  %b = softmax.log_softmax %x dim(1) : tensor<4x?xf16>
  return %a, %b : tensor<4x?xf16>, tensor<4x?xf16>
}
"""


@pytest.fixture(scope="module")
def module():
    return sm.compile(MODULE, target="cuda")


@needs_toolkit
def test_compile_library(tmp_path):
    """A shared library of the C ABI on device pointers, with the CUDA
    runtime's entry points, for the chip asked for."""
    path = tmp_path / "probs.so"
    signatures = sm.compile_library(MODULE, path, target="cuda", chip="sm_80")
    assert signatures.splitlines() == ["probs in:f32:?x1000 out:f32:?x1000",
                                       "both in:f16:4x? out:f16:4x? out:f16:4x?"]
    lib = ctypes.CDLL(str(path))
    for symbol in ("_mlir_ciface_probs", "_mlir_ciface_both",
                   "softmax_mlir_cuda_set_stream", "softmax_mlir_cuda_last_error"):
        assert hasattr(lib, symbol), symbol
    loaded = sm.load_library(path, signatures, target="cuda")
    assert loaded.functions == ["probs", "both"]


@needs_toolkit
def test_host_arrays_rejected(module):
    with pytest.raises(TypeError, match=r"probs\(\): argument 0 is not a C-contiguous CUDA array"):
        module.probs(np.zeros((2, 1000), np.float32))


@needs_toolkit
@pytest.mark.parametrize("options, match", [
    (dict(chip="sm_99"), r"unknown chip 'sm_99'"),
    (dict(threads=1), r"invalid softmax-gpu-pipeline options .*no such option threads"),
    (dict(features="+nonsense"), r"unknown feature"),
    (dict(format="elf"), r"'elf' is not a valid value for option 'format' "
                         r"\(expected ptx, cubin or fatbin\)"),
])
def test_bad_options(options, match):
    with pytest.raises(sm.CompileError, match=match):
        sm.compile(MODULE, target="cuda", **options)


@needs_toolkit
def test_cuda_library_is_not_cpu(tmp_path):
    """A target='cuda' library loaded as a CPU one would get host pointers."""
    path = tmp_path / "gpu.so"
    signatures = sm.compile_library(MODULE, path, target="cuda")
    with pytest.raises(ValueError, match=r"is a target='cuda' library: load it with "
                       r"target='cuda'"):
        sm.load_library(path, signatures)


def test_cpu_library_is_not_cuda(tmp_path):
    path = tmp_path / "cpu.so"
    signatures = sm.compile_library(MODULE, path)
    with pytest.raises(ValueError, match=r"is not a target='cuda' library"):
        sm.load_library(path, signatures, target="cuda")


@needs_gpu
def test_softmax_on_gpu(module):
    import torch
    x = torch.randn(37, 1000, device="cuda") * 5
    got = module.probs(x)
    assert got.device == x.device and got.dtype == torch.float32
    want = reference.softmax(x.double().cpu().numpy())
    np.testing.assert_allclose(got.cpu().numpy(), want, rtol=1e-5, atol=1e-7)
    out = torch.empty_like(x)
    assert module.probs(x, out=out) is out
    np.testing.assert_allclose(out.cpu().numpy(), want, rtol=1e-5, atol=1e-7)


@needs_gpu
def test_two_results_f16_on_gpu(module):
    import torch
    x = (torch.randn(4, 300, device="cuda") * 3).half()
    probs, logs = module.both(x)
    x64 = x.double().cpu().numpy()
    np.testing.assert_allclose(probs.cpu().double().numpy(), reference.softmax(x64),
                               rtol=2e-3, atol=2e-3)
    np.testing.assert_allclose(logs.cpu().double().numpy(), reference.log_softmax(x64),
                               rtol=2e-3, atol=2e-3)


@needs_gpu
def test_current_stream(module):
    """The kernels run on PyTorch's current stream: a result read after the
    stream's work is the softmax of an input written earlier on it."""
    import torch
    stream = torch.cuda.Stream()
    with torch.cuda.stream(stream):
        x = torch.randn(64, 1000, device="cuda")
        y = module.probs(x)
    stream.synchronize()
    np.testing.assert_allclose(y.cpu().numpy(), reference.softmax(x.double().cpu().numpy()),
                               rtol=1e-5, atol=1e-7)


MODEL = """
func.func @model(%x: tensor<8x64xf32>) -> tensor<8x10xf32> {
  %w = arith.constant dense<@WEIGHTS@> : tensor<64x10xf32>
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x10xf32>
  %f = linalg.fill ins(%z : f32) outs(%e : tensor<8x10xf32>) -> tensor<8x10xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x64xf32>, tensor<64x10xf32>) outs(%f : tensor<8x10xf32>) -> tensor<8x10xf32>
  %y = softmax.softmax %m dim(1) : tensor<8x10xf32>
  return %y : tensor<8x10xf32>
}
"""
WEIGHTS = np.arange(640, dtype=np.float32).reshape(64, 10) % 7 / 16 - 0.2


@pytest.fixture(scope="module")
def model():
    text = MODEL.replace("@WEIGHTS@", np.array2string(WEIGHTS, separator=", ", threshold=10**6,
                                   formatter={"float_kind": lambda v: "%.9e" % v}))
    return sm.compile(text, target="cuda")


@needs_toolkit
def test_model_compiles(model):
    """A whole model (weights, a matmul, softmax) compiles for the GPU: its
    matmul and fill as kernels of their own beside softmax's."""
    assert model.functions == ["model"]


@needs_gpu
def test_model_on_gpu(model):
    import torch
    x = np.random.default_rng(3).standard_normal((8, 64)).astype(np.float32)
    got = model.model(torch.from_numpy(x).cuda()).cpu().numpy()
    logits = x.astype(np.float64) @ WEIGHTS.astype(np.float64)
    want = np.exp(logits - logits.max(1, keepdims=True))
    want /= want.sum(1, keepdims=True)
    np.testing.assert_allclose(got, want, rtol=1e-5, atol=1e-6)
