//===- Passes.td - dialect-independent passes --------------*- tablegen -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TRANSFORMS_PASSES_TD
#define SOFTMAX_MLIR_TRANSFORMS_PASSES_TD

include "mlir/Pass/PassBase.td"

def SoftmaxExportCABI : Pass<"softmax-export-c-abi", "::mlir::ModuleOp"> {
  let summary = "Give every public function the project's C ABI";
  let description = [{
    Every public function definition on ranked tensors becomes a function
    on memrefs in destination-passing style, the shared-library ABI of
    softmax-mlir: the inputs, then one caller-allocated buffer per result,
    written in place. The function is marked `llvm.emit_c_interface`, so
    `convert-func-to-llvm` exports it as
    `void _mlir_ciface_f(in0*, ..., out0*, ...)` over strided memref
    descriptors. Inputs become read-only `bufferization.to_tensor`s and the
    results are stored with `bufferization.materialize_in_destination`, so
    One-Shot Bufferize writes the results straight into the caller's
    buffers and never writes an input.

    The original body moves to a private function that the wrapper calls
    (and that the inliner folds back in); calls to `@f` inside the module
    are redirected to it.

    Before:

    ```mlir
    func.func @f(%x: tensor<?x8xf32>) -> tensor<?x8xf32>
    ```

    After:

    ```mlir
    func.func private @f__softmax_impl(%x: tensor<?x8xf32>) -> tensor<?x8xf32>
    func.func @f(%x: memref<?x8xf32>, %out0: memref<?x8xf32>)
        attributes {llvm.emit_c_interface} {
      %t = bufferization.to_tensor %x restrict : memref<?x8xf32> to tensor<?x8xf32>
      %r = call @f__softmax_impl(%t) : (tensor<?x8xf32>) -> tensor<?x8xf32>
      bufferization.materialize_in_destination %r in restrict writable %out0
          : (tensor<?x8xf32>, memref<?x8xf32>) -> ()
      return
    }
    ```

    Arguments and results must be ranked tensors of f16, bf16, f32, f64,
    i1 (a byte each, 0 or 1),
    i8, i16, i32 or i64; anything else is an error at the function.
  }];
  let dependentDialects = [
    "::mlir::bufferization::BufferizationDialect",
    "::mlir::memref::MemRefDialect",
  ];
}

def SoftmaxRuntimeChecks : Pass<"softmax-runtime-checks", "::mlir::ModuleOp"> {
  let summary = "Check the sizes a caller passes through the C ABI at run time";
  let description = [{
    Runs after `softmax-export-c-abi`, on its wrappers. A caller's memref
    descriptors carry sizes the compiled code would otherwise trust: a
    static size it was compiled for, or a dynamic one that must agree with
    another buffer's. Each wrapper first checks:

    * every static size of every parameter against the descriptor's;
    * every dynamic size of an output against the size the implementation
      gives its result, traced back (through destination-passing ops,
      `tensor.empty`, casts and `ReifyRankedShapedTypeOpInterface`, which
      the dialect's ops implement) to an input's size or a constant;
    * the sizes the dialect's ops need to agree: a gradient's `y` and `dy`,
      cross-entropy's labels (and loss gradient) against the logits' rows,
      a mask's sizes against the input's (or 1, a broadcast).

    When all hold, the body runs as before; otherwise nothing is read or
    written, and each failed check is reported: the library's exported
    `softmax_mlir_error_count` (an `int64_t`) counts it, and the message
    (`error: softmax-mlir: @f: the size of in0 in dim 1 must be 128 (the
    compiled size)`) goes to the exported callback
    `void (*softmax_mlir_error_handler)(const char *)` if the caller set it,
    else to stderr. The messages live in one NUL-separated constant a
    module (`__softmax_mlir_check_messages`), not a global each: One-Shot
    Bufferize (LLVM 22) rebuilds the module's symbol table for every call,
    so the number of symbols weighs on every function's compile. A size
    the tracing cannot relate to the inputs is not checked. The parameters
    become fully dynamic memrefs (the same descriptors), cast to their
    types after the checks.
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def SoftmaxApproximateMath : Pass<"softmax-approximate-math"> {
  let summary = "Replace f32 math.exp, math.log1p and afn math.powf with branch-free polynomials";
  let description = [{
    Rewrites every `math.exp` and `math.log1p` on f32 scalars and vectors
    into upstream MLIR's polynomial approximations (for exp: Cody-Waite
    range reduction and a minimax polynomial, scaled by building the
    exponent bits; for log1p: log(1 + x) corrected by x / ((1 + x) - 1)),
    so that they stay in registers instead of becoming libm calls, one per
    vector lane or per softmax row. An f32 `math.powf` marked `afn`
    (approximate functions allowed, as softmax-vectorize marks entmax's
    powers of f32 sums) becomes exp(e log(x)), both approximated the same
    way. The integration tests hold them to the same float64 reference as
    the libm path.

    With `nonpositive-exp`, the exp arguments are promised to be <= 0 (or
    NaN), as softmax's `x - max(x)` is, and the cheaper exp of
    `softmax-vectorize` is used instead: 17 ops, within 2 ulp on
    [-87.3, 0], exactly 0 below about -87.7 (where the true value is below
    the smallest normal f32), and unspecified for NaN arguments.

    ```mlir
    %e = math.exp %t : vector<64xf32>
    ```

    becomes a sequence of `arith`/`math.fma` ops on `vector<64xf32>`.
  }];
  let options = [
    Option<"nonpositiveExp", "nonpositive-exp", "bool", /*default=*/"false",
           "exp arguments are <= 0 or NaN: use the cheaper softmax exp">,
  ];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::math::MathDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def SoftmaxLowerLeftPack : Pass<"softmax-lower-left-pack", "ModuleOp"> {
  let summary = "Turn softmax.left_pack into the x86 instructions it names";
  let description = [{
    Rewrites every `softmax.left_pack` (after bufferization: the AVX2 form
    reads a memref.global) into LLVM's x86 intrinsics: for `"avx512"` one
    `llvm.x86.avx512.mask.compress` (vcompressps) of the register into
    itself; for `"avx2"` a `vector.load` of the row of the module's
    `@__softmax_left_pack_avx2` table (256 rows of 8 lane indices: the lanes
    a mask sets, then the others) that the mask's bits pick, and
    `llvm.x86.avx2.permps` (vpermps) by it. The count is the population
    count of the mask's bits either way.

    ```mlir
    %p, %n = softmax.left_pack %v, %keep target("avx2")
        : vector<8xf32>, vector<8xi1>
    ```

    becomes

    ```mlir
    %b = vector.bitcast %keep : vector<8xi1> to vector<1xi8>
    ...
    %i = vector.load %table[%row] : memref<2048xi32>, vector<8xi32>
    %p = llvm.call_intrinsic "llvm.x86.avx2.permps"(%v, %i)
        : (vector<8xf32>, vector<8xi32>) -> vector<8xf32>
    %n = ... math.ctpop ...
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::LLVM::LLVMDialect",
    "::mlir::math::MathDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::vector::VectorDialect",
  ];
}

def SoftmaxSkipEmptyForalls : Pass<"softmax-skip-empty-foralls"> {
  let summary = "Guard buffer-level scf.forall loops that may run no iteration";
  let description = [{
    Wraps every `scf.forall` without results (after bufferization) whose
    iteration space is not statically known to be non-empty in an `scf.if`
    that skips it when some upper bound is not above its lower bound. Once
    the loop becomes an OpenMP parallel region, an empty one would still
    wake the thread team: with sleeping workers (`OMP_WAIT_POLICY=passive`)
    that costs tens of microseconds per call. The vector row loops rely on
    it: they chain a split-row and a whole-row form, one of them empty.

    ```mlir
    scf.forall (%i) in (%n) { ... }
    ```

    becomes

    ```mlir
    %ne = arith.cmpi sgt, %n, %c0 : index
    scf.if %ne {
      scf.forall (%i) in (%n) { ... }
    }
    ```
  }];
  let dependentDialects = [
    "::mlir::arith::ArithDialect",
    "::mlir::scf::SCFDialect",
  ];
}

def SoftmaxMoveBf16AsI16 : Pass<"softmax-move-bf16-as-i16"> {
  let summary = "Move bf16 values through memory, selects and shuffles as i16";
  let description = [{
    Rewrites the LLVM dialect's data-movement ops on bf16 scalars and
    vectors (`llvm.load`, `llvm.store`, `llvm.intr.masked.load`,
    `llvm.intr.masked.store`, `llvm.select`, `llvm.shufflevector`,
    `llvm.insertelement`, `llvm.extractelement`) into the same ops on i16,
    bitcasting bf16 operands to i16 before them and i16 results back after
    them. The bits moved are the same. x86 without AVX512-BF16 legalizes
    those ops on bf16 vectors by converting every element to float and
    back, one `__truncsfbf2` libcall an element (missing from older
    libgcc); on i16 they are single instructions. With arith-expand's
    integer bf16 conversions before it, the CPU pipeline leaves LLVM no
    bf16 operation to promote. The pass never fails.

    ```mlir
    %v = llvm.intr.masked.load %p, %m, %pad {alignment = 2 : i32}
        : (!llvm.ptr, vector<16xi1>, vector<16xbf16>) -> vector<16xbf16>
    ```

    becomes

    ```mlir
    %padi = llvm.bitcast %pad : vector<16xbf16> to vector<16xi16>
    %vi = llvm.intr.masked.load %p, %m, %padi {alignment = 2 : i32}
        : (!llvm.ptr, vector<16xi1>, vector<16xi16>) -> vector<16xi16>
    %v = llvm.bitcast %vi : vector<16xi16> to vector<16xbf16>
    ```
  }];
  let dependentDialects = ["::mlir::LLVM::LLVMDialect"];
}

def SoftmaxNontemporalStores : Pass<"softmax-nontemporal-stores"> {
  let summary = "Turn the vector writes of marked loops into streaming stores";
  let description = [{
    Versions every `scf.for` that carries the integer attribute
    `softmax.nontemporal` (set by `softmax-vectorize` on the output loop of
    a row that streams its output) on the alignment of its writes. The
    writes considered are the unmasked, in-bounds 1-D
    `vector.transfer_write`s and `vector.store`s in the loop body to a
    memref whose innermost stride is 1, at indices that are loop-invariant
    but for the innermost, the induction variable (or it plus or minus an
    invariant), in a loop whose constant step moves them by a multiple of
    the attribute's value (bytes). If the address of each at the first
    iteration is a multiple of that value, checked at run time, a copy of
    the loop writes them as `vector.store`s with `nontemporal = true` and
    that alignment; LLVM then emits streaming stores (`vmovntps` on x86),
    which write whole lines to memory without first reading them or
    evicting the cache. Otherwise the loop runs as it was. The row loops
    start the marked loop on an aligned column, so the check passes unless
    the output was not written in place. The pass runs on buffers, after
    bufferization.

    Streaming stores are weakly ordered: one x86 store fence
    (`llvm.x86.sse.sfence`) follows the outermost op around such loops that
    a thread runs as a whole (the worksharing loop in an OpenMP parallel
    region, else the op in the function body), unless `fence` is false. The
    marker is removed; one that is not a positive power of two is an error.

    ```mlir
    scf.for %c = %lo to %hi step %c32 {
      vector.transfer_write %v, %out[%c0, %c] {in_bounds = [true]}
          : vector<32xf32>, memref<1x?xf32, strided<[?, 1], offset: ?>>
    } {softmax.nontemporal = 32 : i64}
    ```

    becomes

    ```mlir
    %aligned = ... (address of %out[%c0, %lo]) mod 32 == 0
    scf.if %aligned {
      scf.for %c = %lo to %hi step %c32 {
        vector.store %v, %out[%c0, %c] {alignment = 32 : i64, nontemporal = true}
            : memref<1x?xf32, strided<[?, 1], offset: ?>>, vector<32xf32>
      }
    } else {
      scf.for ... (unchanged)
    }
    llvm.call_intrinsic "llvm.x86.sse.sfence"() : () -> ()
    ```
  }];
  let options = [
    Option<"fence", "fence", "bool", /*default=*/"true",
           "Follow each loop with streaming stores by an x86 sfence">,
  ];
  let dependentDialects = [
    "::mlir::LLVM::LLVMDialect",
    "::mlir::arith::ArithDialect",
    "::mlir::memref::MemRefDialect",
    "::mlir::scf::SCFDialect",
    "::mlir::vector::VectorDialect",
  ];
}

#endif // SOFTMAX_MLIR_TRANSFORMS_PASSES_TD
