// REQUIRES: ptxas, cuda-toolkit
// --target=cuda raises softmax written out before building kernels:
// linalg.softmax, a torch-mlir-style log_softmax chain and a TOSA softmax
// become their kernels (and the element-wise twins for unaligned buffers),
// which ptxas assembles.

// RUN: rm -rf %t && mkdir -p %t
// RUN: softmax-compile %s --target=cuda --emit=ptx -o %t/k.ptx
// RUN: %ptxas -arch=sm_90 %t/k.ptx -o %t/k.cubin
// RUN: FileCheck %s < %t/k.ptx
// RUN: FileCheck %s --check-prefix=JSON < %t/k.torch_log_softmax_log_softmax_0.json
// CHECK-DAG: .entry linalg_softmax_softmax_0(
// CHECK-DAG: .entry torch_log_softmax_log_softmax_0(
// CHECK-DAG: .entry tosa_softmax_softmax_0(
// JSON-DAG: "op": "log_softmax"
// JSON-DAG: "dtype": "f32"

#id = affine_map<(d0, d1) -> (d0, d1)>
#kept = affine_map<(d0, d1) -> (d0, 0)>

func.func @linalg_softmax(%x: tensor<64x512xf32>) -> tensor<64x512xf32> {
  %e = tensor.empty() : tensor<64x512xf32>
  %y = linalg.softmax dimension(1) ins(%x : tensor<64x512xf32>) outs(%e : tensor<64x512xf32>) -> tensor<64x512xf32>
  return %y : tensor<64x512xf32>
}

func.func @torch_log_softmax(%x: tensor<8x1000xf32>) -> tensor<8x1000xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.0 : f32
  %re = tensor.empty() : tensor<8x1xf32>
  %m0 = linalg.fill ins(%ninf : f32) outs(%re : tensor<8x1xf32>) -> tensor<8x1xf32>
  %m = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x1000xf32>) outs(%m0 : tensor<8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.maximumf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8x1xf32>
  %fe = tensor.empty() : tensor<8x1000xf32>
  %t = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %m : tensor<8x1000xf32>, tensor<8x1xf32>) outs(%fe : tensor<8x1000xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8x1000xf32>
  %e = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t : tensor<8x1000xf32>) outs(%fe : tensor<8x1000xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.exp %a : f32
    linalg.yield %r : f32
  } -> tensor<8x1000xf32>
  %s0 = linalg.fill ins(%zero : f32) outs(%re : tensor<8x1xf32>) -> tensor<8x1xf32>
  %s = linalg.generic {indexing_maps = [#id, #kept], iterator_types = ["parallel", "reduction"]}
      ins(%e : tensor<8x1000xf32>) outs(%s0 : tensor<8x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %r = arith.addf %in, %acc : f32
    linalg.yield %r : f32
  } -> tensor<8x1xf32>
  %l = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s : tensor<8x1xf32>) outs(%re : tensor<8x1xf32>) {
  ^bb0(%a: f32, %o: f32):
    %r = math.log %a : f32
    linalg.yield %r : f32
  } -> tensor<8x1xf32>
  %y = linalg.generic {indexing_maps = [#id, #kept, #id], iterator_types = ["parallel", "parallel"]}
      ins(%t, %l : tensor<8x1000xf32>, tensor<8x1xf32>) outs(%fe : tensor<8x1000xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %r = arith.subf %a, %b : f32
    linalg.yield %r : f32
  } -> tensor<8x1000xf32>
  return %y : tensor<8x1000xf32>
}

func.func @tosa_softmax(%x: tensor<16x256xf16>) -> tensor<16x256xf16> {
  %shift = "tosa.const"() <{values = dense<0> : tensor<1xi8>}> : () -> tensor<1xi8>
  %max = tosa.reduce_max %x {axis = 1 : i32} : (tensor<16x256xf16>) -> tensor<16x1xf16>
  %t = tosa.sub %x, %max : (tensor<16x256xf16>, tensor<16x1xf16>) -> tensor<16x256xf16>
  %e = tosa.exp %t : (tensor<16x256xf16>) -> tensor<16x256xf16>
  %s = tosa.reduce_sum %e {axis = 1 : i32} : (tensor<16x256xf16>) -> tensor<16x1xf16>
  %r = tosa.reciprocal %s : (tensor<16x1xf16>) -> tensor<16x1xf16>
  %y = tosa.mul %e, %r, %shift : (tensor<16x256xf16>, tensor<16x1xf16>, tensor<1xi8>) -> tensor<16x256xf16>
  return %y : tensor<16x256xf16>
}
