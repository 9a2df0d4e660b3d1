"""Writes the upstream-MLIR peer of the CPU benchmark: `linalg.softmax` on a
static [rows x cols] f32 tensor, lowered by upstream passes only with a
transform-dialect schedule (tile rows, decompose, tile the reductions with
partial accumulators, vectorize), the schedule of ../shared/anchors/cpu.

Usage: upstream_linalg.py OUTDIR R1xC1 R2xC2 ...
Writes OUTDIR/linalg_RxC.mlir, OUTDIR/schedule_vV.mlir and OUTDIR/linalg.txt
(one "name shape schedule" line per kernel).
"""

import os
import sys


def kernel(name, rows, cols):
    t = "%dx%dxf32" % (rows, cols)
    return """func.func @{name}(%inm: memref<{t}>, %outm: memref<{t}>) attributes {{llvm.emit_c_interface}} {{
  %in = bufferization.to_tensor %inm restrict : memref<{t}> to tensor<{t}>
  %out = bufferization.to_tensor %outm restrict writable : memref<{t}> to tensor<{t}>
  %r = linalg.softmax dimension(1) ins(%in : tensor<{t}>) outs(%out : tensor<{t}>) -> tensor<{t}>
  bufferization.materialize_in_destination %r in restrict writable %outm : (tensor<{t}>, memref<{t}>) -> ()
  return
}}
""".format(name=name, t=t)


def schedule(width):
    return """module attributes {{transform.with_named_sequence}} {{
  transform.named_sequence @__transform_main(%root: !transform.any_op {{transform.readonly}}) {{
    %sm = transform.structured.match ops{{["linalg.softmax"]}} in %root : (!transform.any_op) -> !transform.any_op
    %tiled, %loop = transform.structured.tile_using_for %sm tile_sizes [1, 0] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %d = transform.structured.decompose_interface %tiled : (!transform.any_op) -> !transform.any_op
    %g = transform.structured.match ops{{["linalg.generic"]}} in %loop : (!transform.any_op) -> !transform.any_op
    %max, %exp, %sum, %div = transform.split_handle %g : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %f1, %p1, %c1, %l1 = transform.structured.tile_reduction_using_for %max by tile_sizes = [0, {w}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %f2, %p2, %c2, %l2 = transform.structured.tile_reduction_using_for %sum by tile_sizes = [0, {w}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op, !transform.any_op, !transform.any_op)
    %t3, %l3 = transform.structured.tile_using_for %exp tile_sizes [0, {w}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %t4, %l4 = transform.structured.tile_using_for %div tile_sizes [0, {w}] : (!transform.any_op) -> (!transform.any_op, !transform.any_op)
    %lin = transform.structured.match interface{{LinalgOp}} in %loop : (!transform.any_op) -> !transform.any_op
    transform.structured.vectorize %lin : !transform.any_op
    %func = transform.structured.match ops{{["func.func"]}} in %root : (!transform.any_op) -> !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.canonicalization
      transform.apply_patterns.tensor.fold_tensor_subset_ops_into_vector_transfers
    }} : !transform.any_op
    transform.apply_patterns to %func {{
      transform.apply_patterns.vector.cast_away_vector_leading_one_dim
      transform.apply_patterns.vector.lower_multi_reduction lowering_strategy = "innerreduction"
      transform.apply_patterns.canonicalization
    }} : !transform.any_op
    transform.yield
  }}
}}
""".format(w=width)


def main():
    out = sys.argv[1]
    os.makedirs(out, exist_ok=True)
    lines = []
    for shape in sys.argv[2:]:
        rows, cols = (int(v) for v in shape.split("x"))
        width = 64 if cols % 64 == 0 else (32 if cols % 32 == 0 else 16)
        sched = "schedule_v%d.mlir" % width
        with open(os.path.join(out, sched), "w") as f:
            f.write(schedule(width))
        name = "linalg_%s" % shape
        with open(os.path.join(out, name + ".mlir"), "w") as f:
            f.write(kernel(name, rows, cols))
        lines.append("%s %s %s" % (name, shape, sched))
    with open(os.path.join(out, "linalg.txt"), "w") as f:
        f.write("\n".join(lines) + "\n")


if __name__ == "__main__":
    main()
