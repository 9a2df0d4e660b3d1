"""Diagnostics suite (issue 8), the Python API's part: bad input to
softmax_mlir.compile / compile_library / load_library, to compiled
functions (dtype, rank, shape, out=, argument count), to the ready-made
ops (dim, alpha, mask, labels, gradients' operands) and to the
softmax_mlir.torch ops.

What it guarantees, for every case: the call raises the documented
exception type (CompileError, a ValueError, for what the compiler rejects;
TypeError for a wrong kind or element type of array; ValueError for a bad
shape, rank, dim or value; KeyError for a missing function), with a
message that names the
problem; a CompileError carries the compiler's `error:` with its
`<source>:line:col` location where the input has one. Nothing crashes the
interpreter (a crash ends the pytest run), and no case prints an
`LLVM ERROR` or a stack dump (checked on the process's stderr).

Cases: 53 that pass (compile 14, compiled functions 10, ready-made ops 14,
softmax_mlir.torch 6, and 9 found by this suite and fixed), one pytest item
each. With the 132 tool cases of test/Diagnostics (softmax-opt 65,
softmax-compile 67), 185 in all.
"""

import numpy as np
import pytest

import softmax_mlir as sm

from modules import build

MODULE = """
func.func @probs(%x: tensor<?x128xf32>) -> tensor<?x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x128xf32>
  return %y : tensor<?x128xf32>
}
"""

X = np.zeros((2, 128), np.float32)


@pytest.fixture(scope="module")
def module():
    return build(MODULE, threads=1)


@pytest.fixture(autouse=True)
def no_crash_output(capfd):
    """No case prints an LLVM ERROR or a stack dump (the compiler runs in
    this process and writes to its stderr)."""
    yield
    err = capfd.readouterr().err
    for marker in ("LLVM ERROR", "Stack dump", "PLEASE submit"):
        assert marker not in err, err


# --- softmax_mlir.compile and friends -------------------------------------

COMPILE_ERRORS = [
    pytest.param(
        lambda: sm.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                           "  %y = softmax.bogus %x dim(0) : tensor<4xf32>\n"
                           "  return %y : tensor<4xf32>\n}\n"),
        sm.CompileError, r"<source>:2:8: error: custom op 'softmax\.bogus' is unknown",
        id="unknown-op"),
    pytest.param(
        lambda: sm.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                           "  %y = \"foo.bar\"(%x) : (tensor<4xf32>) -> tensor<4xf32>\n"
                           "  return %y : tensor<4xf32>\n}\n"),
        sm.CompileError, r"<source>:2:17: error: operation being parsed with an unregistered dialect",
        id="unregistered-dialect"),
    pytest.param(
        lambda: sm.compile(open("/bin/sh", "rb").read(64).decode("latin-1")),
        sm.CompileError, r"<source>:1:1: error: unexpected character",
        id="binary-garbage"),
    pytest.param(
        lambda: sm.compile("func.func @f(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {\n"
                           "  %y = softmax.entmax %x dim(1) alpha(0.5) : tensor<4x8xf32>\n"
                           "  return %y : tensor<4x8xf32>\n}\n"),
        sm.CompileError,
        r"<source>:2:8: error: 'softmax\.entmax' op expects a finite alpha > 1, but got 5\.000000e-01",
        id="verifier-entmax-alpha"),
    pytest.param(
        lambda: sm.compile("func.func @f(%s: f32, %x: tensor<4xf32>) -> tensor<4xf32> {\n"
                           "  return %x : tensor<4xf32>\n}\n"),
        sm.CompileError,
        r"<source>:1:1: error: argument #0 of public function '@f' has type 'f32', "
        r"which the C ABI does not support",
        id="c-abi-scalar-argument"),
    pytest.param(
        lambda: sm.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf8E5M2> {\n"
                           "  %y = arith.truncf %x : tensor<4xf32> to tensor<4xf8E5M2>\n"
                           "  return %y : tensor<4xf8E5M2>\n}\n"),
        sm.CompileError,
        r"<source>:1:1: error: result #0 of public function '@f' has type 'tensor<4xf8E5M2>', "
        r"which the C ABI does not support",
        id="c-abi-f8-result"),
    pytest.param(lambda: sm.compile(MODULE, threads=-3), sm.CompileError,
                 r"error: softmax-tile: threads must be >= 0", id="option-threads-negative"),
    pytest.param(lambda: sm.compile(MODULE, vector_bits=100), sm.CompileError,
                 r"error: softmax-vectorize: vector-bits must be a positive multiple of 32",
                 id="option-vector-bits"),
    pytest.param(lambda: sm.compile(MODULE, mcpu="a b"), sm.CompileError,
                 r"error: invalid softmax-cpu-pipeline options 'mcpu=a b': .*no such option b",
                 id="option-mcpu-with-space"),
    pytest.param(lambda: sm.compile(MODULE, triple="bogus"), sm.CompileError,
                 r"error: unsupported target triple 'bogus'", id="option-triple"),
    pytest.param(lambda: sm.compile(MODULE, chip="sm_90"), ValueError,
                 r"chip= is an option of target='cuda'", id="chip-on-cpu"),
    pytest.param(lambda: sm.compile(MODULE, target="cuda", mcpu="host"), ValueError,
                 r"mcpu= is an option of target='cpu'", id="mcpu-on-cuda"),
    pytest.param(lambda: sm.compile(None), TypeError, r"mlir_text must be a str, not NoneType",
                 id="text-none"),
    pytest.param(lambda: sm.compile_library("func.func @f(", "/nonexistent-dir/x.so"),
                 sm.CompileError, r"<source>:1:\d+: error: expected non-function type",
                 id="library-unparsable"),
]


@pytest.mark.parametrize("call, error, match", COMPILE_ERRORS)
def test_compile_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_compile_error_is_value_error():
    """Not a case: CompileError is a ValueError, as documented."""
    assert issubclass(sm.CompileError, ValueError)


# --- calling compiled functions -------------------------------------------

CALL_ERRORS = [
    pytest.param(lambda m: m.probs(np.zeros((2, 128), np.int32)), TypeError,
                 r"probs\(\): argument 0 has the wrong element type: expected f32", id="dtype"),
    pytest.param(lambda m: m.probs(np.zeros((1, 2, 128), np.float32)), ValueError,
                 r"probs\(\): argument 0 has rank 3, expected 2 \(\?, 128\)", id="rank-3"),
    pytest.param(lambda m: m.probs(np.float32(1.0)), ValueError,
                 r"probs\(\): argument 0 has rank 0, expected 2", id="rank-0"),
    pytest.param(lambda m: m.probs(np.zeros((2, 127), np.float32)), ValueError,
                 r"probs\(\): argument 0 has size 127 in dim 1, expected \(\?, 128\)", id="shape"),
    pytest.param(lambda m: m.probs(), TypeError, r"probs\(\) takes 1 arrays, 0 given",
                 id="no-arguments"),
    pytest.param(lambda m: m.probs(X, out=np.zeros((2, 128), np.float64)), TypeError,
                 r"probs\(\): out\[0\] has the wrong element type: expected f32", id="out-dtype"),
    pytest.param(lambda m: m.probs(X, out=np.zeros((256,), np.float32)), ValueError,
                 r"probs\(\): out\[0\] has rank 1, expected 2", id="out-rank"),
    pytest.param(lambda m: m.probs(X, out=np.zeros((128, 2), np.float32).T), TypeError,
                 r"probs\(\): out\[0\] is not a writable contiguous CPU array",
                 id="out-not-contiguous"),
    pytest.param(lambda m: m.probs(X, out=[np.zeros((2, 128), np.float32)] * 2), TypeError,
                 r"probs\(\): out= needs 1 arrays", id="out-too-many"),
    pytest.param(lambda m: sm.load_library("/nonexistent-dir/lib.so", "f in:f32:4 out:f32:4"),
                 ValueError, r"cannot load '/nonexistent-dir/lib\.so'", id="load-missing-library"),
]


@pytest.mark.parametrize("call, error, match", CALL_ERRORS)
def test_call_error(module, call, error, match):
    with pytest.raises(error, match=match):
        call(module)


# --- the ready-made ops ----------------------------------------------------

OP_ERRORS = [
    pytest.param(lambda: sm.softmax(X, dim=2), ValueError,
                 r"dim 2 is out of range for x of rank 2", id="softmax-dim"),
    pytest.param(lambda: sm.log_softmax(X, dim=-3), ValueError,
                 r"dim -3 is out of range for x of rank 2", id="log-softmax-dim-negative"),
    pytest.param(lambda: sm.softmax(np.zeros((2, 8), np.int32)), TypeError,
                 r"x must be float32, float64, float16 or bfloat16, not int32", id="softmax-int"),
    pytest.param(lambda: sm.sparsemax(np.zeros((2, 8), np.complex64)), TypeError,
                 r"x has element type complex64; expected one of float32", id="sparsemax-complex"),
    pytest.param(lambda: sm.softmax(np.float32(1.0)), ValueError,
                 r"x must have at least one dimension", id="softmax-rank-0"),
    pytest.param(lambda: sm.entmax(X, alpha=1.0), ValueError,
                 r"alpha must be greater than 1, not 1\.0", id="entmax-alpha-1"),
    pytest.param(lambda: sm.entmax_grad(X, X, alpha=0.5), ValueError,
                 r"alpha must be greater than 1, not 0\.5", id="entmax-grad-alpha"),
    pytest.param(lambda: sm.softmax(X, mask=np.ones((3, 128), bool)), ValueError,
                 r"mask of shape \(3, 128\) does not broadcast against x of shape \(2, 128\)",
                 id="mask-shape"),
    pytest.param(lambda: sm.log_softmax(X, mask=np.ones((1, 2, 128), bool)), ValueError,
                 r"mask has rank 3, more than x's 2", id="mask-rank"),
    pytest.param(lambda: sm.softmax(X, mask=np.ones((2, 128), np.int32)), sm.CompileError,
                 r"<source>:2:8: error: 'softmax\.softmax' op expects a mask of i1 or f16, bf16, "
                 r"f32 or f64 elements as a ranked tensor, but got 'tensor<\?x128xi32>'",
                 id="mask-int32"),
    pytest.param(lambda: sm.softmax_grad(X, np.zeros((2, 64), np.float32)), ValueError,
                 r"softmax_grad: shapes \(2, 128\) and \(2, 64\) differ", id="grad-shapes"),
    pytest.param(lambda: sm.log_softmax_grad(X, np.zeros((2, 128), np.float64)), TypeError,
                 r"log_softmax_grad: y and dy have different element types", id="grad-dtypes"),
    pytest.param(lambda: sm.cross_entropy(X, np.zeros(3, np.int64)), ValueError,
                 r"cross_entropy: labels have shape \(3,\); logits of shape \(2, 128\) need \(2,\)",
                 id="labels-shape"),
    pytest.param(lambda: sm.cross_entropy(X, np.zeros(2, np.int64), label_smoothing=1.5),
                 sm.CompileError,
                 r"<source>:2:8: error: 'softmax\.cross_entropy' op expects label_smoothing in "
                 r"\[0, 1\], but got 1\.500000e\+00", id="label-smoothing"),
]


@pytest.mark.parametrize("call, error, match", OP_ERRORS)
def test_op_error(call, error, match):
    with pytest.raises(error, match=match):
        call()


# --- softmax_mlir.torch ----------------------------------------------------

def _torch_cases():
    return [
        ("int", lambda smt, torch: smt.softmax(torch.zeros(2, 8, dtype=torch.int32)), TypeError,
         r"x must be float32, float64, float16 or bfloat16, not torch\.int32"),
        ("dim", lambda smt, torch: smt.log_softmax(torch.zeros(2, 8), 5), ValueError,
         r"dim 5 is out of range for x of rank 2"),
        ("mask", lambda smt, torch: smt.softmax(torch.zeros(2, 8), -1,
                                                torch.ones(3, 8, dtype=torch.bool)),
         ValueError, r"mask of shape \(3, 8\) does not broadcast"),
        ("entmax-alpha", lambda smt, torch: smt.entmax(torch.zeros(2, 8), 0.9), ValueError,
         r"alpha must be greater than 1, not 0\.9"),
        ("labels-dtype", lambda smt, torch: smt.cross_entropy(torch.zeros(2, 8), torch.zeros(2)),
         TypeError, r"cross_entropy: labels must be int64 or int32, not torch\.float32"),
        ("grad-shapes", lambda smt, torch: smt.softmax_grad(torch.zeros(2, 8), torch.zeros(2, 4)),
         ValueError, r"softmax_grad: shapes \(2, 8\) and \(2, 4\) differ"),
    ]


@pytest.mark.parametrize("index", range(6), ids=[case[0] for case in _torch_cases()])
def test_torch_error(index):
    torch = pytest.importorskip("torch")
    import softmax_mlir.torch as smt
    _, call, error, match = _torch_cases()[index]
    with pytest.raises(error, match=match):
        call(smt, torch)


# --- found by this suite and fixed ------------------------------------------

# Non-finite alpha and scale, lists instead of arrays, a mask's dtype
# message, bad pipeline option values.
FIXED = [
    pytest.param(lambda: sm.entmax(X, alpha=float("inf")), ValueError,
                 r"^alpha must be finite, not inf", id="entmax-alpha-inf"),
    pytest.param(lambda: sm.softmax(X, scale=float("nan")), ValueError,
                 r"^scale must be finite, not nan", id="softmax-scale-nan"),
    pytest.param(lambda: sm.log_softmax(X, scale=float("inf")), ValueError,
                 r"^scale must be finite, not inf", id="log-softmax-scale-inf"),
    pytest.param(lambda: sm.softmax([[1.0, 2.0]]), TypeError,
                 r"^x must be an array .*not list", id="softmax-list"),
    pytest.param(lambda: sm.cross_entropy([[1.0, 2.0]], [0]), TypeError,
                 r"^logits must be an array .*not list", id="cross-entropy-list"),
    pytest.param(lambda: sm.softmax(X, mask=np.ones((2, 128), np.uint8)), TypeError,
                 r"mask has element type uint8; expected .*bool", id="mask-dtype-message"),
    pytest.param(lambda: sm.cross_entropy(np.zeros((2, 4), np.float32), np.zeros(2, np.int64),
                                          label_smoothing=float("nan")), ValueError,
                 r"^label_smoothing must be finite, not nan", id="cross-entropy-smoothing-nan"),
    # A bad pipeline option value left the reason empty ("invalid
    # softmax-cpu-pipeline options 'vectorize=maybe': ") and printed it to
    # the process's stderr from LLVM's parser.
    pytest.param(lambda: sm.compile(MODULE, vectorize="maybe"), sm.CompileError,
                 r"'vectorize=maybe': 'maybe' is not a valid value for option 'vectorize' "
                 r"\(expected true or false\)", id="option-reason-bool"),
    pytest.param(lambda: sm.compile(MODULE, threads="1.5"), sm.CompileError,
                 r"'threads=1.5': '1.5' is not a valid value for option 'threads' "
                 r"\(expected an integer\)", id="option-reason-integer"),
]


@pytest.mark.parametrize("call, error, match", FIXED)
def test_fixed(call, error, match, capfd):
    with pytest.raises(error, match=match):
        call()
    err = capfd.readouterr().err
    assert "LLVM ERROR" not in err
    assert "invalid value" not in err
