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

llvm_config.with_environment("PATH", config.llvm_tools_dir, append_path=True)

tools = [
    ToolSubst("softmax-opt", unresolved="fatal"),
    ToolSubst("softmax-compile", unresolved="fatal"),
    ToolSubst("not", unresolved="fatal"),
    ToolSubst("count", unresolved="fatal"),
    ToolSubst("split-file", unresolved="fatal"),
    ToolSubst("llvm-nm", unresolved="fatal"),
    ToolSubst("llvm-readelf", unresolved="fatal"),
]
llvm_config.add_tool_substitutions(
    tools, [config.softmax_mlir_tools_dir, config.llvm_tools_dir]
)
