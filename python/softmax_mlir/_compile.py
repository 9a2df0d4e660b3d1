"""Compiling MLIR text and loading compiled code."""

from . import _core

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
    if target == "cuda":
        # The CUDA path is softmax-compile's for now.
        raise NotImplementedError(
            "target='cuda' is not available from Python yet: compile with "
            "`softmax-compile --target=cuda --emit=shared-lib` and call the library")
    if chip is not None:
        raise ValueError("chip= is an option of target='cuda'")


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
    into this process. `options` are softmax-cpu-pipeline's (threads,
    vectorize, fuse, share_kernels, vector_bits, unroll, prefetch,
    nontemporal, l1_cache_kib, l2_cache_kib); `mcpu` defaults to this
    machine's CPU. Raises CompileError with the compiler's diagnostics."""
    _check_target(target, chip)
    if not isinstance(mlir_text, str):
        raise TypeError("mlir_text must be a str, not %s" % type(mlir_text).__name__)
    return Module(_core.compile_cpu(mlir_text, pipeline_options(mcpu, **options)))


def compile_library(mlir_text, path, target="cpu", mcpu=None, chip=None, **options):
    """Compiles `mlir_text` as `compile` does into the shared library
    `path` (the C ABI of softmax-compile --emit=shared-lib) and returns the
    signatures `load_library` needs."""
    _check_target(target, chip)
    signatures = _core.describe(mlir_text)
    _core.compile_cpu_to_library(mlir_text, pipeline_options(mcpu, **options), str(path))
    return signatures


def load_library(path, signatures):
    """Loads a shared library that `compile_library` wrote (or
    softmax-compile), given the signatures of its functions (what
    `compile_library` returned, or `describe` of its source)."""
    return Module(_core.load_library(str(path), signatures))
