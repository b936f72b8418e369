// gradkit._core.optim.Lookahead: the kernels of the wrapper gradkit.optim.Lookahead (which holds the inner
// optimizer, the step counter and the slow weights), over lists of NumPy arrays. Conversion only; the
// arithmetic is cpp/include/gradkit/optim/lookahead.hpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "arrays.hpp"
#include "gradkit/optim/lookahead.hpp"

namespace gradkit::bindings {

namespace {

// gradkit._core.optim.Lookahead: a namespace for the kernels, never instantiated.
struct LookaheadScope {};

// One pair of arrays of the same dtype and shape, checked, for a kernel that writes both.
struct Pair {
    void* a;
    void* b;
    std::size_t n;
    bool single;  // float32
};

template <typename T>
Pair pair_of(py::handle param, py::handle other, const char* other_name, std::size_t i) {
    const optim::ArrayRef<T> p = param_ref<T>(param, "params", i);
    const optim::ArrayRef<T> o = param_ref<T>(other, other_name, i);
    auto pa = py::reinterpret_borrow<py::array>(param), oa = py::reinterpret_borrow<py::array>(other);
    bool same_shape = pa.ndim() == oa.ndim();
    for (py::ssize_t d = 0; same_shape && d < pa.ndim(); ++d) same_shape = pa.shape(d) == oa.shape(d);
    if (!same_shape)
        throw py::value_error(where(other_name, i) + ": expected the shape of params[" + std::to_string(i) + "] (" +
                              describe(param) + "), got " + describe(other));
    if (overlap(p.data, p.size, o.data, o.size))
        throw py::value_error(where(other_name, i) + " shares memory with params[" + std::to_string(i) + "]");
    return {p.data, o.data, p.size, sizeof(T) == 4};
}

// Every pair checked before any array changes: params[i] float32 or float64, other[i] alike.
std::vector<Pair> pairs(const py::list& params, const py::list& other, const char* other_name) {
    if (params.size() != other.size())
        throw py::value_error(std::string("expected as many ") + other_name + " arrays as params (" +
                              std::to_string(params.size()) + "), got " + std::to_string(other.size()));
    std::vector<Pair> out;
    out.reserve(params.size());
    for (std::size_t i = 0; i < params.size(); ++i) {
        const bool single = py::isinstance<py::array>(params[i]) &&
                            py::reinterpret_borrow<py::array>(params[i]).dtype().equal(py::dtype::of<float>());
        out.push_back(single ? pair_of<float>(params[i], other[i], other_name, i)
                             : pair_of<double>(params[i], other[i], other_name, i));
    }
    return out;
}

}  // namespace

void register_lookahead(py::module_& m) {
    py::class_<LookaheadScope> scope(m, "Lookahead",
                                     "Lookahead's kernels (gradkit.optim.Lookahead holds the inner optimizer, the "
                                     "counter and the slow weights).");
    scope.def_static(
        "check_hyper", [](std::int64_t k, double alpha) { optim::Lookahead::validate(k, alpha); }, py::arg("k"),
        py::arg("alpha"), "Validates k (>= 1) and alpha (in [0, 1]) with the reference's messages.");
    scope.def_static(
        "sync",
        [](const py::list& params, const py::list& slow, double alpha) {
            const std::vector<Pair> work = pairs(params, slow, "slow");
            py::gil_scoped_release release;
            for (const Pair& w : work) {
                if (w.single)
                    optim::Lookahead::sync(static_cast<float*>(w.a), static_cast<float*>(w.b), w.n, alpha);
                else
                    optim::Lookahead::sync(static_cast<double*>(w.a), static_cast<double*>(w.b), w.n, alpha);
            }
        },
        py::arg("params"), py::arg("slow"), py::arg("alpha"),
        "params[i] <- alpha params[i] + (1 - alpha) slow[i]; slow[i] <- params[i] (torch-optimizer's rounding); "
        "every pair checked first.");
    scope.def_static(
        "swap",
        [](const py::list& params, const py::list& other) {
            const std::vector<Pair> work = pairs(params, other, "other");
            py::gil_scoped_release release;
            for (const Pair& w : work) {
                if (w.single)
                    optim::Lookahead::swap(static_cast<float*>(w.a), static_cast<float*>(w.b), w.n);
                else
                    optim::Lookahead::swap(static_cast<double*>(w.a), static_cast<double*>(w.b), w.n);
            }
        },
        py::arg("params"), py::arg("other"), "Exchanges params[i] and other[i] in place; every pair checked first.");
}

}  // namespace gradkit::bindings
