"""softmax_mlir: compile and run softmax-family kernels from NumPy and PyTorch.

    import numpy as np
    import softmax_mlir as sm

    y = sm.softmax(np.random.rand(4, 128).astype(np.float32))   # ready-made
    module = sm.compile(open("model.mlir").read())               # any module
    out = module.forward(x)

`compile` runs the softmax-mlir compiler (softmax-cpu-pipeline) in this
process and loads the code with MLIR's ExecutionEngine; `compile_library`
writes a shared library for later runs, `load_library` loads one. The
ready-made functions compile once per (op, shape class, dtype, options),
cached in memory and on disk ($SOFTMAX_MLIR_CACHE_DIR, default
~/.cache/softmax_mlir). `softmax_mlir.torch` registers them as PyTorch
custom ops with autograd.
"""

from ._core import CompileError
from ._compile import Module, compile, compile_library, load_library
from ._ops import (cache_info, cross_entropy, cross_entropy_grad, entmax, entmax_grad,
                   log_softmax, log_softmax_grad, softmax, softmax_grad, sparsemax,
                   sparsemax_grad)

__all__ = [
    "CompileError", "Module", "compile", "compile_library", "load_library", "cache_info",
    "softmax", "log_softmax", "softmax_grad", "log_softmax_grad", "sparsemax",
    "sparsemax_grad", "entmax", "entmax_grad", "cross_entropy", "cross_entropy_grad",
]
