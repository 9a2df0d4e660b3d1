"""The self-contained wheel (scripts/wheel.sh): built and repaired with
auditwheel from this build tree, installed into a fresh virtual environment,
then run with the LLVM installation hidden (Debian's libLLVM, libMLIR,
libomp and /usr/lib/llvm-22 bind-mounted over in a private mount namespace,
where `unshare -m` is allowed, as for root here and in CI; elsewhere
unhidden): a ready-made function (a library compiled
into the disk cache and linked against the wheel's runtime libraries) and an
in-process JIT module on two threads (OpenMP) give NumPy's results, and
every LLVM, MLIR and OpenMP library the process maps comes from the wheel.
"""

import glob
import json
import os
import shlex
import shutil
import subprocess
import sys

import pytest

ROOT = os.path.abspath(os.path.join(os.path.dirname(__file__), "..", ".."))
BUILD_DIR = os.environ.get("SOFTMAX_MLIR_BUILD_DIR", os.path.join(ROOT, "build"))

CHECK = r'''
import json, os, sys
import numpy as np
import softmax_mlir as sm

x = np.random.default_rng(0).standard_normal((4, 100)).astype(np.float32)
ref = np.exp(x - x.max(1, keepdims=True))
ref /= ref.sum(1, keepdims=True)
cached = sm.softmax(x)
module = sm.compile("""func.func @f(%x: tensor<4x100xf32>) -> tensor<4x100xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<4x100xf32>
  return %y : tensor<4x100xf32>
}""", threads=2)
jit = module.f(x)
maps = open("/proc/self/maps").read().splitlines()
mapped = sorted({line.split()[-1] for line in maps
                 if any(k in line for k in ("libLLVM", "libMLIR", "libomp", "runner_utils"))})
import shutil
print(json.dumps({"package": os.path.dirname(sm.__file__),
                  "compilers": [c for c in ("cc", "gcc", "clang", "clang-22", "clang-14")
                                if shutil.which(c)],
                  "cached_error": float(np.abs(cached - ref).max()),
                  "jit_error": float(np.abs(jit - np.log(ref)).max()),
                  "mapped": mapped}))
'''

# What the hidden run bind-mounts over: the LLVM 22 installation and its
# shared libraries in the multiarch directory. The run has no C compiler
# driver on its PATH either (only the venv's bin): the wheel links the
# cached library with the lld it carries, in process.
HIDDEN = ["/usr/lib/llvm-22"] + sorted(
    glob.glob("/usr/lib/x86_64-linux-gnu/libLLVM*22*")
    + glob.glob("/usr/lib/x86_64-linux-gnu/libMLIR*")
    + glob.glob("/usr/lib/x86_64-linux-gnu/libomp*.so*"))


def can_unshare():
    if not shutil.which("unshare"):
        return False
    return subprocess.run(["unshare", "-m", "true"], capture_output=True).returncode == 0


@pytest.mark.skipif(not shutil.which("patchelf"), reason="needs patchelf (setup.sh --tests)")
def test_repaired_wheel_runs_without_llvm(tmp_path):
    pytest.importorskip("auditwheel")
    dist = tmp_path / "dist"
    build = subprocess.run(["bash", os.path.join(ROOT, "scripts", "wheel.sh"), str(dist)],
                           env=dict(os.environ, SOFTMAX_MLIR_BUILD_DIR=BUILD_DIR,
                                    PYTHON=sys.executable),
                           capture_output=True, text=True)
    assert build.returncode == 0, build.stdout + build.stderr
    wheels = glob.glob(str(dist / "softmax_mlir-*manylinux*.whl"))
    assert len(wheels) == 1, os.listdir(dist)

    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--system-site-packages", str(venv)],
                   check=True)
    python = str(venv / "bin" / "python")
    install = subprocess.run([python, "-m", "pip", "install", "-q", "--no-deps",
                              "--ignore-installed", wheels[0]],
                             capture_output=True, text=True)
    assert install.returncode == 0, install.stdout + install.stderr
    site = subprocess.run([python, "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
                          capture_output=True, text=True, check=True).stdout.strip()

    script = tmp_path / "check.py"
    script.write_text(CHECK)
    env = dict(os.environ, SOFTMAX_MLIR_CACHE_DIR=str(tmp_path / "cache"),
               PATH=str(venv / "bin"))
    env.pop("CC", None)
    command = [python, str(script)]
    # Where mount namespaces are not allowed, the run below still shows
    # that the process maps the wheel's libraries, not the system's.
    hidden = [p for p in HIDDEN if os.path.exists(p)] if can_unshare() else []
    if hidden:
        empty_dir, empty_file = tmp_path / "empty", tmp_path / "empty.so"
        empty_dir.mkdir()
        empty_file.write_bytes(b"")
        mount = shlex.quote(shutil.which("mount") or "/bin/mount")
        mounts = ["%s --bind %s %s" % (mount, shlex.quote(str(empty_dir if os.path.isdir(p)
                                                           else empty_file)), shlex.quote(p))
                  for p in hidden]
        command = [shutil.which("unshare"), "-m", "/bin/sh", "-c", " && ".join(
            mounts + ["exec %s %s" % (shlex.quote(python), shlex.quote(str(script)))])]
    run = subprocess.run(command, cwd=str(tmp_path), env=env, capture_output=True, text=True)
    assert run.returncode == 0, run.stdout + run.stderr
    result = json.loads(run.stdout.strip().splitlines()[-1])
    assert result["package"].startswith(site), result
    # No C compiler driver in sight: the cached library was linked in
    # process.
    assert result["compilers"] == [], result
    assert result["cached_error"] < 1e-6, result
    assert result["jit_error"] < 1e-5, result
    # LLVM, MLIR, OpenMP and MLIR's runtime support, each once, all the
    # wheel's own copies.
    names = [os.path.basename(path) for path in result["mapped"]]
    for stem in ("libLLVM", "libMLIR", "libomp", "libmlir_c_runner_utils"):
        assert sum(name.startswith(stem) for name in names) == 1, result["mapped"]
    assert all(path.startswith(site) for path in result["mapped"]), result["mapped"]
    print("hidden:", hidden)
