// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=2" --canonicalize --split-input-file | FileCheck %s
// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=2 threads=2" --canonicalize --split-input-file | FileCheck %s --check-prefix=SPLIT

// f32 softmax over the last dim: an scf.forall over rows, each writing its
// own [1, n] slice of the output; vector passes of 16 lanes (2 x 256 bits),
// exp stored in the output row between the last two.
// CHECK-LABEL: func.func @softmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK-DAG: %[[NEG_INF_S:.*]] = arith.constant 0xFF800000 : f32
// CHECK-DAG: %[[INF_S:.*]] = arith.constant 0x7F800000 : f32
// CHECK: %[[ROWS:.*]] = tensor.dim %[[X]], %c0
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[EMPTY:.*]] = tensor.empty
//
// Rows of at most 128 elements go two at a time (see @short_rows); the
// others one at a time.
// CHECK: %[[SHORT:.*]] = arith.cmpi ule, %[[N]], %c128 : index
// CHECK: %[[GROUPED:.*]] = scf.forall (%{{.*}}) in (%{{.*}}) shared_outs(%{{.*}} = %[[EMPTY]]) -> (tensor<?x?xf32>)
// CHECK: scf.forall.in_parallel
// CHECK: %[[WHOLE:.*]] = arith.select %[[SHORT]], %c0, %[[ROWS]] : index
// CHECK: %[[REM:.*]] = arith.remui %[[N]], %[[C16]]
// CHECK: %[[MAIN:.*]] = arith.subi %[[N]], %[[REM]]
// CHECK: %[[HAS_TAIL:.*]] = arith.cmpi ne, %[[REM]], %c0
// CHECK: %[[Y:.*]] = scf.forall (%[[ROW:.*]]) in (%[[WHOLE]]) shared_outs(%[[OUT:.*]] = %[[GROUPED]]) -> (tensor<?x?xf32>)
// CHECK: %[[ROW_OUT:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], 0] [1, %[[N]]] [1, 1] : tensor<?x?xf32> to tensor<1x?xf32>
//
// Pass 1: partial maxima in a vector, (v > acc) ? v : acc (one x86 max,
// NaN ignored), one horizontal max per row.
// CHECK: %[[PMAX:.*]] = scf.for %[[COL:.*]] = %c0 to %[[MAIN]] step %[[C16]] iter_args(%[[ACC:.*]] = %[[NEG_INF]]) -> (vector<16xf32>)
// CHECK: %[[V:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[COL]]], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// CHECK: %[[GT:.*]] = arith.cmpf ogt, %[[V]], %[[ACC]] : vector<16xf32>
// CHECK: arith.select %[[GT]], %[[V]], %[[ACC]]
// The masked tail reads -inf past the end of the row; rows that end on a
// whole vector skip it.
// CHECK: %[[ALLMAX:.*]] = scf.if %[[HAS_TAIL]] -> (vector<16xf32>) {
// CHECK: %[[TAIL:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[MAIN]]], %{{.*}} : tensor<?x?xf32>, vector<16xf32>
// CHECK: arith.cmpf ogt, %[[TAIL]], %[[PMAX]]
// CHECK: } else {
// CHECK: scf.yield %[[PMAX]]
// CHECK: %[[M:.*]] = vector.reduction <maxnumf>, %[[ALLMAX]] fastmath<nnan> : vector<16xf32> into f32
//
// A finite maximum takes the lean form, anything else the general one.
// CHECK: %[[ABOVE:.*]] = arith.cmpf ogt, %[[M]], %[[NEG_INF_S]] : f32
// CHECK: %[[BELOW:.*]] = arith.cmpf olt, %[[M]], %[[INF_S]] : f32
// CHECK: %[[FINITE:.*]] = arith.andi %[[ABOVE]], %[[BELOW]] : i1
// CHECK: %[[STATS:.*]]:4 = scf.if %[[FINITE]] -> (tensor<1x?xf32>, f32, f64, f64) {
//
// Pass 2 (lean): t = x - m with no select; exp stored in the output; blocks
// of 32 vectors sum in f32 lanes, folded to one register and added to f64
// lanes; no tie count.
// CHECK: %[[MV:.*]] = vector.broadcast %[[M]] : f32 to vector<16xf32>
// CHECK: scf.for %[[BLK:.*]] = %c0 to %[[MAIN]] step %c512 iter_args(%{{.*}} = %[[ROW_OUT]], {{.*}}) -> (tensor<1x?xf32>, vector<8xf64>)
// CHECK: %[[END:.*]] = arith.minui
// CHECK: scf.for %{{.*}} = %[[BLK]] to %[[END]] step %[[C16]] {{.*}} -> (tensor<1x?xf32>, vector<16xf32>)
// CHECK: %[[T:.*]] = arith.subf %{{.*}}, %[[MV]] : vector<16xf32>
// The exp of t <= 0 is a polynomial: no math.exp, no libm; the clamp at -88
// lets NaN through.
// CHECK-NOT: math.exp
// CHECK: arith.cmpf olt, %[[T]], %{{.*}} : vector<16xf32>
// CHECK: math.fma
// CHECK: arith.shli
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %{{.*}}] {in_bounds = [true]} : vector<16xf32>, tensor<1x?xf32>
// CHECK-NOT: arith.extui
// CHECK: vector.extract_strided_slice %{{.*}} {offsets = [8], sizes = [8], strides = [1]} : vector<16xf32> to vector<8xf32>
// CHECK: arith.extf %{{.*}} : vector<8xf32> to vector<8xf64>
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<8xf64> into f64
// CHECK: scf.yield %{{.*}}, %[[M]], %{{.*}}, %{{.*}} : tensor<1x?xf32>, f32, f64, f64
//
// Pass 2 (general): its own NaN-propagating max, t = (x == m) ? 0 : x - m,
// ties counted in i32 lanes of one register.
// CHECK: } else {
// CHECK: arith.maximumf
// CHECK: vector.reduction <maximumf>
// CHECK: arith.cmpf oeq
// CHECK: arith.extui %{{.*}} : vector<16xi1> to vector<16xi32>
// CHECK: vector.reduction <add>, %{{.*}} : vector<8xi32> into i32
//
// The factor: 1/s in f64, rounded once; 0 for an all -inf row, NaN for NaN.
// CHECK: arith.divf %{{.*}} : f64
// CHECK: arith.truncf %{{.*}} : f64 to f32
// CHECK: arith.cmpf oeq, %[[STATS]]#1, %[[NEG_INF_S]]
// CHECK: arith.cmpf uno, %[[STATS]]#1, %[[STATS]]#1
//
// Pass 3: scale the stored exp; no second exp.
// CHECK: scf.for %{{.*}} iter_args(%[[O3:.*]] = %[[STATS]]#0) -> (tensor<1x?xf32>)
// CHECK-NOT: math.exp
// CHECK: %[[E:.*]] = vector.transfer_read %[[O3]][%c0, %{{.*}}]
// CHECK: %[[P:.*]] = arith.mulf %[[E]]
// CHECK: vector.transfer_write %[[P]], %[[O3]][%c0, %{{.*}}]
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], 0] [1, %[[N]]] [1, 1] : tensor<1x?xf32> into tensor<?x?xf32>
// CHECK: return %[[Y]]
// With two threads: fewer rows than threads and rows of at least 2 x 16384
// elements are split into column chunks at run time (no rows: no division
// by zero); both forms are chained, one of them over an empty range.
// SPLIT-LABEL: func.func @softmax_f32
// SPLIT-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// SPLIT: %[[ROWS:.*]] = tensor.dim %[[X]], %c0
// SPLIT: %[[N:.*]] = tensor.dim %[[X]], %c1
// SPLIT: %[[EMPTY:.*]] = tensor.empty(%[[ROWS]], %[[N]])
// SPLIT: %[[SOME:.*]] = arith.maxui %[[ROWS]], %c1 : index
// SPLIT: %[[WANTED:.*]] = arith.ceildivui %c2, %[[SOME]] : index
// SPLIT: %[[MOST:.*]] = arith.divui %[[N]], %c16384 : index
// SPLIT: %[[CHUNKS:.*]] = arith.minui %[[WANTED]], %[[MOST]] : index
// SPLIT: %[[SPLIT:.*]] = arith.cmpi uge, %[[CHUNKS]], %c2 : index
// SPLIT: %[[K:.*]] = arith.select %[[SPLIT]], %[[CHUNKS]], %c0 : index
// Phase 1: per (row, chunk), the chunk's max, sum and count, and its exp.
// SPLIT: %[[PM:.*]] = tensor.empty(%[[ROWS]], %[[K]]) : tensor<?x?xf32>
// SPLIT: %[[STATS:.*]]:4 = scf.forall (%[[R:.*]], %[[C:.*]]) in (%[[ROWS]], %[[K]]) shared_outs(%[[O:.*]] = %[[EMPTY]], %{{.*}} = %[[PM]], %{{.*}}, %{{.*}})
// SPLIT: tensor.parallel_insert_slice %{{.*}} into %[[O]][%[[R]], %{{.*}}] [1, %{{.*}}] [1, 1] : tensor<1x?xf32> into tensor<?x?xf32>
// SPLIT: tensor.parallel_insert_slice %{{.*}} into %{{.*}}[%[[R]], %[[C]]] [1, 1] [1, 1] : tensor<1x1xf32> into tensor<?x?xf32>
// Phase 2: merge the row's (max, sum) pairs, rescale and normalise a chunk.
// SPLIT: %[[SPLIT_Y:.*]] = scf.forall (%[[R2:.*]], %[[C2:.*]]) in (%[[ROWS]], %[[K]]) shared_outs(%{{.*}} = %[[STATS]]#0)
// SPLIT: scf.for %{{.*}} = %c0 to %[[K]] step %c1 iter_args(%{{.*}}) -> (f32)
// SPLIT: arith.maximumf
// SPLIT: scf.for %{{.*}} = %c0 to %[[K]] step %c1 iter_args(%{{.*}}, %{{.*}}) -> (f64, f64)
// SPLIT: math.exp %{{.*}} : f64
// SPLIT: tensor.extract %[[STATS]]#1[%[[R2]], %[[C2]]]
// Short rows (never split) in groups, then whole rows, over no row when
// split or short.
// SPLIT: %[[SHORT:.*]] = arith.andi
// SPLIT: %[[GROUPS:.*]] = arith.select %[[SHORT]], %{{.*}}, %c0 : index
// SPLIT: %[[GROUPED:.*]] = scf.forall (%{{.*}}) in (%[[GROUPS]]) shared_outs(%{{.*}} = %[[SPLIT_Y]])
// SPLIT: %[[SPECIAL:.*]] = arith.ori %[[SPLIT]], %[[SHORT]] : i1
// SPLIT: %[[WHOLE:.*]] = arith.select %[[SPECIAL]], %c0, %[[ROWS]] : index
// SPLIT: %[[Y:.*]] = scf.forall (%{{.*}}) in (%[[WHOLE]]) shared_outs(%{{.*}} = %[[GROUPED]])
// SPLIT: return %[[Y]]
func.func @softmax_f32(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// f16 log_softmax of rank 3: a 2-D forall over the outer dims, f32 compute, f32 sums,
// log1p of the row sum, no stored exp, one rounding to f16.
// CHECK-LABEL: func.func @log_softmax_f16
// CHECK: scf.forall (%[[I:.*]], %[[J:.*]]) in (3, %{{.*}})
// CHECK: tensor.extract_slice %{{.*}}[%[[I]], %[[J]], 0] [1, 1, %{{.*}}] [1, 1, 1] : tensor<3x?x?xf16> to tensor<1x1x?xf16>
// CHECK: vector.transfer_read %{{.*}}[%[[I]], %[[J]], %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<3x?x?xf16>, vector<16xf16>
// CHECK: arith.extf %{{.*}} : vector<16xf16> to vector<16xf32>
// CHECK: -> (vector<16xf32>, vector<8xi32>)
// CHECK: math.log1p %{{.*}} : f32
// CHECK-NOT: math.exp
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xf16>
// CHECK: vector.transfer_write
func.func @log_softmax_f16(%x: tensor<3x?x?xf16>) -> tensor<3x?x?xf16> {
  %y = softmax.log_softmax %x dim(2) : tensor<3x?x?xf16>
  return %y : tensor<3x?x?xf16>
}

// -----

// f64: 8 lanes (2 x 256 bits of f64), sums in f64.
// CHECK-LABEL: func.func @softmax_f64_1d
// CHECK: vector.transfer_read {{.*}} : tensor<100xf64>, vector<8xf64>
// CHECK: -> (tensor<100xf64>, vector<8xf64>, vector<4xi32>)
// CHECK: math.exp %{{.*}} : vector<8xf64>
func.func @softmax_f64_1d(%x: tensor<100xf64>) -> tensor<100xf64> {
  %y = softmax.softmax %x dim(0) : tensor<100xf64>
  return %y : tensor<100xf64>
}

// -----

// Left for softmax-decompose: an outer dim.
// CHECK-LABEL: func.func @not_innermost
// CHECK: softmax.softmax %{{.*}} dim(0) : tensor<4x8xf32>
func.func @not_innermost(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %y = softmax.softmax %x dim(0) : tensor<4x8xf32>
  return %y : tensor<4x8xf32>
}

// -----

// bf16 like f16: f32 compute and sums, no stored exp, one rounding to bf16.
// CHECK-LABEL: func.func @log_softmax_bf16
// CHECK-NOT: softmax.log_softmax
// CHECK: vector.transfer_read %{{.*}} : tensor<?x?xbf16>, vector<16xbf16>
// CHECK: arith.extf %{{.*}} : vector<16xbf16> to vector<16xf32>
// CHECK: arith.truncf %{{.*}} : vector<16xf32> to vector<16xbf16>
func.func @log_softmax_bf16(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

// -----

// Short rows (static 8 x 32): two rows per parallel iteration, the last
// group possibly partial. A full group's pass 1 runs in lockstep; when both
// maxima are finite, passes 2 and 3 do too, else (and for a partial group)
// the rows run one after the other in the usual form. No loop over single
// rows is left.
// CHECK-LABEL: func.func @short_rows
// CHECK-SAME: (%[[X:.*]]: tensor<8x32xf32>)
// CHECK: %[[Y:.*]] = scf.forall (%[[G:.*]]) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<8x32xf32>)
// CHECK: %[[FIRST:.*]] = arith.muli %[[G]], %c2 : index
// CHECK: %[[LEFT:.*]] = arith.subi %c8, %[[FIRST]] : index
// CHECK: %[[COUNT:.*]] = arith.minui %[[LEFT]], %c2 : index
// CHECK: %[[GROUP_OUT:.*]] = tensor.extract_slice %[[OUT]][%[[FIRST]], 0] [%[[COUNT]], 32] [1, 1] : tensor<8x32xf32> to tensor<?x32xf32>
// CHECK: %[[FULL:.*]] = arith.cmpi eq, %[[COUNT]], %c2 : index
// CHECK: %[[SECOND:.*]] = arith.addi %[[FIRST]], %c1 : index
// CHECK: %[[P1:.*]]:3 = scf.if %[[FULL]] -> (i1, f32, f32) {
// CHECK: scf.for {{.*}} -> (vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_read %[[X]][%[[FIRST]], %{{.*}}]
// CHECK: vector.transfer_read %[[X]][%[[SECOND]], %{{.*}}]
// CHECK: vector.reduction <maxnumf>
// CHECK: vector.reduction <maxnumf>
// CHECK: } else {
// CHECK: scf.yield %false, %{{.*}}, %{{.*}} : i1, f32, f32
// CHECK: %[[ROWS_OUT:.*]] = scf.if %[[P1]]#0 -> (tensor<?x32xf32>) {
// Pass 2 in lockstep: one output, a partial sum per row.
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[GROUP_OUT]], {{.*}}) -> (tensor<?x32xf32>, vector<16xf32>, vector<16xf32>)
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %{{.*}}] {in_bounds = [true]}
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c1, %{{.*}}] {in_bounds = [true]}
// CHECK: arith.divf
// CHECK: arith.divf
// Pass 3 in lockstep.
// CHECK: scf.for {{.*}} -> (tensor<?x32xf32>)
// CHECK: arith.mulf
// CHECK: arith.mulf
// CHECK: } else {
// CHECK: scf.for %{{.*}} = %c0 to %[[COUNT]] step %c1 iter_args(%{{.*}} = %[[GROUP_OUT]]) -> (tensor<?x32xf32>)
// CHECK: tensor.insert_slice
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %[[ROWS_OUT]] into %[[OUT]][%[[FIRST]], 0] [%[[COUNT]], 32] [1, 1]
// CHECK-NOT: scf.forall
// CHECK: return %[[Y]]
func.func @short_rows(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %y = softmax.softmax %x dim(1) : tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// -----

// A pinned form: "rows" keeps short rows one per parallel iteration, and
// "split" splits them even on one thread (into at least two chunks).
// CHECK-LABEL: func.func @pinned
// CHECK: %[[R:.*]] = scf.forall (%{{.*}}) in (8) shared_outs
// CHECK-NOT: scf.forall (%{{.*}}) in (4)
// CHECK: return %[[R]]
func.func @pinned(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "rows"} : tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}

// CHECK-LABEL: func.func @pinned_split
// CHECK: %[[STATS:.*]]:4 = scf.forall (%{{.*}}, %{{.*}}) in (8, 2) shared_outs
// CHECK: %[[Y:.*]] = scf.forall (%{{.*}}, %{{.*}}) in (8, 2) shared_outs(%{{.*}} = %[[STATS]]#0)
// CHECK: return %[[Y]]
func.func @pinned_split(%x: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %y = softmax.softmax %x dim(1) {softmax.row_form = "split"} : tensor<8x32xf32>
  return %y : tensor<8x32xf32>
}
