// The loss-driven schedules' state (State::visit, by the Python attributes' names) to and from Python
// dicts: conversion only, for their bindings (loss_driven.cpp). Their arguments are read by
// checked_args_from_dict (schedule_args.hpp), as the trainer's lr_schedule= reads them.
#pragma once

#include <pybind11/pybind11.h>

#include <string>

#include "dict_fields.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

// S::State's fields from a dict that holds each: KeyError naming a missing one, TypeError one that does
// not convert; None gives an empty optional.
template <class S>
struct StateFromPyDict {
    const py::dict& d;
    template <class F>
    F read(const char* key) const { return dict_item<F>(d, key, S::name, "state"); }
    template <class F>
    void operator()(const char* key, F& field) { field = read<F>(key); }  // None reads as an empty optional
};

template <class S>
typename S::State state_from_dict(const py::dict& d) {
    typename S::State s;
    s.visit(StateFromPyDict<S>{d});
    return s;
}

}  // namespace gradkit::bindings
