// A plain three-pass softmax over the last axis, compiled with -O3
// -march=native (and once more with -ffast-math): what a C++ programmer
// gets from the compiler alone. The symbol comes from -DSYM=...
#include <cmath>

#ifndef SYM
#error "define SYM"
#endif

extern "C" void SYM(const float *__restrict x, float *__restrict y, long rows,
                    long cols) {
  for (long r = 0; r < rows; ++r) {
    const float *xr = x + r * cols;
    float *yr = y + r * cols;
    float m = xr[0];
    for (long j = 1; j < cols; ++j)
      m = xr[j] > m ? xr[j] : m;
    float s = 0.f;
    for (long j = 0; j < cols; ++j) {
      float e = std::exp(xr[j] - m);
      yr[j] = e;
      s += e;
    }
    for (long j = 0; j < cols; ++j)
      yr[j] = yr[j] / s;
  }
}
