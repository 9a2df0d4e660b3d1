// A C interface over oneDNN's softmax primitives (forward, and backward for
// family.py's softmax_grad / log_softmax_grad), so that the benchmarks (Python
// processes) time oneDNN through ctypes next to the other implementations.
//
// oneDNN sizes its work split when the primitive is created: each handle is
// created under the thread count it runs with.

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>
#include <string>

namespace {
struct Handle {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::memory::desc md;
  dnnl::softmax_v2_forward primitive;
  dnnl::memory src, dst;
  int threads;
};

struct BackwardHandle {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::memory::desc md;
  dnnl::softmax_v2_backward primitive;
  dnnl::memory dst, diffDst, diffSrc;
  std::string impl;
  int threads;
};
} // namespace

extern "C" void *onednn_softmax_create(int logarithmic, long rows, long cols,
                                       int threads) {
  using namespace dnnl;
  omp_set_num_threads(threads);
  auto *h = new Handle;
  h->threads = threads;
  h->md = memory::desc({rows, cols}, memory::data_type::f32,
                       memory::format_tag::ab);
  auto desc = softmax_v2_forward::desc(
      prop_kind::forward_inference,
      logarithmic ? algorithm::softmax_log : algorithm::softmax_accurate, h->md,
      h->md, 1);
  h->primitive =
      softmax_v2_forward(softmax_v2_forward::primitive_desc(desc, h->engine));
  h->src = memory(h->md, h->engine, DNNL_MEMORY_NONE);
  h->dst = memory(h->md, h->engine, DNNL_MEMORY_NONE);
  return h;
}

extern "C" void onednn_softmax_run(void *handle, float *x, float *y) {
  auto *h = static_cast<Handle *>(handle);
  omp_set_num_threads(h->threads);
  h->src.set_data_handle(x);
  h->dst.set_data_handle(y);
  h->primitive.execute(h->stream,
                       {{DNNL_ARG_SRC, h->src}, {DNNL_ARG_DST, h->dst}});
  h->stream.wait();
}

// The backward pass: diff_src from the forward result dst (softmax, or
// log-softmax when logarithmic) and the incoming gradient diff_dst, over the
// last axis of a row-major rows x cols f32 matrix.
extern "C" void *onednn_softmax_backward_create(int logarithmic, long rows,
                                                long cols, int threads) {
  using namespace dnnl;
  omp_set_num_threads(threads);
  auto *h = new BackwardHandle;
  h->threads = threads;
  h->md = memory::desc({rows, cols}, memory::data_type::f32,
                       memory::format_tag::ab);
  algorithm alg =
      logarithmic ? algorithm::softmax_log : algorithm::softmax_accurate;
  // oneDNN picks the backward implementation from a forward training
  // primitive descriptor (the hint); the forward primitive is never built.
  auto fwdDesc = softmax_v2_forward::desc(prop_kind::forward_training, alg,
                                          h->md, h->md, 1);
  auto fwdPd = softmax_v2_forward::primitive_desc(fwdDesc, h->engine);
  auto desc = softmax_v2_backward::desc(alg, h->md, h->md, h->md, 1);
  auto pd = softmax_v2_backward::primitive_desc(desc, h->engine, fwdPd);
  h->impl = pd.impl_info_str();
  h->primitive = softmax_v2_backward(pd);
  h->dst = memory(h->md, h->engine, DNNL_MEMORY_NONE);
  h->diffDst = memory(h->md, h->engine, DNNL_MEMORY_NONE);
  h->diffSrc = memory(h->md, h->engine, DNNL_MEMORY_NONE);
  return h;
}

extern "C" void onednn_softmax_backward_run(void *handle, const float *dst,
                                            const float *diff_dst,
                                            float *diff_src) {
  auto *h = static_cast<BackwardHandle *>(handle);
  omp_set_num_threads(h->threads);
  // oneDNN only reads dst and diff_dst; set_data_handle takes void *.
  h->dst.set_data_handle(const_cast<float *>(dst));
  h->diffDst.set_data_handle(const_cast<float *>(diff_dst));
  h->diffSrc.set_data_handle(diff_src);
  h->primitive.execute(h->stream, {{DNNL_ARG_DST, h->dst},
                                   {DNNL_ARG_DIFF_DST, h->diffDst},
                                   {DNNL_ARG_DIFF_SRC, h->diffSrc}});
  h->stream.wait();
}

// The implementation oneDNN picked for the backward pass ("jit:avx512_core",
// "ref:any", ...): oneDNN 2.6 has a JIT backward only for AVX-512 machines.
extern "C" const char *onednn_softmax_backward_impl(void *handle) {
  return static_cast<BackwardHandle *>(handle)->impl.c_str();
}
