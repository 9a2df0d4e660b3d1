/*===- SoftmaxMLIR.h - the C API of softmax-mlir --------------------*- C
-*-===*\
|*                                                                            *|
|* Part of the softmax-mlir project.                                          *|
|*                                                                            *|
|*===----------------------------------------------------------------------===*|
|*                                                                            *|
|* Compiles MLIR modules (upstream dialects plus `softmax`) for this CPU and  *|
|* loads them into the calling process, or writes them as shared libraries.   *|
|* Every exported function keeps the shared-library C ABI: for a public      *|
|* `@f`, `void _mlir_ciface_f(in0*, ..., out0*, ...)` with pointers to MLIR's *|
|* strided memref descriptors, outputs allocated by the caller. This is what *|
|* the Python package `softmax_mlir` is built on; any host may use it.       *|
|*                                                                            *|
|* Errors never abort: a failing call returns NULL (or nonzero) and sets     *|
|* `*error` to the diagnostics, each `error:` line with its location, to be  *|
|* released with smlFreeString. The functions may be called from several     *|
|* threads at once; each compilation has its own MLIR context.               *|
|*                                                                            *|
\*===----------------------------------------------------------------------===*/

#ifndef SOFTMAX_MLIR_CAPI_SOFTMAXMLIR_H
#define SOFTMAX_MLIR_CAPI_SOFTMAXMLIR_H

#include <stddef.h>

#ifdef __cplusplus
extern "C" {
#endif

/// A module compiled and loaded into this process.
typedef struct SmlModule SmlModule;

/// Compiles the MLIR module `source` (`length` bytes, called `sourceName` in
/// diagnostics) through softmax-cpu-pipeline with `options` in that
/// pipeline's syntax (for example "threads=1 mcpu=host"; NULL or "" for the
/// defaults), and loads it with MLIR's ExecutionEngine (no files written).
/// The target is this machine: a `triple` option other than the host's is an
/// error. Returns NULL on failure, with `*error` set.
SmlModule *smlCompileCPU(const char *source, size_t length,
                         const char *sourceName, const char *options,
                         char **error);

/// Sets the directory that holds the runtime libraries compiled code may
/// call (libomp.so, libmlir_c_runner_utils.so and their versioned names):
/// smlCompileCPUToLibrary links them from there and records it as the
/// library's RUNPATH, smlCompileCPU loads them from there (once, at its first
/// module, and keeps them: set it before compiling anything). The default,
/// which NULL or "" restores, is the LLVM library directory this library was
/// built against; a package that carries its own copies (the Python wheel)
/// sets it first.
void smlSetRuntimeLibraryDirectory(const char *directory);

/// Compiles as smlCompileCPU into the shared library `libraryPath` (for
/// later runs: load it with dlopen). Returns 0, or nonzero with `*error`.
int smlCompileCPUToLibrary(const char *source, size_t length,
                           const char *sourceName, const char *options,
                           const char *libraryPath, char **error);

/// Compiles the MLIR module `source` through softmax-gpu-pipeline with
/// `options` in that pipeline's syntax (for example "chip=sm_80"; NULL or ""
/// for the defaults) into the shared library `libraryPath`, as
/// `softmax-compile --target=cuda --emit=shared-lib` does: its functions
/// take device pointers, launch on the current CUDA context and on the
/// stream softmax_mlir_cuda_set_stream gave (the library exports it and
/// softmax_mlir_cuda_last_error), and embed a fatbin for the chip. The host
/// code is for this machine. `runtimeLibrary` is the CUDA runtime archive
/// (libsoftmax_mlir_cuda_runtime.a) to link; NULL for the one of the build
/// this library comes from. Needs the CUDA toolkit (libdevice, ptxas), not a
/// GPU. Returns 0, or nonzero with `*error`.
int smlCompileCUDAToLibrary(const char *source, size_t length,
                            const char *sourceName, const char *options,
                            const char *runtimeLibrary, const char *libraryPath,
                            char **error);

/// The exported functions of `source` without compiling it, one line each:
/// the name, then each C parameter as `in:` or `out:`, its element type (f16,
/// bf16, f32, f64, i1, i8, i16, i32, i64), `:` and its dims joined by `x`
/// (`?` for a dynamic one, nothing for rank 0), separated by single spaces;
/// for example "f in:f32:?x128 out:f32:?x128". Returns NULL on failure, with
/// `*error` set; release the result with smlFreeString.
char *smlDescribe(const char *source, size_t length, const char *sourceName,
                  char **error);

/// `module`'s exported functions, as smlDescribe writes them. Owned by
/// `module`.
const char *smlModuleSignatures(const SmlModule *module);

/// The address of the C ABI entry point `_mlir_ciface_<name>` of `module`,
/// or NULL when it has no such function.
void *smlModuleLookup(const SmlModule *module, const char *name);

/// Unloads `module`; its functions must not be running or called again.
void smlModuleDestroy(SmlModule *module);

/// Releases a string this API returned.
void smlFreeString(char *string);

#ifdef __cplusplus
}
#endif

#endif // SOFTMAX_MLIR_CAPI_SOFTMAXMLIR_H
