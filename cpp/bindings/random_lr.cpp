// gradkit._core.schedules.RandomLR.{check,draw_index,draw}: conversion only; the draw is in
// cpp/include/gradkit/schedules/random_lr.hpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "schedule_args.hpp"
#include "gradkit/schedules/random_lr.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using schedules::RandomLR;

template <typename T>
void draw_into(const RandomLR::Args& a, py::handle out, std::uint64_t seed, std::int64_t draw, std::uint64_t stream) {
    const optim::ArrayRef<T> ref = param_ref<T>(out, "multipliers", static_cast<std::size_t>(stream));
    py::gil_scoped_release release;
    RandomLR::draw(a, seed, draw, stream, ref.data, ref.size);
}

}  // namespace

void register_random_lr(py::module_& m) {
    py::class_<ScheduleScope<RandomLR>>(m, RandomLR::name,
                                       "gradkit's RandomLR: per-element lr multipliers drawn anew every few steps.")
        .def_static("check", [](const py::dict& d) { RandomLR::validate(args_from_dict<RandomLR>(d)); }, py::arg("args"))
        .def_static(
        "draw_index",
        [](const py::dict& d, std::int64_t last_epoch) { return RandomLR::draw_index(args_from_dict<RandomLR>(d), last_epoch); },
        py::arg("args"), py::arg("last_epoch"), "The draw in effect after last_epoch steps.")
        .def_static(
        "draw",
        [](const py::dict& d, py::handle out, std::uint64_t seed, std::int64_t draw, std::uint64_t stream) {
            const RandomLR::Args a = args_from_dict<RandomLR>(d);
            RandomLR::validate(a);
            const bool single = py::isinstance<py::array>(out) &&
                                py::reinterpret_borrow<py::array>(out).dtype().equal(py::dtype::of<float>());
            if (single)
                draw_into<float>(a, out, seed, draw, stream);
            else
                draw_into<double>(a, out, seed, draw, stream);  // names what was given if not float64 either
        },
        py::arg("args"), py::arg("out"), py::arg("seed"), py::arg("draw"), py::arg("stream"),
        "Fills out (float32 or float64, in place) with draw number `draw` of array number `stream`.");
}

}  // namespace gradkit::bindings
