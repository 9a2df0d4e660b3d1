//===- CPUTarget.h - x86-64 code emission -----------------------*- C++ -*-===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// Turns an LLVM-dialect module into LLVM IR, assembly, an object file or a
// shared library for a CPU, and writes the C header of its exported ABI.
//
//===----------------------------------------------------------------------===//

#ifndef SOFTMAX_MLIR_TARGET_CPU_CPUTARGET_H
#define SOFTMAX_MLIR_TARGET_CPU_CPUTARGET_H

#include "mlir/IR/BuiltinOps.h"
#include "llvm/ADT/SmallString.h"
#include "llvm/ADT/SmallVector.h"
#include "llvm/Support/CodeGen.h"
#include "llvm/Support/Error.h"

#include <functional>

#include <memory>
#include <string>

namespace llvm {
class LLVMContext;
class Module;
class TargetMachine;
class raw_pwrite_stream;
} // namespace llvm

namespace mlir::softmax {

/// A CPU to compile for. An empty triple is the host's; the CPU "host" is
/// this machine's CPU with its exact feature set.
struct CPUTargetSpec {
  std::string triple;
  std::string cpu = "host";
};

/// Creates the TargetMachine for `spec` (PIC, -O3). Fails with a message for
/// an unknown triple or CPU name.
llvm::Expected<std::unique_ptr<llvm::TargetMachine>>
createCPUTargetMachine(const CPUTargetSpec &spec);

/// Bits of the widest vector registers `tm` has for floating point: 512 with
/// AVX-512, 256 with AVX, else 128.
int64_t getVectorRegisterBits(const llvm::TargetMachine &tm);

/// softmax-vectorize's left-pack for registers of `vectorBits` on `tm`:
/// "avx512" (vcompressps) for 512 bits with AVX-512F, "avx2" (vpermps) for
/// 256 with AVX2, else "none".
std::string getLeftPack(const llvm::TargetMachine &tm, int64_t vectorBits);

/// What the row loops do differently on a CPU where measurements said so
/// (docs/performance/family.md).
struct CPUTuning {
  /// The gradients' second pass prefetches the next row (softmax-vectorize's
  /// grad-prefetch).
  bool gradPrefetch = true;
  /// With gradPrefetch, softmax_grad's second pass too (softmax-vectorize's
  /// softmax-grad-prefetch).
  bool softmaxGradPrefetch = true;
  /// Gradient rows whose output starts off a register's alignment may
  /// stream it (softmax-vectorize's stream-misaligned).
  bool streamMisaligned = true;
  /// Gradient rows stream as one sequence a group of rows
  /// (softmax-vectorize's stream-across-rows).
  bool streamAcrossRows = true;
  /// softmax_grad's f32 second pass also with ordinary stores
  /// (softmax-vectorize's f32-cached-grad).
  bool f32CachedGrad = false;
  /// Bits of sparsemax's and entmax's registers where narrower than the
  /// target's (softmax-vectorize's simplex-vector-bits); 0: the target's.
  int64_t simplexVectorBits = 0;
  /// Row batches of sparsemax and entmax pack 16 lanes with AVX-512's
  /// compress where their registers are narrower
  /// (softmax-vectorize's simplex-wide-left-pack).
  bool simplexWideLeftPack = false;

  /// AMD Zen 4's: no next-row prefetch, only aligned rows streamed, the f32
  /// pass with ordinary stores too (compare_grads.py there: softmax_grad
  /// 1.1x-1.9x faster over rows of 128 to 2048 and both output alignments);
  /// sparsemax and entmax in 256-bit registers (compare_sparse.py: 1.1x-1.6x
  /// faster on rows of 128 and 1024).
  static CPUTuning zen4();
  /// AMD Zen 5's: the defaults but sparsemax and entmax in 256-bit registers
  /// (compare_sparse.py there: 1.1x-1.3x faster on rows of 128 and 1024),
  /// their row batches packing with AVX-512's compress on 16 lanes (1.05x-
  /// 1.25x faster on rows of 128 to 1024; not measured on Zen 4), and no
  /// next-row prefetch in softmax_grad (compare_grads.py, three runs:
  /// rows of 128 to 1024 f32 1.1x-1.4x faster, 2048 alike). Zen 4's other
  /// gradient choices were slower there (log_softmax_grad 1.5x-2.0x on rows
  /// of 512 to 2048 without the next-row prefetch, the others within
  /// noise).
  static CPUTuning zen5();
};

/// The tuning for `tm`'s CPU: CPUTuning::zen4() for AMD Zen 4 (znver4),
/// CPUTuning::zen5() for Zen 5 and later (znver5, ...), the defaults
/// elsewhere.
CPUTuning getCPUTuning(const llvm::TargetMachine &tm);

/// Translates the LLVM-dialect `module` to LLVM IR with `tm`'s triple and
/// data layout, and optimizes it at -O3 for `tm`. Emits an error on failure.
FailureOr<std::unique_ptr<llvm::Module>>
translateToOptimizedLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                           llvm::TargetMachine &tm);

/// Translates the LLVM-dialect `module` to LLVM IR with `tm`'s triple and
/// data layout, unoptimized. Emits an error on failure.
FailureOr<std::unique_ptr<llvm::Module>>
translateToLLVMIR(ModuleOp module, llvm::LLVMContext &llvmContext,
                  llvm::TargetMachine &tm);

/// Optimizes `llvmModule` at -O3 for `tm`.
llvm::Error optimizeLLVMModule(llvm::Module &llvmModule,
                               llvm::TargetMachine &tm);

/// The object files of `llvmModule` (unoptimized, for the target of
/// `spec`) in up to `parts` parts optimized at -O3 and compiled on as many
/// threads, for linking together: llvm::SplitModule's partitions (the
/// locals one part refers to in another become hidden externals, so the
/// linked library exports what one object would), each round-tripped
/// through bitcode into an LLVMContext of its own (a context is not
/// thread-safe) with a TargetMachine of its own. What crosses parts is not
/// optimized together: calls are not inlined (the C ABI wrappers' calls of
/// their functions; the calls of shared kernels never are), loads of a
/// constant global another part defines are not folded.
llvm::Expected<llvm::SmallVector<llvm::SmallString<0>>>
emitObjectsInParallel(llvm::Module &llvmModule, const CPUTargetSpec &spec,
                      unsigned parts);

/// Instruments every function defined in `llvmModule` (optimized) with
/// AddressSanitizer, so that each load and store, masked vector accesses
/// included, checks its bytes against the ASan runtime's shadow memory. The
/// code then needs that runtime at run time (linkSharedLibrary with
/// `sanitizeAddress`, and a host that loads it first).
void instrumentWithAddressSanitizer(llvm::Module &llvmModule,
                                    llvm::TargetMachine &tm);

/// Emits `llvmModule` as assembly or as an object file into `os`.
llvm::Error emitMachineCode(llvm::Module &llvmModule, llvm::TargetMachine &tm,
                            llvm::CodeGenFileType fileType,
                            llvm::raw_pwrite_stream &os);

/// The directory holding the runtime libraries compiled code may call
/// (LLVM's OpenMP runtime libomp.so and MLIR's libmlir_c_runner_utils.so):
/// linkSharedLibrary links them from there and records it as the library's
/// RUNPATH, and the C API's JIT loads them from there. By default (and with
/// an empty `directory`) the LLVM library directory the project was built
/// against; a package that carries its own copies (the Python wheel) sets it
/// before compiling anything: the JIT opens them once, at its first module,
/// and keeps them.
std::string getRuntimeLibraryDirectory();
void setRuntimeLibraryDirectory(llvm::StringRef directory);

/// The file of the runtime library `stem` (libomp, libmlir_c_runner_utils)
/// in the runtime library directory: `stem`.so with its links resolved, else
/// a `stem`.so.<version>; empty if there is none. Code is linked against
/// this file and the JIT loads it, so that a process maps one copy.
std::string findRuntimeLibrary(llvm::StringRef stem);

/// A linker that runs in the process: runs ld.lld's command line `args`
/// (the program name first), an error carrying its messages on failure.
using InProcessLinker =
    std::function<llvm::Error(llvm::ArrayRef<std::string> args)>;

/// Sets the linker linkSharedLibrary falls back on where the system has no
/// C compiler driver (the C API sets lld's where it was built with it).
void setInProcessLinker(InProcessLinker linker);

/// Links the object file at `objectPath` into the shared library
/// `libraryPath` with the system's C compiler driver ($CC, else clang or
/// cc), adding `extraInputs` (archives, -l options) after the object. The
/// library needs only libc and libm at run time, and what those add. With
/// `sanitizeAddress` (code from instrumentWithAddressSanitizer) the driver
/// must be clang's: the library then needs the shared ASan runtime. Without
/// a driver (and without $CC), the in-process linker (setInProcessLinker)
/// links it, with an object of what crtbeginS.o would add (__dso_handle,
/// __cxa_finalize at close), against libomp and libmlir_c_runner_utils in
/// the runtime library directory and libc, libm, libgcc_s and ld.so (and
/// for -l options, libdl, libpthread, libstdc++ only) by the files this
/// process maps (loading them if it has not): no development files needed.
llvm::Error linkSharedLibrary(llvm::StringRef objectPath,
                              llvm::StringRef libraryPath,
                              llvm::ArrayRef<std::string> extraInputs = {},
                              bool sanitizeAddress = false);

/// Writes the C header that declares the exported functions of `module`, a
/// module before lowering (public functions on tensors), and with
/// `cudaRuntime` the functions of the CUDA runtime a --target=cuda library
/// carries (its errors, the stream its calls launch on), and with
/// `runtimeChecks` what reports the run-time size checks' failures
/// (softmax-runtime-checks). Emits an error at a function whose signature
/// cannot cross the ABI.
LogicalResult emitCHeader(ModuleOp module, llvm::StringRef guard,
                          llvm::raw_ostream &os, bool cudaRuntime = false,
                          bool runtimeChecks = false);

} // namespace mlir::softmax

#endif // SOFTMAX_MLIR_TARGET_CPU_CPUTARGET_H
