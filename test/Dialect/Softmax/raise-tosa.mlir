// RUN: softmax-opt %s --split-input-file --softmax-raise | FileCheck %s

// softmax as TOSA writes it (the reductions keep the axis), both orders of
// the product; log_softmax along axis 0; softmax without the max through a
// masking producer.
// CHECK-LABEL: func.func @tosa_softmax
// CHECK-SAME: (%[[X:.*]]: tensor<4x10xf32>, %[[Z:.*]]: tensor<3x5xf16>, %[[W:.*]]: tensor<2x8xf32>, %[[MASK:.*]]: tensor<2x8xf32>)
// CHECK-DAG: %[[A:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x10xf32>
// CHECK-DAG: %[[B:.*]] = softmax.softmax %[[X]] dim(1) : tensor<4x10xf32>
// CHECK-DAG: %[[L:.*]] = softmax.log_softmax %[[Z]] dim(0) : tensor<3x5xf16>
// CHECK-DAG: %[[MASKED:.*]] = tosa.add %[[W]], %[[MASK]]
// CHECK-DAG: %[[C:.*]] = softmax.softmax %[[MASKED]] dim(1) : tensor<2x8xf32>
// CHECK-NOT: tosa.reduce
// CHECK: return %[[A]], %[[B]], %[[L]], %[[C]]
func.func @tosa_softmax(%x: tensor<4x10xf32>, %z: tensor<3x5xf16>, %w: tensor<2x8xf32>, %mask: tensor<2x8xf32>)
    -> (tensor<4x10xf32>, tensor<4x10xf32>, tensor<3x5xf16>, tensor<2x8xf32>) {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %max = tosa.reduce_max %x {axis = 1 : i32} : (tensor<4x10xf32>) -> tensor<4x1xf32>
  %t = tosa.sub %x, %max : (tensor<4x10xf32>, tensor<4x1xf32>) -> tensor<4x10xf32>
  %e = tosa.exp %t : (tensor<4x10xf32>) -> tensor<4x10xf32>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<4x10xf32>) -> tensor<4x1xf32>
  %r = tosa.reciprocal %s : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %a = tosa.mul %e, %r, %shift : (tensor<4x10xf32>, tensor<4x1xf32>, tensor<1xi8>) -> tensor<4x10xf32>

  %max2 = tosa.reduce_max %x {axis = 1 : i32, nan_mode = "IGNORE"} : (tensor<4x10xf32>) -> tensor<4x1xf32>
  %t2 = tosa.sub %x, %max2 : (tensor<4x10xf32>, tensor<4x1xf32>) -> tensor<4x10xf32>
  %e2 = tosa.exp %t2 : (tensor<4x10xf32>) -> tensor<4x10xf32>
  %s2 = tosa.reduce_sum %e2 {axis = 1 : i32} : (tensor<4x10xf32>) -> tensor<4x1xf32>
  %r2 = tosa.reciprocal %s2 : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %b = tosa.mul %r2, %e2, %shift : (tensor<4x1xf32>, tensor<4x10xf32>, tensor<1xi8>) -> tensor<4x10xf32>

  %zmax = tosa.reduce_max %z {axis = 0 : i32} : (tensor<3x5xf16>) -> tensor<1x5xf16>
  %zt = tosa.sub %z, %zmax : (tensor<3x5xf16>, tensor<1x5xf16>) -> tensor<3x5xf16>
  %ze = tosa.exp %zt : (tensor<3x5xf16>) -> tensor<3x5xf16>
  %zs = tosa.reduce_sum %ze {axis = 0 : i32} : (tensor<3x5xf16>) -> tensor<1x5xf16>
  %zl = tosa.log %zs : (tensor<1x5xf16>) -> tensor<1x5xf16>
  %l = tosa.sub %zt, %zl : (tensor<3x5xf16>, tensor<1x5xf16>) -> tensor<3x5xf16>

  %masked = tosa.add %w, %mask : (tensor<2x8xf32>, tensor<2x8xf32>) -> tensor<2x8xf32>
  %we = tosa.exp %masked : (tensor<2x8xf32>) -> tensor<2x8xf32>
  %ws = tosa.reduce_sum %we {axis = 1 : i32} : (tensor<2x8xf32>) -> tensor<2x1xf32>
  %wr = tosa.reciprocal %ws : (tensor<2x1xf32>) -> tensor<2x1xf32>
  %c = tosa.mul %we, %wr, %shift : (tensor<2x8xf32>, tensor<2x1xf32>, tensor<1xi8>) -> tensor<2x8xf32>
  return %a, %b, %l, %c : tensor<4x10xf32>, tensor<4x10xf32>, tensor<3x5xf16>, tensor<2x8xf32>
}

// -----

// Near misses, left alone: the max along another axis than the sum, a
// shift by the row min, the exp used outside the chain, the log of another
// sum.
// CHECK-LABEL: func.func @tosa_near_misses
// CHECK-NOT: softmax.
// CHECK: return
func.func @tosa_near_misses(%x: tensor<4x4xf32>, %z: tensor<4x4xf32>)
    -> (tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>) {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %max = tosa.reduce_max %x {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %t = tosa.sub %x, %max : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  %e = tosa.exp %t : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %s = tosa.reduce_sum %e {axis = 0 : i32} : (tensor<4x4xf32>) -> tensor<1x4xf32>
  %r = tosa.reciprocal %s : (tensor<1x4xf32>) -> tensor<1x4xf32>
  %wrong = tosa.mul %e, %r, %shift : (tensor<4x4xf32>, tensor<1x4xf32>, tensor<1xi8>) -> tensor<4x4xf32>

  %min = tosa.reduce_min %x {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %mt = tosa.sub %x, %min : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  %me = tosa.exp %mt : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %ms = tosa.reduce_sum %me {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %mr = tosa.reciprocal %ms : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %bymin = tosa.mul %me, %mr, %shift : (tensor<4x4xf32>, tensor<4x1xf32>, tensor<1xi8>) -> tensor<4x4xf32>

  %ue = tosa.exp %x : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %us = tosa.reduce_sum %ue {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %ur = tosa.reciprocal %us : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %used = tosa.mul %ue, %ur, %shift : (tensor<4x4xf32>, tensor<4x1xf32>, tensor<1xi8>) -> tensor<4x4xf32>

  %zmax = tosa.reduce_max %z {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %zt = tosa.sub %z, %zmax : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  %ze = tosa.exp %zt : (tensor<4x4xf32>) -> tensor<4x4xf32>
  %zs = tosa.reduce_sum %ze {axis = 1 : i32} : (tensor<4x4xf32>) -> tensor<4x1xf32>
  %zl = tosa.log %zs : (tensor<4x1xf32>) -> tensor<4x1xf32>
  %xt = tosa.sub %x, %zmax : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  %other = tosa.sub %xt, %zl : (tensor<4x4xf32>, tensor<4x1xf32>) -> tensor<4x4xf32>
  return %wrong, %bymin, %used, %ue, %other : tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>, tensor<4x4xf32>
}
