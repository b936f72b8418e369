#include "bind_optimizer.hpp"
#include "gradkit/optim/adadelta.hpp"

namespace gradkit::bindings {

void register_adadelta(py::module_& m) { bind_algorithm<optim::Adadelta>(m); }

}  // namespace gradkit::bindings
