// The extension module gradkit._core. Each binding file registers one area.
#include <pybind11/pybind11.h>

namespace py = pybind11;

namespace gradkit::bindings {
void register_optimizers(py::module_& m);
void register_clip_grad(py::module_& m);
void register_threads(py::module_& m);
void register_schedules(py::module_& m);
void register_plateau(py::module_& m);
void register_cyclic_schedules(py::module_& m);
void register_nn(py::module_& m);
void register_loss_driven(py::module_& m);
void register_random_lr(py::module_& m);
void register_train(py::module_& m);
}  // namespace gradkit::bindings

PYBIND11_MODULE(_core, m) {
    m.doc() = "gradkit's C++ core: optimizers that update NumPy arrays in place, and learning-rate schedules";
    gradkit::bindings::register_threads(m);
    gradkit::bindings::register_optimizers(m);
    gradkit::bindings::register_clip_grad(m);
    gradkit::bindings::register_schedules(m);
    gradkit::bindings::register_plateau(m);
    gradkit::bindings::register_cyclic_schedules(m);
    gradkit::bindings::register_nn(m);
    gradkit::bindings::register_loss_driven(m);
    gradkit::bindings::register_random_lr(m);
    gradkit::bindings::register_train(m);
}
