// The kernels the CPU benchmark times: softmax and log_softmax over the
// last axis of a [rows x cols] f32 tensor of any size.
func.func @softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}

func.func @log_softmax_rows(%x: tensor<?x?xf32>) -> tensor<?x?xf32> {
  %y = softmax.log_softmax %x dim(1) : tensor<?x?xf32>
  return %y : tensor<?x?xf32>
}
