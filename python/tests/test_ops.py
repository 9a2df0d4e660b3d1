"""The ready-made functions against float64 NumPy references."""

import numpy as np
import pytest

import softmax_mlir as sm

import reference

RNG = np.random.default_rng(20261130)


def rows(shape, dtype=np.float32, spread=5.0):
    return (RNG.standard_normal(shape) * spread).astype(dtype)


TOL = {np.float32: dict(rtol=1e-5, atol=1e-7), np.float64: dict(rtol=1e-12, atol=1e-15),
       np.float16: dict(rtol=2e-3, atol=2e-3)}


@pytest.mark.parametrize("dtype", [np.float32, np.float64, np.float16])
@pytest.mark.parametrize("shape, dim", [((5, 128), -1), ((3, 1000), 1), ((2, 3, 17), 1),
                                        ((9,), 0), ((4, 6, 33), 0)])
def test_softmax_log_softmax(dtype, shape, dim):
    x = rows(shape, dtype)
    y = sm.softmax(x, dim)
    assert y.dtype == dtype and y.shape == shape
    np.testing.assert_allclose(y.astype(np.float64), reference.softmax(x, dim), **TOL[dtype])
    ly = sm.log_softmax(x, dim=dim)
    np.testing.assert_allclose(ly.astype(np.float64), reference.log_softmax(x, dim),
                               **TOL[dtype])


def test_batch_sizes_share_a_kernel():
    before = sm.cache_info()["kernels"]
    for batch in (1, 2, 7, 64):
        x = rows((batch, 96))
        np.testing.assert_allclose(sm.softmax(x), reference.softmax(x), rtol=1e-5, atol=1e-7)
    assert sm.cache_info()["kernels"] == before + 1


def test_mask_and_scale():
    x = rows((4, 8, 16))
    keep = RNG.random((8, 16)) > 0.3
    keep[2] = False  # a fully masked row
    y = sm.softmax(x, mask=keep, scale=0.5)
    masked = np.where(keep, x.astype(np.float64) * 0.5, -np.inf)
    with np.errstate(invalid="ignore"):
        ref = np.nan_to_num(reference.softmax(masked), nan=0.0)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-7)
    assert (y[:, 2] == 0).all()
    ly = sm.log_softmax(x, mask=keep)
    assert np.isneginf(ly[:, 2]).all()
    additive = np.where(RNG.random((1, 16)) > 0.5, 0.0, -1e4).astype(np.float32)
    np.testing.assert_allclose(sm.softmax(x, mask=additive),
                               reference.softmax(x.astype(np.float64) + additive),
                               rtol=1e-5, atol=1e-7)
    with pytest.raises(ValueError, match="does not broadcast"):
        sm.softmax(x, mask=np.ones((3, 16), bool))


def test_gradients():
    x = rows((6, 40))
    dy = rows((6, 40))
    y = sm.softmax(x)
    y64, dy64 = y.astype(np.float64), dy.astype(np.float64)
    ref = y64 * (dy64 - (dy64 * y64).sum(axis=1, keepdims=True))
    np.testing.assert_allclose(sm.softmax_grad(y, dy), ref, rtol=1e-5, atol=1e-6)
    ly = sm.log_softmax(x)
    ref = dy64 - np.exp(ly.astype(np.float64)) * dy64.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(sm.log_softmax_grad(ly, dy), ref, rtol=1e-5, atol=1e-6)
    with pytest.raises(ValueError, match="differ"):
        sm.softmax_grad(y, dy[:3])


@pytest.mark.parametrize("n", [1, 2, 17, 1000])
def test_sparsemax(n):
    x = rows((5, n))
    x[0] = 3.0  # all equal: uniform support
    y = sm.sparsemax(x)
    ref = reference.sparsemax(x)
    np.testing.assert_allclose(y, ref, rtol=1e-5, atol=1e-6)
    np.testing.assert_array_equal(y > 0, ref > 0)
    dy = rows((5, n))
    support = ref > 0
    dy64 = dy.astype(np.float64)
    mean = (dy64 * support).sum(axis=1, keepdims=True) / support.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(sm.sparsemax_grad(y, dy), np.where(support, dy64 - mean, 0),
                               rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("alpha", [1.5, 1.25, 2.0, 3.0])
def test_entmax(alpha):
    x = rows((4, 300), spread=2.0)
    y = sm.entmax(x, alpha=alpha)
    ref = reference.entmax_bisect(x, alpha)
    np.testing.assert_allclose(y, ref, rtol=1e-4, atol=1e-6)
    np.testing.assert_allclose(y.sum(axis=1), 1.0, rtol=1e-5)
    if alpha == 2.0:
        np.testing.assert_allclose(y, sm.sparsemax(x), rtol=1e-5, atol=1e-6)
    # The gradient: with s = y^(2 - alpha) on the support, dx = s * dy -
    # s * sum(s * dy) / sum(s).
    dy = rows((4, 300))
    with np.errstate(divide="ignore"):
        s = np.where(y > 0, y.astype(np.float64) ** (2 - alpha), 0)
    dy64 = dy.astype(np.float64)
    ref_grad = s * dy64 - s * (s * dy64).sum(axis=1, keepdims=True) / s.sum(axis=1,
                                                                            keepdims=True)
    np.testing.assert_allclose(sm.entmax_grad(y, dy, alpha=alpha), ref_grad, rtol=1e-4,
                               atol=1e-5)
    with pytest.raises(ValueError, match="alpha must be greater than 1"):
        sm.entmax(x, alpha=1.0)


@pytest.mark.parametrize("smoothing", [0.0, 0.1])
def test_cross_entropy(smoothing):
    logits = rows((16, 50), spread=3.0)
    labels = RNG.integers(0, 50, 16).astype(np.int64)
    labels[3] = -100
    loss = sm.cross_entropy(logits, labels, label_smoothing=smoothing)
    ref = reference.cross_entropy(logits, labels, label_smoothing=smoothing)
    np.testing.assert_allclose(loss, ref, rtol=1e-5, atol=1e-6)
    dloss = rows((16,))
    grad = sm.cross_entropy_grad(logits, labels, dloss, label_smoothing=smoothing)
    target = np.zeros((16, 50))
    valid = labels != -100
    target[np.arange(16)[valid], labels[valid]] = 1 - smoothing
    target += smoothing / 50
    ref = (reference.softmax(logits, 1) - target) * dloss[:, None].astype(np.float64)
    ref[~valid] = 0
    np.testing.assert_allclose(grad, ref, rtol=1e-5, atol=1e-6)
    # (N, C, d) logits, int32 labels.
    logits3 = rows((2, 7, 3))
    labels3 = RNG.integers(0, 7, (2, 3)).astype(np.int32)
    np.testing.assert_allclose(sm.cross_entropy(logits3, labels3),
                               reference.cross_entropy(logits3, labels3), rtol=1e-5, atol=1e-6)


def test_bad_inputs():
    with pytest.raises(ValueError, match="dim 2 is out of range"):
        sm.softmax(rows((2, 3)), dim=2)
    with pytest.raises(TypeError, match="must be float32, float64, float16 or bfloat16, not int64"):
        sm.softmax(np.zeros((2, 3), np.int64))
    with pytest.raises(ValueError, match="at least one dimension"):
        sm.softmax(np.float32(1.0).reshape(()))
    with pytest.raises(ValueError, match="labels have shape"):
        sm.cross_entropy(rows((4, 5)), np.zeros(3, np.int64))
    with pytest.raises(TypeError, match="int64 or int32"):
        sm.cross_entropy(rows((4, 5)), np.zeros(4, np.float32))
