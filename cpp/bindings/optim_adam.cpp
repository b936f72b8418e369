#include "bind_optimizer.hpp"
#include "gradkit/optim/adam.hpp"

namespace gradkit::bindings {

void register_adam(py::module_& m) { bind_algorithm<optim::Adam>(m); }

}  // namespace gradkit::bindings
