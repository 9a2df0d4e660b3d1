// RUN: softmax-opt %s --softmax-gpu-device-memory --split-input-file | FileCheck %s

// A model's buffers in device memory (allocated on a stream the host waits
// for), freed when the call returns; a global a launch reads from the host
// copied to the device for the call; a host alloca (bookkeeping) and a
// function that is not exported stay as they are.
// CHECK-LABEL: func.func @f(
// CHECK: %[[S0:.*]] = gpu.wait async
// CHECK: %[[TMP:.*]], %[[T0:.*]] = gpu.alloc async [%[[S0]]] () : memref<4x8xf32>
// CHECK: gpu.wait [%[[T0]]]
// CHECK: %[[W:.*]] = memref.get_global @weights
// CHECK: %[[S1:.*]] = gpu.wait async
// CHECK: %[[COPY:.*]], %[[T1:.*]] = gpu.alloc async [%[[S1]]] () : memref<4x8xf32>
// CHECK: gpu.wait [%[[T1]]]
// CHECK: %[[S2:.*]] = gpu.wait async
// CHECK: %[[T2:.*]] = gpu.memcpy async [%[[S2]]] %[[COPY]], %[[W]]
// CHECK: gpu.wait [%[[T2]]]
// CHECK: memref.alloca() : memref<2xindex>
// CHECK: gpu.launch_func @softmax_kernels::@k blocks in ({{.*}}) threads in ({{.*}}) args(%[[COPY]] : memref<4x8xf32>, %[[TMP]] : memref<4x8xf32>)
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
  func.func @f(%out: memref<4x8xf32>) attributes {llvm.emit_c_interface} {
    %c1 = arith.constant 1 : index
    %tmp = memref.alloc() : memref<4x8xf32>
    %w = memref.get_global @weights : memref<4x8xf32>
    %ids = memref.alloca() : memref<2xindex>
    gpu.launch_func @softmax_kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%w : memref<4x8xf32>, %tmp : memref<4x8xf32>)
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
  }
}
