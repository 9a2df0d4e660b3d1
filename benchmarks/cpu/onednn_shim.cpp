// A C interface over oneDNN's softmax primitive, so that the benchmark (a
// Python process) times oneDNN through ctypes next to the other
// implementations.
//
// oneDNN sizes its work split when the primitive is created: each handle is
// created under the thread count it runs with.

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

namespace {
struct Handle {
  dnnl::engine engine{dnnl::engine::kind::cpu, 0};
  dnnl::stream stream{engine};
  dnnl::memory::desc md;
  dnnl::softmax_v2_forward primitive;
  dnnl::memory src, dst;
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
