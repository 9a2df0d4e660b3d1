"""How the tests build a module they call: in this process (sm.compile), or
as a shared library with SOFTMAX_MLIR_TEST_NO_JIT=1. Under an ASan runtime
(scripts/sanitize.sh) LLVM's in-process JIT fails intermittently (its
sections mapped where ASan's layout puts them; upstream llvm-project#102858,
#135401), so the sanitized run builds libraries instead: the calls,
argument checks and out= handling are the same code."""

import itertools
import os
import tempfile

import softmax_mlir as sm

_libraries = None
_built = itertools.count()


def build(text, **options):
    """`text` compiled in this process, or through a shared library with
    SOFTMAX_MLIR_TEST_NO_JIT=1."""
    global _libraries
    if os.environ.get("SOFTMAX_MLIR_TEST_NO_JIT") != "1":
        return sm.compile(text, **options)
    if _libraries is None:
        _libraries = tempfile.TemporaryDirectory(prefix="softmax_mlir_test_")
    path = os.path.join(_libraries.name, "module%d.so" % next(_built))
    return sm.load_library(path, sm.compile_library(text, path, **options))
