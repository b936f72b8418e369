// gradkit._core.{AdaptiveLR,BoldDriverLR}_{check,step}: conversion only; the state machines are in
// cpp/include/gradkit/schedules/{adaptive_lr,bold_driver_lr}.hpp. The Python wrappers keep the state
// as attributes (so state_dict holds it) and pass it in and out as a dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "loss_driven_args.hpp"
#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using Adaptive = schedules::AdaptiveLR;
using BoldDriver = schedules::BoldDriverLR;

void check_lengths(const char* owner, const std::vector<double>& lrs, const std::vector<double>& min_lrs,
                   const std::vector<double>& max_lrs) {
    if (min_lrs.size() != lrs.size() || max_lrs.size() != lrs.size())
        throw py::value_error(std::string(owner) + ": " + std::to_string(lrs.size()) + " lrs but " +
                              std::to_string(min_lrs.size()) + " min_lrs and " + std::to_string(max_lrs.size()) +
                              " max_lrs");
}

Adaptive adaptive_from(const py::dict& args, const py::dict& state) {
    Adaptive s(adaptive_args(args));
    s.state.best_loss = loss_driven_item<double>(Adaptive::name, state, "best_loss");
    s.state.no_improvement_count = loss_driven_item<std::int64_t>(Adaptive::name, state, "no_improvement_count");
    s.state.last_epoch = loss_driven_item<std::int64_t>(Adaptive::name, state, "last_epoch");
    s.state.stopped = loss_driven_item<bool>(Adaptive::name, state, "stopped");
    return s;
}

py::dict state_dict(const Adaptive& s) {
    py::dict d;
    d["best_loss"] = s.state.best_loss;
    d["no_improvement_count"] = s.state.no_improvement_count;
    d["last_epoch"] = s.state.last_epoch;
    d["stopped"] = s.state.stopped;
    return d;
}

// previous_loss is None before the first loss (and after a non-finite one).
BoldDriver bold_driver_from(const py::dict& args, const py::dict& state) {
    BoldDriver s(bold_driver_args(args));
    if (!state.contains("previous_loss")) throw py::key_error("BoldDriverLR: missing 'previous_loss'");
    s.state.has_previous = !state["previous_loss"].is_none();
    if (s.state.has_previous) s.state.previous_loss = loss_driven_item<double>(BoldDriver::name, state, "previous_loss");
    s.state.last_epoch = loss_driven_item<std::int64_t>(BoldDriver::name, state, "last_epoch");
    return s;
}

py::dict state_dict(const BoldDriver& s) {
    py::dict d;
    d["previous_loss"] = s.state.has_previous ? py::object(py::float_(s.state.previous_loss)) : py::object(py::none());
    d["last_epoch"] = s.state.last_epoch;
    return d;
}

}  // namespace

void register_loss_driven(py::module_& m) {
    m.def("AdaptiveLR_check", [](const py::dict& args) { Adaptive::validate(adaptive_args(args)); }, py::arg("args"));
    m.def(
        "AdaptiveLR_step",
        [](const py::dict& args, const py::dict& state, double loss, std::vector<double> lrs,
           const std::vector<double>& min_lrs, const std::vector<double>& max_lrs) {
            check_lengths(Adaptive::name, lrs, min_lrs, max_lrs);
            Adaptive s = adaptive_from(args, state);
            s.step(loss, lrs.data(), min_lrs.data(), max_lrs.data(), lrs.size());
            return py::make_tuple(state_dict(s), lrs);
        },
        py::arg("args"), py::arg("state"), py::arg("loss"), py::arg("lrs"), py::arg("min_lrs"), py::arg("max_lrs"));
    m.def(
        "BoldDriverLR_check", [](const py::dict& args) { BoldDriver::validate(bold_driver_args(args)); },
        py::arg("args"));
    m.def(
        "BoldDriverLR_step",
        [](const py::dict& args, const py::dict& state, double loss, std::vector<double> lrs,
           const std::vector<double>& min_lrs, const std::vector<double>& max_lrs) {
            check_lengths(BoldDriver::name, lrs, min_lrs, max_lrs);
            BoldDriver s = bold_driver_from(args, state);
            s.step(loss, lrs.data(), min_lrs.data(), max_lrs.data(), lrs.size());
            return py::make_tuple(state_dict(s), lrs);
        },
        py::arg("args"), py::arg("state"), py::arg("loss"), py::arg("lrs"), py::arg("min_lrs"), py::arg("max_lrs"));
}

}  // namespace gradkit::bindings
