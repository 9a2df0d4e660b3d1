//===- core.cpp - softmax_mlir._core, the compiler from Python ------------===//
//
// Part of the softmax-mlir project.
//
//===----------------------------------------------------------------------===//
//
// A nanobind extension over the C API (softmax-mlir/CAPI/SoftmaxMLIR.h):
// compiles MLIR text in this process or into a shared library, loads
// libraries, and calls their C ABI entry points with any DLPack array (NumPy,
// PyTorch) as memref descriptors, allocating the outputs it is not given.
// The call path stays in C++ so that calling a cached kernel costs a few
// microseconds.
//
//===----------------------------------------------------------------------===//

#include "softmax-mlir/CAPI/SoftmaxMLIR.h"

#include <nanobind/nanobind.h>
#include <nanobind/ndarray.h>
#include <nanobind/stl/string.h>
#include <nanobind/stl/vector.h>

#include <dlfcn.h>

#include <cstdint>
#include <cstdlib>
#include <cstring>
#include <memory>
#include <mutex>
#include <optional>
#include <sstream>
#include <string>
#include <utility>
#include <vector>

namespace nb = nanobind;
using namespace nb::literals;

namespace {

/// The compiler's diagnostics, raised as softmax_mlir.CompileError.
nb::object compileErrorType;

[[noreturn]] void raiseCompileError(char *error) {
  std::string message = error ? error : "error: compilation failed";
  smlFreeString(error);
  while (!message.empty() && message.back() == '\n')
    message.pop_back();
  PyErr_SetString(compileErrorType.ptr(), message.c_str());
  throw nb::python_error();
}

/// An element type of the ABI, as DLPack spells it.
struct ElementType {
  uint8_t code;
  uint8_t bits;
  const char *name;
};

const ElementType *parseElementType(const std::string &name) {
  static const ElementType types[] = {
      {(uint8_t)nb::dlpack::dtype_code::Float, 32, "f32"},
      {(uint8_t)nb::dlpack::dtype_code::Float, 64, "f64"},
      {(uint8_t)nb::dlpack::dtype_code::Float, 16, "f16"},
      {(uint8_t)nb::dlpack::dtype_code::Bfloat, 16, "bf16"},
      {(uint8_t)nb::dlpack::dtype_code::Bool, 8, "i1"},
      {(uint8_t)nb::dlpack::dtype_code::Int, 8, "i8"},
      {(uint8_t)nb::dlpack::dtype_code::Int, 16, "i16"},
      {(uint8_t)nb::dlpack::dtype_code::Int, 32, "i32"},
      {(uint8_t)nb::dlpack::dtype_code::Int, 64, "i64"},
  };
  for (const ElementType &type : types)
    if (name == type.name)
      return &type;
  return nullptr;
}

/// One C parameter: a pointer to a memref descriptor.
struct Param {
  bool isOutput;
  const ElementType *type;
  std::vector<int64_t> dims; // -1: dynamic
};

struct Signature {
  std::string name;
  std::vector<Param> params;
  size_t numInputs = 0;
};

/// Parses the signature lines of smlDescribe.
std::vector<Signature> parseSignatures(const std::string &text) {
  std::vector<Signature> result;
  std::istringstream lines(text);
  std::string line;
  while (std::getline(lines, line)) {
    std::istringstream words(line);
    Signature signature;
    if (!(words >> signature.name))
      continue;
    std::string word;
    while (words >> word) {
      Param param;
      size_t colon = word.find(':'), second = word.find(':', colon + 1);
      param.isOutput = word.compare(0, colon, "out") == 0;
      param.type = parseElementType(word.substr(colon + 1, second - colon - 1));
      std::string dims = word.substr(second + 1);
      size_t start = 0;
      while (start < dims.size()) {
        size_t end = dims.find('x', start);
        if (end == std::string::npos)
          end = dims.size();
        std::string dim = dims.substr(start, end - start);
        param.dims.push_back(dim == "?" ? -1 : std::stoll(dim));
        start = end + 1;
      }
      if (!param.isOutput)
        ++signature.numInputs;
      signature.params.push_back(std::move(param));
    }
    result.push_back(std::move(signature));
  }
  return result;
}

/// What keeps compiled code alive: an ExecutionEngine module or a library.
struct Code {
  SmlModule *module = nullptr;
  void *library = nullptr;
  /// A target="cuda" library's runtime functions (else null). Its error
  /// state is the library's, not a thread's: calls of the library hold
  /// `callMutex` from setting the stream to clearing the error.
  void (*setStream)(void *) = nullptr;
  const char *(*lastError)() = nullptr;
  void (*clearError)() = nullptr;
  std::mutex callMutex;
  /// The CUDA device current (in PyTorch) when the library loaded its
  /// kernels, which its calls must run on; -1 where PyTorch did not say.
  int32_t loadDevice = -1;
  ~Code() {
    if (module)
      smlModuleDestroy(module);
    if (library)
      dlclose(library);
  }
};

std::string describeShape(const std::vector<int64_t> &dims) {
  std::string text = "(";
  for (size_t i = 0; i < dims.size(); ++i) {
    if (i)
      text += ", ";
    text += dims[i] < 0 ? "?" : std::to_string(dims[i]);
  }
  return text + (dims.size() == 1 ? ",)" : ")");
}

/// Inputs may be read-only; outputs are written.
using InArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cpu>;
using OutArray = nb::ndarray<nb::c_contig, nb::device::cpu>;
/// The same in CUDA device memory (a target="cuda" module's arrays).
using CUDAInArray = nb::ndarray<nb::ro, nb::c_contig, nb::device::cuda>;
using CUDAOutArray = nb::ndarray<nb::c_contig, nb::device::cuda>;

/// What a call needs of an array.
struct View {
  void *data;
  nb::dlpack::dtype dtype;
  size_t ndim;
  const int64_t *shape;

  template <typename T>
  explicit View(const T &array)
      : data(const_cast<void *>(static_cast<const void *>(array.data()))),
        dtype(array.dtype()), ndim(array.ndim()), shape(array.shape_ptr()) {}
  View(void *data, nb::dlpack::dtype dtype, size_t ndim, const int64_t *shape)
      : data(data), dtype(dtype), ndim(ndim), shape(shape) {}
};

/// A buffer-protocol view of an array (NumPy's fast path: no DLPack
/// capsule), released with it.
struct Buffer {
  Py_buffer view{};
  bool held = false;
  Buffer() = default;
  Buffer(const Buffer &) = delete;
  Buffer &operator=(const Buffer &) = delete;
  ~Buffer() {
    if (held)
      PyBuffer_Release(&view);
  }
};

/// The element type of a buffer-protocol format, for the formats of the
/// ABI's types in native byte order.
std::optional<nb::dlpack::dtype> parseFormat(const char *format,
                                             Py_ssize_t itemsize) {
  if (!format)
    return std::nullopt;
  if (*format == '@' || *format == '=' || *format == '<')
    ++format;
  if (!*format || format[1])
    return std::nullopt;
  using Code = nb::dlpack::dtype_code;
  auto make = [&](Code code) {
    return nb::dlpack::dtype{(uint8_t)code, (uint8_t)(itemsize * 8), 1};
  };
  switch (*format) {
  case 'f':
  case 'd':
  case 'e':
    return make(Code::Float);
  case '?':
    return make(Code::Bool);
  case 'b':
  case 'h':
  case 'i':
  case 'l':
  case 'q':
    return make(Code::Int);
  default:
    return std::nullopt;
  }
}

/// Views `object` through the buffer protocol when it offers a C-contiguous
/// buffer (writable if asked) of a known element type.
bool tryBuffer(nb::handle object, bool writable, Buffer &buffer,
               std::optional<View> &view) {
  if (!PyObject_CheckBuffer(object.ptr()))
    return false;
  int flags =
      PyBUF_C_CONTIGUOUS | PyBUF_FORMAT | (writable ? PyBUF_WRITABLE : 0);
  if (PyObject_GetBuffer(object.ptr(), &buffer.view, flags) != 0) {
    PyErr_Clear();
    return false;
  }
  buffer.held = true;
  std::optional<nb::dlpack::dtype> dtype =
      parseFormat(buffer.view.format, buffer.view.itemsize);
  if (!dtype)
    return false;
  static_assert(sizeof(Py_ssize_t) == sizeof(int64_t));
  view.emplace(buffer.view.buf, *dtype, (size_t)buffer.view.ndim,
               reinterpret_cast<const int64_t *>(buffer.view.shape));
  return true;
}

/// numpy.empty and the NumPy dtype of each element type, looked up once
/// (and kept past the interpreter's end).
nb::handle getNumPyDType(const ElementType &type) {
  static std::vector<std::pair<const ElementType *, nb::object *>> dtypes;
  for (auto &[known, dtype] : dtypes)
    if (known == &type)
      return *dtype;
  static const std::pair<const char *, const char *> names[] = {
      {"f32", "float32"}, {"f64", "float64"}, {"f16", "float16"},
      {"i1", "bool"},     {"i8", "int8"},     {"i16", "int16"},
      {"i32", "int32"},   {"i64", "int64"}};
  for (auto [abi, numpy] : names)
    if (std::strcmp(abi, type.name) == 0) {
      auto *dtype =
          new nb::object(nb::module_::import_("numpy").attr("dtype")(numpy));
      dtypes.emplace_back(&type, dtype);
      return *dtype;
    }
  throw nb::type_error("no NumPy dtype for this element type");
}

nb::handle getNumPyEmpty() {
  static nb::object *empty =
      new nb::object(nb::module_::import_("numpy").attr("empty"));
  return *empty;
}

/// A memref descriptor: allocated and aligned pointers, offset, sizes,
/// strides (row-major, contiguous).
void fillDescriptor(int64_t *descriptor, void *data, const int64_t *shape,
                    size_t rank) {
  descriptor[2] = 0;
  std::memcpy(&descriptor[0], &data, sizeof(void *));
  std::memcpy(&descriptor[1], &data, sizeof(void *));
  int64_t stride = 1;
  for (size_t i = rank; i-- > 0;) {
    descriptor[3 + i] = shape[i];
    descriptor[3 + rank + i] = stride;
    stride *= shape[i];
  }
}

template <size_t... I>
void invokeWith(void *entry, void **args, std::index_sequence<I...>) {
  using Fn = void (*)(decltype((void)I, (void *)nullptr)...);
  reinterpret_cast<Fn>(entry)(args[I]...);
}

constexpr size_t kMaxParams = 16;

template <size_t... N>
void invoke(void *entry, void **args, size_t count, std::index_sequence<N...>) {
  ((count == N ? invokeWith(entry, args, std::make_index_sequence<N>()),
    true       : false) ||
   ...);
}

/// torch.from_numpy, looked up when first needed.
nb::handle getTorchFromNumPy() {
  static nb::object *fromNumPy =
      new nb::object(nb::module_::import_("torch").attr("from_numpy"));
  return *fromNumPy;
}

/// The NumPy view of a CPU tensor (`tensor.numpy()`, which shares its
/// memory and is cheaper than DLPack), or None where it has none (bfloat16,
/// a tensor that requires grad, another device).
nb::object asNumPy(nb::handle tensor) {
  PyObject *array = PyObject_CallMethod(tensor.ptr(), "numpy", nullptr);
  if (!array) {
    PyErr_Clear();
    return nb::none();
  }
  return nb::steal(array);
}

/// Whether `object` is a PyTorch tensor (its outputs are then tensors too).
bool isTorchTensor(nb::handle object) {
  // torch.Tensor and its subclasses (nn.Parameter) define it.
  return PyObject_HasAttrString((PyObject *)Py_TYPE(object.ptr()),
                                "__torch_function__");
}

/// A function of a compiled module, callable on arrays.
class Function {
public:
  Function(std::shared_ptr<Code> code, void *entry, Signature signature)
      : code(std::move(code)), entry(entry), signature(std::move(signature)) {}

  const std::string &getName() const { return signature.name; }

  nb::object call(nb::args args, nb::kwargs kwargs) {
    const std::vector<Param> &params = signature.params;
    size_t numInputs = signature.numInputs;
    if (args.size() != numInputs)
      throw nb::type_error((signature.name + "() takes " +
                            std::to_string(numInputs) + " arrays, " +
                            std::to_string(args.size()) + " given")
                               .c_str());
    nb::object out;
    for (auto [key, value] : kwargs) {
      if (nb::cast<std::string>(key) != "out")
        throw nb::type_error((signature.name +
                              "() got an unexpected keyword argument '" +
                              nb::cast<std::string>(key) + "'")
                                 .c_str());
      out = nb::borrow(value);
    }
    if (code->setStream)
      return callCUDA(args, out);

    // The arrays stay referenced until the call returns.
    // The arrays stay referenced until the call returns. NumPy arrays go
    // through the buffer protocol, the others through DLPack.
    std::vector<InArray> inputs(numInputs);
    std::vector<OutArray> outputs(params.size() - numInputs);
    Buffer buffers[kMaxParams];
    std::optional<View> views[kMaxParams];
    bool torch = false;
    for (size_t i = 0; i < numInputs; ++i) {
      nb::handle arg = args[i];
      // NumPy first (no tensor offers a buffer), then a tensor's NumPy view,
      // then DLPack.
      bool viewed = tryBuffer(arg, /*writable=*/false, buffers[i], views[i]);
      if (!viewed && isTorchTensor(arg)) {
        torch = true;
        viewed =
            tryBuffer(asNumPy(arg), /*writable=*/false, buffers[i], views[i]);
      }
      if (!viewed) {
        if (!nb::try_cast<InArray>(arg, inputs[i], /*convert=*/true))
          throw nb::type_error((signature.name + "(): argument " +
                                std::to_string(i) +
                                " is not a CPU array (NumPy, PyTorch or any "
                                "DLPack array in host memory)")
                                   .c_str());
        views[i].emplace(inputs[i]);
      }
      check(*views[i], params[i], "argument", i);
    }

    // The outputs: given (one array, or a sequence), or allocated.
    std::vector<nb::object> results;
    size_t numOutputs = params.size() - numInputs;
    if (out.is_valid() && !out.is_none()) {
      std::vector<nb::object> given = splitOut(out, numOutputs);
      for (size_t i = 0; i < numOutputs; ++i) {
        size_t k = numInputs + i;
        if (!tryBuffer(given[i], /*writable=*/true, buffers[k], views[k])) {
          if (!nb::try_cast<OutArray>(given[i], outputs[i],
                                      /*convert=*/false))
            throw nb::type_error((signature.name + "(): out[" +
                                  std::to_string(i) +
                                  "] is not a writable contiguous CPU array")
                                     .c_str());
          views[k].emplace(outputs[i]);
        }
        check(*views[k], params[k], "out", i);
        checkInferredShape(*views[k], params[k], views, i);
        results.push_back(given[i]);
      }
    } else {
      for (size_t i = 0; i < numOutputs; ++i) {
        size_t k = numInputs + i;
        std::vector<size_t> shape = inferShape(params[k], views, numInputs);
        nb::object result = allocate(params[k], shape, torch);
        if (!tryBuffer(result, /*writable=*/true, buffers[k], views[k])) {
          outputs[i] = nb::cast<OutArray>(result, /*convert=*/false);
          views[k].emplace(outputs[i]);
        } else if (torch) {
          // A NumPy array made for a PyTorch caller: the tensor shares it.
          result = getTorchFromNumPy()(result);
        }
        results.push_back(std::move(result));
      }
    }

    // Descriptors, then the call without the GIL.
    void *pointers[kMaxParams];
    int64_t descriptors[kMaxParams][3 + 2 * 16];
    for (size_t i = 0; i < params.size(); ++i) {
      fillDescriptor(descriptors[i], views[i]->data, views[i]->shape,
                     views[i]->ndim);
      pointers[i] = descriptors[i];
    }
    {
      nb::gil_scoped_release release;
      invoke(entry, pointers, params.size(),
             std::make_index_sequence<kMaxParams + 1>());
    }
    return packResults(results);
  }

private:
  /// The arrays of out= (one, or a sequence of `numOutputs`).
  std::vector<nb::object> splitOut(nb::handle out, size_t numOutputs) const {
    std::vector<nb::object> given;
    if (nb::isinstance<nb::tuple>(out) || nb::isinstance<nb::list>(out)) {
      for (nb::handle item : out)
        given.push_back(nb::borrow(item));
    } else {
      given.push_back(nb::borrow(out));
    }
    if (given.size() != numOutputs)
      throw nb::type_error((signature.name + "(): out= needs " +
                            std::to_string(numOutputs) + " arrays")
                               .c_str());
    return given;
  }

  /// The call's value: its one result, or a tuple of them.
  static nb::object packResults(std::vector<nb::object> &results) {
    if (results.size() == 1)
      return results[0];
    nb::list list;
    for (nb::object &result : results)
      list.append(result);
    return nb::tuple(list);
  }

  /// A target="cuda" module's call: arrays in CUDA device memory (PyTorch
  /// CUDA tensors, CuPy, any DLPack array there), all on one device; the
  /// outputs not given are PyTorch CUDA tensors on it. The kernels launch
  /// on PyTorch's current stream of that device where PyTorch is loaded
  /// (the call then returns before they finish, as PyTorch's own ops do),
  /// else the call waits for them. A CUDA error raises RuntimeError.
  nb::object callCUDA(nb::args args, nb::object out) {
    const std::vector<Param> &params = signature.params;
    size_t numInputs = signature.numInputs;
    size_t numOutputs = params.size() - numInputs;
    std::vector<CUDAInArray> inputs(numInputs);
    std::vector<CUDAOutArray> outputs(numOutputs);
    std::optional<View> views[kMaxParams];
    int32_t device = -1;
    auto onDevice = [&](int32_t id, const std::string &what) {
      if (device >= 0 && id != device)
        throw nb::value_error((signature.name + "(): " + what +
                               " is on CUDA device " + std::to_string(id) +
                               ", the others on " + std::to_string(device))
                                  .c_str());
      device = id;
    };
    for (size_t i = 0; i < numInputs; ++i) {
      if (!nb::try_cast<CUDAInArray>(args[i], inputs[i], /*convert=*/false))
        throw nb::type_error((signature.name + "(): argument " +
                              std::to_string(i) +
                              " is not a C-contiguous CUDA array (a "
                              "target='cuda' module takes PyTorch CUDA "
                              "tensors, CuPy arrays or any DLPack array in "
                              "device memory)")
                                 .c_str());
      views[i].emplace(inputs[i]);
      check(*views[i], params[i], "argument", i);
      onDevice(inputs[i].device_id(), "argument " + std::to_string(i));
    }
    std::vector<nb::object> results;
    if (out.is_valid() && !out.is_none()) {
      std::vector<nb::object> given = splitOut(out, numOutputs);
      for (size_t i = 0; i < numOutputs; ++i) {
        size_t k = numInputs + i;
        if (!nb::try_cast<CUDAOutArray>(given[i], outputs[i],
                                        /*convert=*/false))
          throw nb::type_error((signature.name + "(): out[" +
                                std::to_string(i) +
                                "] is not a writable contiguous CUDA array")
                                   .c_str());
        views[k].emplace(outputs[i]);
        check(*views[k], params[k], "out", i);
        checkInferredShape(*views[k], params[k], views, i);
        onDevice(outputs[i].device_id(), "out[" + std::to_string(i) + "]");
        results.push_back(given[i]);
      }
    } else {
      for (size_t i = 0; i < numOutputs; ++i) {
        size_t k = numInputs + i;
        std::vector<size_t> shape = inferShape(params[k], views, numInputs);
        nb::object result = allocateCUDA(params[k], shape, device);
        outputs[i] = nb::cast<CUDAOutArray>(result, /*convert=*/false);
        views[k].emplace(outputs[i]);
        results.push_back(std::move(result));
      }
    }
    // The kernels loaded into the context of the device current when the
    // library loaded; with PyTorch, its current stream of that device (the
    // legacy default stream for its default one: launched there, the call
    // returns without waiting for the kernels).
    nb::object torchCUDA = getTorchCUDA();
    if (code->loadDevice >= 0 && device != code->loadDevice)
      throw nb::value_error((signature.name +
                             "(): the arrays are on CUDA "
                             "device " +
                             std::to_string(device) +
                             ", the module's kernels on device " +
                             std::to_string(code->loadDevice))
                                .c_str());
    void *stream = nullptr;
    if (torchCUDA.is_valid() && device >= 0) {
      if (nb::cast<int32_t>(torchCUDA.attr("current_device")()) != device)
        throw nb::value_error((signature.name +
                               "(): PyTorch's current CUDA "
                               "device is not the arrays' (" +
                               std::to_string(device) +
                               "): call it under torch.cuda.device(" +
                               std::to_string(device) + ")")
                                  .c_str());
      uintptr_t handle = nb::cast<uintptr_t>(
          torchCUDA.attr("current_stream")(device).attr("cuda_stream"));
      constexpr uintptr_t kLegacyDefaultStream = 1; // CU_STREAM_LEGACY
      stream = reinterpret_cast<void *>(handle ? handle : kLegacyDefaultStream);
    }

    void *pointers[kMaxParams];
    int64_t descriptors[kMaxParams][3 + 2 * 16];
    for (size_t i = 0; i < params.size(); ++i) {
      fillDescriptor(descriptors[i], views[i]->data, views[i]->shape,
                     views[i]->ndim);
      pointers[i] = descriptors[i];
    }
    const char *failure = nullptr;
    std::string message;
    {
      nb::gil_scoped_release release;
      std::lock_guard<std::mutex> lock(code->callMutex);
      code->setStream(stream);
      invoke(entry, pointers, params.size(),
             std::make_index_sequence<kMaxParams + 1>());
      if ((failure = code->lastError()))
        message = failure;
      code->clearError();
    }
    if (failure)
      throw std::runtime_error(signature.name + "(): CUDA: " + message);
    return packResults(results);
  }

public:
  /// `torch.cuda` where PyTorch is loaded and sees a GPU, else invalid.
  /// Every CUDA call asks: once PyTorch is loaded its answer is kept (a GPU
  /// does not come or go), leaked with the interpreter.
  static nb::object getTorchCUDA() {
    static PyObject *known = nullptr; // torch.cuda, or Py_None: no GPU
    if (!known) {
      nb::object torchModule =
          nb::module_::import_("sys").attr("modules").attr("get")("torch");
      if (torchModule.is_none())
        return nb::object(); // Not loaded yet: ask again next time.
      nb::object cuda = torchModule.attr("cuda");
      known = nb::cast<bool>(cuda.attr("is_available")())
                  ? cuda.release().ptr()
                  : nb::none().release().ptr();
    }
    return known == Py_None ? nb::object() : nb::borrow(known);
  }

private:
  /// A new PyTorch CUDA tensor for `param` on `device`.
  nb::object allocateCUDA(const Param &param, const std::vector<size_t> &shape,
                          int32_t device) const {
    nb::object torchModule;
    try {
      torchModule = nb::module_::import_("torch");
    } catch (nb::python_error &) {
      throw nb::type_error((signature.name +
                            "(): without PyTorch, pass the outputs as out= "
                            "(CUDA arrays)")
                               .c_str());
    }
    static const std::pair<const char *, const char *> kTorchTypes[] = {
        {"f16", "float16"}, {"bf16", "bfloat16"}, {"f32", "float32"},
        {"f64", "float64"}, {"i1", "bool"},       {"i8", "int8"},
        {"i16", "int16"},   {"i32", "int32"},     {"i64", "int64"}};
    const char *torchType = nullptr;
    for (auto [name, torchName] : kTorchTypes)
      if (param.type->name == name)
        torchType = torchName;
    nb::list sizes;
    for (size_t size : shape)
      sizes.append(size);
    return torchModule.attr("empty")(
        nb::tuple(sizes), "dtype"_a = torchModule.attr(torchType),
        "device"_a = "cuda:" + std::to_string(device < 0 ? 0 : device));
  }

  /// Rejects an array whose element type, rank or static sizes differ from
  /// the parameter's.
  /// `kind` and `index` name the array in messages: "argument 0", "out[1]".
  static std::string describeArray(const char *kind, size_t index) {
    return std::strcmp(kind, "out") == 0
               ? "out[" + std::to_string(index) + "]"
               : std::string(kind) + " " + std::to_string(index);
  }

  void check(const View &array, const Param &param, const char *kind,
             size_t index) const {
    nb::dlpack::dtype dtype = array.dtype;
    bool typeMatches = param.type && dtype.code == param.type->code &&
                       dtype.bits == param.type->bits && dtype.lanes == 1;
    bool rankMatches = array.ndim == param.dims.size() && array.ndim <= 16;
    bool sizesMatch = rankMatches;
    for (size_t d = 0; sizesMatch && d < param.dims.size(); ++d)
      sizesMatch = param.dims[d] < 0 || array.shape[d] == param.dims[d];
    if (typeMatches && sizesMatch)
      return;
    std::string what = describeArray(kind, index);
    if (!typeMatches)
      throw nb::type_error((signature.name + "(): " + what +
                            " has the wrong element type: expected " +
                            (param.type ? param.type->name : "?"))
                               .c_str());
    if (array.ndim != param.dims.size() || array.ndim > 16)
      throw nb::value_error((signature.name + "(): " + what + " has rank " +
                             std::to_string(array.ndim) + ", expected " +
                             std::to_string(param.dims.size()) + " " +
                             describeShape(param.dims))
                                .c_str());
    for (size_t d = 0; d < param.dims.size(); ++d)
      if (param.dims[d] >= 0 && array.shape[d] != param.dims[d])
        throw nb::value_error((signature.name + "(): " + what + " has size " +
                               std::to_string(array.shape[d]) + " in dim " +
                               std::to_string(d) + ", expected " +
                               describeShape(param.dims))
                                  .c_str());
  }

  /// Rejects an output whose dynamic sizes differ from those of the input
  /// its shape is inferred from (see inferShape), where there is one: the
  /// code would write past it.
  void checkInferredShape(const View &array, const Param &param,
                          const std::optional<View> *views,
                          size_t index) const {
    std::optional<std::vector<size_t>> shape =
        tryInferShape(param, views, signature.numInputs);
    if (!shape)
      return;
    for (size_t d = 0; d < shape->size(); ++d)
      if ((size_t)array.shape[d] != (*shape)[d])
        throw nb::value_error(
            (signature.name + "(): " + describeArray("out", index) +
             " has size " + std::to_string(array.shape[d]) + " in dim " +
             std::to_string(d) + ", the inputs make " +
             std::to_string((*shape)[d]))
                .c_str());
  }

  /// The shape of an output the caller did not give (see tryInferShape).
  std::vector<size_t> inferShape(const Param &param,
                                 const std::optional<View> *inputs,
                                 size_t numInputs) const {
    if (std::optional<std::vector<size_t>> shape =
            tryInferShape(param, inputs, numInputs))
      return *shape;
    throw nb::value_error((signature.name +
                           "(): cannot tell the size of an output of shape " +
                           describeShape(param.dims) + ": pass out=")
                              .c_str());
  }

  /// Static sizes, and for dynamic ones the sizes of the first input of the
  /// same rank whose sizes agree with the output's static ones.
  std::optional<std::vector<size_t>>
  tryInferShape(const Param &param, const std::optional<View> *inputs,
                size_t numInputs) const {
    std::vector<size_t> shape(param.dims.size());
    bool dynamic = false;
    for (size_t d = 0; d < param.dims.size(); ++d) {
      shape[d] = param.dims[d] < 0 ? 0 : (size_t)param.dims[d];
      dynamic = dynamic || param.dims[d] < 0;
    }
    if (!dynamic)
      return shape;
    for (size_t i = 0; i < numInputs; ++i) {
      const View &input = *inputs[i];
      if (input.ndim != param.dims.size())
        continue;
      bool agrees = true;
      for (size_t d = 0; d < param.dims.size(); ++d)
        agrees =
            agrees && (param.dims[d] < 0 || input.shape[d] == param.dims[d]);
      if (!agrees)
        continue;
      for (size_t d = 0; d < param.dims.size(); ++d)
        shape[d] = (size_t)input.shape[d];
      return shape;
    }
    return std::nullopt;
  }

  /// A new C-contiguous array for `param`: a PyTorch tensor when the
  /// inputs are, else a NumPy array.
  nb::object allocate(const Param &param, const std::vector<size_t> &shape,
                      bool torch) const {
    if (!torch && param.type->code == (uint8_t)nb::dlpack::dtype_code::Bfloat)
      throw nb::type_error((signature.name +
                            "(): NumPy has no bfloat16: pass out= or PyTorch "
                            "tensors")
                               .c_str());
    if (param.type->code != (uint8_t)nb::dlpack::dtype_code::Bfloat) {
      nb::object shapeTuple = nb::steal(PyTuple_New((Py_ssize_t)shape.size()));
      for (size_t d = 0; d < shape.size(); ++d)
        PyTuple_SET_ITEM(shapeTuple.ptr(), (Py_ssize_t)d,
                         PyLong_FromSize_t(shape[d]));
      return getNumPyEmpty()(shapeTuple, getNumPyDType(*param.type));
    }
    size_t count = 1;
    for (size_t size : shape)
      count *= size;
    size_t bytes = count * (param.type->bits / 8);
    void *data = std::malloc(bytes ? bytes : 1);
    if (!data)
      throw std::bad_alloc();
    nb::capsule owner(data, [](void *p) noexcept { std::free(p); });
    nb::dlpack::dtype dtype{param.type->code, param.type->bits, 1};
    if (torch)
      return nb::ndarray<nb::pytorch>(data, shape.size(), shape.data(), owner,
                                      nullptr, dtype)
          .cast();
    return nb::ndarray<nb::numpy>(data, shape.size(), shape.data(), owner,
                                  nullptr, dtype)
        .cast();
  }

  std::shared_ptr<Code> code;
  void *entry;
  Signature signature;
};

/// A compiled module: its functions by name.
class Module {
public:
  Module(std::shared_ptr<Code> code, const std::string &signatures)
      : code(std::move(code)) {
    for (Signature &signature : parseSignatures(signatures)) {
      void *entry =
          this->code->module
              ? smlModuleLookup(this->code->module, signature.name.c_str())
              : dlsym(this->code->library,
                      ("_mlir_ciface_" + signature.name).c_str());
      if (!entry)
        throw std::runtime_error("compiled code lacks _mlir_ciface_" +
                                 signature.name);
      if (signature.params.size() > kMaxParams)
        throw nb::value_error(("function " + signature.name + " has " +
                               std::to_string(signature.params.size()) +
                               " array parameters; at most 16 are supported")
                                  .c_str());
      functions.emplace_back(this->code, entry, std::move(signature));
    }
  }

  std::vector<std::string> names() const {
    std::vector<std::string> result;
    for (const Function &function : functions)
      result.push_back(function.getName());
    return result;
  }

  Function &get(const std::string &name) {
    for (Function &function : functions)
      if (function.getName() == name)
        return function;
    throw nb::attribute_error(
        ("the module has no public function '" + name + "'").c_str());
  }

  std::vector<Function> functions;

private:
  std::shared_ptr<Code> code;
};

Module compileCPU(const std::string &source, const std::string &options,
                  const std::string &name) {
  char *error = nullptr;
  SmlModule *module;
  {
    nb::gil_scoped_release release;
    module = smlCompileCPU(source.data(), source.size(), name.c_str(),
                           options.c_str(), &error);
  }
  if (!module)
    raiseCompileError(error);
  auto code = std::make_shared<Code>();
  code->module = module;
  return Module(code, smlModuleSignatures(module));
}

void compileCPUToLibrary(const std::string &source, const std::string &options,
                         const std::string &path, const std::string &name) {
  char *error = nullptr;
  int failed;
  {
    nb::gil_scoped_release release;
    failed = smlCompileCPUToLibrary(source.data(), source.size(), name.c_str(),
                                    options.c_str(), path.c_str(), &error);
  }
  if (failed)
    raiseCompileError(error);
}

std::string describe(const std::string &source, const std::string &name) {
  char *error = nullptr;
  char *text = smlDescribe(source.data(), source.size(), name.c_str(), &error);
  if (!text)
    raiseCompileError(error);
  std::string result = text;
  smlFreeString(text);
  return result;
}

Module loadLibrary(const std::string &path, const std::string &signatures,
                   bool cuda) {
  void *library = dlopen(path.c_str(), RTLD_NOW | RTLD_LOCAL);
  if (!library) {
    const char *message = dlerror();
    throw nb::value_error(
        ("cannot load '" + path + "': " + (message ? message : "unknown error"))
            .c_str());
  }
  auto code = std::make_shared<Code>();
  code->library = library;
  bool hasCUDARuntime = dlsym(library, "softmax_mlir_cuda_set_stream");
  if (!cuda && hasCUDARuntime)
    throw nb::value_error(("'" + path +
                           "' is a target='cuda' library: load it with "
                           "target='cuda'")
                              .c_str());
  if (cuda) {
    nb::object torchCUDA = Function::getTorchCUDA();
    if (torchCUDA.is_valid())
      code->loadDevice = nb::cast<int32_t>(torchCUDA.attr("current_device")());
    code->setStream = reinterpret_cast<void (*)(void *)>(
        dlsym(library, "softmax_mlir_cuda_set_stream"));
    code->lastError = reinterpret_cast<const char *(*)()>(
        dlsym(library, "softmax_mlir_cuda_last_error"));
    code->clearError = reinterpret_cast<void (*)()>(
        dlsym(library, "softmax_mlir_cuda_clear_error"));
    if (!code->setStream || !code->lastError || !code->clearError)
      throw nb::value_error(("'" + path +
                             "' is not a target='cuda' library (it lacks "
                             "softmax_mlir_cuda_set_stream)")
                                .c_str());
  }
  return Module(code, signatures);
}

void compileCUDAToLibrary(const std::string &source, const std::string &options,
                          const std::string &runtime, const std::string &path,
                          const std::string &name) {
  char *error = nullptr;
  int failed;
  {
    nb::gil_scoped_release release;
    failed = smlCompileCUDAToLibrary(
        source.data(), source.size(), name.c_str(), options.c_str(),
        runtime.empty() ? nullptr : runtime.c_str(), path.c_str(), &error);
  }
  if (failed)
    raiseCompileError(error);
}

} // namespace

NB_MODULE(_core, m) {
  m.doc() = "softmax-mlir's compiler and compiled functions (the C API)";
  compileErrorType = nb::borrow(
      PyErr_NewExceptionWithDoc("softmax_mlir.CompileError",
                                "The compiler rejected the input; the message "
                                "holds its diagnostics.",
                                PyExc_ValueError, nullptr));
  m.attr("CompileError") = compileErrorType;

  nb::class_<Function>(m, "Function")
      .def_prop_ro("name", &Function::getName)
      .def("__call__", &Function::call,
           "Runs the function on input arrays; out= gives the outputs.");
  nb::class_<Module>(m, "Module")
      .def_prop_ro("functions", &Module::names)
      .def("get", &Module::get, nb::rv_policy::reference_internal, "name"_a);

  m.def("compile_cpu", &compileCPU, "source"_a, "options"_a = "",
        "name"_a = "<source>",
        "Compiles MLIR text for this CPU into this process.");
  m.def("compile_cpu_to_library", &compileCPUToLibrary, "source"_a, "options"_a,
        "path"_a, "name"_a = "<source>",
        "Compiles MLIR text for this CPU into a shared library.");
  m.def("describe", &describe, "source"_a, "name"_a = "<source>",
        "The C ABI signatures of the public functions of MLIR text.");
  m.def("compile_cuda_to_library", &compileCUDAToLibrary, "source"_a,
        "options"_a, "runtime"_a, "path"_a, "name"_a = "<source>",
        "Compiles MLIR text for NVIDIA GPUs into a shared library (host code "
        "for this CPU, linking the CUDA runtime archive `runtime`).");
  m.def(
      "set_runtime_library_directory",
      [](const std::string &directory) {
        smlSetRuntimeLibraryDirectory(directory.c_str());
      },
      "directory"_a,
      "Where compiled code finds libomp and MLIR's runtime support (the "
      "package's own copies, when it carries them).");
  m.def("load_library", &loadLibrary, "path"_a, "signatures"_a,
        "cuda"_a = false,
        "Loads a shared library compiled before, with its signatures "
        "(cuda: a target='cuda' library, called on CUDA arrays).");
}
