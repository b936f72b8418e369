// gradkit._core.ReduceLROnPlateau_{check,observe,reduce}: conversion only; the state machine is in
// cpp/include/gradkit/schedules/reduce_lr_on_plateau.hpp. The Python wrapper keeps the state as
// attributes with torch's names (so state_dict is torch's) and passes it in and out as a dict.
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "loss_driven_args.hpp"
#include "gradkit/schedules/reduce_lr_on_plateau.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using Plateau = schedules::ReduceLROnPlateau;

Plateau plateau_from(const py::dict& args, const py::dict& state) {
    Plateau p(plateau_args(args));
    p.state.best = loss_driven_item<double>(Plateau::name, state, "best");
    p.state.num_bad_epochs = loss_driven_item<std::int64_t>(Plateau::name, state, "num_bad_epochs");
    p.state.cooldown_counter = loss_driven_item<std::int64_t>(Plateau::name, state, "cooldown_counter");
    p.state.last_epoch = loss_driven_item<std::int64_t>(Plateau::name, state, "last_epoch");
    return p;
}

py::dict state_dict(const Plateau& p) {
    py::dict d;
    d["best"] = p.state.best;
    d["num_bad_epochs"] = p.state.num_bad_epochs;
    d["cooldown_counter"] = p.state.cooldown_counter;
    d["last_epoch"] = p.state.last_epoch;
    return d;
}

}  // namespace

void register_plateau(py::module_& m) {
    m.def("ReduceLROnPlateau_check", [](const py::dict& args) { plateau_args(args); }, py::arg("args"));
    m.def(
        "ReduceLROnPlateau_observe",
        [](const py::dict& args, const py::dict& state, double metric, std::int64_t epoch) {
            Plateau p = plateau_from(args, state);
            const bool reduce = p.observe(metric, epoch);
            return py::make_tuple(state_dict(p), reduce);
        },
        py::arg("args"), py::arg("state"), py::arg("metric"), py::arg("epoch"));
    m.def(
        "ReduceLROnPlateau_reduce",
        [](const py::dict& args, const py::dict& state, std::vector<double> lrs, const std::vector<double>& min_lrs) {
            if (lrs.size() != min_lrs.size())
                throw py::value_error("ReduceLROnPlateau_reduce: " + std::to_string(lrs.size()) + " lrs but " +
                                      std::to_string(min_lrs.size()) + " min_lrs");
            Plateau p = plateau_from(args, state);
            p.reduce(lrs.data(), min_lrs.data(), lrs.size());
            return py::make_tuple(state_dict(p), lrs);
        },
        py::arg("args"), py::arg("state"), py::arg("lrs"), py::arg("min_lrs"));
}

}  // namespace gradkit::bindings
