// The scores of an attention layer, scaled and biased per column, in front
// of a softmax: with softmax-fuse the row loops compute them on the fly,
// without it they go through memory first. Timed by fusion.sh.
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d1)>
func.func @scaled_softmax(%s: tensor<?x?xf32>, %bias: tensor<?xf32>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %s, %c0 : tensor<?x?xf32>
  %cols = tensor.dim %s, %c1 : tensor<?x?xf32>
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %scores = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%s, %bias : tensor<?x?xf32>, tensor<?xf32>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%x: f32, %b: f32, %o: f32):
    %scale = arith.constant 0.125 : f32
    %a = arith.mulf %x, %scale : f32
    %v = arith.addf %a, %b : f32
    linalg.yield %v : f32
  } -> tensor<?x?xf32>
  %y = softmax.softmax %scores dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

// Cast consumers: log-probabilities stored as f16, and an f16 softmax read
// back as f32. With softmax-fuse the row loops write the cast result;
// without it the softmax result goes through memory and a second loop
// converts it.
func.func @log_softmax_to_f16(%x: tensor<?x?xf32>) -> tensor<?x?xf16> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<?x?xf32>
  %cols = tensor.dim %x, %c1 : tensor<?x?xf32>
  %y = softmax.log_softmax %x dim(1) : tensor<?x?xf32>
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf16>
  %h = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<?x?xf32>) outs(%e : tensor<?x?xf16>) {
  ^bb0(%a: f32, %o: f16):
    %t = arith.truncf %a : f32 to f16
    linalg.yield %t : f16
  } -> tensor<?x?xf16>
  return %h : tensor<?x?xf16>
}

func.func @softmax_f16_to_f32(%x: tensor<?x?xf16>) -> tensor<?x?xf32> {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %rows = tensor.dim %x, %c0 : tensor<?x?xf16>
  %cols = tensor.dim %x, %c1 : tensor<?x?xf16>
  %y = softmax.softmax %x dim(1) : tensor<?x?xf16>
  %e = tensor.empty(%rows, %cols) : tensor<?x?xf32>
  %w = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<?x?xf16>) outs(%e : tensor<?x?xf32>) {
  ^bb0(%a: f16, %o: f32):
    %t = arith.extf %a : f16 to f32
    linalg.yield %t : f32
  } -> tensor<?x?xf32>
  return %w : tensor<?x?xf32>
}
