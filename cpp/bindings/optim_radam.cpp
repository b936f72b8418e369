#include "bind_optimizer.hpp"
#include "gradkit/optim/radam.hpp"

namespace gradkit::bindings {

void register_radam(py::module_& m) { bind_algorithm<optim::RAdam>(m); }

}  // namespace gradkit::bindings
