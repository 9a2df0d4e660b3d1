// RUN: softmax-opt %s --split-input-file --softmax-lower-left-pack --verify-diagnostics

// The op's verifier rejects what the pass could not lower: a mask of
// another length, a target it does not know, a register of another size
// than the target's.
func.func @mask_length(%v: vector<8xf32>, %keep: vector<16xi1>) -> vector<8xf32> {
  // expected-error @+1 {{'softmax.left_pack' op needs a mask of 8 lanes, not 16}}
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<8xf32>, vector<16xi1>
  return %p : vector<8xf32>
}

// -----

func.func @target(%v: vector<8xf32>, %keep: vector<8xi1>) -> vector<8xf32> {
  // expected-error @+1 {{'softmax.left_pack' op target must be "avx2" or "avx512", not "neon"}}
  %p, %n = softmax.left_pack %v, %keep target("neon") : vector<8xf32>, vector<8xi1>
  return %p : vector<8xf32>
}

// -----

func.func @width(%v: vector<16xf32>, %keep: vector<16xi1>) -> vector<16xf32> {
  // expected-error @+1 {{'softmax.left_pack' op target "avx2" packs 8 lanes, not 16}}
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<16xf32>, vector<16xi1>
  return %p : vector<16xf32>
}

// -----

func.func @element(%v: vector<8xf64>, %keep: vector<8xi1>) -> vector<8xf64> {
  // expected-error @+1 {{'softmax.left_pack' op operand #0 must be vector of 32-bit float values of ranks 1}}
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<8xf64>, vector<8xi1>
  return %p : vector<8xf64>
}

// -----

func.func @scalable(%v: vector<[8]xf32>, %keep: vector<[8]xi1>) -> vector<[8]xf32> {
  // expected-error @+1 {{'softmax.left_pack' op packs fixed-length vectors, not scalable ones}}
  %p, %n = softmax.left_pack %v, %keep target("avx2") : vector<[8]xf32>, vector<[8]xi1>
  return %p : vector<[8]xf32>
}
