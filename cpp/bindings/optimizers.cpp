// gradkit._core.optim: every optimizer of the core's registry (optim/registry.hpp), as <Name>.float32,
// <Name>.float64 and <Name>.check_hyper; LBFGS (optim_lbfgs.cpp); clip_grad_norm_ / clip_grad_value_.
#include <pybind11/pybind11.h>

#include "bind_optimizer.hpp"
#include "gradkit/optim/registry.hpp"

namespace gradkit::bindings {

void register_lbfgs(py::module_& m);
void register_clip_grad(py::module_& m);

void register_optimizers(py::module_& m) {
    for_each_type(optim::BoundOptimizers{}, [&](auto algo) { bind_algorithm<typename decltype(algo)::type>(m); });
    register_lbfgs(m);
    register_clip_grad(m);
}

}  // namespace gradkit::bindings
