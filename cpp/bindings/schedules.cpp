// gradkit._core.<Schedule>_{check,next_lr,closed_form,curve}: conversion only; the schedules are in
// cpp/include/gradkit/schedules.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <cstdint>
#include <string>

#include "gradkit/schedules/constant_lr.hpp"
#include "gradkit/schedules/cosine_annealing_lr.hpp"
#include "gradkit/schedules/exponential_lr.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/multi_step_lr.hpp"
#include "gradkit/schedules/polynomial_lr.hpp"
#include "gradkit/schedules/schedule.hpp"
#include "gradkit/schedules/step_lr.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

// A schedule's arguments from a dict holding every one of them by torch's name.
template <class S>
struct ArgsFromDict {
    const py::dict& d;
    template <class F>
    void operator()(const char* key, F& field) {
        if (!d.contains(key))
            throw py::key_error(std::string(S::name) + ": missing argument '" + key + "'");
        try {
            field = d[key].template cast<F>();
        } catch (const py::cast_error&) {
            throw py::type_error(std::string(S::name) + " argument '" + key + "': cannot use " +
                                 std::string(py::repr(d[key])) + " here");
        }
    }
};

template <class S>
typename S::Args args_from_dict(const py::dict& d) {
    typename S::Args a;
    a.visit(ArgsFromDict<S>{d});
    return a;
}

template <class S>
void register_schedule(py::module_& m) {
    const std::string name = S::name;
    m.def((name + "_check").c_str(), [](const py::dict& d) { S::validate(args_from_dict<S>(d)); }, py::arg("args"));
    m.def(
        (name + "_next_lr").c_str(),
        [](const py::dict& d, std::int64_t last_epoch, double base_lr, double current_lr, bool initial) {
            return S::next_lr(args_from_dict<S>(d), last_epoch, base_lr, current_lr, initial);
        },
        py::arg("args"), py::arg("last_epoch"), py::arg("base_lr"), py::arg("current_lr"),
        py::arg("initial") = false);
    m.def(
        (name + "_closed_form").c_str(),
        [](const py::dict& d, std::int64_t last_epoch, double base_lr) {
            return S::closed_form(args_from_dict<S>(d), last_epoch, base_lr);
        },
        py::arg("args"), py::arg("last_epoch"), py::arg("base_lr"));
    m.def(
        (name + "_curve").c_str(),
        [](const py::dict& d, std::int64_t steps, double base_lr) {
            if (steps < 0) throw py::value_error("steps must be non-negative, got " + std::to_string(steps));
            const typename S::Args a = args_from_dict<S>(d);
            py::array_t<double> out(static_cast<py::ssize_t>(steps));
            double* data = out.mutable_data();
            {
                py::gil_scoped_release release;
                schedules::curve<S>(a, steps, base_lr, data);
            }
            return out;
        },
        py::arg("args"), py::arg("steps"), py::arg("base_lr"));
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
    register_schedule<schedules::StepLR>(m);
    register_schedule<schedules::MultiStepLR>(m);
    register_schedule<schedules::ConstantLR>(m);
    register_schedule<schedules::LinearLR>(m);
    register_schedule<schedules::ExponentialLR>(m);
    register_schedule<schedules::PolynomialLR>(m);
    register_schedule<schedules::CosineAnnealingLR>(m);
}

}  // namespace gradkit::bindings
