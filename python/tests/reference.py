"""float64 NumPy references for the tests."""

import numpy as np


def softmax(x, dim=-1):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=dim, keepdims=True)
    e = np.exp(x - m)
    return e / e.sum(axis=dim, keepdims=True)


def log_softmax(x, dim=-1):
    x = np.asarray(x, dtype=np.float64)
    m = x.max(axis=dim, keepdims=True)
    return x - m - np.log(np.exp(x - m).sum(axis=dim, keepdims=True))


def sparsemax(x, dim=-1):
    """Sort-based (Martins & Astudillo 2016), row by row."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), dim, -1)
    z = -np.sort(-x, axis=-1)
    k = np.arange(1, x.shape[-1] + 1)
    cumulative = np.cumsum(z, axis=-1)
    support = 1 + k * z > cumulative
    size = support.sum(axis=-1, keepdims=True)
    tau = (np.take_along_axis(cumulative, size - 1, axis=-1) - 1) / size
    return np.moveaxis(np.maximum(x - tau, 0), -1, dim)


def entmax_bisect(x, alpha, dim=-1, iterations=200):
    """alpha-entmax by bisection on tau in float64: p = [(alpha-1) x - tau]_+^(1/(alpha-1))."""
    x = np.moveaxis(np.asarray(x, dtype=np.float64), dim, -1) * (alpha - 1)
    hi = x.max(axis=-1, keepdims=True)
    lo = hi - 1.0
    for _ in range(iterations):
        tau = (lo + hi) / 2
        total = (np.maximum(x - tau, 0) ** (1 / (alpha - 1))).sum(axis=-1, keepdims=True)
        lo = np.where(total >= 1, tau, lo)
        hi = np.where(total >= 1, hi, tau)
    p = np.maximum(x - (lo + hi) / 2, 0) ** (1 / (alpha - 1))
    p /= p.sum(axis=-1, keepdims=True)
    return np.moveaxis(p, -1, dim)


def cross_entropy(logits, labels, ignore_index=-100, label_smoothing=0.0):
    """PyTorch's cross_entropy(reduction='none') over dim 1."""
    logp = log_softmax(logits, dim=1)
    classes = logits.shape[1]
    safe = np.where(labels == ignore_index, 0, labels)
    picked = np.take_along_axis(logp, np.expand_dims(safe, 1), axis=1).squeeze(1)
    loss = -(1 - label_smoothing) * picked - label_smoothing / classes * logp.sum(axis=1)
    return np.where(labels == ignore_index, 0.0, loss)
