// RUN: softmax-opt %s --softmax-export-c-abi --softmax-runtime-checks --split-input-file | FileCheck %s

// A static size is checked against the descriptor's; the parameters become
// dynamic memrefs, cast back once checked; the body runs only when every
// check holds, else each failed one is reported.
// CHECK-LABEL: func.func @static
// CHECK-SAME: (%[[IN:.*]]: memref<?x?xf32>, %[[OUT:.*]]: memref<?x?xf32>)
// CHECK-DAG: %[[CIN:.*]] = memref.cast %[[IN]] : memref<?x?xf32> to memref<4x128xf32>
// CHECK-DAG: %[[COUT:.*]] = memref.cast %[[OUT]] : memref<?x?xf32> to memref<4x128xf32>
// CHECK: %[[D0:.*]] = memref.dim %[[IN]], %c0
// CHECK: arith.cmpi eq, %[[D0]], %c4
// CHECK-COUNT-2: arith.andi
// CHECK: %[[ALL:.*]] = arith.andi
// CHECK-NEXT: scf.if %[[ALL]] {
// CHECK: bufferization.to_tensor %[[CIN]]
// CHECK: call @static__softmax_impl
// CHECK: bufferization.materialize_in_destination %{{.*}} in restrict writable %[[COUT]]
// CHECK: } else {
// Each failed check reports its message, found in the module's one
// constant of messages.
// CHECK: %[[T0:.*]] = llvm.mlir.addressof @__softmax_mlir_check_messages
// CHECK-NEXT: %[[M0:.*]] = llvm.getelementptr inbounds %[[T0]][0] : (!llvm.ptr) -> !llvm.ptr, i8
// CHECK-NEXT: llvm.call @__softmax_mlir_report_error(%[[M0]])
// CHECK: %[[T1:.*]] = llvm.mlir.addressof @__softmax_mlir_check_messages
// CHECK-NEXT: %[[M1:.*]] = llvm.getelementptr inbounds %[[T1]][86]
// CHECK-NEXT: llvm.call @__softmax_mlir_report_error(%[[M1]])
// CHECK-COUNT-2: llvm.call @__softmax_mlir_report_error
// CHECK: llvm.mlir.global external @softmax_mlir_error_count(0 : i64)
// CHECK: llvm.mlir.global external @softmax_mlir_error_handler()
// CHECK: llvm.func internal @__softmax_mlir_report_error(%{{.*}}: !llvm.ptr)
// CHECK: llvm.atomicrmw add
// CHECK: llvm.cond_br
// CHECK: llvm.call @write
// CHECK: llvm.mlir.global internal constant @__softmax_mlir_check_messages("error: softmax-mlir: @static: the size of in0 in dim 0 must be 4 (the compiled size)\0A\00error: softmax-mlir: @static: the size of in0 in dim 1 must be 128 (the compiled size)\0A\00{{.*}}")
func.func @static(%x: tensor<4x128xf32>) -> tensor<4x128xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4x128xf32>
  return %y : tensor<4x128xf32>
}

// -----

// A dynamic output size is traced to the input's (through the op's
// reified sizes); a gradient's y and dy must agree; cross-entropy's labels
// and loss have the logits' rows.
// CHECK-LABEL: func.func @grad
// CHECK-SAME: (%[[Y:.*]]: memref<?x?xf32>, %[[DY:.*]]: memref<?x?xf32>, %[[OUT:.*]]: memref<?x?xf32>)
// CHECK-DAG: memref.dim %[[OUT]], %c0
// CHECK-DAG: memref.dim %[[DY]], %c0
// CHECK-DAG: memref.dim %[[DY]], %c1
// CHECK: scf.if
// CHECK-LABEL: func.func @loss
// CHECK-SAME: (%[[X:.*]]: memref<?x?xf32>, %[[L:.*]]: memref<?xi64>, %[[LOSS:.*]]: memref<?xf32>)
// CHECK-DAG: memref.dim %[[LOSS]], %c0
// CHECK-DAG: memref.dim %[[L]], %c0
// CHECK: scf.if
// CHECK-DAG: error: softmax-mlir: @grad: the size of in1 in dim 0 must be the size of in0 in dim 0\0A\00
// CHECK-DAG: error: softmax-mlir: @grad: the size of out0 in dim 1 must be the size of in0 in dim 1\0A\00
// CHECK-DAG: error: softmax-mlir: @loss: the size of in0 in dim 1 must be 10 (the compiled size)\0A\00
// CHECK-DAG: error: softmax-mlir: @loss: the size of out0 in dim 0 must be the size of in0 in dim 0\0A\00
// CHECK-DAG: error: softmax-mlir: @loss: the size of in1 in dim 0 must be the size of in0 in dim 0\0A\00
func.func @grad(%y: tensor<?x?xf32>, %dy: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %g = softmax.softmax_grad %y, %dy dim(1) : tensor<?x?xf32>
  return %g : tensor<?x?xf32>
}
func.func @loss(%x: tensor<?x10xf32>, %l: tensor<?xi64>) -> tensor<?xf32> {
  %r = softmax.cross_entropy %x, %l dim(1) : tensor<?x10xf32>, tensor<?xi64> -> tensor<?xf32>
  return %r : tensor<?xf32>
}

// -----

// Through upstream ops: a matmul's result has its operands' outer sizes
// (linalg's destination, an empty tensor of tensor.dim sizes); a mask's
// dynamic size must be the input's, its static 1 broadcasts.
// The whole table: the mask's dim 0 is only checked against its compiled
// size 1.
// CHECK: llvm.mlir.global internal constant @__softmax_mlir_check_messages(
// CHECK-SAME: "error: softmax-mlir: @scores: the size of in0 in dim 1 must be 8 (the compiled size)\0A\00
// CHECK-SAME: error: softmax-mlir: @scores: the size of in1 in dim 0 must be 8 (the compiled size)\0A\00
// CHECK-SAME: error: softmax-mlir: @scores: the size of in2 in dim 0 must be 1 (the compiled size)\0A\00
// CHECK-SAME: error: softmax-mlir: @scores: the size of out0 in dim 0 must be the size of in0 in dim 0\0A\00
// CHECK-SAME: error: softmax-mlir: @scores: the size of out0 in dim 1 must be the size of in1 in dim 1\0A\00
// CHECK-SAME: error: softmax-mlir: @scores: the size of in2 in dim 1 must be the size of in1 in dim 1\0A\00")
func.func @scores(%a: tensor<?x8xf32>, %b: tensor<8x?xf32>, %m: tensor<1x?xi1>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %a, %c0 : tensor<?x8xf32>
  %k = tensor.dim %b, %c1 : tensor<8x?xf32>
  %e = tensor.empty(%n, %k) : tensor<?x?xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e : tensor<?x?xf32>) -> tensor<?x?xf32>
  %s = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x?xf32>) outs(%z : tensor<?x?xf32>) -> tensor<?x?xf32>
  %y = softmax.softmax %s mask(%m : tensor<1x?xi1>) dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// -----

// The constant of messages takes a name of its own where the module has
// one by that name already.
// CHECK: llvm.mlir.global internal constant @__softmax_mlir_check_messages("taken")
// CHECK-LABEL: func.func @named
// CHECK: llvm.mlir.addressof @__softmax_mlir_check_messages_0
// CHECK: llvm.mlir.global internal constant @__softmax_mlir_check_messages_0("error: softmax-mlir: @named: the size of in0 in dim 0 must be 2 (the compiled size)
llvm.mlir.global internal constant @__softmax_mlir_check_messages("taken")
func.func @named(%x: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %y = softmax.softmax %x dim(1) : tensor<2x3xf32>
  return %y : tensor<2x3xf32>
}
