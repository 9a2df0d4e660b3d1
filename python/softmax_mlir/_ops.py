"""The ready-made functions: softmax, log_softmax, their gradients,
sparsemax, entmax, cross-entropy.

Each call finds its kernel by (op, rank, dim, the reduced dim's size,
element types, attributes): the other dims are dynamic, so one kernel serves
every batch size. A kernel is compiled on first use into a shared library in
the disk cache ($SOFTMAX_MLIR_CACHE_DIR, default ~/.cache/softmax_mlir;
in this process only where the directory cannot be written) and kept in
memory; threads asking for the same kernel at once compile it once.
"""

import hashlib
import math
import os
import threading

from . import _core
from ._compile import compile as _compile_jit
from ._compile import compile_library, load_library, pipeline_options

# How the kernels are compiled: softmax-cpu-pipeline's defaults (all cores,
# overridable at run time with SOFTMAX_MLIR_NUM_THREADS).
OPTIONS = pipeline_options()

_ELEMENT_TYPES = {"float32": "f32", "float64": "f64", "float16": "f16", "bfloat16": "bf16",
                  "bool": "i1", "int64": "i64", "int32": "i32"}

_lock = threading.Lock()
_kernels = {}
_key_locks = {}
_stats = {"compiled": 0, "loaded": 0}


def cache_info():
    """Kernels in memory, compiled by this process, and loaded from the disk
    cache."""
    with _lock:
        return {"kernels": len({id(kernel) for kernel in _kernels.values()}),
                "compiled": _stats["compiled"],
                "loaded": _stats["loaded"]}


def _cache_dir():
    return os.environ.get("SOFTMAX_MLIR_CACHE_DIR") or os.path.join(
        os.path.expanduser("~"), ".cache", "softmax_mlir")


_fingerprint = None


def _compiler_fingerprint():
    """What a cached library depends on besides its source: this compiler
    build and this machine's CPU (kernels are compiled for it)."""
    global _fingerprint
    if _fingerprint is None:
        parts = []
        library = os.path.join(os.path.dirname(_core.__file__), "libSoftmaxMLIRCAPI.so")
        for path in (library, _core.__file__):
            try:
                st = os.stat(path)
                parts.append("%s:%d:%d" % (path, st.st_size, st.st_mtime_ns))
            except OSError:
                parts.append(path)
        try:
            with open("/proc/cpuinfo") as f:
                for line in f:
                    if line.startswith(("model name", "flags")):
                        parts.append(line.strip())
                    if line.strip() == "":
                        break
        except OSError:
            pass
        _fingerprint = "\n".join(parts)
    return _fingerprint


def _build(text):
    """The function @f of `text`: from the disk cache, else compiled into
    it, else (no writable cache) compiled in this process."""
    digest = hashlib.sha256("\0".join([_compiler_fingerprint(), OPTIONS, text])
                            .encode()).hexdigest()[:40]
    directory = _cache_dir()
    library = os.path.join(directory, digest + ".so")
    signature_path = os.path.join(directory, digest + ".sig")
    if os.path.exists(library) and os.path.exists(signature_path):
        try:
            with open(signature_path) as f:
                module = load_library(library, f.read())
            with _lock:
                _stats["loaded"] += 1
            return module["f"]
        except (OSError, ValueError):
            pass  # a damaged entry: compile it again
    try:
        os.makedirs(directory, exist_ok=True)
        # Written under names of this thread's, then renamed into place.
        suffix = ".%d.%d.tmp" % (os.getpid(), threading.get_ident())
        signatures = compile_library(text, library + suffix)
        with open(signature_path + suffix, "w") as f:
            f.write(signatures)
        os.replace(signature_path + suffix, signature_path)
        os.replace(library + suffix, library)
        module = load_library(library, signatures)
    except OSError:
        module = _compile_jit(text)
    with _lock:
        _stats["compiled"] += 1
    return module["f"]


def _kernel(key, make_text):
    """The kernel for `key`, made from make_text() once."""
    kernel = _kernels.get(key)
    if kernel is not None:
        return kernel
    with _lock:
        kernel = _kernels.get(key)
        if kernel is not None:
            return kernel
        key_lock = _key_locks.setdefault(key, threading.Lock())
    with key_lock:
        kernel = _kernels.get(key)
        if kernel is None:
            kernel = _build(make_text())
            with _lock:
                _kernels[key] = kernel
    return kernel


_element_types_by_dtype = {}


def _require_array(array, what):
    """A TypeError for what is not an array (a list, a number); each entry
    point checks its operands once, before reading their shapes."""
    if not hasattr(array, "ndim") or not hasattr(array, "dtype"):
        raise TypeError("%s must be an array (NumPy, PyTorch or another DLPack tensor), not %s"
                        % (what, type(array).__name__))


def _finite(value, what):
    value = float(value)
    if not math.isfinite(value):
        raise ValueError("%s must be finite, not %r" % (what, value))
    return value


def _element_type(array, what):
    dtype = array.dtype
    element = _element_types_by_dtype.get(dtype)
    if element is not None:
        return element
    name = str(dtype)
    name = name[6:] if name.startswith("torch.") else name
    try:
        element = _ELEMENT_TYPES[name]
    except KeyError:
        raise TypeError("%s has element type %s; expected one of %s"
                        % (what, name, ", ".join(_ELEMENT_TYPES))) from None
    _element_types_by_dtype[dtype] = element
    return element


def _float_type(array, what):
    element = _element_type(array, what)
    if element not in ("f32", "f64", "f16", "bf16"):
        raise TypeError("%s must be float32, float64, float16 or bfloat16, not %s"
                        % (what, str(array.dtype)))
    return element


def _normalize_dim(dim, rank, what="x"):
    if rank == 0:
        raise ValueError("%s must have at least one dimension" % what)
    if not -rank <= dim < rank:
        raise ValueError("dim %d is out of range for %s of rank %d" % (dim, what, rank))
    return dim + rank if dim < 0 else dim


def _tensor(dims, element):
    return "tensor<%s%s>" % ("".join("%sx" % d for d in dims), element)


def _row_dims(shape, dim):
    """The dims of the kernel's type: the reduced one static, the others
    dynamic."""
    return ["?" if i != dim else str(shape[dim]) for i in range(len(shape))]


def _f64(value):
    return "%.17e" % float(value)


def _check_same_shape(a, b, what):
    if tuple(a.shape) != tuple(b.shape):
        raise ValueError("%s: shapes %s and %s differ" % (what, tuple(a.shape), tuple(b.shape)))


def _normalize(op, x, dim, mask, scale):
    _require_array(x, "x")
    if scale is not None:
        scale = _finite(scale, "scale")
    rank = x.ndim
    d = _normalize_dim(dim, rank)
    shape = x.shape
    if mask is None and scale is None:
        key = (op, rank, d, shape[d], x.dtype)
        kernel = _kernels.get(key) or _kernel(key, lambda: _normalize_text(
            op, shape, d, _float_type(x, "x"), None, None, None))
        # Also under the dim as the caller spells it, for the fast path.
        _kernels[(op, rank, dim, shape[d], x.dtype)] = kernel
        return kernel(x)
    mask_pattern = None
    if mask is not None:
        _require_array(mask, "mask")
        mask_element = _element_type(mask, "mask")
        if mask.ndim > rank:
            raise ValueError("mask has rank %d, more than x's %d" % (mask.ndim, rank))
        mask_shape = tuple(mask.shape)
        pattern = []
        for j, size in enumerate(mask_shape):
            i = rank - len(mask_shape) + j
            if size == 1:
                pattern.append("1")
            elif size == shape[i]:
                pattern.append(str(size) if i == d else "?")
            else:
                raise ValueError("mask of shape %s does not broadcast against x of shape %s"
                                 % (mask_shape, shape))
        mask_pattern = (tuple(pattern), mask_element)
    key = (op, rank, d, shape[d], x.dtype, mask_pattern, None if scale is None else float(scale))
    kernel = _kernel(key, lambda: _normalize_text(op, shape, d, _float_type(x, "x"),
                                                  mask_pattern, scale, None))
    return kernel(x) if mask is None else kernel(x, mask)


def _normalize_text(op, shape, d, element, mask_pattern, scale, alpha):
    t = _tensor(_row_dims(shape, d), element)
    params, mask_text = "%x: " + t, ""
    if mask_pattern is not None:
        mt = _tensor(mask_pattern[0], mask_pattern[1])
        params += ", %m: " + mt
        mask_text = " mask(%%m : %s)" % mt
    attrs = " {scale = %s : f64}" % _f64(scale) if scale is not None else ""
    alpha_text = " alpha(%s)" % _f64(alpha) if alpha is not None else ""
    return ("func.func @f(%s) -> %s {\n"
            "  %%y = softmax.%s %%x%s dim(%d)%s%s : %s\n"
            "  return %%y : %s\n}\n" % (params, t, op, mask_text, d, alpha_text, attrs, t, t))


def softmax(x, dim=-1, *, mask=None, scale=None):
    """softmax(x * scale) along `dim`, where `mask` (broadcast against x;
    bool: True keeps an element; float: added) allows; a fully masked row
    gives zeros."""
    if mask is None and scale is None:
        try:  # the fast path: a kernel made before
            kernel = _kernels[("softmax", x.ndim, dim, x.shape[dim], x.dtype)]
        except (KeyError, IndexError, TypeError, AttributeError):
            return _normalize("softmax", x, dim, None, None)
        return kernel(x)
    return _normalize("softmax", x, dim, mask, scale)


def log_softmax(x, dim=-1, *, mask=None, scale=None):
    """log(softmax(...)) as `softmax` takes it; a fully masked row gives
    -inf."""
    if mask is None and scale is None:
        try:
            kernel = _kernels[("log_softmax", x.ndim, dim, x.shape[dim], x.dtype)]
        except (KeyError, IndexError, TypeError, AttributeError):
            return _normalize("log_softmax", x, dim, None, None)
        return kernel(x)
    return _normalize("log_softmax", x, dim, mask, scale)


def sparsemax(x, dim=-1):
    """The Euclidean projection of each row onto the simplex."""
    return _normalize("sparsemax", x, dim, None, None)


def entmax(x, alpha=1.5, dim=-1):
    """alpha-entmax of each row (alpha > 1; 1.5 exact, others by
    bisection; 2 is sparsemax)."""
    _require_array(x, "x")
    rank = x.ndim
    d = _normalize_dim(dim, rank)
    shape = x.shape
    alpha = _alpha(alpha)
    key = ("entmax", rank, d, shape[d], x.dtype, alpha)
    return _kernel(key, lambda: _normalize_text("entmax", shape, d, _float_type(x, "x"), None,
                                                None, alpha))(x)


def _alpha(alpha):
    alpha = float(alpha)
    if not alpha > 1.0:
        raise ValueError("alpha must be greater than 1, not %r" % alpha)
    return _finite(alpha, "alpha")


def _grad(op, y, dy, dim, alpha=None):
    _require_array(y, "y")
    _require_array(dy, "dy")
    rank = y.ndim
    d = _normalize_dim(dim, rank, "y")
    _check_same_shape(y, dy, op)
    if y.dtype != dy.dtype:
        raise TypeError("%s: y and dy have different element types" % op)
    shape = y.shape
    key = (op, rank, d, shape[d], y.dtype, alpha)

    def text():
        t = _tensor(_row_dims(shape, d), _float_type(y, "y"))
        alpha_text = " alpha(%s)" % _f64(alpha) if alpha is not None else ""
        return ("func.func @f(%%y: %s, %%dy: %s) -> %s {\n"
                "  %%g = softmax.%s %%y, %%dy dim(%d)%s : %s\n"
                "  return %%g : %s\n}\n" % (t, t, t, op, d, alpha_text, t, t))
    return _kernel(key, text)(y, dy)


def softmax_grad(y, dy, dim=-1):
    """The gradient of softmax at its output y: y * (dy - sum(dy * y))."""
    return _grad("softmax_grad", y, dy, dim)


def log_softmax_grad(y, dy, dim=-1):
    """The gradient of log_softmax at its output y: dy - exp(y) * sum(dy)."""
    return _grad("log_softmax_grad", y, dy, dim)


def sparsemax_grad(y, dy, dim=-1):
    """The gradient of sparsemax at its output y."""
    return _grad("sparsemax_grad", y, dy, dim)


def entmax_grad(y, dy, alpha=1.5, dim=-1):
    """The gradient of alpha-entmax at its output y."""
    return _grad("entmax_grad", y, dy, dim, _alpha(alpha))


def _cross_entropy_types(logits, labels, what):
    _require_array(logits, "logits")
    _require_array(labels, "labels")
    rank = logits.ndim
    if rank < 2:
        raise ValueError("%s: logits must have shape (N, C) or (N, C, d1, ...), not %s"
                         % (what, tuple(logits.shape)))
    element = _float_type(logits, "logits")
    label_element = _element_type(labels, "labels")
    if label_element not in ("i64", "i32"):
        raise TypeError("%s: labels must be int64 or int32, not %s" % (what, labels.dtype))
    shape = tuple(logits.shape)
    row_shape = shape[:1] + shape[2:]
    if tuple(labels.shape) != row_shape:
        raise ValueError("%s: labels have shape %s; logits of shape %s need %s"
                         % (what, tuple(labels.shape), shape, row_shape))
    return rank, shape, element, label_element


def _cross_entropy_attrs(ignore_index, label_smoothing):
    return "{ignore_index = %d : i64, label_smoothing = %s : f64}" % (
        int(ignore_index), _f64(label_smoothing))


def _cross_entropy_kernel(op, logits, labels, ignore_index, label_smoothing, with_dloss):
    """The kernel of `op` (cross_entropy, or cross_entropy_grad taking a
    per-row dloss) for these logits and labels."""
    rank, shape, element, label_element = _cross_entropy_types(logits, labels, op)
    # (The compiler checks its range.)
    label_smoothing = _finite(label_smoothing, "label_smoothing")
    key = (op, rank, shape[1], logits.dtype, labels.dtype, int(ignore_index), label_smoothing)

    def text():
        t = _tensor(_row_dims(shape, 1), element)
        rows = ["?"] * (rank - 1)
        lt, rt = _tensor(rows, label_element), _tensor(rows, element)
        params, operands, types = "%%x: %s, %%l: %s" % (t, lt), "%x, %l", "%s, %s" % (t, lt)
        if with_dloss:
            params, operands, types = (params + ", %%d: %s" % rt, operands + ", %d",
                                       types + ", %s" % rt)
        result = t if with_dloss else rt
        return ("func.func @f(%s) -> %s {\n"
                "  %%r = softmax.%s %s dim(1) %s : %s -> %s\n"
                "  return %%r : %s\n}\n"
                % (params, result, op, operands,
                   _cross_entropy_attrs(ignore_index, label_smoothing), types, result, result))
    return _kernel(key, text)


def cross_entropy(logits, labels, *, ignore_index=-100, label_smoothing=0.0):
    """The per-row loss of PyTorch's cross_entropy(reduction='none') over
    dim 1, from log-softmax without the probabilities."""
    return _cross_entropy_kernel("cross_entropy", logits, labels, ignore_index,
                                 label_smoothing, False)(logits, labels)


def cross_entropy_grad(logits, labels, dloss, *, ignore_index=-100, label_smoothing=0.0):
    """d(loss)/d(logits) of `cross_entropy` given d(total)/d(loss) per row:
    (softmax(logits) - target) * dloss, zero for ignored rows."""
    _require_array(dloss, "dloss")
    _require_array(labels, "labels")
    if tuple(dloss.shape) != tuple(labels.shape):
        raise ValueError("cross_entropy_grad: dloss has shape %s, expected %s"
                         % (tuple(dloss.shape), tuple(labels.shape)))
    if dloss.dtype != logits.dtype:
        raise TypeError("cross_entropy_grad: dloss and logits have different element types")
    return _cross_entropy_kernel("cross_entropy_grad", logits, labels, ignore_index,
                                 label_smoothing, True)(logits, labels, dloss)
