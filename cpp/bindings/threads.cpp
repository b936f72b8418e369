// gradkit._core.get_num_threads / set_num_threads: the threads the core's loops may use.
#include <pybind11/pybind11.h>

#include "gradkit/parallel.hpp"

namespace gradkit::bindings {

void register_threads(pybind11::module_& m) {
    m.def("get_num_threads", &gradkit::max_threads, "Threads the core's parallel loops may use.");
    m.def("set_num_threads", &gradkit::set_max_threads, pybind11::arg("n"),
          "Sets the threads the core's parallel loops may use (OpenMP).");
}

}  // namespace gradkit::bindings
