"""Writes the IREE peer's inputs: per shape [rows x cols] (f32, last axis),
`softmax` as `linalg.softmax` and `log_softmax` as the linalg-on-tensors
form a frontend emits (max, exp-sum, log, subtract), for iree-compile.

Usage: iree_kernels.py OUTDIR R1xC1 R2xC2 ...  (writes OUTDIR/iree_RxC.mlir)
"""

import os
import sys

TEMPLATE = """#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @softmax(%x: tensor<{t}>) -> tensor<{t}> {{
  %e = tensor.empty() : tensor<{t}>
  %y = linalg.softmax dimension(1) ins(%x : tensor<{t}>) outs(%e : tensor<{t}>) -> tensor<{t}>
  return %y : tensor<{t}>
}}
func.func @log_softmax(%x: tensor<{t}>) -> tensor<{t}> {{
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty() : tensor<{r}xf32>
  %mi = linalg.fill ins(%ninf : f32) outs(%re : tensor<{r}xf32>) -> tensor<{r}xf32>
  %m = linalg.generic {{indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}}
      ins(%x : tensor<{t}>) outs(%mi : tensor<{r}xf32>) {{
  ^bb0(%a: f32, %acc: f32):
    %v = arith.maximumf %a, %acc : f32
    linalg.yield %v : f32
  }} -> tensor<{r}xf32>
  %si = linalg.fill ins(%zero : f32) outs(%re : tensor<{r}xf32>) -> tensor<{r}xf32>
  %s = linalg.generic {{indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}}
      ins(%x, %m : tensor<{t}>, tensor<{r}xf32>) outs(%si : tensor<{r}xf32>) {{
  ^bb0(%a: f32, %mx: f32, %acc: f32):
    %d = arith.subf %a, %mx : f32
    %ex = math.exp %d : f32
    %v = arith.addf %ex, %acc : f32
    linalg.yield %v : f32
  }} -> tensor<{r}xf32>
  %e = tensor.empty() : tensor<{t}>
  %y = linalg.generic {{indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}}
      ins(%x, %m, %s : tensor<{t}>, tensor<{r}xf32>, tensor<{r}xf32>) outs(%e : tensor<{t}>) {{
  ^bb0(%a: f32, %mx: f32, %sm: f32, %o: f32):
    %d = arith.subf %a, %mx : f32
    %l = math.log %sm : f32
    %v = arith.subf %d, %l : f32
    linalg.yield %v : f32
  }} -> tensor<{t}>
  return %y : tensor<{t}>
}}
"""


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    for shape in sys.argv[2:]:
        rows, cols = (int(v) for v in shape.split("x"))
        with open(os.path.join(out, "iree_%s.mlir" % shape), "w") as f:
            f.write(TEMPLATE.format(t="%dx%dxf32" % (rows, cols), r=rows))


if __name__ == "__main__":
    main()
