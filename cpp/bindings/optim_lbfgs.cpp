// gradkit._core.optim.LBFGS (.float32, .float64): the core's L-BFGS over NumPy arrays, with a Python closure.
// Conversion only; the algorithm is cpp/include/gradkit/optim/lbfgs.hpp.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cstring>
#include <deque>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "arrays.hpp"
#include "bind_optimizer.hpp"
#include "gradkit/optim/lbfgs.hpp"

namespace pybind11::detail {

// line_search_fn: None <-> LineSearch::none, 'strong_wolfe' <-> LineSearch::strong_wolfe.
template <>
struct type_caster<gradkit::optim::LineSearch> {
    PYBIND11_TYPE_CASTER(gradkit::optim::LineSearch, const_name("Optional[str]"));

    bool load(handle src, bool) {
        if (src.is_none()) {
            value = gradkit::optim::LineSearch::none;
            return true;
        }
        if (!isinstance<str>(src)) return false;
        if (src.cast<std::string>() != "strong_wolfe")
            throw value_error("only 'strong_wolfe' is supported as line_search_fn, got " + std::string(repr(src)));
        value = gradkit::optim::LineSearch::strong_wolfe;
        return true;
    }
    static handle cast(gradkit::optim::LineSearch ls, return_value_policy, handle) {
        if (ls == gradkit::optim::LineSearch::none) return none().release();
        return str("strong_wolfe").release();
    }
};

}  // namespace pybind11::detail

namespace gradkit::bindings {

namespace {

using Hyper = optim::LBFGSHyper;

Hyper lbfgs_hyper(const py::dict& d, Hyper h = {}) {
    h.visit(HyperFromDict{d});
    h.validate();
    return h;
}

// Marks the optimizer busy while step() runs, so that the closure (or another thread, the GIL being
// released) cannot replace the state or the hyperparameters the algorithm is working on.
struct BusyGuard {
    bool& busy;
    explicit BusyGuard(bool& b) : busy(b) { busy = true; }
    ~BusyGuard() { busy = false; }
    BusyGuard(const BusyGuard&) = delete;
    BusyGuard& operator=(const BusyGuard&) = delete;
};

template <typename T>
class PyLBFGS {
public:
    using Core = optim::LBFGS<T>;
    using State = typename Core::State;

    explicit PyLBFGS(const py::dict& hyper) : hyper_(lbfgs_hyper(hyper)) {}

    // The parameters, once: LBFGS has a single param group.
    void add_params(const py::list& params, std::size_t start) {
        if (core_ || start != 0) throw py::value_error("LBFGS doesn't support per-parameter options (parameter groups)");
        std::vector<optim::ArrayRef<T>> refs;
        for (std::size_t i = 0; i < params.size(); ++i) refs.push_back(param_ref<T>(params[i], "params", i));
        core_.emplace(std::move(refs), hyper_);
        for (std::size_t i = 0; i < params.size(); ++i) arrays_.push_back(py::reinterpret_borrow<py::array>(params[i]));
    }

    void set_hyper(const py::dict& d) {
        not_busy("change hyperparameters");
        hyper_ = lbfgs_hyper(d, hyper_);
        if (core_) core_->set_hyper(hyper_);
    }
    py::dict get_hyper() const { return fields_to_dict(hyper_); }

    // Runs the algorithm without the GIL; the closure takes it back for each evaluation.
    double step(const py::function& closure) {
        Core& core = this->core();
        not_busy("run step() from its own closure");
        BusyGuard busy(busy_);
        py::gil_scoped_release release;
        return core.step([&](T* flat_grad) { return evaluate(closure, flat_grad); });
    }

    // torch keeps LBFGS's global state under the first parameter: [dict or None, None, ...].
    py::list get_state() const {
        not_busy("take its state");
        py::list out;
        const State& s = core_state();
        if (s.empty()) {
            out.append(py::none());
        } else {
            out.append(state_to_dict(s));
        }
        for (std::size_t i = 1; i < arrays_.size(); ++i) out.append(py::none());
        return out;
    }
    void check_state(const py::list& states, std::size_t start) const { convert_state(states, start); }
    void set_state(const py::list& states, std::size_t start) {
        not_busy("load a state");
        State s = convert_state(states, start);
        core().set_state(std::move(s));
    }

    std::size_t size() const { return arrays_.size(); }

private:
    Core& core() {
        if (!core_) throw py::value_error("LBFGS has no parameters");
        return *core_;
    }
    const Core& core() const {
        if (!core_) throw py::value_error("LBFGS has no parameters");
        return *core_;
    }
    const State& core_state() const { return core().state(); }

    void not_busy(const char* what) const {
        if (busy_) throw std::runtime_error(std::string("LBFGS cannot ") + what + " while step() is running");
    }

    // One evaluation: calls the Python closure, checks its (loss, grads) and copies grads into the
    // flat gradient (None: zeros, as torch gathers a missing .grad). Checks all before writing any.
    double evaluate(const py::function& closure, T* flat_grad) {
        py::gil_scoped_acquire gil;
        py::object result = closure();
        if (!(py::isinstance<py::tuple>(result) || py::isinstance<py::list>(result)) || py::len(result) != 2)
            throw py::type_error("the LBFGS closure must return (loss, grads), got " + describe(result));
        auto pair = py::reinterpret_borrow<py::sequence>(result);
        const double loss = py::float_(py::object(pair[0]));
        py::object grads = pair[1];
        if (py::isinstance<py::array>(grads) || !py::isinstance<py::sequence>(grads))
            throw py::type_error("the LBFGS closure's grads: expected a list of arrays, one per parameter, got " +
                                 describe(grads));
        auto seq = py::reinterpret_borrow<py::sequence>(grads);
        if (seq.size() != arrays_.size())
            throw py::value_error("the LBFGS closure returned " + std::to_string(seq.size()) + " gradients for " +
                                  std::to_string(arrays_.size()) + " parameters");
        std::vector<py::object> items;  // keeps each gradient alive while it is read
        std::vector<const T*> ptrs(arrays_.size());
        for (std::size_t i = 0; i < arrays_.size(); ++i) {
            items.push_back(seq[i]);
            ptrs[i] = grad_ptr<T>(items.back(), arrays_[i], i);
        }
        for (std::size_t i = 0; i < arrays_.size(); ++i) {
            const auto n = static_cast<std::size_t>(arrays_[i].size());
            if (ptrs[i])
                std::memcpy(flat_grad, ptrs[i], n * sizeof(T));
            else
                std::fill(flat_grad, flat_grad + n, T(0));
            flat_grad += n;
        }
        return loss;
    }

    py::array_t<T> flat_array(const std::vector<T>& v) const {
        py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
        std::copy(v.begin(), v.end(), a.mutable_data());
        return a;
    }
    template <class X>
    static py::object optional(const std::optional<X>& x) {
        return x ? py::cast(*x) : py::object(py::none());
    }

    py::dict state_to_dict(const State& s) const {
        const bool started = !s.d.empty();
        py::dict d;
        d["func_evals"] = s.func_evals;
        d["n_iter"] = s.n_iter;
        d["d"] = started ? py::object(flat_array(s.d)) : py::object(py::none());
        d["t"] = optional(s.t);
        py::list dirs, stps, ro;
        for (const auto& v : s.old_dirs) dirs.append(flat_array(v));
        for (const auto& v : s.old_stps) stps.append(flat_array(v));
        for (T r : s.ro) ro.append(static_cast<double>(r));
        d["old_dirs"] = started ? py::object(dirs) : py::object(py::none());
        d["old_stps"] = started ? py::object(stps) : py::object(py::none());
        d["ro"] = started ? py::object(ro) : py::object(py::none());
        d["H_diag"] = optional(s.H_diag);
        d["prev_flat_grad"] = s.prev_flat_grad.empty() ? py::object(py::none()) : py::object(flat_array(s.prev_flat_grad));
        d["prev_loss"] = optional(s.prev_loss);
        if (!s.al.empty()) {
            py::list al;
            for (const auto& a : s.al) al.append(a ? py::object(py::float_(static_cast<double>(*a))) : py::object(py::none()));
            d["al"] = al;
        }
        return d;
    }

    // Converts a saved state and has the core check it; raises before anything changes.
    State convert_state(const py::list& states, std::size_t start) const {
        const Core& core = this->core();
        if (start != 0 || states.size() != arrays_.size())
            throw py::value_error("expected state for " + std::to_string(arrays_.size()) + " parameters, got " +
                                  std::to_string(states.size()));
        for (std::size_t i = 1; i < states.size(); ++i)
            if (!states[i].is_none())
                throw py::value_error("state[" + std::to_string(i) +
                                      "]: LBFGS keeps all its state under the first parameter (state[0])");
        State s;
        if (states[0].is_none()) return s;
        if (!py::isinstance<py::dict>(states[0]))
            throw py::type_error("state[0]: expected a dict, got " + describe(states[0]));
        auto d = py::reinterpret_borrow<py::dict>(states[0]);
        static const char* const keys[] = {"func_evals", "n_iter", "d",  "t",         "old_dirs", "old_stps",
                                           "ro",         "H_diag", "al", "prev_flat_grad", "prev_loss"};
        for (auto kv : d) {
            const std::string key = py::str(kv.first);
            if (std::find(std::begin(keys), std::end(keys), key) == std::end(keys))
                throw py::value_error("state[0] has '" + key +
                                      "', which LBFGS does not keep: is this another optimizer's state?");
        }
        auto get = [&](const char* key) -> py::object {
            return d.contains(key) ? py::object(d[key]) : py::object(py::none());
        };
        const std::size_t n = core.numel();
        auto vec = [&](py::handle obj, const std::string& where) {
            auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(obj);
            if (!a) throw py::type_error(where + ": expected an array, got " + describe(obj));
            if (a.ndim() != 1 || static_cast<std::size_t>(a.size()) != n)
                throw py::value_error(where + ": expected a 1-D array of " + std::to_string(n) +
                                      " values (all parameters, flattened), got shape " +
                                      std::string(py::repr(a.attr("shape"))));
            return std::vector<T>(a.data(), a.data() + n);
        };
        auto where = [](const char* key) { return std::string("state[0]['") + key + "']"; };
        auto sequence = [&](const char* key, const char* of) {
            py::object o = get(key);
            if (!py::isinstance<py::sequence>(o) || py::isinstance<py::array>(o) || py::isinstance<py::str>(o))
                throw py::type_error(where(key) + ": expected a list of " + of + ", got " + describe(o));
            return py::reinterpret_borrow<py::sequence>(o);
        };
        auto number = [&](const char* key) -> std::optional<double> {
            py::object o = get(key);
            if (o.is_none()) return std::nullopt;
            return double(py::float_(o));
        };
        auto count = [&](const char* key) -> std::int64_t {
            py::object o = get(key);
            return o.is_none() ? 0 : py::int_(o).cast<std::int64_t>();
        };
        auto arrays = [&](const char* key) {
            std::deque<std::vector<T>> out;
            if (get(key).is_none()) return out;
            auto seq = sequence(key, "arrays");
            for (std::size_t i = 0; i < seq.size(); ++i) out.push_back(vec(seq[i], where(key) + "[" + std::to_string(i) + "]"));
            return out;
        };
        auto numbers = [&](const char* key) {
            std::vector<std::optional<T>> out;
            if (get(key).is_none()) return out;
            for (py::handle x : sequence(key, "numbers"))
                out.push_back(x.is_none() ? std::nullopt : std::optional<T>(static_cast<T>(double(py::float_(py::reinterpret_borrow<py::object>(x))))));
            return out;
        };
        s.func_evals = count("func_evals");
        s.n_iter = count("n_iter");
        if (!get("d").is_none()) s.d = vec(get("d"), where("d"));
        if (!get("prev_flat_grad").is_none()) s.prev_flat_grad = vec(get("prev_flat_grad"), where("prev_flat_grad"));
        s.t = number("t");
        s.H_diag = number("H_diag");
        s.prev_loss = number("prev_loss");
        s.old_dirs = arrays("old_dirs");
        s.old_stps = arrays("old_stps");
        for (const auto& r : numbers("ro")) {
            if (!r) throw py::type_error(where("ro") + ": expected numbers, got None");
            s.ro.push_back(*r);
        }
        s.al = numbers("al");
        core.check_state(s);  // std::invalid_argument -> ValueError
        return s;
    }

    Hyper hyper_;
    std::optional<Core> core_;
    std::vector<py::array> arrays_;
    bool busy_ = false;
};

template <typename T>
void bind_lbfgs(py::handle scope, const char* name) {
    using L = PyLBFGS<T>;
    py::class_<L>(scope, name)
        .def(py::init<const py::dict&>(), py::arg("hyper"))
        .def("add_params", &L::add_params, py::arg("params"), py::arg("start"))
        .def("set_hyper", &L::set_hyper)
        .def("get_hyper", &L::get_hyper)
        .def("step", &L::step, py::arg("closure"))
        .def("get_state", &L::get_state)
        // `hyper` (the loaded param group) as for the ParamGroup optimizers; LBFGS's state does not depend on it.
        .def("check_state", [](const L& l, const py::list& states, std::size_t start,
                               const py::object&) { l.check_state(states, start); },
             py::arg("states"), py::arg("start"), py::arg("hyper") = py::none())
        .def("set_state", [](L& l, const py::list& states, std::size_t start,
                             const py::object&) { l.set_state(states, start); },
             py::arg("states"), py::arg("start"), py::arg("hyper") = py::none())
        .def_property_readonly("size", &L::size);
}

struct LBFGSScope {};

}  // namespace

// gradkit._core.optim.LBFGS: its param groups (float32, float64) and check_hyper, as every optimizer's.
void register_lbfgs(py::module_& m) {
    py::class_<LBFGSScope> scope(m, "LBFGS",
                                 "One optimizer of the core: its param groups of each dtype (float32, float64) "
                                 "and its hyperparameter check.");
    bind_lbfgs<float>(scope, "float32");
    bind_lbfgs<double>(scope, "float64");
    scope.def_static(
        "check_hyper", [](const py::dict& d) { return fields_to_dict(lbfgs_hyper(d)); },
        "Validates LBFGS hyperparameters; returns them as the core holds them.");
}

}  // namespace gradkit::bindings
