// gradkit._core.schedules.{ReduceLROnPlateau,AdaptiveLR,BoldDriverLR}: the loss-driven state machines
// (cpp/include/gradkit/schedules, listed in schedules/registry.hpp), conversion only. The Python wrappers
// keep the state as attributes named as State::visit names them (so state_dict holds it) and pass it in
// and out as a dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>
#include <vector>

#include "loss_driven_args.hpp"
#include "schedule_args.hpp"
#include "gradkit/schedules/registry.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using Plateau = schedules::ReduceLROnPlateau;

// A fresh machine's state: its fields by name, which the Python wrappers keep as attributes.
template <class S>
py::dict initial_state() {
    return fields_to_dict(typename S::State{});
}
constexpr const char* kInitialStateDoc = "A fresh state machine's state, by the names of its fields.";

template <class S>
S machine_from(const py::dict& args, const py::dict& state) {
    S s(checked_args_from_dict<S>(args));
    s.state = state_from_dict<S>(state);
    return s;
}

void bind_plateau(py::module_& m) {
    py::class_<ScheduleScope<Plateau>>(m, Plateau::name, "torch's ReduceLROnPlateau: observe a metric, reduce the lrs.")
        .def_static("initial_state", &initial_state<Plateau>, kInitialStateDoc)
        .def_static(
            "check", [](const py::dict& args) { checked_args_from_dict<Plateau>(args); }, py::arg("args"))
        .def_static(
            "observe",
            [](const py::dict& args, const py::dict& state, double metric, std::int64_t epoch) {
                Plateau p = machine_from<Plateau>(args, state);
                const bool reduce = p.observe(metric, epoch);
                return py::make_tuple(fields_to_dict(p.state), reduce);
            },
            py::arg("args"), py::arg("state"), py::arg("metric"), py::arg("epoch"))
        .def_static(
            "reduce",
            [](const py::dict& args, const py::dict& state, std::vector<double> lrs, const std::vector<double>& min_lrs) {
                if (lrs.size() != min_lrs.size())
                    throw py::value_error("ReduceLROnPlateau.reduce: " + std::to_string(lrs.size()) + " lrs but " +
                                          std::to_string(min_lrs.size()) + " min_lrs");
                Plateau p = machine_from<Plateau>(args, state);
                p.reduce(lrs.data(), min_lrs.data(), lrs.size());
                return py::make_tuple(fields_to_dict(p.state), lrs);
            },
            py::arg("args"), py::arg("state"), py::arg("lrs"), py::arg("min_lrs"));
}

// AdaptiveLR and BoldDriverLR: one step on every group's lr, within each group's bounds.
template <class S>
void bind_loss_rule(py::module_& m, const char* doc) {
    py::class_<ScheduleScope<S>>(m, S::name, doc)
        .def_static("initial_state", &initial_state<S>, kInitialStateDoc)
        .def_static(
            "check", [](const py::dict& args) { checked_args_from_dict<S>(args); }, py::arg("args"))
        .def_static(
            "step",
            [](const py::dict& args, const py::dict& state, double loss, std::vector<double> lrs,
               const std::vector<double>& min_lrs, const std::vector<double>& max_lrs) {
                if (min_lrs.size() != lrs.size() || max_lrs.size() != lrs.size())
                    throw py::value_error(std::string(S::name) + ": " + std::to_string(lrs.size()) + " lrs but " +
                                          std::to_string(min_lrs.size()) + " min_lrs and " +
                                          std::to_string(max_lrs.size()) + " max_lrs");
                S s = machine_from<S>(args, state);
                s.step(loss, lrs.data(), min_lrs.data(), max_lrs.data(), lrs.size());
                return py::make_tuple(fields_to_dict(s.state), lrs);
            },
            py::arg("args"), py::arg("state"), py::arg("loss"), py::arg("lrs"), py::arg("min_lrs"),
            py::arg("max_lrs"));
}

}  // namespace

void register_loss_driven(py::module_& m) {
    bind_plateau(m);
    bind_loss_rule<schedules::AdaptiveLR>(m, "scikit-learn's adaptive rule: divide the lr when the loss stalls.");
    bind_loss_rule<schedules::BoldDriverLR>(m, "The bold driver: raise the lr while the loss falls, cut it when it rises.");
}

}  // namespace gradkit::bindings
