// RUN: softmax-opt %s --split-input-file --softmax-raise | FileCheck %s

// linalg.softmax on tensors, along each dim.
// CHECK-LABEL: func.func @linalg_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x?xf32>)
// CHECK-NEXT: %[[A:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x?xf32>
// CHECK-NEXT: %[[B:.*]] = softmax.softmax %[[X]] dim(0) : tensor<4x?xf32>
// CHECK-NEXT: return %[[A]], %[[B]]
func.func @linalg_softmax(%x: tensor<4x?xf32>) -> (tensor<4x?xf32>, tensor<4x?xf32>) {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<4x?xf32>
  %e = tensor.empty(%n) : tensor<4x?xf32>
  %a = linalg.softmax dimension(1) ins(%x : tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) -> tensor<4x?xf32>
  %b = linalg.softmax dimension(0) ins(%x : tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) -> tensor<4x?xf32>
  return %a, %b : tensor<4x?xf32>, tensor<4x?xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#kept = affine_map<(d0, d1) -> (d0, 0)>

// softmax as torch-mlir's linalg-on-tensors output writes it: reductions
// that keep the dim (tensor<4x1xf32>, the constant 0 in their maps), a
// generic per step, the max from -inf.
// CHECK-LABEL: func.func @torch_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>)
// CHECK-NEXT: %[[Y:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x10xf32>
// CHECK-NEXT: return %[[Y]]
func.func @torch_softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty() : tensor<4x1xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%re : tensor<4x1xf32>) -> tensor<4x1xf32>
  %m = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x10xf32>) outs(%m0 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4x1xf32>
  %fe = tensor.empty() : tensor<4x10xf32>
  %t = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x10xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<4x10xf32>) outs(%s0 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#kept = affine_map<(d0, d1) -> (d0, 0)>

// As torch-mlir's FX importer writes torch.softmax: the max with its argmax
// (an unused second result), the unit dim restored by tensor.expand_shape.
// CHECK-LABEL: func.func @torch_fx_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>)
// CHECK-NEXT: %[[Y:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x10xf32>
// CHECK-NEXT: return %[[Y]]
func.func @torch_fx_softmax(%x: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %zero = arith.constant 0.0 : f32
  %c0_i64 = arith.constant 0 : i64
  %ninf = arith.constant 0xFF800000 : f32
  %fe = tensor.empty() : tensor<4x10xf32>
  %ie = tensor.empty() : tensor<4xi64>
  %i0 = linalg.fill ins(%c0_i64 : i64) outs(%ie : tensor<4xi64>) -> tensor<4xi64>
  %me = tensor.empty() : tensor<4xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%me : tensor<4xf32>) -> tensor<4xf32>
  %m:2 = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x10xf32>) outs(%m0, %i0 : tensor<4xf32>, tensor<4xi64>) {
  ^bb0(%in: f32, %out: f32, %idx: i64):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i64
    %mx = arith.maximumf %in, %out : f32
    %gt = arith.cmpf ogt, %in, %out : f32
    %sel = arith.select %gt, %ii, %idx : i64
    linalg.yield %mx, %sel : f32, i64
  } -> (tensor<4xf32>, tensor<4xi64>)
  %mk = tensor.expand_shape %m#0 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %t = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mk : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x10xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %se = tensor.empty() : tensor<4x1xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<4x10xf32>) outs(%s0 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  return %y : tensor<4x10xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#kept = affine_map<(d0, d1) -> (d0, 0)>

// A near miss: the same with the argmax used.
// CHECK-LABEL: func.func @argmax_used
// CHECK-NOT: softmax.
// CHECK: return
func.func @argmax_used(%x: tensor<4x10xf32>) -> (tensor<4x10xf32>, tensor<4xi64>) {
  %zero = arith.constant 0.0 : f32
  %c0_i64 = arith.constant 0 : i64
  %ninf = arith.constant 0xFF800000 : f32
  %fe = tensor.empty() : tensor<4x10xf32>
  %ie = tensor.empty() : tensor<4xi64>
  %i0 = linalg.fill ins(%c0_i64 : i64) outs(%ie : tensor<4xi64>) -> tensor<4xi64>
  %me = tensor.empty() : tensor<4xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%me : tensor<4xf32>) -> tensor<4xf32>
  %m:2 = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x10xf32>) outs(%m0, %i0 : tensor<4xf32>, tensor<4xi64>) {
  ^bb0(%in: f32, %out: f32, %idx: i64):
    %i = linalg.index 1 : index
    %ii = arith.index_cast %i : index to i64
    %mx = arith.maximumf %in, %out : f32
    %gt = arith.cmpf ogt, %in, %out : f32
    %sel = arith.select %gt, %ii, %idx : i64
    linalg.yield %mx, %sel : f32, i64
  } -> (tensor<4xf32>, tensor<4xi64>)
  %mk = tensor.expand_shape %m#0 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %t = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mk : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<4x10xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  %se = tensor.empty() : tensor<4x1xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<4x1xf32>) -> tensor<4x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<4x10xf32>) outs(%s0 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<4x10xf32>, tensor<4x1xf32>) outs(%fe : tensor<4x10xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x10xf32>
  return %y, %m#1 : tensor<4x10xf32>, tensor<4xi64>
}

// -----

#id = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#kept = affine_map<(d0, d1, d2) -> (d0, 0, d2)>
#rows = affine_map<(d0, d1, d2) -> (d0, 0, d2)>

// log_softmax as torch-mlir writes it, along the middle dim of a rank-3
// tensor: t = x - max, log of the sum on the reduced shape, t - log(s).
// CHECK-LABEL: func.func @torch_log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<2x7x3xf16>)
// CHECK-NEXT: %[[Y:.*]] = softmax.log_softmax %[[X]] dim(1) : tensor<2x7x3xf16>
// CHECK-NEXT: return %[[Y]]
func.func @torch_log_softmax(%x: tensor<2x7x3xf16>) -> tensor<2x7x3xf16> {
  %ninf = arith.constant 0xFC00 : f16
  %zero = arith.constant 0.0 : f16
  %re = tensor.empty() : tensor<2x1x3xf16>
  %m0 = linalg.fill ins(%ninf : f16) outs(%re : tensor<2x1x3xf16>) -> tensor<2x1x3xf16>
  %m = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%x : tensor<2x7x3xf16>) outs(%m0 : tensor<2x1x3xf16>) {
  ^bb0(%in: f16, %acc: f16):
    %r = arith.maximumf %acc, %in : f16
    linalg.yield %r : f16
  } -> tensor<2x1x3xf16>
  %fe = tensor.empty() : tensor<2x7x3xf16>
  %t = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %m : tensor<2x7x3xf16>, tensor<2x1x3xf16>) outs(%fe : tensor<2x7x3xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %r = arith.subf %a, %b : f16
    linalg.yield %r : f16
  } -> tensor<2x7x3xf16>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%t : tensor<2x7x3xf16>) outs(%fe : tensor<2x7x3xf16>) {
  ^bb0(%a: f16, %o: f16):
    %r = math.exp %a : f16
    linalg.yield %r : f16
  } -> tensor<2x7x3xf16>
  %s0 = linalg.fill ins(%zero : f16) outs(%re : tensor<2x1x3xf16>) -> tensor<2x1x3xf16>
  %s = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction", "parallel"]}
      ins(%e : tensor<2x7x3xf16>) outs(%s0 : tensor<2x1x3xf16>) {
  ^bb0(%in: f16, %acc: f16):
    %r = arith.addf %in, %acc : f16
    linalg.yield %r : f16
  } -> tensor<2x1x3xf16>
  %le = tensor.empty() : tensor<2x1x3xf16>
  %l = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%s : tensor<2x1x3xf16>) outs(%le : tensor<2x1x3xf16>) {
  ^bb0(%a: f16, %o: f16):
    %r = math.log %a : f16
    linalg.yield %r : f16
  } -> tensor<2x1x3xf16>
  %y = linalg.generic {indexing_maps = [#id, #rows, #id], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%t, %l : tensor<2x7x3xf16>, tensor<2x1x3xf16>) outs(%fe : tensor<2x7x3xf16>) {
  ^bb0(%a: f16, %b: f16, %o: f16):
    %r = arith.subf %a, %b : f16
    linalg.yield %r : f16
  } -> tensor<2x7x3xf16>
  return %y : tensor<2x7x3xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Fused steps: exp(x - m) in one generic over reduced per-row tensors, the
// max as a compare and select from the lowest finite value, and e * (1 / s)
// in the last payload.
// CHECK-LABEL: func.func @fused_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xbf16>)
// CHECK-NEXT: %[[Y:.*]] = softmax.softmax %[[X]] dim(1) : tensor<?x?xbf16>
// CHECK-NEXT: return %[[Y]]
func.func @fused_softmax(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<?x?xbf16>
  %cols = tensor.dim %x, %c1 : tensor<?x?xbf16>
  %lowest = arith.constant -3.38953139E+38 : bf16
  %zero = arith.constant 0.0 : bf16
  %one = arith.constant 1.0 : bf16
  %re = tensor.empty(%rows) : tensor<?xbf16>
  %m0 = linalg.fill ins(%lowest : bf16) outs(%re : tensor<?xbf16>) -> tensor<?xbf16>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<?x?xbf16>) outs(%m0 : tensor<?xbf16>) {
  ^bb0(%in: bf16, %acc: bf16):
    %gt = arith.cmpf ogt, %in, %acc : bf16
    %r = arith.select %gt, %in, %acc : bf16
    linalg.yield %r : bf16
  } -> tensor<?xbf16>
  %fe = tensor.empty(%rows, %cols) : tensor<?x?xbf16>
  %e = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<?x?xbf16>, tensor<?xbf16>) outs(%fe : tensor<?x?xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %d = arith.subf %a, %b : bf16
    %r = math.exp %d : bf16
    linalg.yield %r : bf16
  } -> tensor<?x?xbf16>
  %s0 = linalg.fill ins(%zero : bf16) outs(%re : tensor<?xbf16>) -> tensor<?xbf16>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<?x?xbf16>) outs(%s0 : tensor<?xbf16>) {
  ^bb0(%in: bf16, %acc: bf16):
    %r = arith.addf %acc, %in : bf16
    linalg.yield %r : bf16
  } -> tensor<?xbf16>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%e, %s : tensor<?x?xbf16>, tensor<?xbf16>) outs(%fe : tensor<?x?xbf16>) {
  ^bb0(%a: bf16, %b: bf16, %o: bf16):
    %r = arith.divf %one, %b : bf16
    %p = arith.mulf %a, %r : bf16
    linalg.yield %p : bf16
  } -> tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
#vec = affine_map<(d0) -> (d0)>

// Without the max, along dim 0, through a producer applying a scale and an
// additive mask (which stays: softmax-fuse takes it into the row loops),
// and r * e with r = 1 / s in a generic of its own.
// CHECK-LABEL: func.func @scaled_masked_no_max
// CHECK-SAME: (%[[A:.*]]: tensor<8x3xf32>, %[[MASK:.*]]: tensor<8x3xf32>)
// CHECK: %[[X:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[Y:.*]] = softmax.softmax %[[X]] dim(0) : tensor<8x3xf32>
// CHECK-NEXT: return %[[Y]]
func.func @scaled_masked_no_max(%a: tensor<8x3xf32>, %mask: tensor<8x3xf32>) -> tensor<8x3xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %scale = arith.constant 0.125 : f32
  %fe = tensor.empty() : tensor<8x3xf32>
  %x = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a, %mask : tensor<8x3xf32>, tensor<8x3xf32>) outs(%fe : tensor<8x3xf32>) {
  ^bb0(%v: f32, %k: f32, %o: f32):
    %p = arith.mulf %v, %scale : f32
    %r = arith.addf %p, %k : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x3xf32>) outs(%fe : tensor<8x3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = math.exp %v : f32
    linalg.yield %r : f32
  } -> tensor<8x3xf32>
  %re = tensor.empty() : tensor<3xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<3xf32>) -> tensor<3xf32>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%e : tensor<8x3xf32>) outs(%s0 : tensor<3xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<3xf32>
  %r = linalg.generic {indexing_maps = [#vec, #vec], iterator_types = ["parallel"]}
      ins(%s : tensor<3xf32>) outs(%re : tensor<3xf32>) {
  ^bb0(%v: f32, %o: f32):
    %q = arith.divf %one, %v : f32
    linalg.yield %q : f32
  } -> tensor<3xf32>
  %y = linalg.generic {indexing_maps = [#col, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%r, %e : tensor<3xf32>, tensor<8x3xf32>) outs(%fe : tensor<8x3xf32>) {
  ^bb0(%q: f32, %v: f32, %o: f32):
    %p = arith.mulf %q, %v : f32
    linalg.yield %p : f32
  } -> tensor<8x3xf32>
  return %y : tensor<8x3xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// log_softmax with everything in the payloads: the sum takes exp(x - m)
// from x and m, the last generic (x - m) - log(s); the max with maxnumf.
// CHECK-LABEL: func.func @inline_log_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<5x6xf64>)
// CHECK-NEXT: %[[Y:.*]] = softmax.log_softmax %[[X]] dim(1) : tensor<5x6xf64>
// CHECK-NEXT: return %[[Y]]
func.func @inline_log_softmax(%x: tensor<5x6xf64>) -> tensor<5x6xf64> {
  %ninf = arith.constant 0xFFF0000000000000 : f64
  %zero = arith.constant 0.0 : f64
  %re = tensor.empty() : tensor<5xf64>
  %m0 = linalg.fill ins(%ninf : f64) outs(%re : tensor<5xf64>) -> tensor<5xf64>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<5x6xf64>) outs(%m0 : tensor<5xf64>) {
  ^bb0(%in: f64, %acc: f64):
    %r = arith.maxnumf %in, %acc : f64
    linalg.yield %r : f64
  } -> tensor<5xf64>
  %s0 = linalg.fill ins(%zero : f64) outs(%re : tensor<5xf64>) -> tensor<5xf64>
  %s = linalg.generic {indexing_maps = [#id, #row, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x, %m : tensor<5x6xf64>, tensor<5xf64>) outs(%s0 : tensor<5xf64>) {
  ^bb0(%a: f64, %b: f64, %acc: f64):
    %d = arith.subf %a, %b : f64
    %e = math.exp %d : f64
    %r = arith.addf %acc, %e : f64
    linalg.yield %r : f64
  } -> tensor<5xf64>
  %fe = tensor.empty() : tensor<5x6xf64>
  %y = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m, %s : tensor<5x6xf64>, tensor<5xf64>, tensor<5xf64>) outs(%fe : tensor<5x6xf64>) {
  ^bb0(%a: f64, %b: f64, %c: f64, %o: f64):
    %d = arith.subf %a, %b : f64
    %l = math.log %c : f64
    %r = arith.subf %d, %l : f64
    linalg.yield %r : f64
  } -> tensor<5x6xf64>
  return %y : tensor<5x6xf64>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// Near misses, left alone: the row max subtracted along the other dim
// (a square tensor makes it type-check), a shift by the row min, a max from
// 0, e used outside the chain, a sum of another tensor's exp, e * s.
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: softmax.
// CHECK: return
func.func @near_misses(%x: tensor<4x4xf32>, %z: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty() : tensor<4xf32>
  %fe = tensor.empty() : tensor<4x4xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<4xf32>) -> tensor<4xf32>
  %m = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x4xf32>) outs(%m0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %min = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x4xf32>) outs(%m0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.minimumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %mz = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %mzz = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%z : tensor<4x4xf32>) outs(%m0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  // exp(x - m) with m broadcast along the wrong dim, and with the min, the
  // max from 0, and of z.
  %ewrong = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %emin = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %min : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %ez = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %mz : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %eused = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %eother = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%z, %mzz : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %ex = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %eprod = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %d = arith.subf %a, %b : f32
    %r = math.exp %d : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  // Their row sums.
  %swrong = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ewrong : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %smin = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%emin : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %sz = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%ez : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %sused = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%eused : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %sother = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%eother : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %sprod = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%eprod : tensor<4x4xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  // e / s for each; the exp of x over the sum of z's; e * s.
  %ywrong = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ewrong, %swrong : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %ymin = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%emin, %smin : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %yz = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ez, %sz : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %yused = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%eused, %sused : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %yother = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%ex, %sother : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.divf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  %yprod = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%eprod, %sprod : tensor<4x4xf32>, tensor<4xf32>) outs(%fe : tensor<4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.mulf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<4x4xf32>
  return %ywrong, %ymin, %yz, %yused, %eused, %yother, %yprod
      : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#vec = affine_map<(d0) -> (d0)>
#first = affine_map<(d0) -> (0)>

// Left alone: a division by a sum over another tensor of another rank, and
// a generic on buffers (no result).
// CHECK-LABEL: func.func @other_shapes
// CHECK-NOT: softmax.
// CHECK: return
func.func @other_shapes(%x: tensor<1x10xf32>, %v: tensor<7xf32>, %b: memref<4x8xf32>) -> tensor<1x10xf32> {
  %zero = arith.constant 0.0 : f32
  %se = tensor.empty() : tensor<1xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<1xf32>) -> tensor<1xf32>
  %s = linalg.generic {indexing_maps = [#vec, #first], iterator_types = ["reduction"]}
      ins(%v : tensor<7xf32>) outs(%s0 : tensor<1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<1xf32>
  %e = tensor.empty() : tensor<1x10xf32>
  %y = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %s : tensor<1x10xf32>, tensor<1xf32>) outs(%e : tensor<1x10xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %x1 = math.exp %a : f32
    %r = arith.divf %x1, %c : f32
    linalg.yield %r : f32
  } -> tensor<1x10xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel", "parallel"]} outs(%b : memref<4x8xf32>) {
  ^bb0(%o: f32):
    %r = math.exp %o : f32
    linalg.yield %r : f32
  }
  return %y : tensor<1x10xf32>
}

// -----

#map = affine_map<(d0, d1) -> (d0, d1)>
#map1 = affine_map<(d0, d1) -> (d0, 0)>

// The form upstream's tosa-to-linalg gives a TOSA softmax: linalg.reduce
// for the max (from the lowest finite value) and the sum, the unit dim
// restored by tensor.expand_shape, 1 / s in a generic of its own.
// CHECK-LABEL: func.func @linalg_reduce_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>)
// CHECK-NEXT: %[[Y:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x10xf32>
// CHECK-NEXT: return %[[Y]]
func.func @linalg_reduce_softmax(%arg0: tensor<4x10xf32>) -> tensor<4x10xf32> {
  %0 = tensor.empty() : tensor<4xf32>
  %cst = arith.constant -3.40282347E+38 : f32
  %1 = linalg.fill ins(%cst : f32) outs(%0 : tensor<4xf32>) -> tensor<4xf32>
  %reduced = linalg.reduce ins(%arg0 : tensor<4x10xf32>) outs(%1 : tensor<4xf32>) dimensions = [1]
    (%in: f32, %init: f32) {
      %12 = arith.maximumf %in, %init : f32
      linalg.yield %12 : f32
    }
  %expanded = tensor.expand_shape %reduced [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %2 = tensor.empty() : tensor<4x10xf32>
  %3 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%arg0, %expanded : tensor<4x10xf32>, tensor<4x1xf32>) outs(%2 : tensor<4x10xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %12 = arith.subf %in, %in_4 : f32
    linalg.yield %12 : f32
  } -> tensor<4x10xf32>
  %4 = tensor.empty() : tensor<4x10xf32>
  %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%3 : tensor<4x10xf32>) outs(%4 : tensor<4x10xf32>) {
  ^bb0(%in: f32, %out: f32):
    %12 = math.exp %in : f32
    linalg.yield %12 : f32
  } -> tensor<4x10xf32>
  %6 = tensor.empty() : tensor<4xf32>
  %cst_0 = arith.constant 0.000000e+00 : f32
  %7 = linalg.fill ins(%cst_0 : f32) outs(%6 : tensor<4xf32>) -> tensor<4xf32>
  %reduced_1 = linalg.reduce ins(%5 : tensor<4x10xf32>) outs(%7 : tensor<4xf32>) dimensions = [1]
    (%in: f32, %init: f32) {
      %12 = arith.addf %in, %init : f32
      linalg.yield %12 : f32
    }
  %expanded_2 = tensor.expand_shape %reduced_1 [[0, 1]] output_shape [4, 1] : tensor<4xf32> into tensor<4x1xf32>
  %8 = tensor.empty() : tensor<4x1xf32>
  %9 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]} ins(%expanded_2 : tensor<4x1xf32>) outs(%8 : tensor<4x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %cst_4 = arith.constant 1.000000e+00 : f32
    %12 = arith.divf %cst_4, %in : f32
    linalg.yield %12 : f32
  } -> tensor<4x1xf32>
  %cst_3 = arith.constant dense<0> : tensor<1xi8>
  %10 = tensor.empty() : tensor<4x10xf32>
  %11 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel"]} ins(%5, %9 : tensor<4x10xf32>, tensor<4x1xf32>) outs(%10 : tensor<4x10xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %12 = arith.mulf %in, %in_4 : f32
    linalg.yield %12 : f32
  } -> tensor<4x10xf32>
  return %11 : tensor<4x10xf32>
}
