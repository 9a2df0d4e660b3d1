"""The kernel cache: compile once under concurrent first calls, reuse the
disk cache across processes."""

import os
import subprocess
import sys
import threading

import numpy as np

import softmax_mlir as sm

import reference


def test_concurrent_first_calls_compile_once():
    before = sm.cache_info()["compiled"]
    n = 211  # a row length no other test uses
    inputs = [np.random.default_rng(i).standard_normal((3, n)).astype(np.float32)
              for i in range(8)]
    results = [None] * len(inputs)
    barrier = threading.Barrier(len(inputs))

    def work(i):
        barrier.wait()
        results[i] = sm.log_softmax(inputs[i])

    threads = [threading.Thread(target=work, args=(i,)) for i in range(len(inputs))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    assert sm.cache_info()["compiled"] == before + 1
    for x, y in zip(inputs, results):
        np.testing.assert_allclose(y, reference.log_softmax(x), rtol=1e-5, atol=1e-6)


def test_disk_cache_across_processes(tmp_path):
    script = ("import numpy as np, softmax_mlir as sm\n"
              "y = sm.softmax(np.ones((2, 77), np.float32))\n"
              "assert abs(float(y.sum()) - 2.0) < 1e-5\n"
              "print(sm.cache_info()['compiled'], sm.cache_info()['loaded'])\n")
    env = dict(os.environ, SOFTMAX_MLIR_CACHE_DIR=str(tmp_path))
    runs = [subprocess.run([sys.executable, "-c", script], env=env, capture_output=True,
                           text=True, check=True).stdout.split() for _ in range(2)]
    assert runs == [["1", "0"], ["0", "1"]]
    assert len(list(tmp_path.glob("*.so"))) == 1
