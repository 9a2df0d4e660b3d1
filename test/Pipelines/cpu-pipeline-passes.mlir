// The passes softmax-cpu-pipeline runs, by option.
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell fuse=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOFUSE
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell threads=1" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=SERIAL
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell prefetch=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOPREFETCH
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell l1-cache-kib=48 l2-cache-kib=2048" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=CACHES
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell nontemporal=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NONT
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=BUF
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell runtime-checks=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOCHECKS
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell share-kernels=false" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=NOSHARE
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=skylake-avx512" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=SKX
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=skylake-avx512 vector-bits=256" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=SKX256
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=sandybridge" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=SNB
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=znver4" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN4
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=znver3" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN3
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell tuning=zen4" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN4
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=znver4 tuning=default" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN3
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=znver5" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN5
// RUN: softmax-opt %s --softmax-cpu-pipeline="mcpu=haswell tuning=zen5" --dump-pass-pipeline 2>&1 >/dev/null | FileCheck %s --check-prefix=ZEN5

// Producers marked, row forms chosen for static shapes, each repeated op
// outlined once, then rows vectorized at the target's width, with the
// thread count known only at run time (threads=0) for the row split; empty
// parallel loops skipped before they become OpenMP regions; the output
// loops marked for streaming stores get them once the threads are in place.
// Softmax written out raised first, then what is left of a TOSA model
// lowered by the conversions alone.
// CHECK: softmax-raise
// CHECK-NEXT: func.func(
// CHECK-NEXT: tosa-to-linalg-named
// CHECK: tosa-to-linalg{
// CHECK: tosa-to-arith
// CHECK: tosa-to-tensor
// Then the C ABI, whose wrappers check the caller's sizes at run time
// before anything runs.
// CHECK: softmax-export-c-abi
// CHECK-NEXT: softmax-runtime-checks
// CHECK-NEXT: softmax-expand-mask
// CHECK-NOT: canonicalize
// CHECK: softmax-fuse
// CHECK-NEXT: softmax-tile{l1-cache-kib=32 l2-cache-kib=512 threads=0}
// CHECK-NEXT: softmax-share-kernels{min-uses=2}
// CHECK-NEXT: softmax-vectorize{f32-cached-grad=false grad-prefetch=true l1-cache-kib=32 l2-cache-kib=512 left-pack=avx2 nontemporal=true prefetch=true simplex-vector-bits=0 simplex-wide-left-pack=false softmax-grad-prefetch=true stream-across-rows=true stream-misaligned=true threads=0 unroll=4 vector-bits=256}
// CHECK: softmax-skip-empty-foralls
// CHECK-NEXT: scf-forall-to-parallel
// CHECK: convert-scf-to-openmp
// CHECK: softmax-openmp-thread-count{threads=0}
// CHECK-NEXT: softmax-nontemporal-stores{fence=true}
// CHECK-NEXT: softmax-lower-left-pack
// bf16 vectors moved as i16 once everything is in the LLVM dialect.
// CHECK: reconcile-unrealized-casts
// CHECK-NEXT: softmax-move-bf16-as-i16

// Haswell has AVX2, not AVX-512: the sparse ops' short rows left-pack
// with vpermps; with AVX-512 at 512 bits with vcompressps, at 256 bits
// with vpermps; without AVX2 (Sandy Bridge) not at all.
// SKX: softmax-vectorize{{.*}} left-pack=avx512 {{.*}}vector-bits=512}
// SKX256: softmax-vectorize{{.*}} left-pack=avx2 {{.*}}vector-bits=256}
// SNB: softmax-vectorize{{.*}} left-pack=none {{.*}}vector-bits=256}

// AMD Zen 4 (or tuning=zen4 for any CPU): the gradients neither prefetch
// the next row nor stream a row whose output starts misaligned, and
// softmax_grad's f32 pass takes ordinary stores too (measured faster
// there), nor stream softmax_grad's rows across rows (measured on Intel
// only); Zen 5 and later (or tuning=zen5) keep the gradients' defaults
// (measured faster there) but softmax_grad's next-row prefetch, with Zen
// 4's narrower sparsemax and entmax registers, their row batches packing
// with AVX-512's compress on 16 lanes; Zen 3 (or tuning=default) keeps the
// defaults.
// ZEN4: softmax-vectorize{f32-cached-grad=true grad-prefetch=false {{.*}} prefetch=true simplex-vector-bits=256 simplex-wide-left-pack=false softmax-grad-prefetch=true stream-across-rows=false stream-misaligned=false
// ZEN5: softmax-vectorize{f32-cached-grad=false grad-prefetch=true {{.*}} simplex-vector-bits=256 simplex-wide-left-pack=true softmax-grad-prefetch=false stream-across-rows=true stream-misaligned=true
// ZEN3: softmax-vectorize{f32-cached-grad=false grad-prefetch=true {{.*}} simplex-vector-bits=0 simplex-wide-left-pack=false softmax-grad-prefetch=true stream-across-rows=true stream-misaligned=true

// Streaming stores off (as on a CPU that is not x86): none marked, and no
// pass to make them.
// NONT: softmax-vectorize{{.*}} nontemporal=false
// NONT-NOT: softmax-nontemporal-stores

// Bufferized results equal to an argument (a shared kernel's destination)
// are not returned.
// BUF: one-shot-bufferize
// BUF-NEXT: drop-equivalent-buffer-results

// NOSHARE-NOT: softmax-share-kernels

// NOCHECKS: softmax-export-c-abi
// NOCHECKS-NOT: softmax-runtime-checks

// NOFUSE-NOT: softmax-fuse
// NOFUSE: softmax-vectorize

// A named CPU gets 32 KiB L1 and 512 KiB L2 unless told; the host its own.
// CACHES: softmax-tile{l1-cache-kib=48 l2-cache-kib=2048 threads=0}
// CACHES: softmax-vectorize{f32-cached-grad=false grad-prefetch=true l1-cache-kib=48 l2-cache-kib=2048 left-pack=avx2

// NOPREFETCH: softmax-vectorize{f32-cached-grad=false grad-prefetch=true l1-cache-kib=32 l2-cache-kib=512 left-pack=avx2 nontemporal=true prefetch=false

// SERIAL: softmax-tile{l1-cache-kib=32 l2-cache-kib=512 threads=1}
// SERIAL: softmax-vectorize{f32-cached-grad=false grad-prefetch=true l1-cache-kib=32 l2-cache-kib=512 left-pack=avx2 nontemporal=true prefetch=true simplex-vector-bits=0 simplex-wide-left-pack=false softmax-grad-prefetch=true stream-across-rows=true stream-misaligned=true threads=1
// SERIAL-NOT: softmax-skip-empty-foralls
// SERIAL: scf-forall-to-for
// SERIAL-NOT: convert-scf-to-openmp
// SERIAL: softmax-nontemporal-stores
func.func @f() {
  return
}
