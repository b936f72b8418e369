#include "bind_optimizer.hpp"
#include "gradkit/optim/sgd.hpp"

namespace gradkit::bindings {

void register_sgd(py::module_& m) { bind_algorithm<optim::SGD>(m); }

}  // namespace gradkit::bindings
