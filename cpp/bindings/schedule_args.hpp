// Conversion of a schedule's arguments from a Python dict (by torch's names) to S::Args, for the
// binding files (the schedules' own functions and the trainer's lr_schedule).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

namespace gradkit::bindings {

namespace py = pybind11;

// A schedule's arguments from a dict holding every one of them by torch's name.
template <class S>
struct ArgsFromDict {
    const py::dict& d;
    template <class F>
    void operator()(const char* key, F& field) {
        if (!d.contains(key))
            throw py::key_error(std::string(S::name) + ": missing argument '" + key + "'");
        try {
            field = d[key].template cast<F>();
        } catch (const py::cast_error&) {
            throw py::type_error(std::string(S::name) + " argument '" + key + "': cannot use " +
                                 std::string(py::repr(d[key])) + " here");
        }
    }
};

template <class S>
typename S::Args args_from_dict(const py::dict& d) {
    typename S::Args a;
    a.visit(ArgsFromDict<S>{d});
    return a;
}

}  // namespace gradkit::bindings
