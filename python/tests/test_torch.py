"""softmax_mlir.torch: the custom ops against PyTorch, autograd included,
and the entmax package for the sparse ops where it is installed."""

import pytest

torch = pytest.importorskip("torch")

import softmax_mlir as sm  # noqa: E402
import softmax_mlir.torch as smt  # noqa: E402


def randn(*shape, dtype=torch.float32, requires_grad=True):
    g = torch.Generator().manual_seed(sum(shape))
    return (torch.randn(*shape, generator=g, dtype=torch.float64) * 4).to(dtype).requires_grad_(
        requires_grad)


def check_grad(ours, theirs, *inputs):
    """Forward and backward of `ours` against `theirs` on copies of inputs."""
    a = [x.detach().clone().requires_grad_(x.requires_grad) for x in inputs]
    b = [x.detach().double().requires_grad_(x.requires_grad) for x in inputs]
    ya, yb = ours(*a), theirs(*b)
    torch.testing.assert_close(ya.double(), yb, rtol=1e-5, atol=1e-6)
    g = torch.randn(yb.shape, generator=torch.Generator().manual_seed(1), dtype=torch.float64)
    ya.backward(g.to(ya.dtype))
    yb.backward(g)
    for x, y in zip(a, b):
        if x.requires_grad:
            torch.testing.assert_close(x.grad.double(), y.grad, rtol=1e-5, atol=1e-6)


def test_outputs_are_tensors():
    x = randn(3, 10, requires_grad=False)
    y = sm.softmax(x)
    assert isinstance(y, torch.Tensor) and y.dtype == torch.float32
    torch.testing.assert_close(y, torch.softmax(x, -1))


def test_bfloat16():
    x = randn(4, 64, dtype=torch.bfloat16, requires_grad=False)
    y = sm.softmax(x)
    assert y.dtype == torch.bfloat16
    torch.testing.assert_close(y.float(), torch.softmax(x.float(), -1), rtol=1e-2, atol=1e-2)


@pytest.mark.parametrize("dim", [-1, 0, 1])
def test_softmax_autograd(dim):
    check_grad(lambda x: smt.softmax(x, dim), lambda x: torch.softmax(x, dim), randn(5, 6, 7))
    check_grad(lambda x: smt.log_softmax(x, dim), lambda x: torch.log_softmax(x, dim),
               randn(5, 6, 7))


def test_masked_scaled_autograd():
    keep = torch.rand(8, 16, generator=torch.Generator().manual_seed(3)) > 0.3
    keep[1] = True

    def theirs(x, log=False):
        s = (x * 0.25).masked_fill(~keep, float("-inf"))
        return torch.log_softmax(s, -1) if log else torch.softmax(s, -1)
    check_grad(lambda x: smt.softmax(x, -1, keep, 0.25), theirs, randn(8, 16))
    a = randn(8, 16)
    ya = smt.log_softmax(a, -1, keep, 0.25)
    b = a.detach().double().requires_grad_()
    yb = theirs(b, log=True)
    finite = torch.isfinite(yb)
    torch.testing.assert_close(ya.double()[finite], yb[finite], rtol=1e-5, atol=1e-6)
    g = torch.where(finite, torch.ones_like(yb), torch.zeros_like(yb))
    ya.backward(g.float())
    yb.backward(g)
    torch.testing.assert_close(a.grad.double(), b.grad, rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("smoothing", [0.0, 0.2])
def test_cross_entropy_autograd(smoothing):
    labels = torch.randint(0, 30, (12,), generator=torch.Generator().manual_seed(4))
    labels[5] = -100
    check_grad(
        lambda x: smt.cross_entropy(x, labels, -100, smoothing),
        lambda x: torch.nn.functional.cross_entropy(x, labels, reduction="none",
                                                    label_smoothing=smoothing),
        randn(12, 30))


def test_sparse_autograd():
    entmax = pytest.importorskip("entmax")
    check_grad(lambda x: smt.sparsemax(x, -1), lambda x: entmax.sparsemax(x, -1),
               randn(6, 40))
    check_grad(lambda x: smt.entmax(x, 1.5, -1), lambda x: entmax.entmax15(x, -1),
               randn(6, 40))
    check_grad(lambda x: smt.entmax(x, 1.25, -1),
               lambda x: entmax.entmax_bisect(x, 1.25, -1, n_iter=80), randn(6, 40))


def test_registered_ops():
    x = randn(2, 5, requires_grad=False)
    torch.testing.assert_close(torch.ops.softmax_mlir.softmax(x, -1), torch.softmax(x, -1))
    # Tracing sees the shapes through the fake implementations.
    meta = smt.cross_entropy(torch.empty(4, 9, device="meta"),
                             torch.empty(4, dtype=torch.int64, device="meta"))
    assert meta.shape == (4,) and meta.device.type == "meta"
