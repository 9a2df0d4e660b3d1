// RUN: softmax-opt %s --softmax-vectorize="vector-bits=256 unroll=2" --canonicalize --split-input-file | FileCheck %s

// f32 softmax over the last dim: an scf.forall over rows, each writing its
// own [1, n] slice of the output; three vector passes of 16 lanes (2 x 256
// bits), exp stored in the output row between the last two.
// CHECK-LABEL: func.func @softmax_f32
// CHECK-SAME: (%[[X:.*]]: tensor<?x?xf32>)
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK-DAG: %[[NEG_INF:.*]] = arith.constant dense<0xFF800000> : vector<16xf32>
// CHECK: %[[N:.*]] = tensor.dim %[[X]], %c1
// CHECK: %[[REM:.*]] = arith.remui %[[N]], %[[C16]]
// CHECK: %[[MAIN:.*]] = arith.subi %[[N]], %[[REM]]
// CHECK: %[[HAS_TAIL:.*]] = arith.cmpi ne, %[[REM]], %c0
// CHECK: %[[EMPTY:.*]] = tensor.empty
// CHECK: %[[Y:.*]] = scf.forall (%[[ROW:.*]]) in (%{{.*}}) shared_outs(%[[OUT:.*]] = %[[EMPTY]]) -> (tensor<?x?xf32>)
// CHECK: %[[ROW_OUT:.*]] = tensor.extract_slice %[[OUT]][%[[ROW]], 0] [1, %[[N]]] [1, 1] : tensor<?x?xf32> to tensor<1x?xf32>
//
// Pass 1: partial maxima in a vector, one horizontal max per row.
// CHECK: %[[PMAX:.*]] = scf.for %[[COL:.*]] = %c0 to %[[MAIN]] step %[[C16]] iter_args(%[[ACC:.*]] = %[[NEG_INF]]) -> (vector<16xf32>)
// CHECK: %[[V:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[COL]]], %{{.*}} {in_bounds = [true]} : tensor<?x?xf32>, vector<16xf32>
// CHECK: arith.maximumf %[[ACC]], %[[V]] : vector<16xf32>
// The masked tail reads -inf past the end of the row; rows that end on a
// whole vector skip it.
// CHECK: %[[ALLMAX:.*]] = scf.if %[[HAS_TAIL]] -> (vector<16xf32>) {
// CHECK: %[[TAIL:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[MAIN]]], %{{.*}} : tensor<?x?xf32>, vector<16xf32>
// CHECK: %[[TMAX:.*]] = arith.maximumf %[[PMAX]], %[[TAIL]]
// CHECK: scf.yield %[[TMAX]]
// CHECK: } else {
// CHECK: scf.yield %[[PMAX]]
// CHECK: %[[M:.*]] = vector.reduction <maximumf>, %[[ALLMAX]] : vector<16xf32> into f32
//
// Pass 2: exp stored in the output; blocks of 32 vectors sum in f32 lanes
// and are then added to f64 lanes; ties are counted in i32 lanes.
// CHECK: scf.for %[[BLK:.*]] = %c0 to %[[MAIN]] step %c512 iter_args(%{{.*}} = %[[ROW_OUT]], {{.*}}) -> (tensor<1x?xf32>, vector<16xf64>, vector<16xi32>)
// CHECK: %[[END:.*]] = arith.minui
// CHECK: scf.for %{{.*}} = %[[BLK]] to %[[END]] step %[[C16]] {{.*}} -> (tensor<1x?xf32>, vector<16xf32>, vector<16xi32>)
// The exp of t <= 0 is a polynomial: no math.exp, no libm.
// CHECK-NOT: math.exp
// CHECK: arith.maximumf %{{.*}}, %{{.*}} fastmath<nnan> : vector<16xf32>
// CHECK: math.fma
// CHECK: arith.shli
// CHECK: vector.transfer_write %{{.*}}, %{{.*}}[%c0, %{{.*}}] {in_bounds = [true]} : vector<16xf32>, tensor<1x?xf32>
// CHECK: arith.extui %{{.*}} : vector<16xi1> to vector<16xi32>
// CHECK: arith.extf %{{.*}} : vector<16xf32> to vector<16xf64>
// CHECK: vector.reduction <add>, %{{.*}} fastmath<reassoc> : vector<16xf64> into f64
// CHECK: vector.reduction <add>, %{{.*}} : vector<16xi32> into i32
// CHECK: arith.divf
// CHECK: arith.truncf %{{.*}} : f64 to f32
// A NaN row gets a NaN factor.
// CHECK: arith.cmpf uno
//
// Pass 3: scale the stored exp; no second exp.
// CHECK: scf.for %{{.*}} iter_args(%[[O3:.*]] = %{{.*}}) -> (tensor<1x?xf32>)
// CHECK-NOT: math.exp
// CHECK: %[[E:.*]] = vector.transfer_read %[[O3]][%c0, %{{.*}}]
// CHECK: %[[P:.*]] = arith.mulf %[[E]]
// CHECK: vector.transfer_write %[[P]], %[[O3]][%c0, %{{.*}}]
// CHECK: scf.forall.in_parallel
// CHECK: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[ROW]], 0] [1, %[[N]]] [1, 1] : tensor<1x?xf32> into tensor<?x?xf32>
// CHECK: return %[[Y]]
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
// CHECK: -> (vector<16xf32>, vector<16xi32>)
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
// CHECK: -> (tensor<100xf64>, vector<8xf64>, vector<8xi32>)
// CHECK: math.exp %{{.*}} : vector<8xf64>
func.func @softmax_f64_1d(%x: tensor<100xf64>) -> tensor<100xf64> {
  %y = softmax.softmax %x dim(0) : tensor<100xf64>
  return %y : tensor<100xf64>
}

// -----

// Left for softmax-decompose: an outer dim, and bf16.
// CHECK-LABEL: func.func @not_innermost
// CHECK: softmax.softmax %{{.*}} dim(0) : tensor<4x8xf32>
// CHECK: softmax.log_softmax %{{.*}} dim(1) : tensor<4x8xbf16>
func.func @not_innermost(%x: tensor<4x8xf32>, %b: tensor<4x8xbf16>) -> (tensor<4x8xf32>, tensor<4x8xbf16>) {
  %y = softmax.softmax %x dim(0) : tensor<4x8xf32>
  %z = softmax.log_softmax %b dim(1) : tensor<4x8xbf16>
  return %y, %z : tensor<4x8xf32>, tensor<4x8xbf16>
}
