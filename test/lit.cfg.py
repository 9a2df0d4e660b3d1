# -*- Python -*-
# lit configuration of the softmax-mlir regression tests.

import os

import lit.formats
from lit.llvm import llvm_config
from lit.llvm.subst import ToolSubst

config.name = "SOFTMAX_MLIR"
config.test_format = lit.formats.ShTest(not llvm_config.use_lit_shell)
config.suffixes = [".mlir", ".c", ".test"]
config.excludes = ["CMakeLists.txt", "lit.cfg.py", "lit.site.cfg.py", "Inputs"]
config.test_source_root = os.path.dirname(__file__)
config.test_exec_root = os.path.join(config.softmax_mlir_obj_root, "test")

llvm_config.with_system_environment(["HOME", "TMPDIR", "PATH", "CC"])
llvm_config.use_default_substitutions()

# %PYTHON: the interpreter CMake found (with NumPy), not the one lit runs in.
config.substitutions.append(("%PYTHON", config.python_executable))
config.substitutions.append(("%cc", config.c_compiler))
config.substitutions.append(("%src_root", config.softmax_mlir_src_root))
config.substitutions.append(("%obj_root", config.softmax_mlir_obj_root))

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = [
    ToolSubst("softmax-opt", unresolved="fatal"),
    ToolSubst("softmax-compile", unresolved="fatal"),
    ToolSubst("softmax-lsp-server", unresolved="fatal"),
    ToolSubst("not", unresolved="fatal"),
    ToolSubst("count", unresolved="fatal"),
    ToolSubst("split-file", unresolved="fatal"),
    ToolSubst("llvm-nm", unresolved="fatal"),
    ToolSubst("llvm-readelf", unresolved="fatal"),
]
# Upstream's mlir-opt, which loads softmax-mlir as a plugin. The plugin of a
# sanitized build (SOFTMAX_MLIR_SANITIZE) needs the ASan runtime, which the
# uninstrumented mlir-opt gets preloaded.
if config.sanitize.upper() in ("ON", "TRUE", "1", "YES"):
    tools.append(
        ToolSubst(
            "mlir-opt",
            command="env LD_PRELOAD=%s %s"
            % (config.asan_runtime, os.path.join(config.llvm_tools_dir, "mlir-opt")),
        )
    )
else:
    tools.append(ToolSubst("mlir-opt", unresolved="fatal"))
llvm_config.add_tool_substitutions(
    tools, [config.softmax_mlir_tools_dir, config.llvm_tools_dir]
)

# The dialect and pass plugin for upstream's mlir-opt.
config.substitutions.append(
    ("%softmax_plugin",
     os.path.join(config.softmax_mlir_obj_root, "lib", "SoftmaxMLIRPlugin.so")))

# The CUDA toolkit (CUDA_HOME, else /usr/local/cuda): the GPU pipeline
# links libdevice into the kernels; ptxas (or one on PATH) assembles PTX
# and builds cubins. Tests that need them skip without them.
import shutil

_cuda_home = os.environ.get("CUDA_HOME", "/usr/local/cuda")
if os.path.exists(os.path.join(_cuda_home, "nvvm", "libdevice", "libdevice.10.bc")):
    config.available_features.add("cuda-toolkit")
_ptxas = os.path.join(_cuda_home, "bin", "ptxas")
if not os.access(_ptxas, os.X_OK):
    _ptxas = shutil.which("ptxas")
if _ptxas:
    config.available_features.add("ptxas")
    config.substitutions.append(("%ptxas", _ptxas))

# A usable CUDA GPU (driver and device): the GPU execution tests need one
# and are skipped without.
def _has_cuda_gpu():
    import ctypes
    try:
        cuda = ctypes.CDLL("libcuda.so.1")
    except OSError:
        return False
    count = ctypes.c_int(0)
    return cuda.cuInit(0) == 0 and cuda.cuDeviceGetCount(ctypes.byref(count)) == 0 and count.value > 0


if _has_cuda_gpu():
    config.available_features.add("cuda-gpu")

# PyTorch, the entmax package and torch-mlir, where they are installed
# (`scripts/setup.sh --tests` installs them unless SOFTMAX_MLIR_SKIP_TORCH=1):
# the tests that compare with them or export models with them need them.
import subprocess


def _imports(module):
    return (
        subprocess.run(
            [config.python_executable, "-c", "import " + module],
            capture_output=True,
        ).returncode
        == 0
    )


if _imports("torch"):
    config.available_features.add("torch")
    if _imports("entmax"):
        config.available_features.add("entmax")
    # torch-mlir's FX importer, which the model tests export with.
    if _imports("torch_mlir.fx"):
        config.available_features.add("torch-mlir")

# compiler-rt's shared ASan runtime (libclang-rt-22-dev, which
# `scripts/setup.sh --tests` installs): the test that runs code compiled with
# `softmax-compile --sanitize=address` loads it.
_asan = subprocess.run(
    ["clang-22", "-print-file-name=libclang_rt.asan-x86_64.so"],
    capture_output=True, text=True,
).stdout.strip()
if os.path.isabs(_asan) and os.path.exists(_asan):
    config.available_features.add("asan-runtime")

# At least 16 GiB of memory: the test of a row of 2^31 f16 elements holds
# 8 GiB of buffers.
try:
    with open("/proc/meminfo") as _meminfo:
        _kib = {line.split(":")[0]: int(line.split()[1]) for line in _meminfo}
    if _kib.get("MemTotal", 0) >= 16 * 1024 * 1024:
        config.available_features.add("memory-16gib")
except (OSError, ValueError, IndexError):
    pass
