// Turning NumPy arrays into core views without copying, and refusing the ones that would need a copy.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <string>

#include "gradkit/optim/array_ref.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

template <typename T>
constexpr const char* dtype_name() {
    return sizeof(T) == 4 ? "float32" : "float64";
}

inline std::string describe(py::handle obj) {
    if (!py::isinstance<py::array>(obj)) return std::string(py::str(py::type::of(obj).attr("__name__")));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    std::string s = std::string(py::str(arr.dtype())) + " array of shape " + std::string(py::repr(arr.attr("shape")));
    if (!(arr.flags() & py::array::c_style)) s += ", not C-contiguous";
    if (!(arr.flags() & py::detail::npy_api::NPY_ARRAY_WRITEABLE_)) s += ", read-only";
    return s;
}

inline std::string where(const char* what, std::size_t index) {
    return std::string(what) + "[" + std::to_string(index) + "]";
}

// A parameter must be updated where it lies: a writeable, aligned, C-contiguous ndarray of dtype T.
template <typename T>
optim::ArrayRef<T> param_ref(py::handle obj, const char* what, std::size_t index) {
    const std::string need = std::string("a writeable C-contiguous ") + dtype_name<T>() + " numpy.ndarray";
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(where(what, index) + ": expected " + need + ", got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (!arr.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(where(what, index) + ": expected " + need + ", got " + describe(obj) +
                             " (all arrays of one param group share a dtype; pass .astype(" + dtype_name<T>() +
                             ") yourself if a copy is what you want)");
    const int flags = arr.flags();
    if (!(flags & py::array::c_style) || !(flags & py::detail::npy_api::NPY_ARRAY_ALIGNED_))
        throw py::value_error(where(what, index) + ": expected " + need + ", got " + describe(obj) +
                              "; updating it in place is impossible (np.ascontiguousarray would copy)");
    if (!(flags & py::detail::npy_api::NPY_ARRAY_WRITEABLE_))
        throw py::value_error(where(what, index) + ": expected " + need + ", got " + describe(obj));
    optim::ArrayRef<T> ref{static_cast<T*>(arr.mutable_data()), static_cast<std::size_t>(arr.size())};
    ref.ndim = static_cast<int>(arr.ndim());
    if (ref.ndim >= 2) {
        ref.rows = static_cast<std::size_t>(arr.shape(ref.ndim - 2));
        ref.cols = static_cast<std::size_t>(arr.shape(ref.ndim - 1));
    }
    return ref;
}

// A gradient is read where it lies: same dtype and shape as its parameter, C-contiguous.
// Returns nullptr for None (the parameter is skipped, as torch skips a None .grad).
template <typename T>
const T* grad_ptr(py::handle obj, const py::array& param, std::size_t index) {
    if (obj.is_none()) return nullptr;
    auto need = [&] {
        return std::string("a C-contiguous ") + describe(param) + " like params[" + std::to_string(index) + "]";
    };
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(where("grads", index) + ": expected " + need() + ", got " + describe(obj));
    auto* g = py::detail::array_proxy(obj.ptr());
    auto* p = py::detail::array_proxy(param.ptr());
    if (g->descr != p->descr && !py::reinterpret_borrow<py::array>(obj).dtype().equal(py::dtype::of<T>()))
        throw py::type_error(where("grads", index) + ": expected " + need() + ", got " + describe(obj));
    bool same_shape = g->nd == p->nd;
    for (int d = 0; same_shape && d < g->nd; ++d) same_shape = g->dimensions[d] == p->dimensions[d];
    constexpr int needed = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
    if (!same_shape || (g->flags & needed) != needed)
        throw py::value_error(where("grads", index) + ": expected " + need() + ", got " + describe(obj));
    return static_cast<const T*>(static_cast<void*>(g->data));
}

// Per-element lr multipliers are read where they lie, at every step: like the parameter in dtype and shape,
// C-contiguous and aligned (read-only is fine), and not sharing memory with it (the step writes the parameter).
// Returns an empty view for None (that parameter steps with the group's lr).
template <typename T>
optim::ArrayRef<const T> lr_scale_ref(py::handle obj, const py::array& param, std::size_t index) {
    if (obj.is_none()) return {};
    auto need = [&] {
        return std::string("None or a C-contiguous ") + describe(param) + " like params[" + std::to_string(index) + "]";
    };
    if (!py::isinstance<py::array>(obj))
        throw py::type_error(where("lr_scale", index) + ": expected " + need() + ", got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (!arr.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(where("lr_scale", index) + ": expected " + need() + ", got " + describe(obj));
    const bool same_shape =
        arr.ndim() == param.ndim() && std::equal(param.shape(), param.shape() + param.ndim(), arr.shape());
    constexpr int needed = py::array::c_style | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
    if (!same_shape || (arr.flags() & needed) != needed)
        throw py::value_error(where("lr_scale", index) + ": expected " + need() + ", got " + describe(obj));
    return {static_cast<const T*>(arr.data()), static_cast<std::size_t>(arr.size())};
}

// Whether two C-contiguous buffers share any byte.
template <typename T, typename U>
bool overlap(const T* a, std::size_t na, const U* b, std::size_t nb) {
    const auto a0 = reinterpret_cast<std::uintptr_t>(a), b0 = reinterpret_cast<std::uintptr_t>(b);
    return na != 0 && nb != 0 && a0 < b0 + nb * sizeof(U) && b0 < a0 + na * sizeof(T);
}

}  // namespace gradkit::bindings
