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

    The launches go where the op is, over buffers: an operand that is a
    `bufferization.to_tensor` of a memref with the identity layout (a
    function argument, as `softmax-export-c-abi` and inlining leave a
    public function) is read there, any other through a
    `bufferization.to_buffer`; the result is written into the memref of its
    only use, a `bufferization.materialize_in_destination` (a function
    result), else into a new `memref.alloc` whose
    `bufferization.to_tensor` replaces it. One-Shot Bufferize then gives
    the rest of a model its buffers, all device memory (see
    `softmax-gpu-map-loops`, `softmax-gpu-device-memory`). The launches
    work on the buffers collapsed to rows x length. The rows may be
    dynamic: the grid is computed at run time, and no kernel runs for zero
    rows. A row length known at run time (`by_length`) compiles to a kernel
    variant for each range of lengths, the host choosing the one that holds
    it (and the vector kernels only if the rows are whole 16-byte vectors).
    What softmax and log_softmax take: f16/bf16/f32, the innermost dim, or
    another dim of a static shape.

    The rest of the dialect lowers the same way for static shapes over the
    innermost dim (`warp_row` and `block_row`): a kernel (and its
    element-wise twin) a op, over its operands' buffers (rows as rows x
    length; labels, losses and masks flat), the row in the
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

def SoftmaxGPUMapLoops : Pass<"softmax-gpu-map-loops", "::mlir::func::FuncOp"> {
  let summary = "Map a bufferized model's loops to GPU blocks and threads";
  let description = [{
    The part of `softmax-gpu-pipeline` that puts whatever is not a softmax
    op on the device. In the functions `softmax-export-c-abi` exported
    (`llvm.emit_c_interface`), whose buffers are device memory, after
    bufferization: every `memref.copy` becomes a copy loop (one of a buffer
    onto itself, nothing); every linalg op (matmul, batch_matmul, generic,
    fill, transpose, ...) becomes `scf.parallel` loops over its parallel
    dims with its reduction dims sequential in them (moved innermost first,
    a named op generalized for it); and every other computation that reads
    or writes device memory outside a parallel loop (a reduction to a
    scalar, a store of a rank-0 buffer, a host `scf.for` around them) is
    wrapped, a run of such ops with the side-effect-free ops between them
    at a time, in a parallel loop of one iteration, so that it runs on the
    device as one thread (a new buffer among them, or a side-effect-free op
    the host needs, stays before the loop). Loops without iterations are
    erased (a grid of size 0 is an error in CUDA); a `cf.assert` goes into
    an `scf.if` of its failure.
    Each outermost parallel loop then has its innermost dim tiled by up to
    256 (a multiple of 32 no larger than the dim needs) and gets
    `mapping` attributes for `convert-parallel-loops-to-gpu`: the tiles of
    the innermost dim to blocks x, the next two dims to blocks y and z
    (where they have at most 65535 iterations; else they run sequentially,
    as do further dims), the tile's iterations to threads x, and nested
    parallel loops sequentially in their thread. The kernels are naive
    (an output element a thread; matmul's dot products from global memory)
    but sound; softmax ops have their own kernels (`convert-softmax-to-gpu`).
    A computation whose result the host needs (a scalar read from a
    buffer and used by host code, such as a launch's grid) is an error, as
    is a call over device memory: the host cannot read device memory, and
    a kernel cannot call a host function.

    ```mlir
    linalg.matmul ins(%a, %b : memref<8x64xf32>, memref<64x10xf32>) outs(%c : memref<8x10xf32>)
    ```

    becomes

    ```mlir
    scf.parallel (%i, %jt) = (%c0, %c0) to (%c8, %c10) step (%c1, %c32) {
      scf.parallel (%ii, %j) = (%c0, %c0) to (%c1, %c32) step (%c1, %c1) {
        scf.if %in_bounds {
          scf.for %k = %c0 to %c64 step %c1 { ... }
        }
      } {mapping = [#gpu.loop_dim_map<processor = sequential, ...>, #gpu.loop_dim_map<processor = thread_x, ...>]}
    } {mapping = [#gpu.loop_dim_map<processor = block_y, ...>, #gpu.loop_dim_map<processor = block_x, ...>]}
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::gpu::GPUDialect",
    "::mlir::linalg::LinalgDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def SoftmaxGPUOutlineKernels
    : Pass<"softmax-gpu-outline-kernels", "::mlir::ModuleOp"> {
  let summary = "Outline gpu.launch bodies into the softmax kernels' module";
  let description = [{
    Outlines every `gpu.launch` of the module's functions into a `gpu.func`
    of the `gpu.module @softmax_kernels` that `convert-softmax-to-gpu`
    fills (created if missing), named after its function
    (`@f_kernel_0`, ...), and replaces it with a `gpu.launch_func`, so that
    a model's kernels and its softmax kernels are one binary. Constants and
    `memref.get_global`s the body uses are sunk into it first, and the
    globals those read are copied into the kernels' module: a model's
    weights become device globals of the binary instead of host memory.
    Upstream `gpu-kernel-outlining` does the same into a module per
    function.
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def SoftmaxGPUDeviceMemory
    : Pass<"softmax-gpu-device-memory", "::mlir::ModuleOp"> {
  let summary = "Allocate a GPU model's buffers on the device and check the host never touches them";
  let description = [{
    In the functions `softmax-export-c-abi` exported (`llvm.emit_c_interface`),
    whose arguments are device pointers: every `memref.alloc` (in the
    function's body; one in a nested region is an error) becomes a
    `gpu.alloc`, freed before the function returns (the kernels of a call
    run in order, each done before the next host step; the GPU pipeline
    bufferizes without upstream's deallocation, which does not know GPU
    launches, so a `memref.dealloc` here is an error). A global that a
    `gpu.launch_func` reads from the host, directly or through views (a
    constant mask a softmax kernel takes), is copied to a device buffer when
    the call starts (`gpu.memcpy`) and the views are rebuilt on the copy.
    Then it checks what the host code does with device memory (any buffer
    but a view of a `memref.alloca` or a global, which live on the host):
    reading or writing it (an op with a read or write effect on it, or an
    op of unknown effects that takes it) is an error, as is a launch of a
    kernel with a buffer on the host stack, of a dynamic shape, or with a
    layout other than the identity (the kernels take bare pointers). The
    allocations, copies and frees go on a stream the host then waits for,
    as gpu-to-llvm lowers them.

    ```mlir
    %a = memref.alloc() : memref<8x128xf32>
    ...
    return
    ```

    becomes

    ```mlir
    %s = gpu.wait async
    %a, %t = gpu.alloc async [%s] () : memref<8x128xf32>
    gpu.wait [%t]
    ...
    %s2 = gpu.wait async
    %t2 = gpu.dealloc async [%s2] %a : memref<8x128xf32>
    gpu.wait [%t2]
    return
    ```
  }];
  let dependentDialects = [
    "::mlir::gpu::GPUDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

#endif // SOFTMAX_MLIR_CONVERSION_PASSES_TD
