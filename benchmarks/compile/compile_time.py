"""Times softmax-compile on modules with 1, 10, 100 (and with --full 1000)
softmax ops, and on a transformer encoder layer exported with torch-mlir
(where installed), and prints a Markdown table: wall time to a shared
library, time per op, the growth from one size to the next (linear scaling
is 10x per 10x ops), and where the time goes (--mlir-timing: our passes,
upstream's, LLVM's translation and optimization, code generation).

Usage: python3 benchmarks/compile/compile_time.py [--compiler PATH]
                                                  [--full] [--out FILE]

The modules: one public function per op, the ops cycling through softmax
and log_softmax over four shapes, two static (4x128, 64x1024) and two with
a dynamic dim (?x512, 8x?), as a model's softmax layers would be: eight
distinct ops, which softmax-share-kernels compiles once each. A module of
100 distinct ops (static shapes 4x128 to 4x920) shows the cost of an op
that does not repeat, and the 100-op module with --share-kernels=false
the cost of compiling every occurrence.
"""

import argparse
import os
import re
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
SHAPES = ("4x128", "64x1024", "?x512", "8x?")


def module_text(ops, distinct=False):
    funcs = []
    for i in range(ops):
        s = "4x%d" % (128 + 8 * i) if distinct else SHAPES[i % len(SHAPES)]
        op = "softmax" if i % 2 == 0 else "log_softmax"
        funcs.append("func.func @f%d(%%x: tensor<%sxf32>) -> tensor<%sxf32> {\n"
                     "  %%y = softmax.%s %%x dim(1) : tensor<%sxf32>\n"
                     "  return %%y : tensor<%sxf32>\n}\n" % (i, s, s, op, s, s))
    return "".join(funcs)


def compile_timed(compiler, path, work, flags=()):
    """Wall seconds of one compile to a shared library, and the
    --mlir-timing report's seconds by part."""
    out = os.path.join(work, "out.so")
    start = time.perf_counter()
    run = subprocess.run([compiler, path, "-o", out, "--emit=shared-lib", "--mlir-timing"]
                         + list(flags), capture_output=True, text=True)
    wall = time.perf_counter() - start
    if run.returncode != 0:
        raise SystemExit("softmax-compile failed on %s:\n%s" % (path, run.stderr[:2000]))
    parts = {"ours": 0.0, "upstream": 0.0, "llvm": 0.0, "codegen": 0.0}
    for line in run.stderr.splitlines():
        m = re.match(r"\s+[\d.]+ \(\s*[\d.]+%\)\s+([\d.]+) \(\s*[\d.]+%\)  (\S.*)$", line)
        if not m or m.group(2).startswith(" "):
            continue
        seconds, name = float(m.group(1)), m.group(2)
        if name.startswith("Translate"):
            parts["llvm"] += seconds
        elif name.startswith("Generate") or name.startswith("Optimize and generate"):
            # In parts (a module of many functions): LLVM's optimization and
            # code generation together, on all cores.
            parts["codegen"] += seconds
        elif name.startswith("Softmax"):
            parts["ours"] += seconds
        elif name not in ("Total", "Parse", "Rest") and not name.startswith("'"):
            parts["upstream"] += seconds
    return wall, parts


def transformer_module(work):
    """The MLIR of nn.TransformerEncoderLayer(64, 4) from torch-mlir, or
    None where torch-mlir is missing."""
    try:
        import torch
        from torch_mlir import fx
    except ImportError:
        print("note: torch-mlir not installed, no transformer row", file=sys.stderr)
        return None
    torch.manual_seed(0)
    layer = torch.nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0,
                                             batch_first=True).eval()
    with torch.no_grad():
        module = fx.export_and_import(layer, torch.randn(2, 16, 64),
                                      output_type="linalg-on-tensors", func_name="layer")
    path = os.path.join(work, "transformer.mlir")
    with open(path, "w") as f:
        f.write(str(module))
    return path


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", default=os.path.join(HERE, "..", "..", "build", "bin",
                                                            "softmax-compile"))
    parser.add_argument("--full", action="store_true", help="also the 1000-op module")
    parser.add_argument("--out")
    args = parser.parse_args()
    work = tempfile.mkdtemp(prefix="compile_time_")
    rows = []
    previous = None
    for ops in (1, 10, 100, 1000) if args.full else (1, 10, 100):
        path = os.path.join(work, "ops%d.mlir" % ops)
        with open(path, "w") as f:
            f.write(module_text(ops))
        wall, parts = compile_timed(args.compiler, path, work)
        growth = "%.1fx" % (wall / previous) if previous else "-"
        previous = wall
        rows.append(("%d softmax ops" % ops, wall, "%.0f" % (wall / ops * 1e3), growth, parts))
    path = os.path.join(work, "distinct100.mlir")
    with open(path, "w") as f:
        f.write(module_text(100, distinct=True))
    wall, parts = compile_timed(args.compiler, path, work)
    rows.append(("100 distinct softmax ops", wall, "%.0f" % (wall / 100 * 1e3), "-", parts))
    wall, parts = compile_timed(args.compiler, os.path.join(work, "ops100.mlir"), work,
                                ["--share-kernels=false"])
    rows.append(("100 softmax ops, --share-kernels=false", wall, "%.0f" % (wall / 100 * 1e3),
                 "-", parts))
    transformer = transformer_module(work)
    if transformer:
        wall, parts = compile_timed(args.compiler, transformer, work)
        rows.append(("TransformerEncoderLayer(64, 4)", wall, "-", "-", parts))
    lines = ["module | wall (s) | ms per op | growth | our passes (s) | upstream passes (s) "
             "| LLVM IR + opt (s) | codegen (s; with opt where in parts)", "---|---|---|---|---|---|---|---"]
    for name, wall, per_op, growth, p in rows:
        lines.append("%s | %.2f | %s | %s | %.2f | %.2f | %.2f | %.2f" % (
            name, wall, per_op, growth, p["ours"], p["upstream"], p["llvm"], p["codegen"]))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
