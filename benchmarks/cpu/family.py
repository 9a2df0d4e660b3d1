"""Times the softmax family's other ops on one CPU thread against PyTorch
(and the entmax package for sparsemax) measured in the same run, and
prints a Markdown table of medians and ratios.

Usage: python3 benchmarks/cpu/family.py [--compiler build/bin/softmax-compile]
                                        [--reps 15] [--out FILE]

Needs PyTorch (and entmax for its row); run by hand or from run.sh, not by
the tests. Ours: the ops compiled by softmax-compile into one shared
library, called through the C ABI on NumPy buffers. PyTorch:
torch._softmax_backward_data / torch._log_softmax_backward_data (its
backward kernels), entmax.sparsemax, and F.cross_entropy forward plus
backward by autograd.
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

SOURCE = """
func.func @softmax_grad(%y: tensor<4096x1024xf32>, %dy: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %dx = softmax.softmax_grad %y, %dy dim(1) : tensor<4096x1024xf32>
  return %dx : tensor<4096x1024xf32>
}
func.func @log_softmax_grad(%y: tensor<4096x1024xf32>, %dy: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %dx = softmax.log_softmax_grad %y, %dy dim(1) : tensor<4096x1024xf32>
  return %dx : tensor<4096x1024xf32>
}
func.func @softmax(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4096x1024xf32>
  return %y : tensor<4096x1024xf32>
}
func.func @sparsemax(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %y = softmax.sparsemax %x dim(1) : tensor<4096x1024xf32>
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
"""


def median_seconds(fn, reps):
    fn()
    times = []
    for _ in range(reps):
        t = time.perf_counter()
        fn()
        times.append(time.perf_counter() - t)
    return float(np.median(times))


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
    rng = np.random.default_rng(0)

    def call(name, *arrays):
        fn = getattr(lib, "_mlir_ciface_" + name)
        descs = [ctypes.byref(descriptor(a)) for a in arrays]
        return lambda: fn(*descs)

    rows = []
    # softmax_grad / log_softmax_grad, 4096 x 1024.
    x = rng.standard_normal((4096, 1024)).astype(np.float32)
    y = np.asarray(torch.softmax(torch.from_numpy(x), 1))
    ly = np.asarray(torch.log_softmax(torch.from_numpy(x), 1))
    dy = rng.standard_normal((4096, 1024)).astype(np.float32)
    out = np.empty_like(x)
    ty, tly, tdy = torch.from_numpy(y), torch.from_numpy(ly), torch.from_numpy(dy)
    ours = median_seconds(call("softmax", x, out), args.reps)
    rows.append(("softmax (ours, for scale)", "4096x1024", ours, None, None))
    for name, yy, tyy, backward in (
        ("softmax_grad", y, ty, torch._softmax_backward_data),
        ("log_softmax_grad", ly, tly, torch._log_softmax_backward_data),
    ):
        ours = median_seconds(call(name, yy, dy, out), args.reps)
        peer = median_seconds(lambda: backward(tdy, tyy, 1, torch.float32), args.reps)
        rows.append((name, "4096x1024", ours, "PyTorch", peer))
    # sparsemax, 4096 x 1024.
    ours = median_seconds(call("sparsemax", x, out), args.reps)
    try:
        from entmax import sparsemax

        tx = torch.from_numpy(x)
        peer = median_seconds(lambda: sparsemax(tx, dim=1), max(3, args.reps // 3))
        rows.append(("sparsemax", "4096x1024", ours, "entmax", peer))
    except ImportError:
        rows.append(("sparsemax", "4096x1024", ours, None, None))
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

    rows.append(("cross_entropy fwd+grad", "512x50257", median_seconds(ours_ce, args.reps),
                 "PyTorch autograd", median_seconds(torch_ce, args.reps)))

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
