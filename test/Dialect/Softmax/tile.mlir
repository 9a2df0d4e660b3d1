// RUN: softmax-opt %s --softmax-tile="threads=2" | FileCheck %s
// RUN: softmax-opt %s --softmax-tile="threads=1" | FileCheck %s --check-prefix=SERIAL
// RUN: softmax-opt %s --softmax-tile="threads=0" | FileCheck %s --check-prefix=ANY
// RUN: softmax-opt %s --softmax-tile="threads=2 l1-cache-kib=64" | FileCheck %s --check-prefix=L1
// RUN: softmax-opt %s --softmax-tile="threads=2 l2-cache-kib=1024" | FileCheck %s --check-prefix=L2

// Static shapes get the forms the cost model picks; dynamic ones are left
// for the run-time choice, pinned ones and other dims alone.
// CHECK-LABEL: func.func @forms
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "groups", softmax.store_form = "cached"} : tensor<16384x32xf32>
// CHECK: softmax.log_softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "groups", softmax.store_form = "cached"} : tensor<4096x128xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<4096x129xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "split", softmax.store_form = "cached"} : tensor<1x1048576xf32>
// CHECK: softmax.softmax %{{.*}} dim(0) {softmax.pass_form = "three_pass", softmax.row_form = "split", softmax.store_form = "cached"} : tensor<40000xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<4x262144xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<1x32767xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) : tensor<?x64xf32>
// CHECK: softmax.softmax %{{.*}} dim(0) : tensor<64x64xf32>
// CHECK: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "split", softmax.store_form = "cached"} : tensor<8x32xf32>
// One thread: never split.
// SERIAL: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<1x1048576xf32>
// SERIAL: softmax.softmax %{{.*}} dim(0) {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<40000xf32>
// Threads known at run time: up to 16 chunks, so 4 long rows split too.
// ANY: softmax.softmax %{{.*}} dim(1) {softmax.pass_form = "three_pass", softmax.row_form = "split", softmax.store_form = "cached"} : tensor<4x262144xf32>
func.func @forms(%a: tensor<16384x32xf32>, %b: tensor<4096x128xf32>, %c: tensor<4096x129xf32>,
                 %d: tensor<1x1048576xf32>, %e: tensor<40000xf32>, %f: tensor<4x262144xf32>,
                 %g: tensor<1x32767xf32>, %h: tensor<?x64xf32>, %i: tensor<64x64xf32>,
                 %j: tensor<8x32xf32>) {
  %0 = softmax.softmax %a dim(1) : tensor<16384x32xf32>
  %1 = softmax.log_softmax %b dim(1) : tensor<4096x128xf32>
  %2 = softmax.softmax %c dim(1) : tensor<4096x129xf32>
  %3 = softmax.softmax %d dim(1) : tensor<1x1048576xf32>
  %4 = softmax.softmax %e dim(0) : tensor<40000xf32>
  %5 = softmax.softmax %f dim(1) : tensor<4x262144xf32>
  %6 = softmax.softmax %g dim(1) : tensor<1x32767xf32>
  %7 = softmax.softmax %h dim(1) : tensor<?x64xf32>
  %8 = softmax.softmax %i dim(0) : tensor<64x64xf32>
  %9 = softmax.softmax %j dim(1) {softmax.row_form = "split"} : tensor<8x32xf32>
  return
}

// The pass form: online for log_softmax rows of more than 8 KiB (a quarter
// of the default 32 KiB L1; two
// passes over memory instead of three), three passes otherwise and for
// softmax (its three passes compute exp once); a pinned one is kept.
// CHECK-LABEL: func.func @pass_forms
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "nontemporal"} : tensor<4x262144xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x2048xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x2049xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x4096xf16>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x4097xf16>
// CHECK: softmax.softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<4x262144xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x64xf32>
// CHECK: softmax.log_softmax %{{.*}} : tensor<?x?xf32>
// The threshold is a quarter of the L1 cache, 16 KiB with 64 KiB.
// L1-LABEL: func.func @pass_forms
// L1: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "nontemporal"} : tensor<4x262144xf32>
// L1: softmax.log_softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x2048xf32>
// L1: softmax.log_softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<8x2049xf32>
func.func @pass_forms(%a: tensor<4x262144xf32>, %b: tensor<8x2048xf32>, %c: tensor<8x2049xf32>,
                      %d: tensor<8x4096xf16>, %e: tensor<8x4097xf16>, %f: tensor<?x?xf32>,
                      %g: tensor<8x64xf32>) {
  %0 = softmax.log_softmax %a dim(1) : tensor<4x262144xf32>
  %1 = softmax.log_softmax %b dim(1) : tensor<8x2048xf32>
  %2 = softmax.log_softmax %c dim(1) : tensor<8x2049xf32>
  %3 = softmax.log_softmax %d dim(1) : tensor<8x4096xf16>
  %4 = softmax.log_softmax %e dim(1) : tensor<8x4097xf16>
  %5 = softmax.softmax %a dim(1) : tensor<4x262144xf32>
  %6 = softmax.softmax %g dim(1) {softmax.pass_form = "online", softmax.row_form = "rows"} : tensor<8x64xf32>
  %7 = softmax.log_softmax %f dim(1) : tensor<?x?xf32>
  return
}

// The store form: streaming for rows longer than half of L2 (256 KiB of the
// default 512 KiB, in input bytes) whose output pass is the only one writing
// the output (log_softmax, softmax in the online form); cached otherwise,
// and for softmax's three passes, which reread the exps they stored. A
// pinned one is kept.
// CHECK-LABEL: func.func @store_forms
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65536xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "nontemporal"} : tensor<2x65537xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x131072xf16>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "nontemporal"} : tensor<2x131073xf16>
// CHECK: softmax.softmax %{{.*}} {softmax.pass_form = "three_pass", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65537xf32>
// CHECK: softmax.softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "nontemporal"} : tensor<2x65537xf32>
// CHECK: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65537xf32>
// The threshold is half of L2, 512 KiB with 1 MiB.
// L2-LABEL: func.func @store_forms
// L2: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65537xf32>
// L2: softmax.log_softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x131073xf16>
// L2: softmax.softmax %{{.*}} {softmax.pass_form = "online", softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65537xf32>
func.func @store_forms(%a: tensor<2x65536xf32>, %b: tensor<2x65537xf32>,
                       %c: tensor<2x131072xf16>, %d: tensor<2x131073xf16>) {
  %0 = softmax.log_softmax %a dim(1) {softmax.row_form = "rows"} : tensor<2x65536xf32>
  %1 = softmax.log_softmax %b dim(1) {softmax.row_form = "rows"} : tensor<2x65537xf32>
  %2 = softmax.log_softmax %c dim(1) {softmax.row_form = "rows"} : tensor<2x131072xf16>
  %3 = softmax.log_softmax %d dim(1) {softmax.row_form = "rows"} : tensor<2x131073xf16>
  %4 = softmax.softmax %b dim(1) {softmax.row_form = "rows"} : tensor<2x65537xf32>
  %5 = softmax.softmax %b dim(1) {softmax.pass_form = "online", softmax.row_form = "rows"} : tensor<2x65537xf32>
  %6 = softmax.log_softmax %b dim(1) {softmax.row_form = "rows", softmax.store_form = "cached"} : tensor<2x65537xf32>
  return
}
