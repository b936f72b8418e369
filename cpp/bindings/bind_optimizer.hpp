// One pybind11 class per (algorithm, dtype): a param group of the core, addressed from Python.
// Only conversion lives here; the algorithms and their checks are in cpp/include/gradkit/optim.
#pragma once

#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <array>
#include <cstring>
#include <string>
#include <type_traits>
#include <vector>

#include "arrays.hpp"
#include "dict_fields.hpp"
#include "gradkit/optim/buffer_shape.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/param_group.hpp"

namespace gradkit::bindings {

namespace py = pybind11;

// Hyperparameters <-> the param group's dict, by torch's key names (FieldsToDict writes them).
struct HyperFromDict {
    const py::dict& d;
    template <class F>
    void operator()(const char* key, F& field) {
        if (!d.contains(key)) return;
        try {
            field = d[key].template cast<F>();
        } catch (const py::cast_error&) {
            throw py::type_error(std::string("param group '") + key + "': cannot use " +
                                 std::string(py::repr(d[key])) + " here");
        }
    }
};

template <class Algo>
typename Algo::Hyper hyper_from_dict(const py::dict& d) {
    typename Algo::Hyper h;
    h.visit(HyperFromDict{d});
    Algo::validate(h);
    return h;
}

// Per-parameter state <-> a dict of floats and arrays, each shaped as its BufferShape says (always copies).
inline std::vector<std::size_t> shape_of(const py::array& a) {
    return std::vector<std::size_t>(a.shape(), a.shape() + a.ndim());
}

template <typename T>
struct StateToDict {
    py::dict& d;
    const py::array& param;
    template <class Number, class = std::enable_if_t<std::is_arithmetic_v<Number>>>
    void operator()(const char* key, Number& x) { d[key] = x; }
    void operator()(const char* key, std::vector<T>& buf, optim::BufferShape kind = optim::BufferShape::like_param) {
        if (buf.empty()) return;  // torch has no such key (e.g. a buffer created lazily)
        const auto shape = optim::buffer_shape(kind, shape_of(param), buf.size());
        py::array_t<T> a(std::vector<py::ssize_t>(shape.begin(), shape.end()));
        std::copy(buf.begin(), buf.end(), a.mutable_data());
        d[key] = a;
    }
};

template <typename T>
struct StateFromDict {
    const py::dict& d;
    const py::array& param;
    std::size_t index;
    const std::vector<std::string>* allowed_empty;  // buffers a fresh state may lack
    std::vector<std::string> seen;

    std::string where(const char* key) const {
        return "state[" + std::to_string(index) + "]['" + key + "']";
    }
    template <class Number, class = std::enable_if_t<std::is_arithmetic_v<Number>>>
    void operator()(const char* key, Number& x) {
        seen.emplace_back(key);
        if (!d.contains(key)) throw py::value_error("state[" + std::to_string(index) + "] lacks '" + key + "'");
        try {
            x = d[key].template cast<Number>();
        } catch (const py::cast_error&) {
            throw py::type_error(where(key) + (std::is_integral_v<Number> ? ": expected an integer, got " : ": expected a number, got ") +
                                 describe(d[key]));
        }
    }
    void operator()(const char* key, std::vector<T>& buf, optim::BufferShape kind = optim::BufferShape::like_param) {
        seen.emplace_back(key);
        if (!d.contains(key) || d[key].is_none()) {
            if (std::find(allowed_empty->begin(), allowed_empty->end(), key) == allowed_empty->end())
                throw py::value_error("state[" + std::to_string(index) + "] lacks '" + key + "'");
            buf.clear();
            return;
        }
        auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(d[key]);
        if (!a) throw py::type_error(where(key) + ": expected an array, got " + describe(d[key]));
        // A flat buffer's length is the algorithm's to check (its step refuses a wrong one): here only its rank.
        const auto expected = optim::buffer_shape(kind, shape_of(param), static_cast<std::size_t>(a.size()));
        if (shape_of(a) != expected) {
            py::tuple want(expected.size());
            for (std::size_t i = 0; i < expected.size(); ++i) want[i] = expected[i];
            throw py::value_error(where(key) + ": expected shape " + std::string(py::repr(want)) +
                                  (kind == optim::BufferShape::like_param ? " like the parameter" : "") + ", got " +
                                  std::string(py::repr(a.attr("shape"))));
        }
        buf.assign(a.data(), a.data() + a.size());
    }
};

template <typename T>
struct EmptyBufferNames {
    std::vector<std::string>& names;
    template <class Number, class = std::enable_if_t<std::is_arithmetic_v<Number>>>
    void operator()(const char*, Number&) {}
    void operator()(const char* key, std::vector<T>& b, optim::BufferShape = optim::BufferShape::like_param) {
        if (b.empty()) names.emplace_back(key);
    }
};

// Names of the buffers that Algo::init leaves empty: those may be absent from a loaded state.
template <class Algo, typename T>
std::vector<std::string> lazily_created_buffers(const typename Algo::Hyper& h) {
    typename Algo::template State<T> s;
    T dummy{};
    Algo::init(h, s, &dummy, 1);
    std::vector<std::string> names;
    s.visit(EmptyBufferNames<T>{names});
    return names;
}

template <class Algo, typename T>
class PyParamGroup {
public:
    using Group = optim::ParamGroup<Algo, T>;
    using State = typename Algo::template State<T>;

    explicit PyParamGroup(const py::dict& hyper) : group_(hyper_from_dict<Algo>(hyper)) {}

    // All arrays are checked before any is added. `start` is the index of the first in the optimizer.
    void add_params(const py::list& params, std::size_t start) {
        std::vector<optim::ArrayRef<T>> refs;
        for (std::size_t i = 0; i < params.size(); ++i) {
            refs.push_back(param_ref<T>(params[i], "params", start + i));
            const std::string why = Group::refusal(refs.back());
            if (!why.empty())
                throw py::value_error(where("params", start + i) + " has shape " +
                                      std::string(py::repr(params[i].attr("shape"))) + ": " + why);
        }
        for (std::size_t i = 0; i < params.size(); ++i) {
            group_.add_param(refs[i]);
            arrays_.push_back(py::reinterpret_borrow<py::array>(params[i]));
        }
    }

    void set_hyper(const py::dict& d) {
        typename Algo::Hyper h = group_.hyper();
        h.visit(HyperFromDict{d});
        group_.set_hyper(h);
    }
    py::dict get_hyper() const { return fields_to_dict(group_.hyper()); }

    // Checks grads[start : start + size] against the parameters; raises on the first mismatch.
    const T* const* check(const py::list& grads, std::size_t start) {
        if (start + arrays_.size() > grads.size())
            throw py::value_error("expected " + std::to_string(start + arrays_.size()) + " or more gradients, got " +
                                  std::to_string(grads.size()));
        ptrs_.resize(arrays_.size());
        for (std::size_t i = 0; i < arrays_.size(); ++i)
            ptrs_[i] = grad_ptr<T>(PyList_GET_ITEM(grads.ptr(), static_cast<py::ssize_t>(start + i)), arrays_[i], start + i);
        group_.check_step();
        return ptrs_.data();
    }

    // Every group's step at once (optim::step_groups: Prodigy's d is estimated over all groups), each
    // group's gradients checked before any array changes.
    static void step_groups(const std::vector<PyParamGroup*>& groups, const py::list& grads) {
        std::vector<Group*> cores;
        std::vector<const T* const*> ptrs;
        std::size_t start = 0;
        for (PyParamGroup* g : groups) {
            ptrs.push_back(g->check(grads, start));
            cores.push_back(&g->group_);
            start += g->size();
        }
        if (start != grads.size())
            throw py::value_error("expected " + std::to_string(start) + " gradients, got " + std::to_string(grads.size()));
        py::gil_scoped_release release;
        optim::step_groups(cores, ptrs);
    }

    // train() (true) / eval() (false): see ParamGroup::set_mode.
    void set_mode(bool train) {
        py::gil_scoped_release release;
        group_.set_mode(train);
    }

    void step(const py::list& grads, std::size_t start) {
        const T* const* g = check(grads, start);
        py::gil_scoped_release release;
        group_.step(g);
    }

    py::list get_state() const {
        py::list out;
        for (std::size_t i = 0; i < arrays_.size(); ++i) {
            const auto& s = group_.states()[i];
            if (!s) {
                out.append(py::none());
                continue;
            }
            py::dict d;
            State copy = *s;
            copy.visit(StateToDict<T>{d, arrays_[i]});
            out.append(d);
        }
        return out;
    }

    // The hyperparameters a state is checked against: the group's, updated by `hyper` (the dict of the
    // param group being loaded with it) unless that is None.
    typename Algo::Hyper hyper_with(const py::object& hyper) const {
        typename Algo::Hyper h = group_.hyper();
        if (!hyper.is_none()) {
            h.visit(HyperFromDict{py::cast<py::dict>(hyper)});
            Algo::validate(h);
        }
        return h;
    }

    // Converts and checks every entry first; the group changes only if all fit.
    std::vector<std::optional<State>> convert_state(const py::list& states, std::size_t start,
                                                    const py::object& hyper) const {
        if (states.size() != arrays_.size())
            throw py::value_error("expected state for " + std::to_string(arrays_.size()) + " parameters, got " +
                                  std::to_string(states.size()));
        const typename Algo::Hyper h = hyper_with(hyper);
        const auto allowed_empty = lazily_created_buffers<Algo, T>(h);
        std::vector<std::optional<State>> out(arrays_.size());
        for (std::size_t i = 0; i < arrays_.size(); ++i) {
            py::handle item = states[i];
            if (item.is_none()) continue;
            if (!py::isinstance<py::dict>(item))
                throw py::type_error("state[" + std::to_string(start + i) + "]: expected a dict, got " + describe(item));
            auto d = py::reinterpret_borrow<py::dict>(item);
            StateFromDict<T> v{d, arrays_[i], start + i, &allowed_empty, {}};
            out[i].emplace();
            out[i]->visit(v);
            for (auto kv : d) {
                const std::string key = py::str(kv.first);
                if (std::find(v.seen.begin(), v.seen.end(), key) == v.seen.end())
                    throw py::value_error("state[" + std::to_string(start + i) + "] has '" + key + "', which " +
                                          Algo::name + " does not keep: is this another optimizer's state?");
            }
            try {
                group_.check_state(i, *out[i], h);
            } catch (const std::invalid_argument& e) {
                throw py::value_error("state[" + std::to_string(start + i) + "]: " + e.what());
            }
        }
        return out;
    }
    void check_state(const py::list& states, std::size_t start, const py::object& hyper) const {
        convert_state(states, start, hyper);
    }
    void set_state(const py::list& states, std::size_t start, const py::object& hyper) {
        auto converted = convert_state(states, start, hyper);
        group_.states() = std::move(converted);
    }

    // Per-element lr multipliers for this group's parameters: scales[start : start + size], each None or an
    // array read where it lies (lr_scale_ref). All are checked before the group changes.
    std::vector<optim::ArrayRef<const T>> convert_lr_scale(const py::list& scales, std::size_t start) const {
        if (start + arrays_.size() > scales.size())
            throw py::value_error("expected " + std::to_string(start + arrays_.size()) + " or more lr_scale arrays, got " +
                                  std::to_string(scales.size()));
        std::vector<optim::ArrayRef<const T>> refs(arrays_.size());
        for (std::size_t i = 0; i < arrays_.size(); ++i) {
            const std::size_t index = start + i;
            refs[i] = lr_scale_ref<T>(scales[index], arrays_[i], index);
            for (std::size_t j = 0; j < arrays_.size(); ++j) {
                const optim::ArrayRef<T> p = group_.params()[j];
                if (overlap(refs[i].data, refs[i].size, p.data, p.size))
                    throw py::value_error(where("lr_scale", index) + " shares memory with params[" +
                                          std::to_string(start + j) + "], which every step changes; pass a copy");
            }
            optim::require_valid_lr_scale(refs[i].data, refs[i].size, where("lr_scale", index));
        }
        return refs;
    }
    void check_lr_scale(const py::list& scales, std::size_t start) const { convert_lr_scale(scales, start); }
    void set_lr_scale(const py::list& scales, std::size_t start) {
        auto refs = convert_lr_scale(scales, start);
        std::vector<py::object> keep(arrays_.size());
        for (std::size_t i = 0; i < arrays_.size(); ++i) keep[i] = scales[start + i];
        group_.set_lr_scales(std::move(refs));
        scale_arrays_ = std::move(keep);  // the group reads them at every step: keep them alive
    }
    void clear_lr_scale() {
        group_.clear_lr_scales();
        scale_arrays_.clear();
    }

    std::size_t size() const { return arrays_.size(); }
    Group& core() { return group_; }

private:
    Group group_;
    std::vector<py::array> arrays_;
    std::vector<const T*> ptrs_;
    std::vector<py::object> scale_arrays_;
};

// The Python class gradkit._core.optim.<Name>: a namespace for one algorithm, never instantiated. It holds
// check_hyper and, as its attributes float32 and float64, the param-group classes of each dtype.
template <class Algo>
struct AlgorithmScope {};

template <class Algo, typename T>
void bind_group(py::handle scope, const char* name) {
    using G = PyParamGroup<Algo, T>;
    py::class_<G>(scope, name)
        .def(py::init<const py::dict&>(), py::arg("hyper"))
        .def("add_params", &G::add_params, py::arg("params"), py::arg("start"))
        .def("set_hyper", &G::set_hyper)
        .def("get_hyper", &G::get_hyper)
        .def("check", [](G& g, const py::list& grads, std::size_t start) { g.check(grads, start); })
        .def("step", &G::step, py::arg("grads"), py::arg("start"))
        .def_static("step_groups", &G::step_groups, py::arg("groups"), py::arg("grads"),
                    "One step of every group (the optimizer's step), all gradients checked first.")
        .def("set_mode", &G::set_mode, py::arg("train"))
        .def("get_state", &G::get_state)
        .def("check_state", &G::check_state, py::arg("states"), py::arg("start"), py::arg("hyper") = py::none(),
             "Checks states for this group's parameters against its hyperparameters updated by `hyper`.")
        .def("set_state", &G::set_state, py::arg("states"), py::arg("start"), py::arg("hyper") = py::none())
        .def("check_lr_scale", &G::check_lr_scale, py::arg("scales"), py::arg("start"))
        .def("set_lr_scale", &G::set_lr_scale, py::arg("scales"), py::arg("start"))
        .def("clear_lr_scale", &G::clear_lr_scale)
        .def_property_readonly("size", &G::size);
}

// Registers the class <Name> in m: <Name>.float32, <Name>.float64 and <Name>.check_hyper(dict).
template <class Algo>
void bind_algorithm(py::module_& m) {
    py::class_<AlgorithmScope<Algo>> scope(m, Algo::name,
                                           "One optimizer of the core: its param groups of each dtype (float32, "
                                           "float64) and its hyperparameter check.");
    bind_group<Algo, float>(scope, "float32");
    bind_group<Algo, double>(scope, "float64");
    scope.def_static(
        "check_hyper", [](const py::dict& d) { return fields_to_dict(hyper_from_dict<Algo>(d)); },
        "Validates hyperparameters with torch's conditions; returns them as the core holds them.");
    scope.attr("group_state") = py::tuple(py::cast(optim::group_state_names<Algo>()));
    scope.attr("has_modes") = optim::has_modes<Algo>;
    scope.attr("spans_groups") = optim::spans_groups<Algo>;
}

}  // namespace gradkit::bindings
