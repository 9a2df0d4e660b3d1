// A C program loads a compiled library with dlopen and calls it through the
// generated header; results are checked against a double-precision
// reference computed here.
//
// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %S/Inputs/c-abi.mlir --emit=shared-lib -o %t/libcabi.so
// RUN: %cc -std=c11 -Wall -Werror -I%t %s -o %t/c-abi -ldl -lm
// RUN: %t/c-abi %t/libcabi.so | FileCheck %s
//
// An empty module still gives a valid library.
// RUN: echo "module {}" > %t/empty.mlir
// RUN: softmax-compile %t/empty.mlir --emit=shared-lib -o %t/libempty.so
// RUN: %t/c-abi %t/libempty.so --empty | FileCheck %s --check-prefix=EMPTY
//
// CHECK: both: max error 0
// CHECK: columns: max error 0
// CHECK: passthrough: max error 0
// CHECK: inputs unchanged
// CHECK: OK
// EMPTY: empty library loaded

#include "libcabi.h"

#include <dlfcn.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

static int failures = 0;

static void check(const char *what, double maxError, double tolerance) {
  // Print 0 when within tolerance so that FileCheck sees a stable line.
  if (maxError <= tolerance) {
    printf("%s: max error 0 (%.3g)\n", what, maxError);
  } else {
    printf("%s: max error %.3g exceeds %.3g\n", what, maxError, tolerance);
    ++failures;
  }
}

// Reference softmax over n values with stride `stride`.
static void softmaxRef(const double *x, int n, int stride, double *y,
                       double *logY) {
  double m = -INFINITY;
  for (int i = 0; i < n; ++i)
    m = fmax(m, x[i * stride]);
  double s = 0;
  for (int i = 0; i < n; ++i)
    s += exp(x[i * stride] - m);
  for (int i = 0; i < n; ++i) {
    y[i * stride] = exp(x[i * stride] - m) / s;
    if (logY)
      logY[i * stride] = x[i * stride] - m - log(s);
  }
}

int main(int argc, char **argv) {
  void *lib = dlopen(argv[1], RTLD_NOW | RTLD_LOCAL);
  if (!lib) {
    printf("dlopen failed: %s\n", dlerror());
    return 1;
  }
  if (argc > 2 && strcmp(argv[2], "--empty") == 0) {
    printf("empty library loaded\n");
    return 0;
  }

  // Declared by the header; looked up by name to check the exported symbols.
  __typeof__(&_mlir_ciface_both) both =
      (__typeof__(&_mlir_ciface_both))dlsym(lib, "_mlir_ciface_both");
  __typeof__(&_mlir_ciface_columns) columns =
      (__typeof__(&_mlir_ciface_columns))dlsym(lib, "_mlir_ciface_columns");
  __typeof__(&_mlir_ciface_passthrough) passthrough =
      (__typeof__(&_mlir_ciface_passthrough))dlsym(lib,
                                                   "_mlir_ciface_passthrough");
  if (!both || !columns || !passthrough || dlsym(lib, "_mlir_ciface_helper")) {
    printf("unexpected symbol table\n");
    return 1;
  }

  // both: 3 rows of 5, softmax and log_softmax.
  enum { R = 3, C = 5 };
  float x[R * C], xCopy[R * C], p[R * C], l[R * C];
  double xd[R * C], pRef[R * C], lRef[R * C];
  for (int i = 0; i < R * C; ++i) {
    x[i] = (float)((i * 37 % 11) - 5) * 0.75f;
    xd[i] = x[i];
  }
  memcpy(xCopy, x, sizeof(x));
  softmax_mlir_memref_2d_f32 in = {x, x, 0, {R, C}, {C, 1}};
  softmax_mlir_memref_2d_f32 outP = {p, p, 0, {R, C}, {C, 1}};
  softmax_mlir_memref_2d_f32 outL = {l, l, 0, {R, C}, {C, 1}};
  both(&in, &outP, &outL);
  for (int r = 0; r < R; ++r)
    softmaxRef(xd + r * C, C, 1, pRef + r * C, lRef + r * C);
  double err = 0;
  for (int i = 0; i < R * C; ++i) {
    err = fmax(err, fabs(p[i] - pRef[i]) / (1e-6 + 1e-5 * fabs(pRef[i])));
    err = fmax(err, fabs(l[i] - lRef[i]) / (1e-6 + 1e-5 * fabs(lRef[i])));
  }
  check("both", err, 1.0);

  // columns: 4x6 doubles, softmax down each column.
  enum { N = 4, M = 6 };
  double a[N * M], b[N * M], bRef[N * M];
  for (int i = 0; i < N * M; ++i)
    a[i] = sin(i * 1.7) * 10;
  softmax_mlir_memref_2d_f64 inA = {a, a, 0, {N, M}, {M, 1}};
  softmax_mlir_memref_2d_f64 outB = {b, b, 0, {N, M}, {M, 1}};
  columns(&inA, &outB);
  for (int c = 0; c < M; ++c)
    softmaxRef(a + c, N, M, bRef + c, NULL);
  err = 0;
  for (int i = 0; i < N * M; ++i)
    err = fmax(err, fabs(b[i] - bRef[i]) / fabs(bRef[i]));
  check("columns", err, 1e-9);

  // passthrough: the input copied out, and a softmax.
  float v[3] = {1, 2, 3}, same[3] = {0, 0, 0}, sm[3];
  double vd[3] = {1, 2, 3}, smRef[3];
  softmax_mlir_memref_1d_f32 inV = {v, v, 0, {3}, {1}};
  softmax_mlir_memref_1d_f32 outSame = {same, same, 0, {3}, {1}};
  softmax_mlir_memref_1d_f32 outSm = {sm, sm, 0, {3}, {1}};
  passthrough(&inV, &outSame, &outSm);
  softmaxRef(vd, 3, 1, smRef, NULL);
  err = 0;
  for (int i = 0; i < 3; ++i) {
    err = fmax(err, fabs(same[i] - v[i]));
    err = fmax(err, fabs(sm[i] - smRef[i]) / (1e-6 + 1e-5 * smRef[i]) * 1e-6);
  }
  check("passthrough", err, 1e-6);

  if (memcmp(x, xCopy, sizeof(x)) == 0 && v[0] == 1 && v[1] == 2 && v[2] == 3)
    printf("inputs unchanged\n");
  else
    ++failures;

  if (failures)
    return 1;
  printf("OK\n");
  return 0;
}
