// RUN: softmax-opt %s --softmax-gpu-device-memory --split-input-file | FileCheck %s

// A model's buffers in device memory (allocated on a stream the host waits
// for), freed when the call returns; a global a launch reads from the host
// (here through a view, in a nested region) copied to the device when the
// call starts, the view rebuilt on the copy; a host alloca and a function
// that is not exported stay as they are.
// CHECK-LABEL: func.func @f(
// CHECK-NEXT: %[[W:.*]] = memref.get_global @weights
// CHECK-NEXT: %[[S1:.*]] = gpu.wait async
// CHECK-NEXT: %[[COPY:.*]], %[[T1:.*]] = gpu.alloc async [%[[S1]]] () : memref<4x8xf32>
// CHECK-NEXT: gpu.wait [%[[T1]]]
// CHECK-NEXT: %[[S2:.*]] = gpu.wait async
// CHECK-NEXT: %[[T2:.*]] = gpu.memcpy async [%[[S2]]] %[[COPY]], %[[W]]
// CHECK-NEXT: gpu.wait [%[[T2]]]
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[TMP:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] () : memref<4x8xf32>
// CHECK: gpu.wait [%[[T0]]]
// CHECK: memref.alloca() : memref<2xindex>
// CHECK: scf.if
// CHECK: %[[VIEW:.*]] = memref.collapse_shape %[[COPY]] {{\[}}[0, 1]] : memref<4x8xf32> into memref<32xf32>
// CHECK: gpu.launch_func @softmax_kernels::@flat blocks in ({{.*}}) threads in ({{.*}}) args(%[[VIEW]] : memref<32xf32>, %[[TMP]] : memref<4x8xf32>)
// CHECK: gpu.launch_func @softmax_kernels::@k blocks in ({{.*}}) threads in ({{.*}}) args(%[[TMP]] : memref<4x8xf32>, %arg0 : memref<4x8xf32>)
// CHECK: gpu.dealloc async [%{{.*}}] %[[TMP]]
// CHECK: gpu.dealloc async [%{{.*}}] %[[COPY]]
// CHECK-NEXT: gpu.wait
// CHECK-NEXT: return
// CHECK-LABEL: func.func @host(
// CHECK-NEXT: memref.alloc()
// CHECK-NEXT: memref.dealloc
module attributes {gpu.container_module} {
  memref.global "private" constant @weights : memref<4x8xf32> = dense<1.0>
  func.func @f(%out: memref<4x8xf32>, %b: i1) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %tmp = memref.alloc() : memref<4x8xf32>
    %ids = memref.alloca() : memref<2xindex>
    scf.if %b {
      %w = memref.get_global @weights : memref<4x8xf32>
      %flat = memref.collapse_shape %w [[0, 1]] : memref<4x8xf32> into memref<32xf32>
      gpu.launch_func @softmax_kernels::@flat blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%flat : memref<32xf32>, %tmp : memref<4x8xf32>)
    }
    gpu.launch_func @softmax_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%tmp : memref<4x8xf32>, %out : memref<4x8xf32>)
    return
  }
  func.func @host() {
    %a = memref.alloc() : memref<4xf32>
    memref.dealloc %a : memref<4xf32>
    return
  }
  gpu.module @softmax_kernels {
    gpu.func @k(%x: memref<4x8xf32>, %y: memref<4x8xf32>) kernel {
      gpu.return
    }
    gpu.func @flat(%x: memref<32xf32>, %y: memref<4x8xf32>) kernel {
      gpu.return
    }
  }
}
