// RUN: softmax-opt --help | FileCheck %s
// RUN: softmax-opt --show-dialects | FileCheck %s --check-prefix=DIALECTS

// Our passes and the pipeline, next to the upstream ones.
// CHECK: OVERVIEW: softmax-mlir optimizer driver
// CHECK-DAG: --softmax-attach-cpu-target
// CHECK-DAG: --softmax-decompose
// CHECK-DAG: --softmax-export-c-abi
// CHECK-DAG: --softmax-cpu-pipeline
// CHECK-DAG: --one-shot-bufferize
// CHECK-DAG: --convert-linalg-to-loops

// DIALECTS: Available Dialects:
// DIALECTS-SAME: linalg
// DIALECTS-SAME: softmax
