// clang-format off
// Compiled code runs its rows on as many threads as SOFTMAX_MLIR_NUM_THREADS
// says when it holds a positive integer, else as many as --num-threads says,
// else (0, the default) as many as the OpenMP runtime offers
// (OMP_NUM_THREADS); --num-threads=1 compiles serial code. The program
// counts its threads after one call and checks the result.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %S/Inputs/threads.mlir --emit=shared-lib -o %t/libdefault.so
// RUN: softmax-compile %S/Inputs/threads.mlir --emit=shared-lib --num-threads=2 -o %t/libtwo.so
// RUN: softmax-compile %S/Inputs/threads.mlir --emit=shared-lib --num-threads=1 -o %t/libserial.so
// RUN: %cc -std=c11 -Wall -Werror -I%t %s -o %t/threads -ldl
//
// RUN: env -u SOFTMAX_MLIR_NUM_THREADS OMP_NUM_THREADS=2 %t/threads %t/libdefault.so | FileCheck %s --check-prefix=TWO
// RUN: env SOFTMAX_MLIR_NUM_THREADS=3 OMP_NUM_THREADS=2 %t/threads %t/libdefault.so | FileCheck %s --check-prefix=THREE
// RUN: env SOFTMAX_MLIR_NUM_THREADS=1 OMP_NUM_THREADS=2 %t/threads %t/libdefault.so | FileCheck %s --check-prefix=ONE
// RUN: env SOFTMAX_MLIR_NUM_THREADS=junk OMP_NUM_THREADS=2 %t/threads %t/libdefault.so | FileCheck %s --check-prefix=TWO
// RUN: env -u SOFTMAX_MLIR_NUM_THREADS OMP_NUM_THREADS=1 %t/threads %t/libtwo.so | FileCheck %s --check-prefix=TWO
// RUN: env SOFTMAX_MLIR_NUM_THREADS=3 %t/threads %t/libtwo.so | FileCheck %s --check-prefix=THREE
// RUN: env SOFTMAX_MLIR_NUM_THREADS=3 %t/threads %t/libserial.so | FileCheck %s --check-prefix=ONE
//
// ONE: threads: 1, rows sum to 1: yes
// TWO: threads: 2, rows sum to 1: yes
// THREE: threads: 3, rows sum to 1: yes
// clang-format on

#include "libdefault.h"

#include <dirent.h>
#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW);
  if (!lib) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  __typeof__(&_mlir_ciface_rows) rows =
      (__typeof__(&_mlir_ciface_rows))dlsym(lib, "_mlir_ciface_rows");
  enum { R = 64, C = 100 };
  static float x[R * C], y[R * C];
  for (int i = 0; i < R * C; ++i)
    x[i] = (float)(i % 17) * 0.25f;
  softmax_mlir_memref_2d_f32 in = {x, x, 0, {R, C}, {C, 1}};
  softmax_mlir_memref_2d_f32 out = {y, y, 0, {R, C}, {C, 1}};
  rows(&in, &out);

  int ok = 1;
  for (int r = 0; r < R; ++r) {
    double sum = 0;
    for (int c = 0; c < C; ++c)
      sum += y[r * C + c];
    ok &= fabs(sum - 1.0) < 1e-5;
  }
  int threads = 0;
  DIR *dir = opendir("/proc/self/task");
  for (struct dirent *e; (e = readdir(dir));)
    threads += e->d_name[0] != '.';
  closedir(dir);
  printf("threads: %d, rows sum to 1: %s\n", threads, ok ? "yes" : "no");
  return 0;
}
