"""softmax_mlir from Python, step by step: a newcomer's first run.

    pip install ./python          (from the repository root, once)
    python3 examples/python/quickstart.py
"""

import time

import numpy as np

import softmax_mlir as sm

rng = np.random.default_rng(0)

# 1. Ready-made functions: compiled on first use, then cached (memory and
#    ~/.cache/softmax_mlir), one kernel for every batch size.
scores = rng.standard_normal((4, 10)).astype(np.float32) * 3
start = time.perf_counter()
probs = sm.softmax(scores)
print("softmax (first call, %.0f ms incl. compiling):" % ((time.perf_counter() - start) * 1e3))
print(np.round(probs[0], 4), "row sums", np.round(probs.sum(axis=1), 6))
print("sparsemax keeps", int((sm.sparsemax(scores) > 0).sum()), "of", scores.size, "entries;",
      "entmax(1.5)", int((sm.entmax(scores) > 0).sum()))
labels = np.array([1, 0, 3, 9])
print("cross-entropy per row:", np.round(sm.cross_entropy(scores, labels), 4))

# 2. Any MLIR module: here a linear layer and a masked, scaled softmax.
module = sm.compile("""
func.func @attention_probs(%q: tensor<8x16xf32>, %k: tensor<16x8xf32>,
                           %keep: tensor<8x8xi1>) -> tensor<8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x8xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<8x8xf32>) -> tensor<8x8xf32>
  %s = linalg.matmul ins(%q, %k : tensor<8x16xf32>, tensor<16x8xf32>)
                     outs(%z : tensor<8x8xf32>) -> tensor<8x8xf32>
  %p = softmax.softmax %s mask(%keep : tensor<8x8xi1>) dim(1) {scale = 0.25 : f64}
       : tensor<8x8xf32>
  return %p : tensor<8x8xf32>
}
""", threads=1)
q = rng.standard_normal((8, 16)).astype(np.float32)
k = rng.standard_normal((16, 8)).astype(np.float32)
causal = np.tril(np.ones((8, 8), dtype=bool))
p = module.attention_probs(q, k, causal)
print("causal attention row 2:", np.round(p[2], 4))

# 3. Bad input gets the compiler's diagnostic, with its location.
try:
    sm.compile("func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
               "  %y = softmax.softmax %x dim(1) : tensor<4xf32>\n"
               "  return %y : tensor<4xf32>\n}\n")
except sm.CompileError as error:
    print("CompileError:", str(error).splitlines()[0])

# 4. With PyTorch: custom ops with autograd.
try:
    import torch

    import softmax_mlir.torch as smt
except ImportError:
    print("(PyTorch not installed: skipping softmax_mlir.torch)")
else:
    x = torch.randn(4, 10, requires_grad=True)
    smt.entmax(x, 1.5, -1)[:, 0].sum().backward()
    print("d entmax / dx row 0:", x.grad[0].numpy().round(4))
