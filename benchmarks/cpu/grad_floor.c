// The least any softmax_grad or log_softmax_grad kernel must do on a machine:
// read y and dy once and write the output once, with no reduction and no
// second pass (out = y * (dy - c) for a constant c, as one loop over the
// whole tensor). compare_grads.py times it next to the kernels, on the same
// buffers, as the floor of what a gradient can take there: with streaming
// stores (the output bypasses the caches, no read for ownership) and with
// ordinary ones, whichever runs faster.
//
// Built by compare_grads.py with `cc -O2 -march=native -shared -fPIC`.

#include <stddef.h>

typedef float Line __attribute__((vector_size(64), aligned(4)));

void grad_floor_stream(const float *restrict y, const float *restrict dy,
                       float *restrict out, size_t count) {
  const float c = 0.5f;
  size_t i = 0;
  // Ordinary stores up to the output's first 64-byte line and after its
  // last whole one; whole lines streamed.
  for (; i < count && ((size_t)(out + i) & 63) != 0; ++i)
    out[i] = y[i] * (dy[i] - c);
  for (; i + 16 <= count; i += 16) {
    Line value = *(const Line *)(y + i) * (*(const Line *)(dy + i) - c);
    __builtin_nontemporal_store(value,
                                (Line *)__builtin_assume_aligned(out + i, 64));
  }
  for (; i < count; ++i)
    out[i] = y[i] * (dy[i] - c);
  __builtin_ia32_sfence();
}

void grad_floor_cached(const float *restrict y, const float *restrict dy,
                       float *restrict out, size_t count) {
  const float c = 0.5f;
  for (size_t i = 0; i < count; ++i)
    out[i] = y[i] * (dy[i] - c);
}
