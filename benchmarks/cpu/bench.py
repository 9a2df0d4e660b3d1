"""CPU softmax benchmark: softmax-mlir against oneDNN, PyTorch, IREE and
upstream MLIR's linalg.softmax lowering, in one process, interleaved.

Usage: bench.py WORKDIR [--reps N] [--reps-big N] [--shape RxC] [--shapes RxC,..]
                [--only NAME]

WORKDIR holds what run.sh built: libkernels_{1,2}t.so (ours),
libonednn_shim.so, liblinalg.so (upstream, one function per shape) and
iree_RxC.vmfb. For every shape [R x C] (f32, last axis) each implementation
is first checked against a float64 reference (max abs error; a wrong one is
not timed), then all are timed interleaved: each repetition runs, for every
shape and implementation in rotated order, one warm call and one timed batch
of >= 2 ms; one-thread implementations first, then two-thread ones (PyTorch
rebuilds its thread pool on a switch, so each switch is followed by a
settle). Repetitions are the outermost loop, so a burst of load from other
tenants of this shared machine hits every implementation alike; samples
taken while other processes used >= 0.25 cores (from /proc/stat) are dropped
when enough clean ones remain. The median per-call time is reported.

Output: CSV on stdout, one line per (shape, op, implementation).
"""

import argparse
import ctypes
import os
import sys
import time

import numpy as np

GRID = [(16384, 32), (4096, 128), (1024, 1024), (256, 4096), (64, 16384),
        (16, 65536), (4, 262144), (1, 1048576), (4096, 4096)]
BATCH_S = 2e-3


class Memref2D(ctypes.Structure):
    _fields_ = [("allocated", ctypes.c_void_p), ("aligned", ctypes.c_void_p),
                ("offset", ctypes.c_int64), ("sizes", ctypes.c_int64 * 2),
                ("strides", ctypes.c_int64 * 2)]


def memref(a):
    rows, cols = a.shape
    p = a.ctypes.data
    return Memref2D(p, p, 0, (rows, cols), (cols, 1))


def busy_seconds():
    with open("/proc/stat") as f:
        v = [int(x) for x in f.readline().split()[1:9]]
    user, nice, system, idle, iowait, irq, softirq, steal = v
    return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")


class Impl:
    def __init__(self, op, name, threads, run, output):
        self.op, self.name, self.threads = op, name, threads
        self.run, self.output = run, output
        self.error = float("nan")
        self.iters = 1
        self.samples, self.foreign = [], []


def reference(x, log):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    s = np.exp(x - m).sum(axis=1, keepdims=True)
    return (x - m - np.log(s)) if log else np.exp(x - m) / s


def build_impls(work, rows, cols, x, y, torch, rt, devices):
    impls = []
    ops = ["softmax", "log_softmax"]
    # Ours: compiled with --num-threads=1 and 2 (dynamic shapes).
    xd, yd = memref(x), memref(y)
    for t in (1, 2):
        lib = ctypes.CDLL(os.path.join(work, "libkernels_%dt.so" % t))
        for op in ops:
            fn = getattr(lib, "_mlir_ciface_%s_rows_%dt" % (op, t))
            fn.restype = None
            fn.argtypes = [ctypes.POINTER(Memref2D), ctypes.POINTER(Memref2D)]
            impls.append(Impl(op, "softmax_mlir_%dt" % t, t,
                              (lambda fn=fn: fn(ctypes.byref(xd), ctypes.byref(yd))),
                              lambda: y))
    # oneDNN through its C++ API (one primitive per thread count).
    shim = ctypes.CDLL(os.path.join(work, "libonednn_shim.so"))
    shim.onednn_softmax_create.restype = ctypes.c_void_p
    shim.onednn_softmax_create.argtypes = [ctypes.c_int, ctypes.c_long, ctypes.c_long, ctypes.c_int]
    shim.onednn_softmax_run.restype = None
    shim.onednn_softmax_run.argtypes = [ctypes.c_void_p, ctypes.c_void_p, ctypes.c_void_p]
    for t in (1, 2):
        for op in ops:
            h = shim.onednn_softmax_create(op == "log_softmax", rows, cols, t)
            impls.append(Impl(op, "onednn_%dt" % t, t,
                              (lambda h=h: shim.onednn_softmax_run(h, x.ctypes.data, y.ctypes.data)),
                              lambda: y))
    # PyTorch: the ATen kernels into a preallocated output.
    if torch is not None:
        tx, ty = torch.from_numpy(x), torch.from_numpy(y)
        kernels = {"softmax": torch.ops.aten._softmax.out,
                   "log_softmax": torch.ops.aten._log_softmax.out}
        for t in (1, 2):
            for op in ops:
                k = kernels[op]
                impls.append(Impl(op, "pytorch_%dt" % t, t,
                                  (lambda k=k: k(tx, -1, False, out=ty)), lambda: y))
    # Upstream MLIR: linalg.softmax, vectorized by a transform schedule;
    # single-threaded (upstream has no threading for it).
    linalg = os.path.join(work, "liblinalg.so")
    if os.path.exists(linalg):
        lib = ctypes.CDLL(linalg)
        fn = getattr(lib, "_mlir_ciface_linalg_%dx%d" % (rows, cols), None)
        if fn is not None:
            fn.restype = None
            impls.append(Impl("softmax", "upstream_linalg_1t", 1,
                              (lambda fn=fn: fn(ctypes.byref(xd), ctypes.byref(yd))),
                              lambda: y))
    # IREE (llvm-cpu, host CPU): local-sync runs inline on the caller's
    # thread; local-task with two worker groups. Called through its Python
    # runtime, which allocates each result.
    vmfb = os.path.join(work, "iree_%dx%d.vmfb" % (rows, cols))
    if rt is not None and os.path.exists(vmfb):
        data = open(vmfb, "rb").read()
        for t, dev in devices.items():
            ctx = rt.SystemContext(config=rt.Config(device=dev))
            ctx.add_vm_module(rt.VmModule.copy_buffer(ctx.instance, data))
            xdev = rt.asdevicearray(dev, x)
            for op in ops:
                f = ctx.modules.module[op]
                box = {}

                def run(f=f, xdev=xdev, box=box):
                    box["y"] = f(xdev)

                impls.append(Impl(op, "iree_%dt" % t, t, run,
                                  (lambda box=box: box["y"].to_host())))
    return impls


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("work")
    parser.add_argument("--reps", type=int, default=15)
    parser.add_argument("--reps-big", type=int, default=7)
    parser.add_argument("--shape")
    parser.add_argument("--shapes", help="RxC,RxC,...: time these instead of the grid "
                        "(peers compiled per shape, IREE and upstream linalg, only on the grid)")
    parser.add_argument("--only", help="time only implementations whose name contains this")
    args = parser.parse_args()

    try:
        import torch
    except ImportError:
        torch = None
    try:
        import iree.runtime as rt
        rt.flags.parse_flags("--task_topology_group_count=2")
        devices = {1: rt.get_device("local-sync"), 2: rt.get_device("local-task")}
    except ImportError:
        rt, devices = None, {}

    rng = np.random.default_rng(42)
    shapes = []
    grid = GRID
    if args.shapes:
        grid = [tuple(int(v) for v in shape.split("x")) for shape in args.shapes.split(",")]
    for rows, cols in grid:
        name = "%dx%d" % (rows, cols)
        if args.shape and args.shape != name:
            continue
        x = rng.uniform(-10, 10, (rows, cols)).astype(np.float32)
        y = np.zeros_like(x)
        refs = {op: reference(x, op == "log_softmax") for op in ("softmax", "log_softmax")}
        impls = build_impls(args.work, rows, cols, x, y, torch, rt, devices)
        if args.only:
            impls = [im for im in impls if args.only in im.name]
        big = x.nbytes > (32 << 20)
        shapes.append(dict(name=name, rows=rows, cols=cols, x=x, y=y, impls=impls,
                           reps=args.reps_big if big else args.reps))
        # Check, and size each timed batch.
        for im in impls:
            set_threads(torch, im.threads)
            y.fill(np.nan)
            im.run()
            d = np.abs(im.output().astype(np.float64) - refs[im.op])
            im.error = float("inf") if np.isnan(d).any() else float(d.max())
            t0 = time.perf_counter()
            im.run()
            im.iters = int(min(100000, max(1, np.ceil(BATCH_S / (time.perf_counter() - t0)))))
        del refs

    max_reps = max(s["reps"] for s in shapes)
    for rep in range(max_reps):
        for threads in (1, 2):
            set_threads(torch, threads)
            time.sleep(0.1)  # PyTorch's pool settles after a switch.
            before = (busy_seconds(), time.process_time(), time.monotonic())
            timed = []
            for s in shapes:
                if rep % max(1, max_reps // s["reps"]) or len(s["impls"][0].samples) >= s["reps"]:
                    continue
                mine = [im for im in s["impls"] if im.threads == threads]
                for k in range(len(mine)):
                    im = mine[(k + rep) % len(mine)]
                    if not im.error < 1e-3:
                        continue  # Wrong results are not timed.
                    im.run()
                    t0 = time.perf_counter()
                    for _ in range(im.iters):
                        im.run()
                    im.samples.append((time.perf_counter() - t0) / im.iters * 1e9)
                    timed.append(im)
            busy, cpu, wall = busy_seconds(), time.process_time(), time.monotonic()
            foreign = max(0.0, ((busy - before[0]) - (cpu - before[1])) / max(1e-9, wall - before[2]))
            for im in timed:
                im.foreign.append(foreign)
            if foreign >= 0.25:
                print("rep %d/%dt: other processes used %.2f cores" % (rep, threads, foreign),
                      file=sys.stderr)

    print("shape,rows,cols,op,impl,threads,median_ns,p25_ns,p75_ns,ns_per_elem,gbps,"
          "max_abs_err,samples,clean_samples")
    for s in shapes:
        n = s["rows"] * s["cols"]
        for im in s["impls"]:
            clean = [v for v, f in zip(im.samples, im.foreign) if f < 0.25]
            use = clean if len(clean) >= max(3, len(im.samples) // 3) else im.samples
            if not use:
                print("%s,%d,%d,%s,%s,%d,,,,,,%.3g,0,0" % (s["name"], s["rows"], s["cols"], im.op,
                                                          im.name, im.threads, im.error))
                continue
            med = float(np.median(use))
            print("%s,%d,%d,%s,%s,%d,%.1f,%.1f,%.1f,%.4f,%.2f,%.3g,%d,%d" % (
                s["name"], s["rows"], s["cols"], im.op, im.name, im.threads, med,
                np.percentile(use, 25), np.percentile(use, 75), med / n, 8.0 * n / med,
                im.error, len(im.samples), len(clean)))


def set_threads(torch, threads):
    if torch is not None and torch.get_num_threads() != threads:
        torch.set_num_threads(threads)


if __name__ == "__main__":
    main()
