// gradkit._core.schedules.{CosineAnnealingWarmRestarts,CyclicLR,OneCycleLR}: the schedules with per-group
// state, each a class of static functions. Conversion only; the schedules are in cpp/include/gradkit/schedules.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <optional>
#include <string>
#include <utility>

#include "gradkit/schedules/cosine_annealing_warm_restarts.hpp"
#include "gradkit/schedules/cyclic_lr.hpp"
#include "gradkit/schedules/one_cycle_lr.hpp"
#include "rate_bounds.hpp"
#include "schedule_args.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

template <class F>
py::array_t<double> make_curve(std::int64_t steps, F&& fill) {
    if (steps < 0) throw py::value_error("steps must be non-negative, got " + std::to_string(steps));
    py::array_t<double> out(static_cast<py::ssize_t>(steps));
    double* data = out.mutable_data();
    {
        py::gil_scoped_release release;
        fill(data);
    }
    return out;
}

}  // namespace

void register_cyclic_schedules(py::module_& m) {
    using W = schedules::CosineAnnealingWarmRestarts;
    py::class_<ScheduleScope<W>> w(m, W::name, "torch's CosineAnnealingWarmRestarts: its restarts' state and lr.");
    w.def_static("check", [](const py::dict& d) { W::validate(args_from_dict<W>(d)); }, py::arg("args"));
    w.def_static(
        "advance",
        [](const py::dict& d, double T_cur, std::int64_t T_i) {
            const W::State s = W::advance(args_from_dict<W>(d), W::State{T_cur, T_i});
            return std::make_pair(s.T_cur, s.T_i);
        },
        py::arg("args"), py::arg("T_cur"), py::arg("T_i"));
    w.def_static(
        "at_epoch",
        [](const py::dict& d, double epoch) {
            const W::State s = W::at_epoch(args_from_dict<W>(d), epoch);
            return std::make_pair(s.T_cur, s.T_i);
        },
        py::arg("args"), py::arg("epoch"));
    w.def_static(
        "lr",
        [](const py::dict& d, double T_cur, std::int64_t T_i, double base_lr) {
            return W::lr(args_from_dict<W>(d), W::State{T_cur, T_i}, base_lr);
        },
        py::arg("args"), py::arg("T_cur"), py::arg("T_i"), py::arg("base_lr"));
    w.def_static(
        "curve",
        [](const py::dict& d, std::int64_t steps, double base_lr, std::optional<double> min_lr,
           std::optional<double> max_lr) {
            const W::Args a = args_from_dict<W>(d);
            const schedules::RateBounds bounds = rate_bounds(min_lr, max_lr);
            return make_curve(steps,
                              [&](double* out) { schedules::curve_warm_restarts(a, steps, base_lr, out, bounds); });
        },
        py::arg("args"), py::arg("steps"), py::arg("base_lr"), py::arg("min_lr") = py::none(),
        py::arg("max_lr") = py::none());

    using C = schedules::CyclicLR;
    py::class_<ScheduleScope<C>> c(m, C::name, "torch's CyclicLR: its cycle position, lr and momentum.");
    c.def_static("check", [](const py::dict& d) { C::validate(args_from_dict<C>(d)); }, py::arg("args"));
    c.def_static(
        "sizes",
        [](double up, double down) {
            const C::Sizes s = C::sizes(up, down);
            return std::make_pair(s.total_size, s.step_ratio);
        },
        py::arg("step_size_up"), py::arg("step_size_down"));
    c.def_static(
        "position",
        [](const py::dict& d, std::int64_t last_epoch) {
            const C::Position p = C::position(args_from_dict<C>(d), last_epoch);
            return std::make_pair(p.cycle, p.scale_factor);
        },
        py::arg("args"), py::arg("last_epoch"));
    c.def_static(
        "builtin_scale", [](const py::dict& d, double x) { return C::builtin_scale(args_from_dict<C>(d), x); },
        py::arg("args"), py::arg("x"));
    c.def_static("lr", &C::lr, py::arg("base_lr"), py::arg("max_lr"), py::arg("scale_factor"), py::arg("scale"));
    c.def_static("momentum", &C::momentum, py::arg("base_momentum"), py::arg("max_momentum"),
          py::arg("scale_factor"), py::arg("scale"));
    c.def_static(
        "curve",
        [](const py::dict& d, std::int64_t steps, double base_lr, double max_lr, std::optional<double> min_lr) {
            const C::Args a = args_from_dict<C>(d);
            const schedules::RateBounds bounds = rate_bounds(min_lr, std::nullopt);
            return make_curve(steps,
                              [&](double* out) { schedules::curve_cyclic(a, steps, base_lr, max_lr, out, bounds); });
        },
        py::arg("args"), py::arg("steps"), py::arg("base_lr"), py::arg("max_lr"), py::arg("min_lr") = py::none());

    using O = schedules::OneCycleLR;
    py::class_<ScheduleScope<O>> o(m, O::name, "torch's OneCycleLR: its lr and momentum at a step.");
    o.def_static("check", [](const py::dict& d) { O::validate(args_from_dict<O>(d)); }, py::arg("args"));
    o.def_static(
        "lr",
        [](const py::dict& d, std::int64_t step_num, double initial_lr, double max_lr, double min_lr) {
            return O::lr(args_from_dict<O>(d), step_num, initial_lr, max_lr, min_lr);
        },
        py::arg("args"), py::arg("step_num"), py::arg("initial_lr"), py::arg("max_lr"), py::arg("min_lr"));
    o.def_static(
        "momentum",
        [](const py::dict& d, std::int64_t step_num, double base_momentum, double max_momentum) {
            return O::momentum(args_from_dict<O>(d), step_num, base_momentum, max_momentum);
        },
        py::arg("args"), py::arg("step_num"), py::arg("base_momentum"), py::arg("max_momentum"));
    o.def_static(
        "curve",
        [](const py::dict& d, std::int64_t steps, double max_lr, double div_factor, double final_div_factor,
           std::optional<double> min_lr) {
            const O::Args a = args_from_dict<O>(d);
            const schedules::RateBounds bounds = rate_bounds(min_lr, std::nullopt);
            return make_curve(steps, [&](double* out) {
                schedules::curve_one_cycle(a, steps, max_lr, div_factor, final_div_factor, out, bounds);
            });
        },
        py::arg("args"), py::arg("steps"), py::arg("max_lr"), py::arg("div_factor"), py::arg("final_div_factor"),
        py::arg("min_lr") = py::none());
}

}  // namespace gradkit::bindings
