// RUN: softmax-opt %s --softmax-share-kernels --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-share-kernels="min-uses=1" --split-input-file | FileCheck %s --check-prefix=ONE

// Two equal ops share one kernel; the op that occurs once stays inline
// (unless min-uses is 1). The kernels come first in the module, in order.
// CHECK-LABEL: func.func private @__softmax_kernel_0
// CHECK-SAME: (%[[KX:.*]]: tensor<4x128xf32>, %[[OUT:.*]]: tensor<4x128xf32>) -> tensor<4x128xf32>
// CHECK-SAME: attributes {llvm.linkage = #llvm.linkage<internal>}
// CHECK: %[[R:.*]] = softmax.softmax %[[KX]] dim(1) : tensor<4x128xf32>
// CHECK: %[[W:.*]] = bufferization.materialize_in_destination %[[R]] in %[[OUT]]
// CHECK: return %[[W]]
// CHECK-LABEL: func.func @a
// CHECK-SAME: (%[[X:.*]]: tensor<4x128xf32>)
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x128xf32>
// CHECK: %[[Y:.*]] = call @__softmax_kernel_0(%[[X]], %[[E]]) {no_inline} : (tensor<4x128xf32>, tensor<4x128xf32>) -> tensor<4x128xf32>
// CHECK: return %[[Y]]
// CHECK-LABEL: func.func @b
// CHECK: call @__softmax_kernel_0(
// CHECK-LABEL: func.func @once
// CHECK: softmax.log_softmax
// CHECK-NOT: call
// CHECK-NOT: func.func
// ONE: func.func private @__softmax_kernel_0
// ONE: func.func private @__softmax_kernel_1
// ONE: softmax.log_softmax
// ONE-LABEL: func.func @once
// ONE: call @__softmax_kernel_1(
func.func @a(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}
func.func @b(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}
func.func @once(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}

// -----

// Ops that differ in an attribute (a pinned form, the dim), a type or a
// shape get kernels of their own; a chain calls the kernel on the result
// of the previous call; dynamic sizes of the destination come from the
// input.
// CHECK: func.func private @__softmax_kernel_0(%{{.*}}: tensor<?x512xf32>, %{{.*}}: tensor<?x512xf32>)
// CHECK: softmax.log_softmax
// CHECK: func.func private @__softmax_kernel_1(
// CHECK: softmax.row_form = "rows"
// CHECK: func.func private @__softmax_kernel_2(
// CHECK: softmax.row_form = "groups"
// CHECK: func.func private @__softmax_kernel_3(%{{.*}}: tensor<8x8xf64>, %{{.*}}: tensor<8x8xf64>)
// CHECK: softmax.softmax %{{.*}} dim(1) : tensor<8x8xf64>
// CHECK-LABEL: func.func @chain
// CHECK-SAME: (%[[X:.*]]: tensor<?x512xf32>)
// CHECK: %[[D:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<?x512xf32>
// CHECK: %[[E:.*]] = tensor.empty(%[[D]]) : tensor<?x512xf32>
// CHECK: %[[Y:.*]] = call @__softmax_kernel_0(%[[X]], %[[E]])
// CHECK: %[[D2:.*]] = tensor.dim %[[Y]], %{{.*}} : tensor<?x512xf32>
// CHECK: %[[E2:.*]] = tensor.empty(%[[D2]]) : tensor<?x512xf32>
// CHECK: %[[Z:.*]] = call @__softmax_kernel_0(%[[Y]], %[[E2]])
// CHECK: return %[[Z]]
// CHECK-LABEL: func.func @forms
// CHECK: call @__softmax_kernel_1(
// CHECK: call @__softmax_kernel_2(
// CHECK: call @__softmax_kernel_1(
// CHECK: call @__softmax_kernel_2(
// CHECK: call @__softmax_kernel_3(
// CHECK: call @__softmax_kernel_3(
// CHECK: softmax.softmax %{{.*}} dim(0) : tensor<8x8xf64>
func.func @chain(%x: tensor<?x512xf32>) -> tensor<?x512xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x512xf32>
  %z = softmax.log_softmax %y dim(1) : tensor<?x512xf32>
  return %z : tensor<?x512xf32>
}
func.func @forms(%x: tensor<8x8xf32>, %w: tensor<8x8xf64>)
    -> (tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>,
        tensor<8x8xf64>, tensor<8x8xf64>, tensor<8x8xf64>) {
  %a = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<8x8xf32>
  %b = softmax.softmax %x dim(1) {softmax.row_form = "groups"} : tensor<8x8xf32>
  %c = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<8x8xf32>
  %d = softmax.softmax %x dim(1) {softmax.row_form = "groups"} : tensor<8x8xf32>
  %e = softmax.softmax %w dim(1) : tensor<8x8xf64>
  %f = softmax.softmax %w dim(1) : tensor<8x8xf64>
  %g = softmax.softmax %w dim(0) : tensor<8x8xf64>
  return %a, %b, %c, %d, %e, %f, %g : tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf32>, tensor<8x8xf64>, tensor<8x8xf64>, tensor<8x8xf64>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>

// A marked producer goes into the kernel with its empty output, whose sizes
// (and the scale its payload captures) become arguments; the destination
// takes the same sizes. Equal payloads on other values share the kernel.
// CHECK-LABEL: func.func private @__softmax_kernel_0
// CHECK-SAME: (%[[N:.*]]: index, %[[M:.*]]: index, %[[S:.*]]: f32, %[[A:.*]]: tensor<?x?xf32>, %[[B:.*]]: tensor<?xf32>, %[[OUT:.*]]: tensor<?x?xf32>)
// CHECK: %[[KE:.*]] = tensor.empty(%[[N]], %[[M]])
// CHECK: %[[P:.*]] = linalg.generic
// CHECK-SAME: ins(%[[A]], %[[B]] : tensor<?x?xf32>, tensor<?xf32>) outs(%[[KE]] : tensor<?x?xf32>)
// CHECK: arith.mulf %{{.*}}, %[[S]] : f32
// CHECK: %[[R:.*]] = softmax.softmax %[[P]] dim(1) {softmax.fuse_producer}
// CHECK: bufferization.materialize_in_destination %[[R]] in %[[OUT]]
// CHECK-LABEL: func.func @attention
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>, %[[BIAS:.*]]: tensor<?xf32>)
// CHECK-DAG: %[[SCALE:.*]] = arith.constant 1.250000e-01 : f32
// CHECK-DAG: %[[D0:.*]] = tensor.dim %[[X]], %c0
// CHECK-DAG: %[[D1:.*]] = tensor.dim %[[X]], %c1
// CHECK-NOT: linalg.generic
// CHECK: %[[E:.*]] = tensor.empty(%[[D0]], %[[D1]]) : tensor<?x?xf32>
// CHECK: %[[Y:.*]] = call @__softmax_kernel_0(%[[D0]], %[[D1]], %[[SCALE]], %[[X]], %[[BIAS]], %[[E]]) {no_inline}
// CHECK: call @__softmax_kernel_0(%[[D0]], %[[D1]], %[[SCALE]], %[[Y]], %[[BIAS]], %{{.*}}) {no_inline}
func.func @attention(%x: tensor<?x?xf32>, %bias: tensor<?xf32>) -> tensor<?x?xf32> {
  %scale = arith.constant 0.125 : f32
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %d0 = tensor.dim %x, %c0 : tensor<?x?xf32>
  %d1 = tensor.dim %x, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%d0, %d1) : tensor<?x?xf32>
  %s = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %bias : tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.mulf %a, %scale : f32
    %u = arith.addf %t, %b : f32
    linalg.yield %u : f32
  } -> tensor<?x?xf32>
  %y = softmax.softmax %s dim(1) {softmax.fuse_producer} : tensor<?x?xf32>
  %e2 = tensor.empty(%d0, %d1) : tensor<?x?xf32>
  %s2 = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y, %bias : tensor<?x?xf32>, tensor<?xf32>) outs(%e2 : tensor<?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %t = arith.mulf %a, %scale : f32
    %u = arith.addf %t, %b : f32
    linalg.yield %u : f32
  } -> tensor<?x?xf32>
  %y2 = softmax.softmax %s2 dim(1) {softmax.fuse_producer} : tensor<?x?xf32>
  return %y2 : tensor<?x?xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A marked cast consumer goes into the kernel, which writes the cast
// result. A producer that is not marked stays with the caller.
// CHECK-LABEL: func.func private @__softmax_kernel_0
// CHECK: %[[L:.*]] = softmax.log_softmax %{{.*}} dim(1) {softmax.fuse_consumer}
// CHECK: %[[KE:.*]] = tensor.empty() : tensor<4x64xf32>
// CHECK: %[[C:.*]] = linalg.generic
// CHECK-SAME: ins(%[[L]] : tensor<4x64xf16>) outs(%[[KE]] : tensor<4x64xf32>)
// CHECK: arith.extf
// CHECK: bufferization.materialize_in_destination %[[C]] in
// CHECK-LABEL: func.func @consumer
// CHECK: %[[P:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: %[[E:.*]] = tensor.empty() : tensor<4x64xf32>
// CHECK: call @__softmax_kernel_0(%[[P]], %[[E]]) {no_inline} : (tensor<4x64xf16>, tensor<4x64xf32>) -> tensor<4x64xf32>
// CHECK: call @__softmax_kernel_0(
func.func @consumer(%x: tensor<4x64xf16>) -> (tensor<4x64xf32>, tensor<4x64xf32>) {
  %e0 = tensor.empty() : tensor<4x64xf16>
  %p = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xf16>) outs(%e0 : tensor<4x64xf16>) {
  ^bb0(%a: f16, %o: f16):
    %n = arith.negf %a : f16
    linalg.yield %n : f16
  } -> tensor<4x64xf16>
  %y = softmax.log_softmax %p dim(1) {softmax.fuse_consumer} : tensor<4x64xf16>
  %e = tensor.empty() : tensor<4x64xf32>
  %c = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x64xf16>) outs(%e : tensor<4x64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %w = arith.extf %a : f16 to f32
    linalg.yield %w : f32
  } -> tensor<4x64xf32>
  %y2 = softmax.log_softmax %x dim(1) {softmax.fuse_consumer} : tensor<4x64xf16>
  %e2 = tensor.empty() : tensor<4x64xf32>
  %c2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y2 : tensor<4x64xf16>) outs(%e2 : tensor<4x64xf32>) {
  ^bb0(%a: f16, %o: f32):
    %w = arith.extf %a : f16 to f32
    linalg.yield %w : f32
  } -> tensor<4x64xf32>
  return %c, %c2 : tensor<4x64xf32>, tensor<4x64xf32>
}

// -----

// The rest of the family: gradients and cross-entropy share kernels; a
// cross-entropy over dynamic sizes (its loss has not its logits' shape)
// stays inline.
// CHECK: func.func private @__softmax_kernel_0(%{{.*}}: tensor<8x16xf32>, %{{.*}}: tensor<8x16xf32>, %{{.*}}: tensor<8x16xf32>)
// CHECK: softmax.softmax_grad
// CHECK: func.func private @__softmax_kernel_1(%{{.*}}: tensor<8x16xf32>, %{{.*}}: tensor<8xi64>, %{{.*}}: tensor<8xf32>)
// CHECK: softmax.cross_entropy
// CHECK-LABEL: func.func @family
// CHECK-COUNT-2: call @__softmax_kernel_0(
// CHECK-COUNT-2: call @__softmax_kernel_1(
// CHECK-COUNT-2: softmax.cross_entropy %{{.*}} : tensor<?x?xf32>
func.func @family(%y: tensor<8x16xf32>, %dy: tensor<8x16xf32>, %l: tensor<8xi64>,
                  %dl: tensor<?x?xf32>, %dll: tensor<?xi64>)
    -> (tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<8xf32>,
        tensor<?xf32>, tensor<?xf32>) {
  %a = softmax.softmax_grad %y, %dy dim(1) : tensor<8x16xf32>
  %b = softmax.softmax_grad %dy, %y dim(1) : tensor<8x16xf32>
  %c = softmax.cross_entropy %y, %l dim(1) : tensor<8x16xf32>, tensor<8xi64> -> tensor<8xf32>
  %d = softmax.cross_entropy %dy, %l dim(1) : tensor<8x16xf32>, tensor<8xi64> -> tensor<8xf32>
  %e = softmax.cross_entropy %dl, %dll dim(1) : tensor<?x?xf32>, tensor<?xi64> -> tensor<?xf32>
  %f = softmax.cross_entropy %dl, %dll dim(1) : tensor<?x?xf32>, tensor<?xi64> -> tensor<?xf32>
  return %a, %b, %c, %d, %e, %f : tensor<8x16xf32>, tensor<8x16xf32>, tensor<8xf32>, tensor<8xf32>, tensor<?xf32>, tensor<?xf32>
}
