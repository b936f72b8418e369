// The extension module gradkit._core, one submodule per folder of the core (cpp/include/gradkit):
// _core.optim, _core.schedules, _core.nn, _core.train; the thread count at the top. Each binding file
// registers one area into its submodule.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace gradkit::bindings {
void register_threads(py::module_& m);
void register_optimizers(py::module_& m);
void register_schedules(py::module_& m);
void register_cyclic_schedules(py::module_& m);
void register_loss_driven(py::module_& m);
void register_random_lr(py::module_& m);
void register_nn(py::module_& m);
void register_train(py::module_& m);
}  // namespace gradkit::bindings

PYBIND11_MODULE(_core, m) {
    using namespace gradkit::bindings;
    m.doc() = "gradkit's C++ core: optimizers that update NumPy arrays in place, learning-rate schedules, "
              "and the MLP trainer";
    register_threads(m);
    py::module_ optim = m.def_submodule("optim", "The optimizers (cpp/include/gradkit/optim), one class each.");
    register_optimizers(optim);
    py::module_ schedules =
        m.def_submodule("schedules", "The learning-rate schedules (cpp/include/gradkit/schedules), one class each.");
    register_schedules(schedules);
    register_cyclic_schedules(schedules);
    register_loss_driven(schedules);
    register_random_lr(schedules);
    py::module_ nn = m.def_submodule("nn", "The network's pieces (cpp/include/gradkit/nn), for tests and the estimators.");
    register_nn(nn);
    py::module_ train = m.def_submodule("train", "The MLP trainer (cpp/include/gradkit/train).");
    register_train(train);
}
