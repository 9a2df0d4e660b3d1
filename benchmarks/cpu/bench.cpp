// CPU softmax benchmark: softmax-mlir against oneDNN and plain C++, on one
// and two threads (ours: compiled with --num-threads=1 and 2, LLVM's OpenMP
// runtime; oneDNN: GNU OpenMP, omp_set_num_threads).
//
// For every shape [R x C] (f32, reduction over the last axis) each
// implementation is first checked against a double-precision reference (max
// absolute error; a wrong one is reported and not timed), then all are timed
// interleaved: each repetition runs, for every shape and implementation in
// rotated order, one warm call and one timed batch of >= 2 ms. Repetitions
// are the outermost loop, so a burst of load from other tenants of this
// shared machine hits every implementation alike; samples taken while other
// processes used >= 0.25 cores (from /proc/stat) are dropped when enough
// clean ones remain. The median per-call time is reported.
//
// Output: CSV on stdout, one line per (shape, op, implementation).

#include "kernels_1t.h"
#include "kernels_2t.h"

#include <omp.h>
#include <oneapi/dnnl/dnnl.hpp>

#include <algorithm>
#include <chrono>
#include <cmath>
#include <cstdio>
#include <cstdlib>
#include <cstring>
#include <ctime>
#include <functional>
#include <random>
#include <string>
#include <thread>
#include <unistd.h>
#include <vector>

extern "C" void naive_strict(const float *, float *, long, long);
extern "C" void naive_fastmath(const float *, float *, long, long);

namespace {

double nowNs() {
  return std::chrono::duration<double, std::nano>(
             std::chrono::steady_clock::now().time_since_epoch())
      .count();
}

// CPU time that other processes used, in cores, between two snapshots.
struct CpuSnapshot {
  double busy, self, wall;
};
CpuSnapshot snapshot() {
  CpuSnapshot s{0, 0, 0};
  if (FILE *f = std::fopen("/proc/stat", "r")) {
    long long u, n, sy, id, io, irq, sirq, st;
    if (std::fscanf(f, "cpu %lld %lld %lld %lld %lld %lld %lld %lld", &u, &n,
                    &sy, &id, &io, &irq, &sirq, &st) == 8)
      s.busy = double(u + n + sy + irq + sirq + st) / sysconf(_SC_CLK_TCK);
    std::fclose(f);
  }
  timespec ts;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
  s.self = ts.tv_sec + ts.tv_nsec * 1e-9;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  s.wall = ts.tv_sec + ts.tv_nsec * 1e-9;
  return s;
}
double foreignCores(const CpuSnapshot &a, const CpuSnapshot &b) {
  double wall = b.wall - a.wall;
  double f = wall > 0 ? ((b.busy - a.busy) - (b.self - a.self)) / wall : 0;
  return std::max(0.0, f);
}

double percentile(std::vector<double> v, double p) {
  std::sort(v.begin(), v.end());
  double idx = p * (v.size() - 1);
  size_t lo = (size_t)std::floor(idx), hi = (size_t)std::ceil(idx);
  return v[lo] + (v[hi] - v[lo]) * (idx - lo);
}

float *allocFloats(long n) {
  size_t bytes = ((n * sizeof(float) + 4095) / 4096) * 4096;
  auto *p = static_cast<float *>(std::aligned_alloc(4096, bytes));
  std::memset(p, 0, bytes);
  return p;
}

softmax_mlir_memref_2d_f32 descriptor(float *data, long rows, long cols) {
  return {data, data, 0, {rows, cols}, {cols, 1}};
}

struct Impl {
  std::string op, name;
  int threads;
  std::function<void()> run;
  const double *reference;
  double error = NAN;
  long iters = 1;
  std::vector<double> samples, foreign;
};

struct Shape {
  long rows, cols;
  int reps;
  float *x, *y;
  std::vector<double> softmaxRef, logSoftmaxRef;
  std::vector<Impl> impls;
};

const char *argValue(int argc, char **argv, const char *name,
                     const char *fallback) {
  for (int i = 1; i + 1 < argc; ++i)
    if (!std::strcmp(argv[i], name))
      return argv[i + 1];
  return fallback;
}

} // namespace

int main(int argc, char **argv) {
  int reps = std::atoi(argValue(argc, argv, "--reps", "15"));
  int repsBig = std::atoi(argValue(argc, argv, "--reps-big", "7"));
  const char *only = argValue(argc, argv, "--shape", nullptr);
  const double batchNs = 2e6;
  std::vector<std::pair<long, long>> grid = {
      {16384, 32}, {4096, 128}, {1024, 1024}, {256, 4096}, {64, 16384},
      {16, 65536}, {4, 262144}, {1, 1048576}, {4096, 4096}};

  dnnl::engine engine(dnnl::engine::kind::cpu, 0);
  dnnl::stream stream(engine);
  std::vector<Shape> shapes;
  shapes.reserve(grid.size());
  for (auto [rows, cols] : grid) {
    char name[64];
    std::snprintf(name, sizeof name, "%ldx%ld", rows, cols);
    if (only && std::strcmp(only, name))
      continue;
    long n = rows * cols;
    Shape &s = shapes.emplace_back();
    s.rows = rows;
    s.cols = cols;
    s.reps = n * 4 > (32l << 20) ? repsBig : reps;
    s.x = allocFloats(n);
    s.y = allocFloats(n);
    std::mt19937 rng(42);
    std::uniform_real_distribution<float> uniform(-10.f, 10.f);
    for (long i = 0; i < n; ++i)
      s.x[i] = uniform(rng);
    s.softmaxRef.resize(n);
    s.logSoftmaxRef.resize(n);
    for (long r = 0; r < rows; ++r) {
      const float *xr = s.x + r * cols;
      double m = -INFINITY, sum = 0;
      for (long j = 0; j < cols; ++j)
        m = std::max(m, (double)xr[j]);
      for (long j = 0; j < cols; ++j)
        sum += std::exp(xr[j] - m);
      for (long j = 0; j < cols; ++j) {
        s.softmaxRef[r * cols + j] = std::exp(xr[j] - m) / sum;
        s.logSoftmaxRef[r * cols + j] = xr[j] - m - std::log(sum);
      }
    }

    float *x = s.x, *y = s.y;
    auto in = descriptor(x, rows, cols), out = descriptor(y, rows, cols);
    // Ours, compiled twice: --num-threads=1 and --num-threads=2.
    using Kernel = void (*)(const softmax_mlir_memref_2d_f32 *,
                            softmax_mlir_memref_2d_f32 *);
    struct {
      const char *op, *name;
      int threads;
      Kernel kernel;
    } ours[] = {
        {"softmax", "softmax_mlir_1t", 1, _mlir_ciface_softmax_rows_1t},
        {"log_softmax", "softmax_mlir_1t", 1, _mlir_ciface_log_softmax_rows_1t},
        {"softmax", "softmax_mlir_2t", 2, _mlir_ciface_softmax_rows_2t},
        {"log_softmax", "softmax_mlir_2t", 2,
         _mlir_ciface_log_softmax_rows_2t}};
    for (const auto &k : ours)
      s.impls.push_back(
          {k.op, k.name, k.threads,
           [=, kernel = k.kernel]() mutable { kernel(&in, &out); },
           std::string(k.op) == "softmax" ? s.softmaxRef.data()
                                          : s.logSoftmaxRef.data()});
    s.impls.push_back({"softmax", "naive_cxx_strict_1t", 1,
                       [=] { naive_strict(x, y, rows, cols); },
                       s.softmaxRef.data()});
    s.impls.push_back({"softmax", "naive_cxx_fastmath_1t", 1,
                       [=] { naive_fastmath(x, y, rows, cols); },
                       s.softmaxRef.data()});

    using namespace dnnl;
    memory::desc md({rows, cols}, memory::data_type::f32,
                    memory::format_tag::ab);
    memory mx(md, engine, x), my(md, engine, y);
    for (auto [op, algo] : {std::pair{"softmax", algorithm::softmax_accurate},
                            std::pair{"log_softmax", algorithm::softmax_log}}) {
      auto desc = softmax_v2_forward::desc(prop_kind::forward_inference, algo,
                                           md, md, 1);
      // oneDNN sizes its work split when the primitive is created: one
      // primitive per thread count, created under that count.
      for (int threads : {1, 2}) {
        omp_set_num_threads(threads);
        auto prim = softmax_v2_forward(
            softmax_v2_forward::primitive_desc(desc, engine));
        s.impls.push_back(
            {op, "onednn_" + std::to_string(threads) + "t", threads,
             [=, &stream]() mutable {
               omp_set_num_threads(threads);
               prim.execute(stream, {{DNNL_ARG_SRC, mx}, {DNNL_ARG_DST, my}});
               stream.wait();
             },
             std::string(op) == "softmax" ? s.softmaxRef.data()
                                          : s.logSoftmaxRef.data()});
      }
    }
  }

  omp_set_num_threads(1);
  // Check every implementation, and size its timed batch.
  for (Shape &s : shapes) {
    long n = s.rows * s.cols;
    for (Impl &im : s.impls) {
      std::fill(s.y, s.y + n, NAN);
      im.run();
      double error = 0;
      for (long i = 0; i < n; ++i) {
        double d = std::fabs(s.y[i] - im.reference[i]);
        error = std::isnan(d) ? INFINITY : std::max(error, d);
      }
      im.error = error;
      double t0 = nowNs();
      im.run();
      im.iters =
          std::clamp((long)std::ceil(batchNs / (nowNs() - t0)), 1l, 100000l);
    }
  }

  int maxReps = 0;
  for (Shape &s : shapes)
    maxReps = std::max(maxReps, s.reps);
  for (int rep = 0; rep < maxReps; ++rep) {
    CpuSnapshot before = snapshot();
    std::vector<Impl *> timed;
    for (Shape &s : shapes) {
      if (rep % std::max(1, maxReps / s.reps) != 0 ||
          (int)s.impls[0].samples.size() >= s.reps)
        continue;
      for (size_t k = 0; k < s.impls.size(); ++k) {
        Impl &im = s.impls[(k + rep) % s.impls.size()];
        if (!(im.error < 1e-3))
          continue; // Wrong results are not timed.
        im.run();
        double t0 = nowNs();
        for (long i = 0; i < im.iters; ++i)
          im.run();
        im.samples.push_back((nowNs() - t0) / im.iters);
        timed.push_back(&im);
      }
    }
    double foreign = foreignCores(before, snapshot());
    for (Impl *im : timed)
      im->foreign.push_back(foreign);
    if (foreign >= 0.25)
      std::fprintf(stderr, "rep %d: other processes used %.2f cores\n", rep,
                   foreign);
  }

  std::printf("shape,rows,cols,op,impl,threads,median_ns,p25_ns,p75_ns,"
              "ns_per_elem,gbps,max_abs_err,samples,clean_samples\n");
  for (Shape &s : shapes) {
    long n = s.rows * s.cols;
    for (Impl &im : s.impls) {
      std::vector<double> clean;
      for (size_t i = 0; i < im.samples.size(); ++i)
        if (im.foreign[i] < 0.25)
          clean.push_back(im.samples[i]);
      const std::vector<double> &use =
          clean.size() >= std::max<size_t>(3, im.samples.size() / 3)
              ? clean
              : im.samples;
      if (use.empty()) {
        std::printf("%ldx%ld,%ld,%ld,%s,%s,%d,,,,,,%.3g,0,0\n", s.rows, s.cols,
                    s.rows, s.cols, im.op.c_str(), im.name.c_str(), im.threads,
                    im.error);
        continue;
      }
      double median = percentile(use, 0.5);
      std::printf("%ldx%ld,%ld,%ld,%s,%s,%d,%.1f,%.1f,%.1f,%.4f,%.2f,%.3g,%zu,"
                  "%zu\n",
                  s.rows, s.cols, s.rows, s.cols, im.op.c_str(),
                  im.name.c_str(), im.threads, median, percentile(use, 0.25),
                  percentile(use, 0.75), median / n, 8.0 * n / median, im.error,
                  im.samples.size(), clean.size());
    }
    std::free(s.x);
    std::free(s.y);
  }
  return 0;
}
