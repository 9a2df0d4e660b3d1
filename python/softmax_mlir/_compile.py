"""Compiling MLIR text and loading compiled code."""

import os
import shutil
import tempfile

from . import _core

# The runtime libraries compiled code links and the JIT loads (libomp,
# MLIR's support): the package's own copies where it carries them (a wheel
# from scripts/wheel.sh needs no LLVM installed), else the LLVM the C API
# was built against.
_RUNTIME_DIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "runtime")
if os.path.isdir(_RUNTIME_DIR) and any(
        name.startswith("libmlir_c_runner_utils.so") for name in os.listdir(_RUNTIME_DIR)):
    _core.set_runtime_library_directory(_RUNTIME_DIR)

TARGETS = ("cpu", "cuda")


def pipeline_options(mcpu=None, **options):
    """softmax-cpu-pipeline's option string: `threads=1`, `share_kernels=False`
    (spelled share-kernels there), ..."""
    parts = []
    if mcpu is not None:
        parts.append("mcpu=%s" % mcpu)
    for key in sorted(options):
        value = options[key]
        if isinstance(value, bool):
            value = "true" if value else "false"
        parts.append("%s=%s" % (key.replace("_", "-"), value))
    return " ".join(parts)


def _check_target(target, chip):
    if target not in TARGETS:
        raise ValueError("unknown target %r (expected 'cpu' or 'cuda')" % (target,))
    if target == "cpu" and chip is not None:
        raise ValueError("chip= is an option of target='cuda'")


def default_chip():
    """The chip target='cuda' compiles for without chip=: the current CUDA
    device's where PyTorch sees one (sm_90 for chips newer than sm_90a:
    their driver compiles the fatbin's PTX), else sm_90. A GPU older than
    sm_75 is an error."""
    try:
        import torch
    except ImportError:
        return "sm_90"
    if not torch.cuda.is_available():
        return "sm_90"
    major, minor = torch.cuda.get_device_capability()
    if (major, minor) < (7, 5):
        raise ValueError("the current GPU is sm_%d%d; target='cuda' compiles for "
                         "sm_75 and later" % (major, minor))
    if (major, minor) > (9, 0):
        return "sm_90"
    return "sm_%d%d" % (major, minor)


def gpu_pipeline_options(chip=None, **options):
    """softmax-gpu-pipeline's option string: chip, features, toolkit."""
    return pipeline_options(chip=chip or default_chip(), **options)


def _cuda_runtime():
    """The CUDA runtime archive the package carries ('' for the build
    tree's, which the C API knows)."""
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)),
                        "libsoftmax_mlir_cuda_runtime.a")
    return path if os.path.exists(path) else ""


class Module:
    """A compiled module: each public function `@f` of the MLIR is the
    attribute `f`, a callable on arrays (NumPy, PyTorch CPU tensors, any
    DLPack array in host memory) in the order of its arguments. It returns
    its results (one array, or a tuple), allocated with the inputs' kind,
    or writes them into `out=` (an array, or a sequence of them)."""

    def __init__(self, core_module):
        self._module = core_module
        self._functions = {}
        for name in core_module.functions:
            function = core_module.get(name)
            self._functions[name] = function
            if name.isidentifier() and not hasattr(type(self), name):
                setattr(self, name, function)

    @property
    def functions(self):
        """The names of the exported functions."""
        return list(self._functions)

    def __getitem__(self, name):
        try:
            return self._functions[name]
        except KeyError:
            raise KeyError("the module has no public function %r" % (name,)) from None

    def __repr__(self):
        return "<softmax_mlir.Module with %s>" % ", ".join(self._functions)


def compile(mlir_text, target="cpu", mcpu=None, chip=None, **options):
    """Compiles `mlir_text` (a module of upstream dialects plus `softmax`)
    into this process. For target='cpu', `options` are
    softmax-cpu-pipeline's (threads, vectorize, fuse, share_kernels,
    vector_bits, unroll, prefetch, nontemporal, l1_cache_kib, l2_cache_kib);
    `mcpu` defaults to this machine's CPU; the code is JIT-compiled in
    memory. For target='cuda', `options` are softmax-gpu-pipeline's
    (features, toolkit), `chip` defaults to default_chip(); the module is a
    shared library (through a temporary file) whose functions take CUDA
    arrays. Raises CompileError with the compiler's diagnostics."""
    _check_target(target, chip)
    if not isinstance(mlir_text, str):
        raise TypeError("mlir_text must be a str, not %s" % type(mlir_text).__name__)
    if target == "cuda":
        if mcpu is not None:
            raise ValueError("mcpu= is an option of target='cpu'")
        work = tempfile.mkdtemp(prefix="softmax_mlir_cuda_")
        try:
            path = os.path.join(work, "module.so")
            signatures = compile_library(mlir_text, path, target="cuda", chip=chip,
                                         **options)
            # Loaded, the library no longer needs its file.
            return load_library(path, signatures, target="cuda")
        finally:
            shutil.rmtree(work, ignore_errors=True)
    return Module(_core.compile_cpu(mlir_text, pipeline_options(mcpu, **options)))


def compile_library(mlir_text, path, target="cpu", mcpu=None, chip=None, **options):
    """Compiles `mlir_text` as `compile` does into the shared library
    `path` (the C ABI of softmax-compile --emit=shared-lib, with
    --target=cuda for target='cuda') and returns the signatures
    `load_library` needs."""
    _check_target(target, chip)
    signatures = _core.describe(mlir_text)
    if target == "cuda":
        if mcpu is not None:
            raise ValueError("mcpu= is an option of target='cpu'")
        _core.compile_cuda_to_library(mlir_text, gpu_pipeline_options(chip, **options),
                                      _cuda_runtime(), str(path))
        return signatures
    _core.compile_cpu_to_library(mlir_text, pipeline_options(mcpu, **options), str(path))
    return signatures


def load_library(path, signatures, target="cpu"):
    """Loads a shared library that `compile_library` wrote (or
    softmax-compile), given the signatures of its functions (what
    `compile_library` returned, or `describe` of its source); target='cuda'
    for a library of GPU kernels."""
    if target not in TARGETS:
        raise ValueError("unknown target %r (expected 'cpu' or 'cuda')" % (target,))
    return Module(_core.load_library(str(path), signatures, cuda=target == "cuda"))
