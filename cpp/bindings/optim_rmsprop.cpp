#include "bind_optimizer.hpp"
#include "gradkit/optim/rmsprop.hpp"

namespace gradkit::bindings {

void register_rmsprop(py::module_& m) { bind_algorithm<optim::RMSprop>(m); }

}  // namespace gradkit::bindings
