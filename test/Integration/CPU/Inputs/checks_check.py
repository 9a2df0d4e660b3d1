"""Calls compiled functions through the C ABI with buffers whose sizes do
not fit (softmax-runtime-checks): each such call must write nothing, count
one error in softmax_mlir_error_count and report its message (to the
handler the caller set, else to stderr); calls whose sizes fit must still
match a float64 NumPy reference.

Usage: checks_check.py --compiler softmax-compile --workdir DIR [--flags=..]
                       [--tag T] [--expect-unchecked]

With --expect-unchecked (a library built with --runtime-checks=false) only
the fitting calls run, and the library must not have the error counter.
"""

import argparse
import ctypes
import os
import sys
import tempfile

import numpy as np

sys.path.insert(0, os.path.dirname(__file__))
from softmax_check import build_library, descriptor  # noqa: E402

SOURCE = """
func.func @static(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}
func.func @rows(%x: tensor<?x64xf32>) -> tensor<?x64xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x64xf32>
  return %y : tensor<?x64xf32>
}
func.func @grad(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = softmax.softmax_grad %y, %dy dim(1) : tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}
func.func @loss(%x: tensor<?x10xf32>, %l: tensor<?xi64>) -> tensor<?xf32> {
  %r = softmax.cross_entropy %x, %l dim(1) : tensor<?x10xf32>, tensor<?xi64> -> tensor<?xf32>
  return %r : tensor<?xf32>
}
func.func @masked(%x: tensor<?x?xf32>, %m: tensor<1x?xi1>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x mask(%m : tensor<1x?xi1>) dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
"""

SENTINEL = 12345.0


def softmax(x, log=False):
    x = x.astype(np.float64)
    m = x.max(axis=1, keepdims=True)
    e = np.exp(x - m)
    s = e.sum(axis=1, keepdims=True)
    return x - m - np.log(s) if log else e / s


class Captured:
    """What the library writes to fd 2 while in the block."""

    def __enter__(self):
        sys.stderr.flush()
        self.file = tempfile.TemporaryFile()
        self.saved = os.dup(2)
        os.dup2(self.file.fileno(), 2)
        return self

    def __exit__(self, *exc):
        os.dup2(self.saved, 2)
        os.close(self.saved)
        self.file.seek(0)
        self.text = self.file.read().decode()
        self.file.close()


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--compiler", required=True)
    parser.add_argument("--workdir", required=True)
    parser.add_argument("--flags", default="")
    parser.add_argument("--tag", default="")
    parser.add_argument("--expect-unchecked", action="store_true")
    args = parser.parse_args()
    lib = build_library(args.compiler, os.path.join(args.workdir, "checks%s" % args.tag),
                        SOURCE, args.flags.split())
    rng = np.random.default_rng(3)
    failures = 0

    def call(name, *arrays):
        fn = getattr(lib, "_mlir_ciface_" + name)
        fn.restype = None
        fn(*[ctypes.byref(descriptor(a)) for a in arrays])

    def expect(condition, what):
        nonlocal failures
        if not condition:
            failures += 1
            print("FAIL %s" % what)

    # Calls whose sizes fit.
    x = rng.standard_normal((4, 128)).astype(np.float32)
    out = np.full((4, 128), SENTINEL, np.float32)
    call("static", x, out)
    expect(np.allclose(out, softmax(x), rtol=1e-5, atol=1e-7), "static: fitting call")
    x = rng.standard_normal((3, 64)).astype(np.float32)
    out = np.full((3, 64), SENTINEL, np.float32)
    call("rows", x, out)
    expect(np.allclose(out, softmax(x, log=True), rtol=1e-5, atol=1e-6), "rows: fitting call")
    keep = np.ones((1, 5), bool)
    x = rng.standard_normal((2, 5)).astype(np.float32)
    out = np.full((2, 5), SENTINEL, np.float32)
    call("masked", x, keep, out)
    expect(np.allclose(out, softmax(x), rtol=1e-5, atol=1e-7), "masked: broadcast mask fits")

    if args.expect_unchecked:
        expect(not hasattr(lib, "softmax_mlir_error_count"),
               "a library without checks exports no error counter")
        print("checks: unchecked library, %d failures" % failures)
        sys.exit(1 if failures else 0)

    count = ctypes.c_int64.in_dll(lib, "softmax_mlir_error_count")
    # (function, arrays, the message's part): sizes that do not fit.
    bad_calls = [
        ("static", [np.zeros((2, 128), np.float32), np.zeros((4, 128), np.float32)],
         "the size of in0 in dim 0 must be 4 (the compiled size)"),
        ("static", [np.zeros((4, 128), np.float32), np.zeros((4, 100), np.float32)],
         "the size of out0 in dim 1 must be 128 (the compiled size)"),
        ("rows", [np.zeros((5, 64), np.float32), np.zeros((2, 64), np.float32)],
         "the size of out0 in dim 0 must be the size of in0 in dim 0"),
        ("grad", [np.zeros((3, 7), np.float32), np.zeros((2, 7), np.float32),
                  np.zeros((3, 7), np.float32)],
         "the size of in1 in dim 0 must be the size of in0 in dim 0"),
        ("loss", [np.zeros((6, 10), np.float32), np.zeros(4, np.int64),
                  np.zeros(6, np.float32)],
         "the size of in1 in dim 0 must be the size of in0 in dim 0"),
        ("masked", [np.zeros((2, 5), np.float32), np.ones((1, 3), bool),
                    np.zeros((2, 5), np.float32)],
         "the size of in1 in dim 1 must be the size of in0 in dim 1"),
    ]
    for name, arrays, message in bad_calls:
        outputs = arrays[-1]
        outputs.fill(SENTINEL)
        before = count.value
        with Captured() as captured:
            call(name, *arrays)
        expect(count.value == before + 1, "%s: one error counted, not %d"
               % (name, count.value - before))
        expect((outputs == SENTINEL).all(), "%s: the output was written" % name)
        expect(("error: softmax-mlir: @%s: %s" % (name, message)) in captured.text,
               "%s: message %r not in %r" % (name, message, captured.text))

    # A handler set by the caller gets the message instead of stderr.
    messages = []
    handler_type = ctypes.CFUNCTYPE(None, ctypes.c_char_p)
    handler = handler_type(lambda m: messages.append(m.decode()))
    slot = ctypes.c_void_p.in_dll(lib, "softmax_mlir_error_handler")
    slot.value = ctypes.cast(handler, ctypes.c_void_p).value
    with Captured() as captured:
        call("rows", np.zeros((5, 64), np.float32), np.zeros((4, 64), np.float32))
    slot.value = None
    expect(len(messages) == 1 and "@rows: the size of out0 in dim 0" in messages[0],
           "handler: got %r" % messages)
    expect(captured.text == "", "handler: stderr got %r" % captured.text)

    print("checks: %d mismatched calls reported, %d failures" % (len(bad_calls) + 1, failures))
    sys.exit(1 if failures else 0)


if __name__ == "__main__":
    main()
