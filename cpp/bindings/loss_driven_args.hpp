// The loss-driven schedules' state (State::visit, by the Python attributes' names) to and from Python
// dicts: conversion only, for their bindings (loss_driven.cpp). Their arguments are read by
// checked_args_from_dict (schedule_args.hpp), as the trainer's lr_schedule= reads them.
#pragma once

#include <pybind11/pybind11.h>

#include <optional>
#include <string>

#include "schedule_args.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

// S::State's fields into a dict; an empty optional is None.
struct StateToPyDict {
    py::dict& d;
    template <class F>
    void operator()(const char* key, const F& field) { d[key] = py::cast(field); }
    template <class F>
    void operator()(const char* key, const std::optional<F>& field) {
        d[key] = field ? py::cast(*field) : py::none();
    }
};

// S::State's fields from a dict that holds each: KeyError naming a missing one, TypeError one that does
// not convert; None gives an empty optional.
template <class S>
struct StateFromPyDict {
    const py::dict& d;
    template <class F>
    F read(const char* key) const { return dict_item<F>(d, key, S::name, "state"); }
    template <class F>
    void operator()(const char* key, F& field) { field = read<F>(key); }
    template <class F>
    void operator()(const char* key, std::optional<F>& field) {
        if (d.contains(key) && d[key].is_none()) field.reset();
        else field = read<F>(key);
    }
};

template <class S>
py::dict state_to_dict(typename S::State s) {
    py::dict d;
    s.visit(StateToPyDict{d});
    return d;
}

template <class S>
typename S::State state_from_dict(const py::dict& d) {
    typename S::State s;
    s.visit(StateFromPyDict<S>{d});
    return s;
}

}  // namespace gradkit::bindings
