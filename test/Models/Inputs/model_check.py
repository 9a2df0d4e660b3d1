"""Exports PyTorch modules to linalg-on-tensors with torch-mlir's FX
importer, compiles each with softmax-compile (whose pipeline raises their
softmax and log_softmax into the softmax ops and compiles every other op
with the generic lowering), runs them through the shared-library C ABI and
compares with PyTorch on the same inputs.

Models: a multilayer-perceptron classifier ending in softmax,
torch.nn.TransformerEncoderLayer, a causal self-attention block and a
classifier trained with log_softmax + nll_loss (its loss). Each must have
its softmax raised (softmax-opt --softmax-raise leaves a softmax op) and
match PyTorch within f32 tolerance.

With --target cuda the models compile for the GPU instead (their
softmax into the softmax kernels, every other op into the naive kernels of
softmax-gpu-map-loops, one binary) and run on it through the same ABI over
device buffers (the library's own mgpuMemAlloc / mgpuMemcpy); with
--no-run they are only compiled (the kernels assembled by ptxas), where
there is no GPU.

With --target host-loops they go through the GPU pipeline's stages up to
the mapped loops (softmax-gpu-map-loops, after bufferization without
deallocation), with their softmax decomposed instead of compiled to its
kernels, lowered for the host and run there: the loops the GPU's naive
kernels are made of compute the models' outputs (convert-parallel-loops-
to-gpu and outlining, upstream's, only distribute them).

Usage: model_check.py --compiler softmax-compile --opt softmax-opt
                      --workdir DIR [--target cpu|cuda|host-loops] [--no-run]
"""

import argparse
import ctypes
import math
import os
import subprocess
import sys

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch_mlir import fx

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..",
                                "Integration", "CPU", "Inputs"))
from softmax_check import descriptor  # noqa: E402


class Classifier(nn.Module):
    """An MLP whose output is the class probabilities."""

    def __init__(self):
        super().__init__()
        self.hidden = nn.Linear(64, 128)
        self.out = nn.Linear(128, 10)

    def forward(self, x):
        return torch.softmax(self.out(torch.relu(self.hidden(x))), dim=-1)


class CausalSelfAttention(nn.Module):
    """Multi-head self-attention with a causal mask, as in GPT."""

    def __init__(self, width=64, heads=4):
        super().__init__()
        self.heads = heads
        self.qkv = nn.Linear(width, 3 * width)
        self.proj = nn.Linear(width, width)

    def forward(self, x):
        b, t, d = x.shape
        q, k, v = self.qkv(x).split(d, dim=-1)
        q, k, v = (z.view(b, t, self.heads, d // self.heads).transpose(1, 2) for z in (q, k, v))
        scores = q @ k.transpose(-2, -1) / math.sqrt(d // self.heads)
        causal = torch.tril(torch.ones(t, t, dtype=torch.bool))
        scores = scores.masked_fill(~causal, float("-inf"))
        y = torch.softmax(scores, dim=-1) @ v
        return self.proj(y.transpose(1, 2).reshape(b, t, d))


class NllClassifier(nn.Module):
    """A linear classifier's training loss: log_softmax then nll_loss."""

    def __init__(self):
        super().__init__()
        self.linear = nn.Linear(32, 10)

    def forward(self, x, target):
        return F.nll_loss(F.log_softmax(self.linear(x), dim=1), target)


def models():
    torch.manual_seed(0)
    encoder = nn.TransformerEncoderLayer(64, 4, dim_feedforward=128, dropout=0.0,
                                         batch_first=True)
    return (
        ("classifier", Classifier(), (torch.randn(8, 64) * 3,), "softmax.softmax"),
        ("encoder_layer", encoder, (torch.randn(2, 16, 64),), "softmax.softmax"),
        ("causal_attention", CausalSelfAttention(), (torch.randn(2, 16, 64),),
         "softmax.softmax"),
        ("nll_loss", NllClassifier(), (torch.randn(16, 32) * 4, torch.randint(0, 10, (16,))),
         "softmax.log_softmax"),
    )


# The GPU pipeline's stages up to softmax-gpu-map-loops (softmax decomposed
# instead of converted to its kernels), then a plain lowering for the host.
HOST_LOOPS_PIPELINE = (
    "builtin.module(func.func(convert-elementwise-to-linalg),softmax-raise,"
    "softmax-export-c-abi,inline,canonicalize,cse,softmax-decompose,"
    "eliminate-empty-tensors,one-shot-bufferize{bufferize-function-boundaries "
    "function-boundary-type-conversion=identity-layout-map "
    "allow-return-allocs-from-loops},"
    "drop-equivalent-buffer-results,func.func(softmax-gpu-map-loops),"
    "convert-scf-to-cf,expand-strided-metadata,lower-affine,finalize-memref-to-llvm,"
    "convert-math-to-llvm,convert-math-to-libm,convert-arith-to-llvm,"
    "convert-index-to-llvm,convert-func-to-llvm,convert-cf-to-llvm,"
    "reconcile-unrealized-casts)")


def build_host_loops(opt, stem):
    """Builds stem.so from stem.mlir through HOST_LOOPS_PIPELINE, LLVM IR
    and clang; returns the failed step's CompletedProcess, else the last."""
    steps = [
        [opt, stem + ".mlir", "--pass-pipeline=" + HOST_LOOPS_PIPELINE, "-o",
         stem + ".loops.mlir"],
        ["mlir-translate", "--mlir-to-llvmir", stem + ".loops.mlir", "-o", stem + ".ll"],
        ["clang", "-O1", "-shared", "-fPIC", "-Wno-override-module", stem + ".ll", "-o",
         stem + ".so", "-lm"],
    ]
    for step in steps:
        done = subprocess.run(step, capture_output=True, text=True)
        if done.returncode != 0:
            break
    return done


def run_on_cpu(path, name, arrays, out):
    """Calls the model's function in the library at `path` on host arrays;
    returns a list of problems."""
    fn = getattr(ctypes.CDLL(path), "_mlir_ciface_" + name)
    fn.restype = None
    fn(*[ctypes.byref(descriptor(a)) for a in arrays + [out]])
    return []


def run_on_gpu(path, name, arrays, out):
    """Calls the model's function in the CUDA library at `path` on device
    copies of `arrays`, and copies its output into `out`; returns a list of
    problems."""
    lib = ctypes.CDLL(path)
    lib.mgpuMemAlloc.restype = ctypes.c_void_p
    lib.mgpuMemAlloc.argtypes = [ctypes.c_uint64, ctypes.c_void_p, ctypes.c_bool]
    lib.mgpuMemcpy.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_size_t,
                               ctypes.c_void_p]
    lib.mgpuMemFree.argtypes = [ctypes.c_void_p, ctypes.c_void_p]
    lib.softmax_mlir_cuda_last_error.restype = ctypes.c_char_p
    buffers = []
    try:
        descriptors = []
        for host in arrays + [out]:
            device = lib.mgpuMemAlloc(max(host.nbytes, 1), None, False)
            if not device:
                return ["device allocation failed: %s" % lib.softmax_mlir_cuda_last_error()]
            buffers.append(device)
            lib.mgpuMemcpy(device, host.ctypes.data, host.nbytes, None)
            desc = descriptor(host)
            desc.allocated = desc.aligned = device
            descriptors.append(desc)
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        fn(*[ctypes.byref(d) for d in descriptors])
        error = lib.softmax_mlir_cuda_last_error()
        if error:
            return ["the call failed: %s" % error.decode()]
        lib.mgpuMemcpy(out.ctypes.data, buffers[-1], out.nbytes, None)
    finally:
        for device in buffers:
            lib.mgpuMemFree(device, None)
    return []


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--opt", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--target", choices=["cpu", "cuda", "host-loops"], default="cpu")
    parser.add_argument("--no-run", action="store_true",
                        help="compile only (--target cuda without a GPU)")
    args = parser.parse_args()
    os.makedirs(args.workdir, exist_ok=True)
    failures = 0
    all_models = models()
    for name, model, inputs, op in all_models:
        model.eval()
        problems = []
        with torch.no_grad():
            want = model(*inputs).numpy()
            module = fx.export_and_import(model, *inputs, output_type="linalg-on-tensors",
                                          func_name=name)
        stem = os.path.join(args.workdir, name)
        with open(stem + ".mlir", "w") as f:
            f.write(str(module))
        raised = subprocess.run([args.opt, stem + ".mlir", "--softmax-raise"], check=True,
                                capture_output=True, text=True).stdout
        if op + " " not in raised:
            problems.append("its softmax was not raised into %s" % op)
        if args.target == "host-loops":
            build = build_host_loops(args.opt, stem)
        else:
            build = subprocess.run([args.compiler, stem + ".mlir", "-o", stem + ".so",
                                    "--emit=shared-lib", "--target=" + args.target],
                                   capture_output=True, text=True)
        if build.returncode != 0:
            problems.append("softmax-compile failed:\n" + build.stderr[:2000])
        elif not args.no_run:
            arrays = [np.ascontiguousarray(t.numpy()) for t in inputs]
            got = np.zeros(want.shape, dtype=want.dtype)
            call = run_on_gpu if args.target == "cuda" else run_on_cpu
            problems += call(stem + ".so", name, arrays, got)
            err = np.abs(got.astype(np.float64) - want.astype(np.float64))
            tol = 1e-5 * np.abs(want) + 1e-5
            if not problems and not (err <= tol).all():
                problems.append("%d of %d outputs off (max error %.3g)"
                                % ((err > tol).sum(), err.size, err.max()))
        if problems:
            failures += 1
            print("FAIL %s: %s" % (name, "; ".join(problems)))
    if args.no_run:
        print("models: %d compiled for %s, %d failures" % (len(all_models), args.target, failures))
    else:
        print("models: %d compiled and checked, %d failures" % (len(all_models), failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
