// A core struct's visited fields to and from a Python dict, by their names: optimizers' hyperparameters,
// schedules' arguments, state machines' state. Conversion only; pybind11/stl.h casts std::optional to and
// from None, std::array and std::vector to and from sequences.
#pragma once

#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <string>

namespace gradkit::bindings {

namespace py = pybind11;

// Every visited field into d, by its name.
struct FieldsToDict {
    py::dict& d;
    template <class F>
    void operator()(const char* key, const F& field) { d[key] = py::cast(field); }
};

// A struct with a visit (hyperparameters, arguments, state) as a new dict.
template <class Fields>
py::dict fields_to_dict(Fields fields) {
    py::dict d;
    fields.visit(FieldsToDict{d});
    return d;
}

// d[key] as F, where `owner` names whose `what` ("argument", "state") it is: KeyError when it is missing,
// TypeError when it does not convert.
template <class F>
F dict_item(const py::dict& d, const char* key, const char* owner, const char* what) {
    if (!d.contains(key)) throw py::key_error(std::string(owner) + ": missing " + what + " '" + key + "'");
    try {
        return d[key].template cast<F>();
    } catch (const py::cast_error&) {
        throw py::type_error(std::string(owner) + " " + what + " '" + key + "': cannot use " +
                             std::string(py::repr(d[key])) + " here");
    }
}

}  // namespace gradkit::bindings
