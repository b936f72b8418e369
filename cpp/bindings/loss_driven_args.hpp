// The loss-driven schedules' arguments from Python dicts (conversion only), shared by their own
// bindings (plateau.cpp, loss_driven.cpp) and the trainer's lr_schedule= (train.cpp).
#pragma once

#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"
#include "gradkit/schedules/reduce_lr_on_plateau.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

// d[key] as T; KeyError when missing, TypeError naming the owner and key when it does not convert.
template <class T>
T loss_driven_item(const char* owner, const py::dict& d, const char* key) {
    if (!d.contains(key)) throw py::key_error(std::string(owner) + ": missing '" + key + "'");
    try {
        return d[key].cast<T>();
    } catch (const py::cast_error&) {
        throw py::type_error(std::string(owner) + " argument '" + key + "': cannot use " +
                             std::string(py::repr(d[key])) + " here");
    }
}

// torch's checks in torch's order: factor, then mode, then threshold_mode.
inline schedules::ReduceLROnPlateau::Args plateau_args(const py::dict& d) {
    using Plateau = schedules::ReduceLROnPlateau;
    const char* owner = Plateau::name;
    Plateau::Args a;
    a.factor = loss_driven_item<double>(owner, d, "factor");
    Plateau::validate(a);
    a.mode = Plateau::parse_mode(loss_driven_item<std::string>(owner, d, "mode"));
    a.threshold_mode = Plateau::parse_threshold_mode(loss_driven_item<std::string>(owner, d, "threshold_mode"));
    a.patience = loss_driven_item<std::int64_t>(owner, d, "patience");
    a.threshold = loss_driven_item<double>(owner, d, "threshold");
    a.cooldown = loss_driven_item<std::int64_t>(owner, d, "cooldown");
    a.eps = loss_driven_item<double>(owner, d, "eps");
    return a;
}

inline schedules::AdaptiveLR::Args adaptive_args(const py::dict& d) {
    const char* owner = schedules::AdaptiveLR::name;
    schedules::AdaptiveLR::Args a;
    a.factor = loss_driven_item<double>(owner, d, "factor");
    a.patience = loss_driven_item<std::int64_t>(owner, d, "patience");
    a.tol = loss_driven_item<double>(owner, d, "tol");
    return a;
}

inline schedules::BoldDriverLR::Args bold_driver_args(const py::dict& d) {
    const char* owner = schedules::BoldDriverLR::name;
    schedules::BoldDriverLR::Args a;
    a.increase = loss_driven_item<double>(owner, d, "increase");
    a.decrease = loss_driven_item<double>(owner, d, "decrease");
    return a;
}

}  // namespace gradkit::bindings
