// Times scaled_softmax (fusion.mlir) compiled with and without softmax-fuse,
// interleaved, on one thread: best of 21 batches of >= 20 ms per shape.
// Usage: fusion LIB_FUSED LIB_UNFUSED
#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <time.h>

typedef struct {
  float *allocated, *aligned;
  long offset, sizes[2], strides[2];
} Memref2D;
typedef struct {
  float *allocated, *aligned;
  long offset, sizes[1], strides[1];
} Memref1D;
typedef void (*Kernel)(Memref2D *, Memref1D *, Memref2D *);

static double nowNs(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return t.tv_sec * 1e9 + t.tv_nsec;
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s LIB_FUSED LIB_UNFUSED\n", argv[0]);
    return 2;
  }
  Kernel kernels[2];
  for (int i = 0; i < 2; ++i) {
    void *lib = dlopen(argv[1 + i], RTLD_NOW | RTLD_LOCAL);
    if (!lib ||
        !(kernels[i] = (Kernel)dlsym(lib, "_mlir_ciface_scaled_softmax"))) {
      fprintf(stderr, "error: %s\n", dlerror());
      return 1;
    }
  }
  static const long shapes[][2] = {{16384, 32}, {4096, 512}, {256, 16384}};
  printf(
      "| shape | fused ns/element | unfused ns/element | unfused / fused |\n");
  printf("|---|---|---|---|\n");
  for (int s = 0; s < 3; ++s) {
    long rows = shapes[s][0], cols = shapes[s][1];
    float *x = aligned_alloc(64, rows * cols * 4),
          *y = aligned_alloc(64, rows * cols * 4);
    float *bias = aligned_alloc(64, ((cols * 4 + 63) / 64) * 64);
    for (long i = 0; i < rows * cols; ++i)
      x[i] = (float)((i * 7919) % 1000) / 10.0f - 50.0f;
    for (long j = 0; j < cols; ++j)
      bias[j] = j * 0.01f;
    Memref2D in = {x, x, 0, {rows, cols}, {cols, 1}};
    Memref2D out = {y, y, 0, {rows, cols}, {cols, 1}};
    Memref1D b = {bias, bias, 0, {cols}, {1}};
    double best[2] = {1e30, 1e30};
    for (int rep = 0; rep < 21; ++rep)
      for (int k = 0; k < 2; ++k) {
        kernels[k](&in, &b, &out);
        long n = 0;
        double t0 = nowNs(), t;
        do {
          kernels[k](&in, &b, &out);
          ++n;
          t = nowNs();
        } while (t - t0 < 2e7);
        double v = (t - t0) / n / (rows * cols);
        if (v < best[k])
          best[k] = v;
      }
    printf("| %ldx%ld | %.3f | %.3f | %.2fx |\n", rows, cols, best[0], best[1],
           best[1] / best[0]);
    free(x);
    free(y);
    free(bias);
  }
  return 0;
}
