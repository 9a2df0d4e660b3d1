//===- Passes.td - target-specific passes ------------------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_CONVERSION_PASSES_TD
#define SOFTMAX_MLIR_CONVERSION_PASSES_TD

include "mlir/Pass/PassBase.td"

def SoftmaxAttachCPUTarget
    : Pass<"softmax-attach-cpu-target", "::mlir::ModuleOp"> {
  let summary = "Set the target triple, data layout and CPU of an LLVM-dialect module";
  let description = [{
    Resolves the CPU target (`mcpu=host` is this machine, with its exact
    feature set) and records it where the translation to LLVM IR reads it:
    `llvm.target_triple` and `llvm.data_layout` on the module, and
    `target_cpu`/`target_features` on every `llvm.func` with a body. Without
    them, LLVM falls back to a generic x86-64 and, for example, expands
    `memcpy` into a byte loop. An unknown CPU or triple is an error.

    ```mlir
    module attributes {llvm.data_layout = "e-m:e-p270:32:32-...",
                       llvm.target_triple = "x86_64-unknown-linux-gnu"} {
      llvm.func @f() attributes {target_cpu = "znver4",
                                 target_features = #llvm.target_features<[...]>}
    }
    ```
  }];
  let options = [
    Option<"triple", "triple", "std::string", /*default=*/"\"\"",
           "Target triple (default: the host's)">,
    Option<"mcpu", "mcpu", "std::string", /*default=*/"\"host\"",
           "Target CPU, as llc's -mcpu ('host' is this machine)">,
  ];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SoftmaxOpenMPThreadCount
    : Pass<"softmax-openmp-thread-count", "::mlir::ModuleOp"> {
  let summary = "Give every omp.parallel the run-time thread count";
  let description = [{
    Sets the `num_threads` of every `omp.parallel` to a value computed when
    the region starts: the environment variable `SOFTMAX_MLIR_NUM_THREADS`
    if it holds a positive integer, else the `threads` option, else (for
    `threads=0`) `omp_get_max_threads()`, which is all cores unless
    `OMP_NUM_THREADS` says otherwise. The value comes from a private helper
    function added to the module, so that a compiled library needs nothing
    but libc and the OpenMP runtime.

    ```mlir
    omp.parallel {
    ```

    becomes

    ```mlir
    %n = func.call @__softmax_mlir_num_threads(%c0_i32) : (i32) -> i32
    omp.parallel num_threads(%n : i32) {
    ```
  }];
  let options = [
    Option<"threads", "threads", "int64_t", /*default=*/"0",
           "Threads when SOFTMAX_MLIR_NUM_THREADS is unset (0: all cores)">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::func::FuncDialect",
    "::mlir::LLVM::LLVMDialect",
  ];
}

def ConvertSoftmaxToGPU : Pass<"convert-softmax-to-gpu", "::mlir::ModuleOp"> {
  let summary = "Lower softmax ops to GPU row kernels and their launches";
  let description = [{
    Replaces every op of the dialect (`softmax.softmax` and
    `softmax.log_softmax` first of all) with `gpu.launch_func`s of kernels built for it in the `gpu.module`
    `@softmax_kernels`, by the strategy `softmax-gpu-strategy` recorded in
    `softmax.gpu_strategy` (see that pass): one kernel for `warp_row`,
    `persistent_row` and `block_row`, which read the op's input and write
    its output once each;
    two for `split_row`, which share a workspace allocated for the call
    (`gpu.alloc async`, one stream): the first writes each chunk's (max,
    sum, count), the second merges a row's and writes the chunk. Accesses
    are 16-byte vectors where the row length allows, and buffers that turn
    out not to be 16-byte aligned at run time take element-wise variants of
    the kernels (the C ABI promises only the element's alignment).
    Reductions use warp shuffles (`gpu.shuffle xor`) and, across warps,
    shared memory; `exp2` of a `log2(e)`-scaled argument; f32 math for f16
    and bf16.

    The op must read a buffer and write its result to one, as
    `softmax-export-c-abi` and inlining leave a public function: its input a
    `bufferization.to_tensor` of a memref, its only use a
    `bufferization.materialize_in_destination` into a memref with the
    identity layout. The launches then work on those buffers (collapsed to
    rows x length), which hold device memory. The rows may be dynamic: the
    grid is computed at run time, and no kernel runs for zero rows. A row
    length known at run time (`by_length`) compiles to a kernel variant
    for each range of lengths, the host choosing the one that holds it
    (and the vector kernels only if the rows are whole 16-byte vectors).
    Every other case is an error for now, as is any tensor computation left
    in a function (it would run on the host over device memory):
    f16/bf16/f32, the innermost dim, or another dim of a static shape.

    The rest of the dialect lowers the same way for static shapes over the
    innermost dim (`warp_row` and `block_row`): a kernel (and its
    element-wise twin) a op, each operand a function argument's buffer
    (rows as rows x length; labels, losses and masks flat), the row in the
    registers of a warp or a block from its loads to its stores. The
    gradients reduce their row sums in the CPU's types (f64 for f32);
    sparsemax and entmax run the CPU's threshold search (support refinement;
    entmax's bracketed Newton / bisection / exact quadratic) as an
    `scf.while` whose rounds reduce across the group; cross-entropy reads
    the label's logit from the row and writes the loss from the group's
    first thread, its gradient taking p - 1 at a label that is the maximum
    as -(the others' sum) / sum (in f32, as softmax's kernels: the CPU
    sums in f64); entmax with alpha = 2 is sparsemax's kernel; masked softmax applies scale, mask and the
    causal test as it loads. A row longer than the op's threads hold
    without spilling (getFamilyMaxRowLength) is an error.

    ```mlir
    %t = bufferization.to_tensor %x restrict : memref<64x1024xf32> to tensor<64x1024xf32>
    %y = softmax.softmax %t dim(1) {softmax.gpu_strategy = "warp_row"} : tensor<64x1024xf32>
    bufferization.materialize_in_destination %y in restrict writable %out : (tensor<64x1024xf32>, memref<64x1024xf32>) -> ()
    ```

    becomes (the unaligned branch aside)

    ```mlir
    gpu.launch_func @softmax_kernels::@f_softmax_0 blocks in (%c16, %c1, %c1) threads in (%c32, %c4, %c1) args(%x : memref<64x1024xf32>, %out : memref<64x1024xf32>)
    ```

    The last kernel of each op carries `softmax.kernel`, a dictionary of
    what a launcher needs (`op`, `dtype`, `strategy`, `shape`, `alignment`,
    `launches` with each kernel's `params`, `grid` and `block`, and the
    `workspace` bytes), from which `softmax-compile` writes its JSON
    sidecar; sizes that depend on dynamic rows are expressions in `M`.
    A persistent grid is at most a number of blocks per multiprocessor of
    the device: the host code asks the runtime for them
    (`softmax_mlir_cuda_multiprocessor_count`), the sidecar's grid says
    `min(..., num_sms * B)`.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::func::FuncDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // SOFTMAX_MLIR_CONVERSION_PASSES_TD
