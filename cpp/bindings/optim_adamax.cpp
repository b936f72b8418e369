#include "bind_optimizer.hpp"
#include "gradkit/optim/adamax.hpp"

namespace gradkit::bindings {

void register_adamax(py::module_& m) { bind_algorithm<optim::Adamax>(m); }

}  // namespace gradkit::bindings
