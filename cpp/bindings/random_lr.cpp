// gradkit._core.RandomLR_{check,draw_index,draw}: conversion only; the draw is in
// cpp/include/gradkit/schedules/random_lr.hpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>

#include <cstdint>
#include <string>

#include "arrays.hpp"
#include "gradkit/schedules/random_lr.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

namespace {

using schedules::RandomLR;

template <class F>
F item(const py::dict& d, const char* key) {
    if (!d.contains(key)) throw py::key_error(std::string("RandomLR: missing argument '") + key + "'");
    try {
        return d[key].cast<F>();
    } catch (const py::cast_error&) {
        throw py::type_error(std::string("RandomLR argument '") + key + "': cannot use " +
                             std::string(py::repr(d[key])) + " here");
    }
}

RandomLR::Args args_from_dict(const py::dict& d) {
    RandomLR::Args a;
    a.low = item<double>(d, "low");
    a.high = item<double>(d, "high");
    a.resample_every = item<std::int64_t>(d, "resample_every");
    return a;
}

template <typename T>
void draw_into(const RandomLR::Args& a, py::handle out, std::uint64_t seed, std::int64_t draw, std::uint64_t stream) {
    const optim::ArrayRef<T> ref = param_ref<T>(out, "multipliers", static_cast<std::size_t>(stream));
    py::gil_scoped_release release;
    RandomLR::draw(a, seed, draw, stream, ref.data, ref.size);
}

}  // namespace

void register_random_lr(py::module_& m) {
    m.def("RandomLR_check", [](const py::dict& d) { RandomLR::validate(args_from_dict(d)); }, py::arg("args"));
    m.def(
        "RandomLR_draw_index",
        [](const py::dict& d, std::int64_t last_epoch) { return RandomLR::draw_index(args_from_dict(d), last_epoch); },
        py::arg("args"), py::arg("last_epoch"), "The draw in effect after last_epoch steps.");
    m.def(
        "RandomLR_draw",
        [](const py::dict& d, py::handle out, std::uint64_t seed, std::int64_t draw, std::uint64_t stream) {
            const RandomLR::Args a = args_from_dict(d);
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
