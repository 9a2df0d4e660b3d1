// The passes softmax-cpu-pipeline runs, by option.
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell fuse=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOFUSE
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell threads=1" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=SERIAL
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell prefetch=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOPREFETCH

// Producers marked, row forms chosen for static shapes, then rows vectorized at the target's width, with the
// thread count known only at run time (threads=0) for the row split; empty
// parallel loops skipped before they become OpenMP regions.
// CHECK: softmax-fuse
// CHECK-NEXT: softmax-tile{threads=0}
// CHECK-NEXT: softmax-vectorize{prefetch=true threads=0 unroll=4 vector-bits=256}
// CHECK: softmax-skip-empty-foralls
// CHECK-NEXT: scf-forall-to-parallel
// CHECK: convert-scf-to-openmp
// CHECK: softmax-openmp-thread-count{threads=0}

// NOFUSE-NOT: softmax-fuse
// NOFUSE: softmax-vectorize

// NOPREFETCH: softmax-vectorize{prefetch=false

// SERIAL: softmax-tile{threads=1}
// SERIAL: softmax-vectorize{prefetch=true threads=1
// SERIAL-NOT: softmax-skip-empty-foralls
// SERIAL: scf-forall-to-for
// SERIAL-NOT: convert-scf-to-openmp
func.func @f() {
  return
}
