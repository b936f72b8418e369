#include "bind_optimizer.hpp"
#include "gradkit/optim/asgd.hpp"

namespace gradkit::bindings {

void register_asgd(py::module_& m) { bind_algorithm<optim::ASGD>(m); }

}  // namespace gradkit::bindings
