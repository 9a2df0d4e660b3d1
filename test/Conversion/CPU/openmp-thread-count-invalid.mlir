// RUN: softmax-opt %s --softmax-openmp-thread-count="threads=-1" --verify-diagnostics

// expected-error @+1 {{softmax-openmp-thread-count: threads must be >= 0}}
module {
  func.func @f() {
    omp.parallel {
      omp.terminator
    }
    return
  }
}
