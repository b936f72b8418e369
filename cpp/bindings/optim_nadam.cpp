#include "bind_optimizer.hpp"
#include "gradkit/optim/nadam.hpp"

namespace gradkit::bindings {

void register_nadam(py::module_& m) { bind_algorithm<optim::NAdam>(m); }

}  // namespace gradkit::bindings
