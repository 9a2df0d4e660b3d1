// Functions a C program calls through the generated header.

// Two outputs: inputs first, then the outputs in result order.
func.func @both(%x: tensor<?x5xf32>) -> (tensor<?x5xf32>, tensor<?x5xf32>) {
  %p = softmax.softmax %x dim(1) : tensor<?x5xf32>
  %l = softmax.log_softmax %x dim(1) : tensor<?x5xf32>
  return %p, %l : tensor<?x5xf32>, tensor<?x5xf32>
}

// Reduces along dim 0 of a fully dynamic f64 tensor.
func.func @columns(%x: tensor<?x?xf64>) -> tensor<?x?xf64> {
  %y = softmax.softmax %x dim(0) : tensor<?x?xf64>
  return %y : tensor<?x?xf64>
}

// A private helper is not exported.
func.func private @helper(%x: tensor<3xf32>) -> tensor<3xf32> {
  %y = softmax.softmax %x dim(0) : tensor<3xf32>
  return %y : tensor<3xf32>
}

// Returns an input unchanged and the helper's result: copies into outputs.
func.func @passthrough(%x: tensor<3xf32>) -> (tensor<3xf32>, tensor<3xf32>) {
  %y = func.call @helper(%x) : (tensor<3xf32>) -> tensor<3xf32>
  return %x, %y : tensor<3xf32>, tensor<3xf32>
}
