# SOFTMAX_MLIR_PRECOMPILED_HEADERS: the MLIR headers most of a library's
# sources include, parsed once per library into a precompiled header instead
# of once per source (MLIRSoftmaxTransforms' 22 sources from scratch: 101 s
# -> 28 s at -j2, the header's own build included).
option(SOFTMAX_MLIR_PRECOMPILED_HEADERS
  "Precompile the MLIR headers of the libraries with many sources" ON)

# Gives `target` the precompiled header (where the option is on).
function(softmax_mlir_precompile_headers target)
  if(NOT SOFTMAX_MLIR_PRECOMPILED_HEADERS)
    return()
  endif()
  target_precompile_headers(${target} PRIVATE
    <mlir/Dialect/Arith/IR/Arith.h>
    <mlir/Dialect/Bufferization/IR/Bufferization.h>
    <mlir/Dialect/Func/IR/FuncOps.h>
    <mlir/Dialect/LLVMIR/LLVMDialect.h>
    <mlir/Dialect/Linalg/IR/Linalg.h>
    <mlir/Dialect/Math/IR/Math.h>
    <mlir/Dialect/MemRef/IR/MemRef.h>
    <mlir/Dialect/SCF/IR/SCF.h>
    <mlir/Dialect/Tensor/IR/Tensor.h>
    <mlir/Dialect/Vector/IR/VectorOps.h>
    <mlir/IR/PatternMatch.h>
    <mlir/Pass/Pass.h>
    <mlir/Transforms/GreedyPatternRewriteDriver.h>)
endfunction()
