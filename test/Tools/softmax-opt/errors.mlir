// Every bad invocation ends in `error:` and a non-zero exit, never a crash.

// RUN: not softmax-opt --no-such-flag 2>&1 | FileCheck %s --check-prefix=FLAG
// FLAG: error: Unknown command line argument '--no-such-flag'

// RUN: not softmax-opt %t.does-not-exist.mlir 2>&1 | FileCheck %s --check-prefix=MISSING
// MISSING: error: cannot open input file '{{.*}}does-not-exist.mlir'

// RUN: not softmax-opt %s -o %t.no-such-dir/out.mlir 2>&1 | FileCheck %s --check-prefix=UNWRITABLE
// UNWRITABLE: error: cannot open output file '{{.*}}no-such-dir/out.mlir'

// RUN: not softmax-opt %s --softmax-decompose 2>&1 | FileCheck %s --check-prefix=PARSE
// PARSE: errors.mlir:[[@LINE+4]]:12: error: expected ':'
// PARSE-NOT: Stack dump
// PARSE-NOT: LLVM ERROR
func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x tensor<4xf32>
}
