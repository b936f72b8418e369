// Conversion of a schedule's arguments from a Python dict (by torch's names) to S::Args, for the
// binding files (the schedules' own functions and the trainer's lr_schedule).
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "dict_fields.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

// The Python class gradkit._core.schedules.<Name>: a namespace of one schedule's static functions, never
// instantiated (the Python schedulers name it in their _core_schedule attribute).
template <class S>
struct ScheduleScope {};

// Which of an Args' fields a reading visits: a choice is a field read as a string through its parser
// (v(key, field, parse)), e.g. ReduceLROnPlateau's mode.
enum class ArgFields { all, numbers, choices };

// A schedule's arguments from a dict holding every one of them by torch's name.
template <class S>
struct ArgsFromDict {
    const py::dict& d;
    ArgFields fields = ArgFields::all;

    template <class F>
    F read(const char* key) const { return dict_item<F>(d, key, S::name, "argument"); }
    template <class F>
    void operator()(const char* key, F& field) {
        if (fields != ArgFields::choices) field = read<F>(key);
    }
    template <class E>
    void operator()(const char* key, E& field, E (*parse)(const std::string&)) {
        if (fields != ArgFields::numbers) field = parse(read<std::string>(key));  // throws ValueError
    }
};

template <class S>
typename S::Args args_from_dict(const py::dict& d) {
    typename S::Args a;
    a.visit(ArgsFromDict<S>{d});
    return a;
}

// Read and checked in torch's order: the numbers, S::validate, then the choices (torch checks
// ReduceLROnPlateau's factor before its mode and threshold_mode).
template <class S>
typename S::Args checked_args_from_dict(const py::dict& d) {
    typename S::Args a;
    a.visit(ArgsFromDict<S>{d, ArgFields::numbers});
    S::validate(a);
    a.visit(ArgsFromDict<S>{d, ArgFields::choices});
    return a;
}

}  // namespace gradkit::bindings
