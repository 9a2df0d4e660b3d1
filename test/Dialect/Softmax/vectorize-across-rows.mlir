// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256" --canonicalize | FileCheck %s
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 stream-across-rows=false" --canonicalize | FileCheck %s --check-prefix=ROWS
// RUN: softmax-opt %s --split-input-file --softmax-vectorize="vector-bits=256 softmax-grad-prefetch=false" --canonicalize | FileCheck %s --check-prefix=NOPF

// softmax_grad whose output streams (pinned here; unpinned where it is
// larger than L2) on a static shape: groups of rows (16 KiB of output: 124
// rows of 33 f32, three groups for 300 rows), each a slice of whole rows
// flattened; per row the first pass, then the first row's masked head up
// to the first aligned element or the vector across the previous row's end
// (its lanes of that row take that row's s, in f64), the whole vectors
// within the row (the f32 pass where it holds the values, else the f64
// one), all in loops marked for streaming stores, the next row prefetched;
// after the last row a masked tail. The group written back whole.
// CHECK-LABEL: func.func @softmax_grad_groups
// CHECK: scf.forall (%{{.*}}) in (3) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<300x33xf32>)
// CHECK: %[[SLICE:.*]] = tensor.extract_slice %[[OUT]][%[[FIRST:.*]], 0] [%[[COUNT:.*]], 33] [1, 1] : tensor<300x33xf32> to tensor<?x33xf32>
// CHECK: tensor.collapse_shape %{{.*}} {{.*}} : tensor<?x33xf32> into tensor<?xf32>
// CHECK: %[[FLAT:.*]] = tensor.collapse_shape %[[SLICE]] {{.*}} : tensor<?x33xf32> into tensor<?xf32>
// CHECK: %[[LOOP:.*]]:3 = scf.for %[[ROW:.*]] = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %{{.*}}, %[[PREV:.*]] = %{{.*}}, %{{.*}} = %[[FLAT]]) -> (index, f64, tensor<?xf32>)
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf64> into f64
// CHECK: %[[FIRSTROW:.*]] = arith.cmpi eq, %[[ROW]], %c0 : index
// CHECK: scf.if %[[FIRSTROW]] -> (tensor<?xf32>)
// CHECK: %[[HEAD:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0], %[[HEAD]] : vector<16xf32>, tensor<?xf32>
// CHECK: } else {
// CHECK: %[[THIS:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: %[[PREVV:.*]] = vector.broadcast %[[PREV]] : f64 to vector<16xf64>
// CHECK: %[[ACROSS:.*]] = arith.select %[[THIS]], %[[PREVV]], %{{.*}} : vector<16xi1>, vector<16xf64>
// CHECK: scf.for
// CHECK: arith.subf %{{.*}}, %[[ACROSS]] : vector<16xf64>
// CHECK: vector.transfer_write %{{.*}} {in_bounds = [true]} : vector<16xf32>, tensor<?xf32>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: %[[HELD:.*]] = arith.cmpf ole
// CHECK: scf.if %[[HELD]] -> (tensor<?xf32>)
// CHECK: scf.for
// CHECK: memref.prefetch
// CHECK: arith.subf %{{.*}} : vector<16xf32>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: } else {
// CHECK: scf.for
// CHECK: arith.subf %{{.*}} : vector<16xf64>
// CHECK: } {softmax.nontemporal = 32 : i64}
// CHECK: %[[TAIL:.*]] = vector.create_mask %{{.*}} : vector<16xi1>
// CHECK: vector.transfer_write %{{.*}}, %[[LOOP]]#2[%[[LOOP]]#0], %[[TAIL]] : vector<16xf32>, tensor<?xf32>
// CHECK: %[[BACK:.*]] = tensor.expand_shape %{{.*}} {{.*}} output_shape [%[[COUNT]], 33] : tensor<?xf32> into tensor<?x33xf32>
// CHECK: tensor.parallel_insert_slice %[[BACK]] into %[[OUT]][%[[FIRST]], 0] [%[[COUNT]], 33] [1, 1]
// Without stream-across-rows, a row an iteration.
// ROWS-LABEL: func.func @softmax_grad_groups
// ROWS-NOT: tensor.collapse_shape
// ROWS: scf.forall (%{{.*}}) in (300)
// ROWS: } {softmax.nontemporal = 32 : i64}
// With softmax-grad-prefetch=false the same groups with no prefetch.
// NOPF-LABEL: func.func @softmax_grad_groups
// NOPF: tensor.collapse_shape
// NOPF-NOT: memref.prefetch
// NOPF: } {softmax.nontemporal = 32 : i64}
// NOPF-NOT: memref.prefetch
// NOPF: return
func.func @softmax_grad_groups(%y: tensor<300x33xf32>, %dy: tensor<300x33xf32>) -> tensor<300x33xf32> {
  %dx = softmax.softmax_grad %y, %dy dim(1) {softmax.store_form = "nontemporal"} : tensor<300x33xf32>
  return %dx : tensor<300x33xf32>
}

// -----

// Rank 3: the groups are rows of the second-innermost dim (one group of 5
// rows of 100 f64 per outer index); f64 has only the one pass.
// CHECK-LABEL: func.func @rank3
// CHECK: scf.forall (%[[B:.*]]) in (2)
// CHECK: tensor.extract_slice %{{.*}}[%[[B]], 0, 0] [1, 5, 100] [1, 1, 1] : tensor<2x5x100xf64> to tensor<1x5x100xf64>
// CHECK: tensor.collapse_shape %{{.*}} {{.*}} : tensor<1x5x100xf64> into tensor<500xf64>
// CHECK-NOT: vector<16xf32>
// CHECK: tensor.expand_shape
func.func @rank3(%y: tensor<2x5x100xf64>, %dy: tensor<2x5x100xf64>) -> tensor<2x5x100xf64> {
  %dx = softmax.softmax_grad %y, %dy dim(2) {softmax.store_form = "nontemporal"} : tensor<2x5x100xf64>
  return %dx : tensor<2x5x100xf64>
}

// -----

// A row at a time: log_softmax_grad (see buildAcrossRows), a dynamic shape,
// rows shorter than a vector (16 lanes), an output that does not stream.
// CHECK-LABEL: func.func @rows
// CHECK-NOT: tensor.collapse_shape
// CHECK: return
func.func @rows(%a: tensor<300x33xf32>, %b: tensor<?x33xf32>, %c: tensor<300x15xf32>, %d: tensor<300x33xf32>)
    -> (tensor<300x33xf32>, tensor<?x33xf32>, tensor<300x15xf32>, tensor<300x33xf32>) {
  %0 = softmax.log_softmax_grad %a, %a dim(1) {softmax.store_form = "nontemporal"} : tensor<300x33xf32>
  %1 = softmax.softmax_grad %b, %b dim(1) {softmax.store_form = "nontemporal"} : tensor<?x33xf32>
  %2 = softmax.softmax_grad %c, %c dim(1) {softmax.store_form = "nontemporal"} : tensor<300x15xf32>
  %3 = softmax.softmax_grad %d, %d dim(1) : tensor<300x33xf32>
  return %0, %1, %2, %3 : tensor<300x33xf32>, tensor<?x33xf32>, tensor<300x15xf32>, tensor<300x33xf32>
}
