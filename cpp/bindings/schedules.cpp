// gradkit._core.schedules: <Schedule>.{check,next_lr,closed_form,curve} for every closed-form schedule of the
// registry (schedules/registry.hpp), and rate_bounds_check / clip_lrs for every scheduler's min_lr /
// max_lr. Conversion only; the schedules are in cpp/include/gradkit/schedules.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradkit/schedules/rate_bounds.hpp"
#include "gradkit/schedules/registry.hpp"
#include "gradkit/schedules/schedule.hpp"
#include "rate_bounds.hpp"
#include "schedule_args.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

template <class S>
void register_schedule(py::module_& m) {
    py::class_<ScheduleScope<S>>(m, S::name, "One closed-form schedule of the core: lr = f(step).")
        .def_static(
            "check", [](const py::dict& d) { S::validate(args_from_dict<S>(d)); }, py::arg("args"))
        .def_static(
            "next_lr",
            [](const py::dict& d, std::int64_t last_epoch, double base_lr, double current_lr, bool initial) {
                return S::next_lr(args_from_dict<S>(d), last_epoch, base_lr, current_lr, initial);
            },
            py::arg("args"), py::arg("last_epoch"), py::arg("base_lr"), py::arg("current_lr"),
            py::arg("initial") = false)
        .def_static(
            "closed_form",
            [](const py::dict& d, std::int64_t last_epoch, double base_lr) {
                return S::closed_form(args_from_dict<S>(d), last_epoch, base_lr);
            },
            py::arg("args"), py::arg("last_epoch"), py::arg("base_lr"))
        .def_static(
            "curve",
            [](const py::dict& d, std::int64_t steps, double base_lr, std::optional<double> min_lr,
               std::optional<double> max_lr) {
                if (steps < 0) throw py::value_error("steps must be non-negative, got " + std::to_string(steps));
                const typename S::Args a = args_from_dict<S>(d);
                const schedules::RateBounds bounds = rate_bounds(min_lr, max_lr);
                py::array_t<double> out(static_cast<py::ssize_t>(steps));
                double* data = out.mutable_data();
                {
                    py::gil_scoped_release release;
                    schedules::curve<S>(a, steps, base_lr, data, bounds);
                }
                return out;
            },
            py::arg("args"), py::arg("steps"), py::arg("base_lr"), py::arg("min_lr") = py::none(),
            py::arg("max_lr") = py::none());
}

// Every scheduler's min_lr / max_lr, one pair per param group (None: no bound).
void register_rate_bounds(py::module_& m) {
    m.def(
        "rate_bounds_check",
        [](std::optional<double> min_lr, std::optional<double> max_lr) { rate_bounds(min_lr, max_lr); },
        py::arg("min_lr"), py::arg("max_lr"));
    m.def(
        "clip_lrs",
        [](std::vector<double> lrs, const std::vector<std::optional<double>>& min_lrs,
           const std::vector<std::optional<double>>& max_lrs) {
            if (min_lrs.size() != lrs.size() || max_lrs.size() != lrs.size())
                throw py::value_error("clip_lrs: " + std::to_string(lrs.size()) + " lrs but " +
                                      std::to_string(min_lrs.size()) + " min_lrs and " +
                                      std::to_string(max_lrs.size()) + " max_lrs");
            for (std::size_t i = 0; i < lrs.size(); ++i) lrs[i] = rate_bounds(min_lrs[i], max_lrs[i]).clip(lrs[i]);
            return lrs;
        },
        py::arg("lrs"), py::arg("min_lrs"), py::arg("max_lrs"));
}

}  // namespace

void register_schedules(py::module_& m) {
    // Where Python itself would raise ZeroDivisionError (e.g. StepLR's step_size=0 at the first step).
    py::register_exception_translator([](std::exception_ptr p) {
        try {
            if (p) std::rethrow_exception(p);
        } catch (const schedules::zero_division& e) {
            PyErr_SetString(PyExc_ZeroDivisionError, e.what());
        }
    });
    for_each_type(schedules::ClosedFormSchedules{}, [&](auto s) { register_schedule<typename decltype(s)::type>(m); });
    register_rate_bounds(m);
}

}  // namespace gradkit::bindings
