"""Each test session gets a disk cache of its own, so that the tests see
their own compilations (and leave the user's cache alone)."""

import os
import tempfile

_cache = tempfile.mkdtemp(prefix="softmax_mlir_test_cache_")
os.environ["SOFTMAX_MLIR_CACHE_DIR"] = _cache
