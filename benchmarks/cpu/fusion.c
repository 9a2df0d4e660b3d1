// Times the kernels of fusion.mlir (scaled_softmax: a producer;
// log_softmax_to_f16 and softmax_f16_to_f32: cast consumers) compiled with and
// without softmax-fuse, interleaved, on one thread: best of 21 batches of >= 20
// ms per shape. Usage: fusion LIB_FUSED LIB_UNFUSED
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
typedef void (*ProducerKernel)(Memref2D *, Memref1D *, Memref2D *);
typedef void (*ConsumerKernel)(Memref2D *, Memref2D *);

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
  ProducerKernel producer[2];
  ConsumerKernel consumer[2][2];
  for (int i = 0; i < 2; ++i) {
    void *lib = dlopen(argv[1 + i], RTLD_NOW | RTLD_LOCAL);
    if (!lib ||
        !(producer[i] =
              (ProducerKernel)dlsym(lib, "_mlir_ciface_scaled_softmax")) ||
        !(consumer[0][i] =
              (ConsumerKernel)dlsym(lib, "_mlir_ciface_log_softmax_to_f16")) ||
        !(consumer[1][i] =
              (ConsumerKernel)dlsym(lib, "_mlir_ciface_softmax_f16_to_f32"))) {
      fprintf(stderr, "error: %s\n", dlerror());
      return 1;
    }
  }
  static const long shapes[][2] = {{16384, 32}, {4096, 512}, {256, 16384}};
  printf("| kernel | shape | fused ns/element | unfused ns/element | "
         "unfused / fused |\n");
  printf("|---|---|---|---|---|\n");
  static const char *names[] = {"scaled_softmax", "log_softmax_to_f16",
                                "softmax_f16_to_f32"};
  for (int kind = 0; kind < 3; ++kind)
    for (int s = 0; s < 3; ++s) {
      long rows = shapes[s][0], cols = shapes[s][1];
      float *x = aligned_alloc(64, rows * cols * 4),
            *y = aligned_alloc(64, rows * cols * 4);
      float *bias = aligned_alloc(64, ((cols * 4 + 63) / 64) * 64);
      _Float16 *xh = (_Float16 *)x;
      for (long i = 0; i < rows * cols; ++i) {
        float v = (float)((i * 7919) % 1000) / 10.0f - 50.0f;
        if (kind == 2)
          xh[i] = (_Float16)v; // f16 input
        else
          x[i] = v;
      }
      for (long j = 0; j < cols; ++j)
        bias[j] = j * 0.01f;
      Memref2D in = {x, x, 0, {rows, cols}, {cols, 1}};
      // f32 or f16 elements: the same descriptors.
      Memref2D out = {y, y, 0, {rows, cols}, {cols, 1}};
      Memref1D b = {bias, bias, 0, {cols}, {1}};
      double best[2] = {1e30, 1e30};
      for (int rep = 0; rep < 21; ++rep)
        for (int k = 0; k < 2; ++k) {
          long n = 0;
          double t0 = nowNs(), t;
          do {
            if (kind == 0)
              producer[k](&in, &b, &out);
            else
              consumer[kind - 1][k](&in, &out);
            ++n;
            t = nowNs();
          } while (t - t0 < 2e7);
          double v = (t - t0) / n / (rows * cols);
          if (v < best[k])
            best[k] = v;
        }
      printf("| %s | %ldx%ld | %.3f | %.3f | %.2fx |\n", names[kind], rows,
             cols, best[0], best[1], best[1] / best[0]);
      free(x);
      free(y);
      free(bias);
    }
  return 0;
}
