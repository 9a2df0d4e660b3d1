"""Times the softmax family's other ops on one CPU thread against PyTorch
and oneDNN (and the entmax package for sparsemax and entmax) measured in the same run,
and prints a Markdown table of medians and ratios.

Usage: python3 benchmarks/cpu/family.py [--compiler build/bin/softmax-compile]
                                        [--reps 15] [--out FILE]

Needs PyTorch (and entmax for its row, libdnnl-dev for oneDNN's); run by
hand, not by the tests. Ours: the ops compiled by softmax-compile into one
shared library, called through the C ABI on NumPy buffers. Peers:
torch._softmax_backward_data / torch._log_softmax_backward_data (PyTorch's
backward kernels) and oneDNN's softmax_v2_backward (through onednn_shim.cpp,
built here as run.sh builds it, and checked once against PyTorch's result)
for the gradients, at 4096x1024 and 16384x128 (ours and the two timed in
turn, rep after rep); for sparsemax and
entmax(1.5), our softmax on the same shape (rows of 128, 1024 and 32768;
the three timed in turn, rep after rep) and entmax.sparsemax and
entmax.entmax15; and
F.cross_entropy forward plus backward by autograd (ours: the two ops in
two functions, and in one function, where the row loops compute both from
one max and sum per row).
"""

import argparse
import ctypes
import os
import subprocess
import sys
import tempfile
import time

import numpy as np

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "..", "test", "Integration", "CPU", "Inputs"))
from softmax_check import descriptor  # noqa: E402

# The gradients' shapes: long rows, and short ones (the kernels' shapes are
# static: one function per op and shape, @softmax_grad_4096x1024 and so on).
GRAD_SHAPES = ((4096, 1024), (16384, 128))
GRAD_TEMPLATE = """
func.func @{op}_{s}(%y: tensor<{s}xf32>, %dy: tensor<{s}xf32>) -> tensor<{s}xf32> {{
  %dx = softmax.{op} %y, %dy dim(1) : tensor<{s}xf32>
  return %dx : tensor<{s}xf32>
}}"""
# The sparse ops' shapes (about 4M elements each) and our softmax on each,
# which their targets are relative to.
SPARSE_SHAPES = ((32768, 128), (4096, 1024), (128, 32768))
SPARSE_TEMPLATE = """
func.func @{name}_{s}(%x: tensor<{s}xf32>) -> tensor<{s}xf32> {{
  %y = softmax.{op} %x dim(1){attrs} : tensor<{s}xf32>
  return %y : tensor<{s}xf32>
}}"""
SOURCE = "".join(GRAD_TEMPLATE.format(op=op, s="%dx%d" % shape)
                 for shape in GRAD_SHAPES
                 for op in ("softmax_grad", "log_softmax_grad")) + "".join(
    SPARSE_TEMPLATE.format(name=name, op=op, attrs=attrs, s="%dx%d" % shape)
    for shape in SPARSE_SHAPES
    for name, op, attrs in (("softmax", "softmax", ""), ("sparsemax", "sparsemax", ""),
                            ("entmax15", "entmax", " alpha(1.5)"))) + """
func.func @softmax(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4096x1024xf32>
  return %y : tensor<4096x1024xf32>
}
func.func @ce(%x: tensor<512x50257xf32>, %l: tensor<512xi64>) -> tensor<512xf32> {
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<512x50257xf32>, tensor<512xi64> -> tensor<512xf32>
  return %loss : tensor<512xf32>
}
func.func @ce_grad(%x: tensor<512x50257xf32>, %l: tensor<512xi64>, %d: tensor<512xf32>) -> tensor<512x50257xf32> {
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<512x50257xf32>, tensor<512xi64>, tensor<512xf32> -> tensor<512x50257xf32>
  return %dx : tensor<512x50257xf32>
}
func.func @ce_both(%x: tensor<512x50257xf32>, %l: tensor<512xi64>, %d: tensor<512xf32>) -> (tensor<512xf32>, tensor<512x50257xf32>) {
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<512x50257xf32>, tensor<512xi64> -> tensor<512xf32>
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<512x50257xf32>, tensor<512xi64>, tensor<512xf32> -> tensor<512x50257xf32>
  return %loss, %dx : tensor<512xf32>, tensor<512x50257xf32>
}
"""


def median_seconds(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


def interleaved_medians(fns, reps):
    """Median seconds of each of `fns`, called in turn rep after rep, so
    that a noisy stretch of a shared machine weighs on all of them alike."""
    for fn in fns:
        fn()
    times = [[] for _ in fns]
    for _ in range(reps):
        for fn, ts in zip(fns, times):
            t = time.perf_counter()
            fn()
            ts.append(time.perf_counter() - t)
    return [float(np.median(ts)) for ts in times]


def build_library(command, so, what):
    """Runs `command`, which builds the shared library `so`, and returns it
    loaded, or None with a note that `what` is left out."""
    build = subprocess.run(command + ["-o", so], stdout=subprocess.PIPE,
                           stderr=subprocess.STDOUT, text=True)
    if build.returncode != 0:
        print("note: building %s failed, no %s:\n%s" % (os.path.basename(so), what,
                                                       build.stdout), file=sys.stderr)
        return None
    return ctypes.CDLL(so)


def build_onednn(work):
    """Builds onednn_shim.cpp as run.sh does and returns it loaded, or None
    (with a note) when libdnnl-dev or the build is missing."""
    if not os.path.exists("/usr/include/oneapi/dnnl/dnnl.hpp"):
        print("note: libdnnl-dev not installed, no oneDNN rows", file=sys.stderr)
        return None
    shim = build_library(["g++", "-O2", "-std=c++17", "-fPIC", "-shared", "-fopenmp",
                          os.path.join(HERE, "onednn_shim.cpp"), "-ldnnl"],
                         os.path.join(work, "libonednn_shim.so"), "oneDNN rows")
    if shim is None:
        return None
    shim.onednn_softmax_backward_create.restype = ctypes.c_void_p
    shim.onednn_softmax_backward_create.argtypes = [ctypes.c_int, ctypes.c_long,
                                                    ctypes.c_long, ctypes.c_int]
    shim.onednn_softmax_backward_run.restype = None
    shim.onednn_softmax_backward_run.argtypes = [ctypes.c_void_p] * 4
    shim.onednn_softmax_backward_impl.restype = ctypes.c_char_p
    shim.onednn_softmax_backward_impl.argtypes = [ctypes.c_void_p]
    return shim


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", default=os.path.join(HERE, "..", "..", "build", "bin",
                                                            "softmax-compile"))
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--out")
    args = parser.parse_args()
    import torch
    import torch.nn.functional as F

    torch.set_num_threads(1)
    os.environ["SOFTMAX_MLIR_NUM_THREADS"] = "1"
    work = tempfile.mkdtemp(prefix="family_")
    src = os.path.join(work, "family.mlir")
    with open(src, "w") as f:
        f.write(SOURCE)
    lib_path = os.path.join(work, "libfamily.so")
    subprocess.run([args.compiler, src, "-o", lib_path, "--emit=shared-lib",
                    "--num-threads=1"], check=True)
    lib = ctypes.CDLL(lib_path)
    shim = build_onednn(work)
    rng = np.random.default_rng(0)

    def call(name, *arrays):
        fn = getattr(lib, "_mlir_ciface_" + name)
        descs = [ctypes.byref(descriptor(a)) for a in arrays]
        return lambda: fn(*descs)

    rows = []
    x = rng.standard_normal((4096, 1024)).astype(np.float32)
    out = np.empty_like(x)
    ours = median_seconds(call("softmax", x, out), args.reps)
    rows.append(("softmax (ours, for scale)", "4096x1024", ours, None, None))
    # softmax_grad / log_softmax_grad against PyTorch's and oneDNN's
    # backward kernels.
    for shape in GRAD_SHAPES:
        s = "%dx%d" % shape
        gx = rng.standard_normal(shape).astype(np.float32)
        dy = rng.standard_normal(shape).astype(np.float32)
        gout = np.empty_like(gx)
        tdy = torch.from_numpy(dy)
        for name, forward, backward in (
            ("softmax_grad", torch.softmax, torch._softmax_backward_data),
            ("log_softmax_grad", torch.log_softmax, torch._log_softmax_backward_data),
        ):
            y = np.ascontiguousarray(forward(torch.from_numpy(gx), 1).numpy())
            ty = torch.from_numpy(y)
            fns = [call("%s_%s" % (name, s), y, dy, gout),
                   lambda: backward(tdy, ty, 1, torch.float32)]
            if shim is not None:
                h = shim.onednn_softmax_backward_create(name == "log_softmax_grad",
                                                        shape[0], shape[1], 1)
                dx = np.empty_like(gx)

                def onednn(h=h, y=y, dy=dy, dx=dx):
                    shim.onednn_softmax_backward_run(h, y.ctypes.data, dy.ctypes.data,
                                                     dx.ctypes.data)

                # Once before timing: oneDNN's gradient is PyTorch's (a
                # swapped dst / diff_dst would not be).
                onednn()
                want = backward(tdy, ty, 1, torch.float32).numpy()
                err = float(np.max(np.abs(dx - want)) / np.max(np.abs(want)))
                if not err <= 1e-5:
                    raise SystemExit("oneDNN's %s at %s differs from PyTorch's: max error "
                                     "%.3g of the largest magnitude" % (name, s, err))
                fns.append(onednn)
            # Ours and the peers in turn, rep after rep.
            times = interleaved_medians(fns, args.reps)
            rows.append((name, s, times[0], "PyTorch", times[1]))
            if shim is not None:
                # The peer's name says which implementation ran: oneDNN 2.6
                # has a JIT backward only for AVX-512, elsewhere its
                # reference loops.
                impl = shim.onednn_softmax_backward_impl(h).decode()
                rows.append((name, s, times[0], "oneDNN (%s)" % impl, times[2]))
    # sparsemax and entmax(1.5) against our softmax on the same shape and
    # against the entmax package.
    try:
        import entmax
    except ImportError:
        entmax = None
    for shape in SPARSE_SHAPES:
        s = "%dx%d" % shape
        sx = rng.standard_normal(shape).astype(np.float32)
        sout = np.empty_like(sx)
        tx = torch.from_numpy(sx)
        # Our softmax and the two ops in turn: their ratio is the target.
        soft, *sparse = interleaved_medians(
            [call("%s_%s" % (name, s), sx, sout)
             for name in ("softmax", "sparsemax", "entmax15")], args.reps)
        for name, ours in zip(("sparsemax", "entmax15"), sparse):
            rows.append((name, s, ours, "our softmax", soft))
            if entmax is not None:
                fn = getattr(entmax, name)
                peer = median_seconds(lambda: fn(tx, dim=1), max(3, args.reps // 3))
                rows.append((name, s, ours, "entmax", peer))
    # cross_entropy forward + grad, 512 x 50257.
    logits = (rng.standard_normal((512, 50257)) * 2).astype(np.float32)
    labels = rng.integers(0, 50257, 512).astype(np.int64)
    dloss = np.ones(512, dtype=np.float32)
    loss = np.empty(512, dtype=np.float32)
    grad = np.empty_like(logits)
    fwd, bwd = call("ce", logits, labels, loss), call("ce_grad", logits, labels, dloss, grad)

    def ours_ce():
        fwd()
        bwd()

    tl = torch.from_numpy(logits)
    tlab = torch.from_numpy(labels)

    def torch_ce():
        xt = tl.detach().requires_grad_(True)
        F.cross_entropy(xt, tlab, reduction="none").backward(torch.ones(512))

    torch_time = median_seconds(torch_ce, args.reps)
    rows.append(("cross_entropy fwd+grad (two functions)", "512x50257",
                 median_seconds(ours_ce, args.reps), "PyTorch autograd", torch_time))
    # One function with both ops: the row loops compute them together.
    both = call("ce_both", logits, labels, dloss, loss, grad)
    rows.append(("cross_entropy fwd+grad (one function)", "512x50257",
                 median_seconds(both, args.reps), "PyTorch autograd", torch_time))

    lines = ["op | shape | ours (ms) | peer | peer (ms) | peer / ours",
             "---|---|---|---|---|---"]
    for name, shape, ours, peer_name, peer in rows:
        ratio = "%.2fx" % (peer / ours) if peer else "-"
        lines.append("%s | %s | %.2f | %s | %s | %s" % (
            name, shape, ours * 1e3, peer_name or "-",
            "%.2f" % (peer * 1e3) if peer else "-", ratio))
    text = "\n".join(lines) + "\n"
    print(text)
    if args.out:
        with open(args.out, "w") as f:
            f.write(text)


if __name__ == "__main__":
    main()
