// RUN: softmax-opt %s --split-input-file --verify-diagnostics

func.func @float_labels(%x: tensor<4x8xf32>, %l: tensor<4xf32>) -> tensor<4xf32> {
  // expected-error @+1 {{'softmax.cross_entropy' op expects labels as a ranked tensor of signless integers, but got 'tensor<4xf32>'}}
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<4x8xf32>, tensor<4xf32> -> tensor<4xf32>
  return %loss : tensor<4xf32>
}

// -----

func.func @labels_shape(%x: tensor<4x8xf32>, %l: tensor<8xi64>) -> tensor<8xf32> {
  // expected-error @+1 {{'softmax.cross_entropy' op expects labels of the logits' shape without dim 1 ('tensor<4xi64>'), but got 'tensor<8xi64>'}}
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<4x8xf32>, tensor<8xi64> -> tensor<8xf32>
  return %loss : tensor<8xf32>
}

// -----

func.func @loss_type(%x: tensor<4x8xf32>, %l: tensor<4xi64>) -> tensor<4xf16> {
  // expected-error @+1 {{'softmax.cross_entropy' op expects a loss of the labels' shape and the logits' element type ('tensor<4xf32>'), but got 'tensor<4xf16>'}}
  %loss = softmax.cross_entropy %x, %l dim(1) : tensor<4x8xf32>, tensor<4xi64> -> tensor<4xf16>
  return %loss : tensor<4xf16>
}

// -----

func.func @smoothing(%x: tensor<4x8xf32>, %l: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{'softmax.cross_entropy' op expects label_smoothing in [0, 1], but got 1.5}}
  %loss = softmax.cross_entropy %x, %l dim(1) {label_smoothing = 1.5 : f64} : tensor<4x8xf32>, tensor<4xi64> -> tensor<4xf32>
  return %loss : tensor<4xf32>
}

// -----

func.func @dim(%x: tensor<4x8xf32>, %l: tensor<4xi64>) -> tensor<4xf32> {
  // expected-error @+1 {{'softmax.cross_entropy' op dim 2 is out of range for a tensor of rank 2 (expected 0 <= dim < 2)}}
  %loss = softmax.cross_entropy %x, %l dim(2) : tensor<4x8xf32>, tensor<4xi64> -> tensor<4xf32>
  return %loss : tensor<4xf32>
}

// -----

func.func @grad_loss_type(%x: tensor<4x8xf32>, %l: tensor<4xi64>, %d: tensor<4x8xf32>) -> tensor<4x8xf32> {
  // expected-error @+1 {{'softmax.cross_entropy_grad' op expects a loss gradient of the labels' shape and the logits' element type ('tensor<4xf32>'), but got 'tensor<4x8xf32>'}}
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<4x8xf32>, tensor<4xi64>, tensor<4x8xf32> -> tensor<4x8xf32>
  return %dx : tensor<4x8xf32>
}

// -----

func.func @grad_result(%x: tensor<4x8xf32>, %l: tensor<4xi64>, %d: tensor<4xf32>) -> tensor<4x8xf16> {
  // expected-error @+1 {{'softmax.cross_entropy_grad' op failed to verify that all of {logits, logits_grad} have same type}}
  %dx = softmax.cross_entropy_grad %x, %l, %d dim(1) : tensor<4x8xf32>, tensor<4xi64>, tensor<4xf32> -> tensor<4x8xf16>
  return %dx : tensor<4x8xf16>
}
