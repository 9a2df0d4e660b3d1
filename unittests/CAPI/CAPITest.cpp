//===- CAPITest.cpp - the C API: compile, load, call, report --------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/CAPI/SoftmaxMLIR.h"

#include "gtest/gtest.h"

#include <dlfcn.h>
#include <unistd.h>

#include <cmath>
#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <string>
#include <thread>
#include <vector>

namespace {
const char *kModule = R"mlir(
func.func @probs(%x: tensor<?x5xf32>) -> tensor<?x5xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x5xf32>
  return %y : tensor<?x5xf32>
}
func.func private @helper(%x: tensor<2xf32>) -> tensor<2xf32> {
  return %x : tensor<2xf32>
}
)mlir";

struct Memref2D {
  float *allocated;
  float *aligned;
  int64_t offset;
  int64_t sizes[2];
  int64_t strides[2];
};
using ProbsFn = void (*)(Memref2D *, Memref2D *);

/// Runs probs on 3 rows and checks them against a double softmax.
void checkProbs(ProbsFn probs) {
  float x[15], y[15];
  for (int i = 0; i < 15; ++i)
    x[i] = 0.5f * (float)(i % 7) - 1.0f;
  Memref2D in{x, x, 0, {3, 5}, {5, 1}}, out{y, y, 0, {3, 5}, {5, 1}};
  probs(&in, &out);
  for (int r = 0; r < 3; ++r) {
    double sum = 0;
    for (int c = 0; c < 5; ++c)
      sum += std::exp((double)x[5 * r + c]);
    for (int c = 0; c < 5; ++c)
      EXPECT_NEAR(y[5 * r + c], std::exp((double)x[5 * r + c]) / sum, 1e-6);
  }
}

std::string take(char *string) {
  std::string result = string ? string : "";
  smlFreeString(string);
  return result;
}

/// A new empty file /tmp/softmax-capi-*.so for a library, or "".
std::string makeLibraryPath() {
  char path[] = "/tmp/softmax-capi-XXXXXX.so";
  int fd = mkstemps(path, 3);
  if (fd < 0)
    return "";
  close(fd);
  return path;
}

TEST(CAPI, CompilesLoadsAndCalls) {
  char *error = nullptr;
  SmlModule *module = smlCompileCPU(kModule, std::strlen(kModule), "probs.mlir",
                                    "threads=1", &error);
  ASSERT_NE(module, nullptr) << take(error);
  EXPECT_STREQ(smlModuleSignatures(module), "probs in:f32:?x5 out:f32:?x5\n");
  EXPECT_EQ(smlModuleLookup(module, "helper"), nullptr);
  EXPECT_EQ(smlModuleLookup(module, "missing"), nullptr);
  auto probs = reinterpret_cast<ProbsFn>(smlModuleLookup(module, "probs"));
  ASSERT_NE(probs, nullptr);
  checkProbs(probs);
  smlModuleDestroy(module);
}

TEST(CAPI, ThreadedCodeRuns) {
  char *error = nullptr;
  SmlModule *module = smlCompileCPU(kModule, std::strlen(kModule), "probs.mlir",
                                    "threads=0", &error);
  ASSERT_NE(module, nullptr) << take(error);
  checkProbs(reinterpret_cast<ProbsFn>(smlModuleLookup(module, "probs")));
  smlModuleDestroy(module);
}

TEST(CAPI, WritesALibrary) {
  std::string name = makeLibraryPath();
  ASSERT_FALSE(name.empty());
  const char *path = name.c_str();
  char *error = nullptr;
  ASSERT_EQ(smlCompileCPUToLibrary(kModule, std::strlen(kModule), "probs.mlir",
                                   "", path, &error),
            0)
      << take(error);
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  checkProbs(reinterpret_cast<ProbsFn>(dlsym(library, "_mlir_ciface_probs")));
  dlclose(library);
  std::remove(path);
}

/// Whether the CUDA toolkit the GPU pipeline needs is installed.
bool hasCUDAToolkit() {
  const char *home = std::getenv("CUDA_HOME");
  std::string libdevice = std::string(home ? home : "/usr/local/cuda") +
                          "/nvvm/libdevice/libdevice.10.bc";
  return access(libdevice.c_str(), R_OK) == 0;
}

TEST(CAPI, WritesACUDALibrary) {
  if (!hasCUDAToolkit())
    GTEST_SKIP() << "no CUDA toolkit";
  std::string name = makeLibraryPath();
  ASSERT_FALSE(name.empty());
  const char *path = name.c_str();
  char *error = nullptr;
  ASSERT_EQ(smlCompileCUDAToLibrary(kModule, std::strlen(kModule), "probs.mlir",
                                    "chip=sm_80", nullptr, path, &error),
            0)
      << take(error);
  // Loading needs no GPU: the C ABI entry point and the runtime's are there
  // (running them is for a machine with one).
  void *library = dlopen(path, RTLD_NOW | RTLD_LOCAL);
  ASSERT_NE(library, nullptr) << dlerror();
  EXPECT_NE(dlsym(library, "_mlir_ciface_probs"), nullptr);
  EXPECT_NE(dlsym(library, "softmax_mlir_cuda_set_stream"), nullptr);
  EXPECT_NE(dlsym(library, "softmax_mlir_cuda_last_error"), nullptr);
  dlclose(library);
  std::remove(path);

  // Bad options and chips are errors, not aborts.
  EXPECT_NE(smlCompileCUDAToLibrary(kModule, std::strlen(kModule), "",
                                    "chip=sm_99", nullptr, path, &error),
            0);
  EXPECT_NE(take(error).find("error: unknown chip 'sm_99'"), std::string::npos);
  EXPECT_NE(smlCompileCUDAToLibrary(kModule, std::strlen(kModule), "",
                                    "threads=1", nullptr, path, &error),
            0);
  EXPECT_NE(take(error).find("no such option threads"), std::string::npos);
}

TEST(CAPI, DescribesWithoutCompiling) {
  char *error = nullptr;
  std::string text =
      take(smlDescribe(kModule, std::strlen(kModule), "", &error));
  EXPECT_EQ(text, "probs in:f32:?x5 out:f32:?x5\n");
}

TEST(CAPI, ReportsErrorsWithLocations) {
  const char *bad = "func.func @f(%x: tensor<4xf32>) -> tensor<4xf32> {\n"
                    "  %y = softmax.softmax %x dim(3) : tensor<4xf32>\n"
                    "  return %y : tensor<4xf32>\n}\n";
  char *error = nullptr;
  EXPECT_EQ(smlCompileCPU(bad, std::strlen(bad), "bad.mlir", "", &error),
            nullptr);
  std::string message = take(error);
  EXPECT_NE(message.find("bad.mlir:2:"), std::string::npos) << message;
  EXPECT_NE(message.find("error:"), std::string::npos) << message;

  error = nullptr;
  EXPECT_EQ(smlCompileCPU("func.func @f(", 13, nullptr, "", &error), nullptr);
  EXPECT_NE(take(error).find("<source>:1:"), std::string::npos);

  error = nullptr;
  EXPECT_EQ(
      smlCompileCPU(kModule, std::strlen(kModule), "", "threads=x", &error),
      nullptr);
  EXPECT_NE(take(error).find("invalid softmax-cpu-pipeline options"),
            std::string::npos);

  error = nullptr;
  EXPECT_EQ(smlCompileCPU(kModule, std::strlen(kModule), "",
                          "triple=aarch64-linux-gnu", &error),
            nullptr);
  EXPECT_NE(take(error).find("error:"), std::string::npos);

  error = nullptr;
  EXPECT_NE(smlCompileCPUToLibrary(kModule, std::strlen(kModule), "", "",
                                   "/nonexistent/dir/x.so", &error),
            0);
  EXPECT_NE(take(error).find("error:"), std::string::npos);
}

TEST(CAPI, CompilesFromSeveralThreads) {
  std::vector<std::thread> threads;
  std::vector<int> ok(4, 0);
  for (int t = 0; t < 4; ++t)
    threads.emplace_back([&, t] {
      char *error = nullptr;
      SmlModule *module =
          smlCompileCPU(kModule, std::strlen(kModule), "", "threads=1", &error);
      if (!module) {
        smlFreeString(error);
        return;
      }
      checkProbs(reinterpret_cast<ProbsFn>(smlModuleLookup(module, "probs")));
      smlModuleDestroy(module);
      ok[t] = 1;
    });
  for (std::thread &thread : threads)
    thread.join();
  EXPECT_EQ(ok, std::vector<int>(4, 1));
}
} // namespace
