// The row loops prefetch the next row's input (prefetcht0) and, for
// log_softmax, this row's output for writing (prefetchw on CPUs that have
// it: AMD's, Intel's from Broadwell on); --prefetch=false leaves the
// hardware prefetcher alone.
// RUN: softmax-compile %s --emit=asm --mcpu=znver1 --mtriple=x86_64-unknown-linux-gnu -o - | FileCheck %s
// RUN: softmax-compile %s --emit=asm --mcpu=znver1 --mtriple=x86_64-unknown-linux-gnu --prefetch=false -o - | FileCheck %s --check-prefix=OFF

// CHECK-LABEL: softmax_rows:
// CHECK: prefetcht0
// CHECK-NOT: prefetchw
// CHECK-LABEL: log_softmax_rows:
// CHECK-DAG: prefetcht0
// CHECK-DAG: prefetchw
// OFF-NOT: prefetch
func.func @softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

func.func @log_softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
