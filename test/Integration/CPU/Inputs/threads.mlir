func.func @rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
