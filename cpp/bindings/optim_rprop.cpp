#include "bind_optimizer.hpp"
#include "gradkit/optim/rprop.hpp"

namespace gradkit::bindings {

void register_rprop(py::module_& m) { bind_algorithm<optim::Rprop>(m); }

}  // namespace gradkit::bindings
