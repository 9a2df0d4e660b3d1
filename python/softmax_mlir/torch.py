"""The ready-made functions as PyTorch custom ops (torch.library), with
autograd through the project's gradient ops, for CPU tensors:

    import softmax_mlir.torch as smt
    y = smt.softmax(scores, -1)            # instead of F.softmax(scores, -1)
    loss = smt.cross_entropy(logits, labels).mean()
    loss.backward()

The ops are registered as `torch.ops.softmax_mlir.<name>`.
"""

from typing import Optional

import torch

from . import _ops


def _contiguous(t):
    return t if t.is_contiguous() else t.contiguous()


def _check_cpu(*tensors):
    for t in tensors:
        if t is not None and t.device.type != "cpu":
            raise ValueError("softmax_mlir runs on CPU tensors here; got one on %s" % t.device)


@torch.library.custom_op("softmax_mlir::softmax", mutates_args=())
def softmax(x: torch.Tensor, dim: int = -1, mask: Optional[torch.Tensor] = None,
            scale: Optional[float] = None) -> torch.Tensor:
    _check_cpu(x, mask)
    return _ops.softmax(_contiguous(x), dim, mask=None if mask is None else _contiguous(mask),
                        scale=scale)


@torch.library.custom_op("softmax_mlir::log_softmax", mutates_args=())
def log_softmax(x: torch.Tensor, dim: int = -1, mask: Optional[torch.Tensor] = None,
                scale: Optional[float] = None) -> torch.Tensor:
    _check_cpu(x, mask)
    return _ops.log_softmax(_contiguous(x), dim,
                            mask=None if mask is None else _contiguous(mask), scale=scale)


@torch.library.custom_op("softmax_mlir::sparsemax", mutates_args=())
def sparsemax(x: torch.Tensor, dim: int = -1) -> torch.Tensor:
    _check_cpu(x)
    return _ops.sparsemax(_contiguous(x), dim)


@torch.library.custom_op("softmax_mlir::entmax", mutates_args=())
def entmax(x: torch.Tensor, alpha: float = 1.5, dim: int = -1) -> torch.Tensor:
    _check_cpu(x)
    return _ops.entmax(_contiguous(x), alpha, dim)


@torch.library.custom_op("softmax_mlir::cross_entropy", mutates_args=())
def cross_entropy(logits: torch.Tensor, labels: torch.Tensor, ignore_index: int = -100,
                  label_smoothing: float = 0.0) -> torch.Tensor:
    _check_cpu(logits, labels)
    return _ops.cross_entropy(_contiguous(logits), _contiguous(labels),
                              ignore_index=ignore_index, label_smoothing=label_smoothing)


# The gradients, as ops of their own (their inputs need no gradient).
@torch.library.custom_op("softmax_mlir::softmax_grad", mutates_args=())
def softmax_grad(y: torch.Tensor, dy: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return _ops.softmax_grad(_contiguous(y), _contiguous(dy), dim)


@torch.library.custom_op("softmax_mlir::log_softmax_grad", mutates_args=())
def log_softmax_grad(y: torch.Tensor, dy: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return _ops.log_softmax_grad(_contiguous(y), _contiguous(dy), dim)


@torch.library.custom_op("softmax_mlir::sparsemax_grad", mutates_args=())
def sparsemax_grad(y: torch.Tensor, dy: torch.Tensor, dim: int = -1) -> torch.Tensor:
    return _ops.sparsemax_grad(_contiguous(y), _contiguous(dy), dim)


@torch.library.custom_op("softmax_mlir::entmax_grad", mutates_args=())
def entmax_grad(y: torch.Tensor, dy: torch.Tensor, alpha: float = 1.5,
                dim: int = -1) -> torch.Tensor:
    return _ops.entmax_grad(_contiguous(y), _contiguous(dy), alpha, dim)


@torch.library.custom_op("softmax_mlir::cross_entropy_grad", mutates_args=())
def cross_entropy_grad(logits: torch.Tensor, labels: torch.Tensor, dloss: torch.Tensor,
                       ignore_index: int = -100, label_smoothing: float = 0.0) -> torch.Tensor:
    return _ops.cross_entropy_grad(_contiguous(logits), _contiguous(labels),
                                   _contiguous(dloss), ignore_index=ignore_index,
                                   label_smoothing=label_smoothing)


# Shapes for tracing (torch.compile, meta tensors).
for _op in (softmax, log_softmax):
    _op.register_fake(lambda x, dim=-1, mask=None, scale=None: torch.empty_like(x))
sparsemax.register_fake(lambda x, dim=-1: torch.empty_like(x))
entmax.register_fake(lambda x, alpha=1.5, dim=-1: torch.empty_like(x))
for _op in (softmax_grad, log_softmax_grad, sparsemax_grad):
    _op.register_fake(lambda y, dy, dim=-1: torch.empty_like(y))
entmax_grad.register_fake(lambda y, dy, alpha=1.5, dim=-1: torch.empty_like(y))
cross_entropy.register_fake(
    lambda logits, labels, ignore_index=-100, label_smoothing=0.0:
    logits.new_empty(labels.shape))
cross_entropy_grad.register_fake(
    lambda logits, labels, dloss, ignore_index=-100, label_smoothing=0.0:
    torch.empty_like(logits))


# Autograd: the forward output is saved, the gradient op computes dx. A
# scale s multiplies the input, so dx picks up s; masked entries have y = 0
# (softmax) and take no gradient.
def _save_output(ctx, inputs, output):
    ctx.dim = inputs[1]
    ctx.scale = inputs[3] if len(inputs) > 3 else None
    ctx.save_for_backward(output)


def _softmax_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    dx = softmax_grad(y, grad, ctx.dim)
    return (dx * ctx.scale if ctx.scale is not None else dx), None, None, None


def _log_softmax_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    dx = log_softmax_grad(y, grad, ctx.dim)
    if ctx.scale is not None:
        dx = dx * ctx.scale
    # Masked entries (y = -inf) take no gradient.
    return torch.where(torch.isneginf(y), torch.zeros_like(dx), dx), None, None, None


softmax.register_autograd(_softmax_backward, setup_context=_save_output)
log_softmax.register_autograd(_log_softmax_backward, setup_context=_save_output)


def _save_sparse(ctx, inputs, output):
    ctx.args = inputs[1:]
    ctx.save_for_backward(output)


def _sparsemax_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    return sparsemax_grad(y, grad, ctx.args[0]), None


def _entmax_backward(ctx, grad):
    (y,) = ctx.saved_tensors
    alpha, dim = ctx.args
    return entmax_grad(y, grad, alpha, dim), None, None


sparsemax.register_autograd(_sparsemax_backward, setup_context=_save_sparse)
entmax.register_autograd(_entmax_backward, setup_context=_save_sparse)


def _save_cross_entropy(ctx, inputs, output):
    logits, labels, ignore_index, label_smoothing = inputs
    ctx.options = (ignore_index, label_smoothing)
    ctx.save_for_backward(logits, labels)


def _cross_entropy_backward(ctx, grad):
    logits, labels = ctx.saved_tensors
    ignore_index, label_smoothing = ctx.options
    return (cross_entropy_grad(logits, labels, grad, ignore_index, label_smoothing), None, None,
            None)


cross_entropy.register_autograd(_cross_entropy_backward, setup_context=_save_cross_entropy)
