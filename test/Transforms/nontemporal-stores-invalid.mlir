// RUN: softmax-opt %s --softmax-nontemporal-stores --split-input-file --verify-diagnostics

// The marker must be an alignment: a positive power of two.
func.func @not_power_of_two(%out: memref<1000xf32>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c992 = arith.constant 992 : index
  // expected-error @+1 {{softmax-nontemporal-stores: softmax.nontemporal must be a positive power-of-two alignment in bytes}}
  scf.for %col = %c0 to %c992 step %c32 {
    vector.transfer_write %v, %out[%col] {in_bounds = [true]} : vector<32xf32>, memref<1000xf32>
  } {softmax.nontemporal = 24 : i64}
  return
}

// -----

func.func @not_integer(%out: memref<1000xf32>, %v: vector<32xf32>) {
  %c0 = arith.constant 0 : index
  %c32 = arith.constant 32 : index
  %c992 = arith.constant 992 : index
  // expected-error @+1 {{softmax-nontemporal-stores: softmax.nontemporal must be a positive power-of-two alignment in bytes}}
  scf.for %col = %c0 to %c992 step %c32 {
    vector.transfer_write %v, %out[%col] {in_bounds = [true]} : vector<32xf32>, memref<1000xf32>
  } {softmax.nontemporal}
  return
}
