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

#include "gradkit/schedules/reduce_lr_on_plateau.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using Plateau = schedules::ReduceLROnPlateau;

template <class T>
T item(const py::dict& d, const char* key) {
    if (!d.contains(key)) throw py::key_error(std::string("ReduceLROnPlateau: missing '") + key + "'");
    try {
        return d[key].cast<T>();
    } catch (const py::cast_error&) {
        throw py::type_error(std::string("ReduceLROnPlateau argument '") + key + "': cannot use " +
                             std::string(py::repr(d[key])) + " here");
    }
}

// torch's checks in torch's order: factor, then mode, then threshold_mode.
Plateau::Args args_from_dict(const py::dict& d) {
    Plateau::Args a;
    a.factor = item<double>(d, "factor");
    Plateau::validate(a);
    a.mode = Plateau::parse_mode(item<std::string>(d, "mode"));
    a.threshold_mode = Plateau::parse_threshold_mode(item<std::string>(d, "threshold_mode"));
    a.patience = item<std::int64_t>(d, "patience");
    a.threshold = item<double>(d, "threshold");
    a.cooldown = item<std::int64_t>(d, "cooldown");
    a.eps = item<double>(d, "eps");
    return a;
}

Plateau plateau_from(const py::dict& args, const py::dict& state) {
    Plateau p(args_from_dict(args));
    p.state.best = item<double>(state, "best");
    p.state.num_bad_epochs = item<std::int64_t>(state, "num_bad_epochs");
    p.state.cooldown_counter = item<std::int64_t>(state, "cooldown_counter");
    p.state.last_epoch = item<std::int64_t>(state, "last_epoch");
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
    m.def("ReduceLROnPlateau_check", [](const py::dict& args) { args_from_dict(args); }, py::arg("args"));
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
