// gradkit._core.optim.clip_grad_norm_ / clip_grad_value_: in place on float32 or float64 gradient arrays.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cmath>
#include <string>
#include <variant>
#include <vector>

#include "arrays.hpp"
#include "gradkit/optim/clip_grad.hpp"

namespace gradkit::bindings {

namespace {

using AnyRef = std::variant<optim::ArrayRef<float>, optim::ArrayRef<double>>;

// Every gradient is checked before any is touched.
std::vector<AnyRef> writable_grads(const py::list& grads) {
    std::vector<AnyRef> refs;
    for (std::size_t i = 0; i < grads.size(); ++i) {
        py::handle g = grads[i];
        if (py::isinstance<py::array>(g) && py::reinterpret_borrow<py::array>(g).dtype().equal(py::dtype::of<float>()))
            refs.emplace_back(param_ref<float>(g, "grads", i));
        else
            refs.emplace_back(param_ref<double>(g, "grads", i));
    }
    return refs;
}

}  // namespace

void register_clip_grad(py::module_& m) {
    m.def(
        "clip_grad_norm_",
        [](const py::list& grads, double max_norm, double norm_type, bool error_if_nonfinite) {
            auto refs = writable_grads(grads);
            py::gil_scoped_release release;
            std::vector<double> norms;
            for (auto& r : refs)
                norms.push_back(std::visit([&](auto g) {
                    using T = std::remove_pointer_t<decltype(g.data)>;
                    return optim::array_norm<T>({g.data, g.size}, norm_type);
                }, r));
            const double total = optim::combine_norms(norms.data(), norms.size(), norm_type);
            if (error_if_nonfinite && !std::isfinite(total)) {
                throw std::runtime_error(
                    "The total norm of order " + std::to_string(norm_type) +
                    " for gradients from `parameters` is non-finite, so it cannot be clipped. To disable this "
                    "error and scale the gradients by the non-finite norm anyway, set `error_if_nonfinite=False`");
            }
            const double coef = optim::clip_coefficient(total, max_norm);
            for (auto& r : refs) std::visit([&](auto g) { optim::scale_in_place(g, coef); }, r);
            return total;
        },
        py::arg("grads"), py::arg("max_norm"), py::arg("norm_type"), py::arg("error_if_nonfinite"));
    m.def(
        "clip_grad_value_",
        [](const py::list& grads, double clip_value) {
            auto refs = writable_grads(grads);
            py::gil_scoped_release release;
            for (auto& r : refs) std::visit([&](auto g) { optim::clamp_in_place(g, clip_value); }, r);
        },
        py::arg("grads"), py::arg("clip_value"));
}

}  // namespace gradkit::bindings
