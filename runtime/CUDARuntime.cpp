//===- CUDARuntime.cpp - the mgpu* functions over the CUDA driver ---------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// The host code that MLIR's gpu-to-llvm lowering and the gpu dialect's LLVM
// translation emit calls `mgpu*` functions to load the kernels' binary and
// launch them. Debian ships no runtime for them, so this one implements the
// ones softmax-mlir's libraries call, over the CUDA driver API. The driver
// is opened with dlopen on first use: a library compiled for CUDA loads on
// a machine with no driver, and its calls then fail with a message instead
// of the process.
//
// Semantics (the shared-library ABI for --target=cuda):
// - the kernels' module loads when the library does, into the CUDA context
//   current then, or, if there is none, the primary context of device 0,
//   made current (the context PyTorch, CuPy and the runtime API use); calls
//   must run in that context (another one fails with a reported error);
// - a call runs on the legacy default stream and returns once its kernels
//   are done, or, after softmax_mlir_cuda_set_stream(stream) on the calling
//   thread, on that stream, returning once its kernels are queued there
//   (the caller orders and synchronizes, as with any work on a stream);
// - an error (no driver, no device, a failed launch) skips the rest of that
//   call; the first error is printed on stderr as `error: ...` and stays
//   readable through softmax_mlir_cuda_last_error() until
//   softmax_mlir_cuda_clear_error().
//
//===----------------------------------------------------------------------===//

#include <dlfcn.h>

#include <cstdint>
#include <cstdio>
#include <mutex>
#include <string>
#include <type_traits>
#include <vector>

namespace {

// The driver API's types, as opaque handles and an int status: all this
// file needs of cuda.h, so that it builds without a CUDA toolkit.
using CUresult = int;
using CUdevice = int;
using CUcontext = void *;
using CUmodule = void *;
using CUfunction = void *;
using CUstream = void *;
using CUdeviceptr = std::uint64_t;
constexpr CUresult kSuccess = 0;
constexpr int kMultiprocessorCountAttribute = 16; // CU_DEVICE_ATTRIBUTE_...

struct Driver {
  CUresult (*init)(unsigned);
  CUresult (*deviceGet)(CUdevice *, int);
  CUresult (*ctxGetCurrent)(CUcontext *);
  CUresult (*ctxGetDevice)(CUdevice *);
  CUresult (*deviceGetAttribute)(int *, int, CUdevice);
  CUresult (*ctxSetCurrent)(CUcontext);
  CUresult (*primaryCtxRetain)(CUcontext *, CUdevice);
  CUresult (*moduleLoadData)(CUmodule *, const void *);
  CUresult (*moduleUnload)(CUmodule);
  CUresult (*moduleGetFunction)(CUfunction *, CUmodule, const char *);
  CUresult (*launchKernel)(CUfunction, unsigned, unsigned, unsigned, unsigned,
                           unsigned, unsigned, unsigned, CUstream, void **,
                           void **);
  CUresult (*streamSynchronize)(CUstream);
  CUresult (*ctxSynchronize)();
  CUresult (*memAlloc)(CUdeviceptr *, std::size_t);
  CUresult (*memFree)(CUdeviceptr);
  CUresult (*memcpy)(CUdeviceptr, CUdeviceptr, std::size_t);
  CUresult (*memsetD32)(CUdeviceptr, unsigned, std::size_t);
  CUresult (*getErrorString)(CUresult, const char **);
};

// The kernels' module loads from a constructor with a higher priority than
// ordinary static initialisers, so the error state is built on first use:
// a namespace-scope std::string would be initialised (emptied) after it.
std::mutex mutex; // constexpr-constructed
std::string &lastError() {
  static std::string error;
  return error;
}

/// Whether the current call (on this thread) has failed: its remaining
/// launches are skipped. Every call starts with mgpuStreamCreate, which
/// resets it.
thread_local bool callFailed = false;

/// The stream the calling thread's calls launch on: null, the legacy
/// default stream (calls then wait for their kernels), or the caller's.
thread_local CUstream callStream = nullptr;

/// Records (and prints, the first time) an error; fails the current call.
void setError(const std::string &message) {
  callFailed = true;
  std::lock_guard<std::mutex> lock(mutex);
  if (!lastError().empty())
    return;
  lastError() = message;
  std::fprintf(stderr, "error: softmax-mlir CUDA runtime: %s\n",
               message.c_str());
}

bool hasError() { return callFailed; }

/// The driver, opened and initialised once; null (with the error set) if
/// it is not there.
const Driver *getDriver() {
  static const Driver *driver = []() -> const Driver * {
    void *handle = dlopen("libcuda.so.1", RTLD_NOW | RTLD_LOCAL);
    if (!handle) {
      setError("no CUDA driver (libcuda.so.1 could not be loaded)");
      return nullptr;
    }
    static Driver d;
    bool complete = true;
    auto load = [&](auto &fn, const char *name) {
      fn = reinterpret_cast<std::remove_reference_t<decltype(fn)>>(
          dlsym(handle, name));
      complete = complete && fn;
    };
    load(d.init, "cuInit");
    load(d.deviceGet, "cuDeviceGet");
    load(d.ctxGetCurrent, "cuCtxGetCurrent");
    load(d.ctxGetDevice, "cuCtxGetDevice");
    load(d.deviceGetAttribute, "cuDeviceGetAttribute");
    load(d.ctxSetCurrent, "cuCtxSetCurrent");
    load(d.primaryCtxRetain, "cuDevicePrimaryCtxRetain");
    load(d.moduleLoadData, "cuModuleLoadData");
    load(d.moduleUnload, "cuModuleUnload");
    load(d.moduleGetFunction, "cuModuleGetFunction");
    load(d.launchKernel, "cuLaunchKernel");
    load(d.streamSynchronize, "cuStreamSynchronize");
    load(d.ctxSynchronize, "cuCtxSynchronize");
    load(d.memAlloc, "cuMemAlloc_v2");
    load(d.memFree, "cuMemFree_v2");
    load(d.memcpy, "cuMemcpy");
    load(d.memsetD32, "cuMemsetD32_v2");
    load(d.getErrorString, "cuGetErrorString");
    if (!complete) {
      setError("the CUDA driver lacks a function softmax-mlir needs");
      return nullptr;
    }
    if (CUresult status = d.init(0); status != kSuccess) {
      setError("cuInit failed with CUDA error " + std::to_string(status));
      return nullptr;
    }
    return &d;
  }();
  return driver;
}

/// Checks a driver call; records its error.
bool check(const Driver *d, CUresult status, const char *what) {
  if (status == kSuccess)
    return true;
  const char *name = nullptr;
  d->getErrorString(status, &name);
  setError(std::string(what) + " failed: " +
           (name ? name : "CUDA error " + std::to_string(status)));
  return false;
}

/// The driver with a current context (the calling thread's, else device
/// 0's primary one), or null.
const Driver *getDriverInContext() {
  const Driver *d = getDriver();
  if (!d)
    return nullptr;
  CUcontext context = nullptr;
  if (!check(d, d->ctxGetCurrent(&context), "cuCtxGetCurrent"))
    return nullptr;
  if (context)
    return d;
  CUdevice device = 0;
  if (!check(d, d->deviceGet(&device, 0), "cuDeviceGet") ||
      !check(d, d->primaryCtxRetain(&context, device),
             "cuDevicePrimaryCtxRetain") ||
      !check(d, d->ctxSetCurrent(context), "cuCtxSetCurrent"))
    return nullptr;
  return d;
}

} // namespace

extern "C" {

/// The first error since the last clear, or null: a copy of this thread's,
/// valid until its next call here.
const char *softmax_mlir_cuda_last_error(void) {
  thread_local std::string copy;
  std::lock_guard<std::mutex> lock(mutex);
  if (lastError().empty())
    return nullptr;
  copy = lastError();
  return copy.c_str();
}

void softmax_mlir_cuda_clear_error(void) {
  std::lock_guard<std::mutex> lock(mutex);
  lastError().clear();
}

/// The multiprocessors of the current context's device, which a persistent
/// grid's size is a multiple of (at most); 1 after an error, which fails the
/// call. Devices are asked once.
std::int32_t softmax_mlir_cuda_multiprocessor_count(void) {
  constexpr int kMaxDevices = 64;
  static std::int32_t counts[kMaxDevices] = {};
  const Driver *d = getDriverInContext();
  CUdevice device = 0;
  if (!d || !check(d, d->ctxGetDevice(&device), "cuCtxGetDevice"))
    return 1;
  if (device >= 0 && device < kMaxDevices) {
    std::lock_guard<std::mutex> lock(mutex);
    if (counts[device])
      return counts[device];
  }
  int count = 0;
  if (!check(
          d,
          d->deviceGetAttribute(&count, kMultiprocessorCountAttribute, device),
          "cuDeviceGetAttribute") ||
      count < 1)
    return 1;
  if (device >= 0 && device < kMaxDevices) {
    std::lock_guard<std::mutex> lock(mutex);
    counts[device] = count;
  }
  return count;
}

// Modules: the binary (cubin, fatbin, or PTX the driver compiles) embedded
// in the library, loaded when it is.
void *mgpuModuleLoad(void *data, std::int64_t /*size*/) {
  const Driver *d = getDriverInContext();
  CUmodule module = nullptr;
  if (d)
    check(d, d->moduleLoadData(&module, data), "cuModuleLoadData");
  return module;
}

void *mgpuModuleLoadJIT(void *data, int /*optLevel*/) {
  return mgpuModuleLoad(data, 0);
}

void mgpuModuleUnload(void *module) {
  // At exit the driver may already be shut down: nothing to report then.
  if (const Driver *d = module ? getDriver() : nullptr)
    d->moduleUnload(module);
}

void *mgpuModuleGetFunction(void *module, const char *name) {
  const Driver *d = getDriverInContext();
  if (!d)
    return nullptr;
  if (!module) {
    setError(std::string("kernel '") + name +
             "' has no module: the GPU binary did not load");
    return nullptr;
  }
  CUfunction function = nullptr;
  check(d, d->moduleGetFunction(&function, module, name),
        "cuModuleGetFunction");
  return function;
}

/// Sets the stream the calling thread's calls launch on (a CUstream of the
/// library's context), or with null the legacy default stream again. On a
/// stream of its own, a call returns once its kernels are queued.
void softmax_mlir_cuda_set_stream(void *stream) { callStream = stream; }

// Streams: a call (each launch, or a split row's launches) starts here, on
// the thread's stream; it waits for its kernels only on the default one.
void *mgpuStreamCreate() {
  callFailed = false;
  return callStream;
}

void mgpuStreamDestroy(void * /*stream*/) {}

void mgpuStreamSynchronize(void *stream) {
  if (hasError() || stream)
    return;
  if (const Driver *d = getDriverInContext())
    check(d, d->streamSynchronize(stream), "cuStreamSynchronize");
}

void mgpuLaunchKernel(void *function, std::int64_t gridX, std::int64_t gridY,
                      std::int64_t gridZ, std::int64_t blockX,
                      std::int64_t blockY, std::int64_t blockZ,
                      std::int32_t sharedMemBytes, void *stream, void **params,
                      void **extra, std::size_t /*paramsCount*/) {
  if (hasError() || !function)
    return;
  if (const Driver *d = getDriverInContext())
    check(d,
          d->launchKernel(function, gridX, gridY, gridZ, blockX, blockY, blockZ,
                          sharedMemBytes, stream, params, extra),
          "cuLaunchKernel");
}

} // extern "C"

// Memory, for host code that allocates (device memory only): a split row's
// workspace each call. Freed blocks are kept for reuse by size (a few of
// them), so that a call does not pay cuMemAlloc and cuMemFree each time.
namespace {
struct Block {
  std::uint64_t bytes;
  CUdeviceptr ptr;
  CUcontext context;
  CUstream stream;
};
constexpr std::size_t kMaxFreeBlocks = 16;
// Guarded by `mutex`: blocks handed out (mgpuMemFree is not told a size),
// and freed blocks kept for reuse, oldest first.
std::vector<Block> &liveBlocks() {
  static std::vector<Block> blocks;
  return blocks;
}
std::vector<Block> &freeBlocks() {
  static std::vector<Block> blocks;
  return blocks;
}
} // namespace

extern "C" {

void *mgpuMemAlloc(std::uint64_t bytes, void *stream, bool isHostShared) {
  const Driver *d = getDriverInContext();
  if (!d)
    return nullptr;
  if (isHostShared) {
    setError("host-shared allocations are not supported");
    return nullptr;
  }
  if (!bytes)
    return nullptr;
  // A block is reused only in the context and on the stream it was freed
  // on: the work queued there before uses it first.
  CUcontext context = nullptr;
  d->ctxGetCurrent(&context);
  CUdeviceptr ptr = 0;
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Block> &blocks = freeBlocks();
    for (auto it = blocks.begin(); it != blocks.end(); ++it) {
      if (it->bytes == bytes && it->context == context &&
          it->stream == stream) {
        ptr = it->ptr;
        blocks.erase(it);
        break;
      }
    }
  }
  if (!ptr && !check(d, d->memAlloc(&ptr, bytes), "cuMemAlloc"))
    return nullptr;
  std::lock_guard<std::mutex> lock(mutex);
  liveBlocks().push_back({bytes, ptr, context, stream});
  return reinterpret_cast<void *>(ptr);
}

void mgpuMemFree(void *ptr, void *stream) {
  const Driver *d = ptr ? getDriverInContext() : nullptr;
  if (!d)
    return;
  // The block may still be in use by work queued on the stream: it is kept
  // for that stream's next calls, which come after that work.
  CUdeviceptr block = reinterpret_cast<CUdeviceptr>(ptr);
  CUdeviceptr release = block;
  {
    std::lock_guard<std::mutex> lock(mutex);
    std::vector<Block> &live = liveBlocks();
    for (auto it = live.begin(); it != live.end(); ++it) {
      if (it->ptr != block)
        continue;
      freeBlocks().push_back(*it);
      freeBlocks().back().stream = static_cast<CUstream>(stream);
      live.erase(it);
      release = 0;
      if (freeBlocks().size() > kMaxFreeBlocks) {
        release = freeBlocks().front().ptr;
        freeBlocks().erase(freeBlocks().begin());
      }
      break;
    }
  }
  // The oldest free block goes, once whatever was queued is done (its
  // stream may no longer exist).
  if (release && check(d, d->ctxSynchronize(), "cuCtxSynchronize"))
    check(d, d->memFree(release), "cuMemFree");
}

void mgpuMemcpy(void *dst, void *src, std::size_t bytes, void * /*stream*/) {
  if (const Driver *d = getDriverInContext())
    check(d,
          d->memcpy(reinterpret_cast<CUdeviceptr>(dst),
                    reinterpret_cast<CUdeviceptr>(src), bytes),
          "cuMemcpy");
}

void mgpuMemset32(void *dst, unsigned value, std::size_t count,
                  void * /*stream*/) {
  if (const Driver *d = getDriverInContext())
    check(d, d->memsetD32(reinterpret_cast<CUdeviceptr>(dst), value, count),
          "cuMemsetD32");
}

} // extern "C"
