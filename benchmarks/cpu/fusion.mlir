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
