// RUN: softmax-opt %s --split-input-file --allow-unregistered-dialect --transform-interpreter --verify-diagnostics

func.func @not_softmax(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  return %x : tensor<4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %e = transform.structured.match ops{["tensor.empty"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects softmax ops}}
    transform.softmax.set_strategy %e {gpu_strategy = "warp_row"} : !transform.any_op
    transform.yield
  }
}

// -----

func.func @cpu_form_on_grad(%y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %g = softmax.softmax_grad %y, %y dim(1) : tensor<4x8xf32>
  return %g : tensor<4x8xf32>
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %g = transform.structured.match ops{["softmax.softmax_grad"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{row_form, pass_form and store_form apply to softmax.softmax and softmax.log_softmax, not softmax.softmax_grad}}
    transform.softmax.set_strategy %g {row_form = "rows"} : !transform.any_op
    transform.yield
  }
}

// -----

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    // expected-error @below {{row_form must be "rows", "groups" or "split"}}
    transform.softmax.set_strategy %root {row_form = "diagonal"} : !transform.any_op
    transform.yield
  }
}

// -----

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    // expected-error @below {{expects at least one strategy}}
    transform.softmax.set_strategy %root : !transform.any_op
    transform.yield
  }
}

// -----

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    transform.apply_patterns to %root {
      // expected-error @below {{vector_bits must be a positive multiple of 32}}
      transform.apply_patterns.softmax.vectorize {vector_bits = 100 : i64}
    } : !transform.any_op
    transform.yield
  }
}

// -----

func.func @unregistered() {
  "test.op"() : () -> ()
  return
}

module attributes {transform.with_named_sequence} {
  transform.named_sequence @__transform_main(%root: !transform.any_op {transform.readonly}) {
    %t = transform.structured.match ops{["test.op"]} in %root : (!transform.any_op) -> !transform.any_op
    // expected-error @below {{expects softmax ops}}
    transform.softmax.set_strategy %t {gpu_strategy = "warp_row"} : !transform.any_op
    transform.yield
  }
}
