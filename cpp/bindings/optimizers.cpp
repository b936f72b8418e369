// Registers every optimizer of the core: <Name>_float32, <Name>_float64, <Name>_check_hyper.
// One file per optimizer family (optim_<family>.cpp) keeps compile units small and parallel.
#include <pybind11/pybind11.h>

namespace gradkit::bindings {

void register_sgd(pybind11::module_& m);
void register_adam(pybind11::module_& m);
void register_adagrad(pybind11::module_& m);
void register_rmsprop(pybind11::module_& m);
void register_adadelta(pybind11::module_& m);
void register_adamax(pybind11::module_& m);
void register_nadam(pybind11::module_& m);
void register_radam(pybind11::module_& m);
void register_rprop(pybind11::module_& m);
void register_asgd(pybind11::module_& m);
void register_lbfgs(pybind11::module_& m);
void register_sklearn_rules(pybind11::module_& m);

void register_optimizers(pybind11::module_& m) {
    register_sgd(m);
    register_adam(m);
    register_adagrad(m);
    register_rmsprop(m);
    register_adadelta(m);
    register_adamax(m);
    register_nadam(m);
    register_radam(m);
    register_rprop(m);
    register_asgd(m);
    register_lbfgs(m);
    register_sklearn_rules(m);
}

}  // namespace gradkit::bindings
