// RUN: softmax-opt %s --split-input-file --softmax-raise | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
#col = affine_map<(d0, d1) -> (d1)>

// softmax_grad by hand: dy * y, its row sum, y * (dy - s).
// CHECK-LABEL: func.func @softmax_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<4x?xf32>, %[[DY:.*]]: tensor<4x?xf32>)
// CHECK-NEXT: %[[DX:.*]] = softmax.softmax_grad %[[Y]], %[[DY]] dim(1) : tensor<4x?xf32>
// CHECK-NEXT: return %[[DX]]
func.func @softmax_grad(%y: tensor<4x?xf32>, %dy: tensor<4x?xf32>) -> tensor<4x?xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %y, %c1 : tensor<4x?xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty(%n) : tensor<4x?xf32>
  %p = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%dy, %y : tensor<4x?xf32>, tensor<4x?xf32>) outs(%e : tensor<4x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x?xf32>
  %se = tensor.empty() : tensor<4xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<4xf32>) -> tensor<4xf32>
  %s = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%p : tensor<4x?xf32>) outs(%s0 : tensor<4xf32>) {
  ^bb0(%a: f32, %acc: f32):
    %r = arith.addf %acc, %a : f32
    linalg.yield %r : f32
  } -> tensor<4xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %s : tensor<4x?xf32>, tensor<4x?xf32>, tensor<4xf32>) outs(%e : tensor<4x?xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %r = arith.mulf %d, %a : f32
    linalg.yield %r : f32
  } -> tensor<4x?xf32>
  return %dx : tensor<4x?xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// log_softmax_grad along dim 0, the sum of dy taken in the reduction:
// dy - exp(y) * s.
// CHECK-LABEL: func.func @log_softmax_grad
// CHECK-SAME: (%[[Y:.*]]: tensor<8x3xf16>, %[[DY:.*]]: tensor<8x3xf16>)
// CHECK-NEXT: %[[DX:.*]] = softmax.log_softmax_grad %[[Y]], %[[DY]] dim(0) : tensor<8x3xf16>
// CHECK-NEXT: return %[[DX]]
func.func @log_softmax_grad(%y: tensor<8x3xf16>, %dy: tensor<8x3xf16>) -> tensor<8x3xf16> {
  %zero = arith.constant 0.0 : f16
  %se = tensor.empty() : tensor<3xf16>
  %s0 = linalg.fill ins(%zero : f16) outs(%se : tensor<3xf16>) -> tensor<3xf16>
  %s = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["reduction", "parallel"]}
      ins(%dy : tensor<8x3xf16>) outs(%s0 : tensor<3xf16>) {
  ^bb0(%a: f16, %acc: f16):
    %r = arith.addf %a, %acc : f16
    linalg.yield %r : f16
  } -> tensor<3xf16>
  %e = tensor.empty() : tensor<8x3xf16>
  %dx = linalg.generic {indexing_maps = [#id, #col, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%dy, %s, %y : tensor<8x3xf16>, tensor<3xf16>, tensor<8x3xf16>) outs(%e : tensor<8x3xf16>) {
  ^bb0(%g: f16, %c: f16, %v: f16, %o: f16):
    %x = math.exp %v : f16
    %m = arith.mulf %c, %x : f16
    %r = arith.subf %g, %m : f16
    linalg.yield %r : f16
  } -> tensor<8x3xf16>
  return %dx : tensor<8x3xf16>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// The product inside the reduction.
// CHECK-LABEL: func.func @fused_product
// CHECK: softmax.softmax_grad %{{.*}}, %{{.*}} dim(1) : tensor<2x5xf64>
// CHECK-NOT: linalg.generic
func.func @fused_product(%y: tensor<2x5xf64>, %dy: tensor<2x5xf64>) -> tensor<2x5xf64> {
  %zero = arith.constant 0.0 : f64
  %se = tensor.empty() : tensor<2xf64>
  %s0 = linalg.fill ins(%zero : f64) outs(%se : tensor<2xf64>) -> tensor<2xf64>
  %s = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %dy : tensor<2x5xf64>, tensor<2x5xf64>) outs(%s0 : tensor<2xf64>) {
  ^bb0(%a: f64, %b: f64, %acc: f64):
    %m = arith.mulf %a, %b : f64
    %r = arith.addf %acc, %m : f64
    linalg.yield %r : f64
  } -> tensor<2xf64>
  %e = tensor.empty() : tensor<2x5xf64>
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %s : tensor<2x5xf64>, tensor<2x5xf64>, tensor<2xf64>) outs(%e : tensor<2x5xf64>) {
  ^bb0(%a: f64, %b: f64, %c: f64, %o: f64):
    %d = arith.subf %b, %c : f64
    %r = arith.mulf %a, %d : f64
    linalg.yield %r : f64
  } -> tensor<2x5xf64>
  return %dx : tensor<2x5xf64>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>

// Near-misses, left alone: the sum has another use; the sum is over dy * dy;
// the sum starts from 1; the factor is (s - dy).
// CHECK-LABEL: func.func @near_misses
// CHECK-NOT: softmax.
// CHECK: return
func.func @near_misses(%y: tensor<2x5xf32>, %dy: tensor<2x5xf32>) -> (tensor<2x5xf32>, tensor<2xf32>, tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>) {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %se = tensor.empty() : tensor<2xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%se : tensor<2xf32>) -> tensor<2xf32>
  %s1 = linalg.fill ins(%one : f32) outs(%se : tensor<2xf32>) -> tensor<2xf32>
  %e = tensor.empty() : tensor<2x5xf32>
  // Another use of the sum.
  %s = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %dy : tensor<2x5xf32>, tensor<2x5xf32>) outs(%s0 : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %dx = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %s : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2xf32>) outs(%e : tensor<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %r = arith.mulf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  // The sum of dy * dy.
  %t = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%dy, %dy : tensor<2x5xf32>, tensor<2x5xf32>) outs(%s0 : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %dx2 = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %t : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2xf32>) outs(%e : tensor<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %r = arith.mulf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  // A sum from 1.
  %u = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %dy : tensor<2x5xf32>, tensor<2x5xf32>) outs(%s1 : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %dx3 = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %u : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2xf32>) outs(%e : tensor<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %b, %c : f32
    %r = arith.mulf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  // (s - dy) instead of (dy - s).
  %v = linalg.generic {indexing_maps = [#id, #id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%y, %dy : tensor<2x5xf32>, tensor<2x5xf32>) outs(%s0 : tensor<2xf32>) {
  ^bb0(%a: f32, %b: f32, %acc: f32):
    %m = arith.mulf %a, %b : f32
    %r = arith.addf %acc, %m : f32
    linalg.yield %r : f32
  } -> tensor<2xf32>
  %dx4 = linalg.generic {indexing_maps = [#id, #id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %dy, %v : tensor<2x5xf32>, tensor<2x5xf32>, tensor<2xf32>) outs(%e : tensor<2x5xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32, %o: f32):
    %d = arith.subf %c, %b : f32
    %r = arith.mulf %a, %d : f32
    linalg.yield %r : f32
  } -> tensor<2x5xf32>
  return %dx, %s, %dx2, %dx3, %dx4 : tensor<2x5xf32>, tensor<2xf32>, tensor<2x5xf32>, tensor<2x5xf32>, tensor<2x5xf32>
}
