#include "bind_optimizer.hpp"
#include "gradkit/optim/adagrad.hpp"

namespace gradkit::bindings {

void register_adagrad(py::module_& m) { bind_algorithm<optim::Adagrad>(m); }

}  // namespace gradkit::bindings
