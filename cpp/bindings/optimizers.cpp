// Registers every optimizer of the core: <Name>_float32, <Name>_float64, <Name>_check_hyper.
// One file per optimizer family (optim_<family>.cpp) keeps compile units small and parallel.
#include <pybind11/pybind11.h>

namespace gradkit::bindings {

void register_sgd(pybind11::module_& m);
void register_adam(pybind11::module_& m);
void register_lbfgs(pybind11::module_& m);

void register_optimizers(pybind11::module_& m) {
    register_sgd(m);
    register_adam(m);
    register_lbfgs(m);
}

}  // namespace gradkit::bindings
