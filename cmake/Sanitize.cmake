# SOFTMAX_MLIR_SANITIZE: the project's own libraries, tools and tests built
# and linked with AddressSanitizer and UndefinedBehaviorSanitizer (any
# report aborts). Debian's libMLIR.so and libLLVM.so stay as they are, and
# so does softmax_mlir_cuda_runtime, which is linked into the shared
# libraries softmax-compile writes (compiled code is never instrumented).
#
# SOFTMAX_MLIR_BUILD_FUZZERS adds libFuzzer's coverage instrumentation
# (-fsanitize=fuzzer-no-link) to the same targets, so that the fuzz targets
# under fuzz/ are guided by the coverage of our passes.

set(SOFTMAX_MLIR_SANITIZE_FLAGS
  -fsanitize=address,undefined
  -fno-sanitize-recover=all
  -fno-omit-frame-pointer
  -gline-tables-only
  )
set(SOFTMAX_MLIR_SANITIZE_LINK_FLAGS -fsanitize=address,undefined)
if(SOFTMAX_MLIR_BUILD_FUZZERS)
  list(APPEND SOFTMAX_MLIR_SANITIZE_FLAGS -fsanitize=fuzzer-no-link)
endif()

# Targets that must stay uninstrumented.
set(SOFTMAX_MLIR_SANITIZE_EXCLUDE softmax_mlir_cuda_runtime)

# Instruments every library and executable defined in `dir` and below.
function(softmax_mlir_sanitize_directory dir)
  get_property(targets DIRECTORY ${dir} PROPERTY BUILDSYSTEM_TARGETS)
  foreach(target ${targets})
    if(target IN_LIST SOFTMAX_MLIR_SANITIZE_EXCLUDE)
      continue()
    endif()
    get_target_property(type ${target} TYPE)
    if(type STREQUAL "OBJECT_LIBRARY")
      target_compile_options(${target} PRIVATE ${SOFTMAX_MLIR_SANITIZE_FLAGS})
    elseif(type STREQUAL "STATIC_LIBRARY")
      # Whatever links an instrumented archive needs the runtimes, an
      # out-of-tree consumer of the installed package included.
      target_compile_options(${target} PRIVATE ${SOFTMAX_MLIR_SANITIZE_FLAGS})
      target_link_options(${target} INTERFACE
        ${SOFTMAX_MLIR_SANITIZE_LINK_FLAGS})
    elseif(type MATCHES "^(EXECUTABLE|SHARED_LIBRARY|MODULE_LIBRARY)$")
      # A shared library leaves the runtimes' symbols to the executable
      # that loads it.
      target_compile_options(${target} PRIVATE ${SOFTMAX_MLIR_SANITIZE_FLAGS})
      target_link_options(${target} PRIVATE
        ${SOFTMAX_MLIR_SANITIZE_LINK_FLAGS})
    endif()
  endforeach()
  get_property(subdirs DIRECTORY ${dir} PROPERTY SUBDIRECTORIES)
  foreach(subdir ${subdirs})
    softmax_mlir_sanitize_directory(${subdir})
  endforeach()
endfunction()
