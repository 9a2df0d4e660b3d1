// REQUIRES: cuda-toolkit
// --target=cuda: the kernels as PTX (no ptxas needed) or a cubin, with a
// JSON sidecar per kernel beside the output, and the host module.

// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %s --target=cuda --emit=ptx -o %t/k.ptx
// RUN: FileCheck %s --check-prefix=PTX < %t/k.ptx
// PTX: .target sm_90
// PTX: .entry rows_softmax_0
// PTX-NOT: .local
// PTX: ld.global.v4.b32
// PTX: shfl.sync.bfly.b32
// PTX: ex2.approx.f32
// PTX: st.global.v4.b32
// PTX: .entry wide_log_softmax_0
// PTX: .shared
// PTX: ld.global.v4.b32
// PTX: bar.sync
// PTX-NOT: .local

// RUN: FileCheck %s --check-prefix=ROWS < %t/k.rows_softmax_0.json
// ROWS-DAG: "kernel": "rows_softmax_0"
// ROWS-DAG: "ptx": "k.ptx"
// ROWS-DAG: "chip": "sm_90"
// ROWS-DAG: "op": "softmax"
// ROWS-DAG: "dtype": "f32"
// ROWS-DAG: "strategy": "warp_row"
// ROWS-DAG: "shared_mem": 0
// RUN: %PYTHON -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['shape'], d['grid'], d['block'], d['params'])" %t/k.rows_softmax_0.json | FileCheck %s --check-prefix=ROWSJ
// ROWSJ: [4096, 1024] [1024, 1, 1] [32, 4, 1] ['ptr:in', 'ptr:out']
// 8 rows of 16384: split rows, two launches sharing a workspace.
// RUN: %PYTHON -c "import json,sys; d=json.load(open(sys.argv[1])); print(d['op'], d['dtype'], d['shape'], d['strategy'], d['workspace'], [(l['kernel'], l['params'], l['grid'], l['block']) for l in d['launches']])" %t/k.wide_log_softmax_0.json | FileCheck %s --check-prefix=WIDEJ
// WIDEJ: log_softmax bf16 [8, 16384] split_row [192] [('wide_log_softmax_0_stats', ['ptr:in', 'ptr:ws0'], [16, 1, 1], [512, 1, 1]), ('wide_log_softmax_0', ['ptr:in', 'ptr:out', 'ptr:ws0'], [16, 1, 1], [512, 1, 1])]

// A length known at run time: a sidecar per variant, with the lengths it
// takes, the rows and length as arguments, and expressions in M, N and
// num_sms; 8 static rows: a number.
// RUN: %PYTHON -c "import json,sys; [print(d['kernel'], d['strategy'], d['lengths'], d.get('rows'), d['grid'], d['params'], d.get('workspace'), d['alignment']) for d in [json.load(open(f)) for f in sys.argv[1:]]]" %t/k.any_softmax_0_n256.json %t/k.any_softmax_0_n1024_unaligned.json %t/k.any_softmax_0_long.json %t/k.few_softmax_0_n32768.json | FileCheck %s --check-prefix=LENGTHS
// LENGTHS: any_softmax_0_n256 persistent_row [33, 256] None ['min(cdiv(M, 8), num_sms * 8)', 1, 1] ['ptr:in', 'ptr:out', 'i64:M', 'i64:N'] None 16
// LENGTHS: any_softmax_0_n1024_unaligned persistent_row [257, 1024] None ['min(cdiv(M, 4), num_sms * 8)', 1, 1] ['ptr:in', 'ptr:out', 'i64:M', 'i64:N'] None 2
// LENGTHS: any_softmax_0_long split_row [32769, None] None ['M * cdiv(N, 8192)', 1, 1] ['ptr:in', 'ptr:out', 'ptr:ws0', 'i64:M', 'i64:N'] ['M * cdiv(N, 8192) * 12'] 16
// LENGTHS: few_softmax_0_n32768 split_row [4097, 32768] 8 ['8 * cdiv(N, 8192)', 1, 1] ['ptr:in', 'ptr:out', 'ptr:ws0', 'i64:M', 'i64:N'] ['8 * cdiv(N, 8192) * 12'] 16

// sm_80 PTX.
// RUN: softmax-compile %s --target=cuda --chip=sm_80 --emit=ptx -o %t/k80.ptx
// RUN: FileCheck %s --check-prefix=SM80 < %t/k80.ptx
// SM80: .target sm_80

// The host side: each public function launches its kernel.
// RUN: softmax-compile %s --target=cuda --emit=mlir -o - | FileCheck %s --check-prefix=HOST
// HOST: llvm.func @rows(
// HOST: gpu.launch_func @softmax_kernels::@rows_softmax_0
// HOST: llvm.func @_mlir_ciface_rows
// HOST: gpu.binary @softmax_kernels

func.func @rows(%x: tensor<4096x1024xf32>) -> tensor<4096x1024xf32> {
  %y = softmax.softmax %x dim(1) : tensor<4096x1024xf32>
  return %y : tensor<4096x1024xf32>
}

func.func @wide(%x: tensor<8x16384xbf16>) -> tensor<8x16384xbf16> {
  %y = softmax.log_softmax %x dim(1) : tensor<8x16384xbf16>
  return %y : tensor<8x16384xbf16>
}

func.func @any(%x: tensor<?x?xbf16>) -> tensor<?x?xbf16> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xbf16>
  return %y : tensor<?x?xbf16>
}

func.func @few(%x: tensor<8x?xf32>) -> tensor<8x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<8x?xf32>
  return %y : tensor<8x?xf32>
}
