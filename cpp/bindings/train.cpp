// gradkit._core.train: the core's MLP trainer (train/trainer.hpp) as MLPTrainer_float32 / MLPTrainer_float64,
// its Progress and LoopOptions, and its errors; the estimators in gradkit.neural_network drive them.
// Conversion only: step rules and schedules are found by name in the trainer's registry
// (train/registry.hpp), arrays are checked and read in place, the GIL is released around training and
// prediction, and the per-epoch hook re-acquires it once per epoch.
#include <pybind11/numpy.h>
#include <pybind11/pybind11.h>
#include <pybind11/stl.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <memory>
#include <optional>
#include <string>
#include <type_traits>
#include <vector>

#include "dict_fields.hpp"
#include "gradkit/train/hybrid_rule.hpp"
#include "gradkit/train/lookahead_rule.hpp"
#include "arrays.hpp"
#include "bind_optimizer.hpp"
#include "rate_bounds.hpp"
#include "schedule_args.hpp"
#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/train/registry.hpp"
#include "gradkit/train/trainer.hpp"

namespace gradkit::bindings {

namespace {

using nn::LegacyRandomState;

// A C-contiguous, aligned array of dtype T with `rows` rows (-1: any) and `cols` columns (-1: 1-d),
// read in place; anything else is refused, naming the argument.
template <typename T>
const T* rows_array(py::handle obj, const char* name, py::ssize_t rows, py::ssize_t cols) {
    const std::string shape = cols < 0 ? "(" + (rows < 0 ? std::string("n") : std::to_string(rows)) + ",)"
                                       : "(" + (rows < 0 ? std::string("n") : std::to_string(rows)) + ", " +
                                             std::to_string(cols) + ")";
    const std::string need = std::string("a C-contiguous ") + dtype_name<T>() + " array of shape " + shape;
    if (!py::isinstance<py::array>(obj)) throw py::type_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (!arr.dtype().equal(py::dtype::of<T>()))
        throw py::type_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    constexpr int flags = py::detail::npy_api::NPY_ARRAY_C_CONTIGUOUS_ | py::detail::npy_api::NPY_ARRAY_ALIGNED_;
    bool ok = (arr.flags() & flags) == flags && arr.ndim() == (cols < 0 ? 1 : 2);
    ok = ok && (rows < 0 || arr.shape(0) == rows) && (cols < 0 || arr.shape(1) == cols);
    if (!ok) throw py::value_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    return static_cast<const T*>(arr.data());
}

// An int64 index of rows of an n-row array: 1-d, C-contiguous, every value in [0, n).
const std::int64_t* index_array(py::handle obj, const char* name, py::ssize_t n, std::size_t& size) {
    if (!py::isinstance<py::array_t<std::int64_t>>(obj) || py::reinterpret_borrow<py::array>(obj).ndim() != 1 ||
        !(py::reinterpret_borrow<py::array>(obj).flags() & py::array::c_style))
        throw py::type_error(std::string(name) + ": expected a C-contiguous 1-d int64 array, got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    const auto* p = static_cast<const std::int64_t*>(arr.data());
    size = static_cast<std::size_t>(arr.shape(0));
    for (std::size_t i = 0; i < size; ++i)
        if (p[i] < 0 || p[i] >= n)
            throw py::value_error(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(p[i]) +
                                  " is not a row of X (" + std::to_string(n) + " rows)");
    if (size == 0) throw py::value_error(std::string(name) + ": expected at least one row");
    return p;
}

// Class labels as targets: a C-contiguous 1-d int64 array of n values, each in [0, n_classes).
const std::int64_t* label_array(py::handle obj, const char* name, py::ssize_t n, py::ssize_t n_classes) {
    const std::string need = "a C-contiguous float array of shape (" + std::to_string(n) + ", " +
                             std::to_string(n_classes) + ") or int64 class labels of shape (" + std::to_string(n) + ",)";
    if (!py::isinstance<py::array_t<std::int64_t>>(obj)) throw py::type_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    auto arr = py::reinterpret_borrow<py::array>(obj);
    if (arr.ndim() != 1 || arr.shape(0) != n || !(arr.flags() & py::array::c_style))
        throw py::value_error(std::string(name) + ": expected " + need + ", got " + describe(obj));
    const auto* p = static_cast<const std::int64_t*>(arr.data());
    for (py::ssize_t i = 0; i < n; ++i)
        if (p[i] < 0 || p[i] >= n_classes)
            throw py::value_error(std::string(name) + "[" + std::to_string(i) + "] = " + std::to_string(p[i]) +
                                  " is not a class of the network's " + std::to_string(n_classes) + " outputs");
    return p;
}

py::dict report_to_dict(const train::EpochReport& r) {
    py::dict d;
    d["epoch"] = r.epoch;
    d["loss"] = r.loss;
    d["validation_score"] = r.has_validation_score ? py::object(py::float_(r.validation_score)) : py::object(py::none());
    d["validation_loss"] = r.has_validation_score ? py::object(py::float_(r.validation_loss)) : py::object(py::none());
    d["lr"] = r.lr;
    d["next_lr"] = r.next_lr;
    const char* action = r.action == train::PlateauAction::rate_reduced ? "rate_reduced"
                         : r.action == train::PlateauAction::stop      ? "stop"
                                                                       : "stop_rate_too_small";
    d["stalled"] = r.stalled ? py::object(py::str(action)) : py::object(py::none());
    py::dict group;
    for (const auto& [key, value] : r.group_state) group[key.c_str()] = value;
    d["optimizer_state"] = group;
    return d;
}

// The names of a registry's entries, in its order, for the trainer's listings and error messages.
template <class List>
std::vector<std::string> registry_names(List list) {
    std::vector<std::string> names;
    for_each_type(list, [&](auto entry) { names.emplace_back(decltype(entry)::type::name); });
    return names;
}

std::string joined(const std::vector<std::string>& names) {
    std::string out;
    for (const auto& n : names) out += (out.empty() ? "" : ", ") + n;
    return out;
}

// The step rule `name` of the trainer's registry, with its hyperparameters as a dict (its param group's
// keys), over the network's parameters. `options` (None, or a dict) composes rules:
//   {"inner": (name, hyper[, options])}           name "Lookahead" (hyper: k, alpha) around that rule
//   {"others": hyper of AdamW, "layers": "hidden" or "all"}
//                                                 `name` over the chosen coefficient matrices and AdamW
//                                                 over every other array (Muon's hybrid, hybrid_rule.hpp)
template <typename T>
std::unique_ptr<train::StepRule<T>> step_rule(const std::string& name, const py::dict& hyper,
                                             const py::object& options, T* params, const nn::Layout& layout) {
    const py::dict opts = options.is_none() ? py::dict() : py::cast<py::dict>(options);
    if (name == optim::Lookahead::name) {
        if (!opts.contains("inner")) throw py::value_error("Lookahead needs an inner step rule: options {'inner': (name, hyper)}");
        const auto inner = py::cast<py::tuple>(opts["inner"]);
        if (inner.size() != 2 && inner.size() != 3)
            throw py::value_error("Lookahead's inner rule: expected (name, hyper[, options])");
        auto rule = step_rule<T>(inner[0].cast<std::string>(), inner[1].cast<py::dict>(),
                                 inner.size() == 3 ? py::object(inner[2]) : py::object(py::none()), params, layout);
        return std::make_unique<train::LookaheadRule<T>>(std::move(rule),
                                                         dict_item<std::int64_t>(hyper, "k", "Lookahead", "hyperparameter"),
                                                         dict_item<double>(hyper, "alpha", "Lookahead", "hyperparameter"),
                                                         params, layout.size());
    }
    std::unique_ptr<train::StepRule<T>> rule;
    for_each_type(train::StepRules{}, [&](auto entry) {
        using Algo = typename decltype(entry)::type;
        if (rule || name != Algo::name) return;
        if (opts.contains("others")) {
            const std::string layers = opts.contains("layers") ? opts["layers"].cast<std::string>() : "hidden";
            if (layers != "hidden" && layers != "all")
                throw py::value_error("layers: expected 'hidden' or 'all', got '" + layers + "'");
            rule = train::make_hybrid_rule<Algo, optim::Adam, T>(
                hyper_from_dict<Algo>(hyper), hyper_from_dict<optim::Adam>(py::cast<py::dict>(opts["others"])),
                layers == "all" ? train::MatrixLayers::all : train::MatrixLayers::hidden, params, layout);
        } else {
            rule = train::make_step_rule<Algo, T>(hyper_from_dict<Algo>(hyper), params, layout);
        }
    });
    if (!rule)
        throw py::value_error("unknown step rule '" + name + "'; expected one of " +
                              joined(registry_names(train::StepRules{})) + ", or Lookahead");
    return rule;
}

std::vector<std::string> schedule_names() {
    auto names = registry_names(train::StepDrivenRates{});
    for (auto& n : registry_names(train::LossDrivenRates{})) names.push_back(n);
    return names;
}

// The schedule `name` of the trainer's registry from base_lr, its arguments by torch's names. The
// loss-driven ones step once per epoch, on its training loss.
train::RateStart schedule_rate(const std::string& name, const py::dict& args, schedules::RateBounds bounds,
                               double base_lr, bool per_step) {
    std::optional<train::RateStart> start;
    for_each_type(train::StepDrivenRates{}, [&](auto entry) {
        using S = typename decltype(entry)::type;
        if (!start && name == S::name) start = train::step_driven_rate<S>(args_from_dict<S>(args), bounds, base_lr, per_step);
    });
    for_each_type(train::LossDrivenRates{}, [&](auto entry) {
        using M = typename decltype(entry)::type;
        if (start || name != M::name) return;
        if (per_step) throw py::value_error(name + " steps once per epoch, on the epoch's training loss; not per batch");
        start = train::loss_driven_rate<M>(checked_args_from_dict<M>(args), bounds, base_lr);
    });
    if (!start) throw py::value_error("unknown schedule '" + name + "'; expected one of " + joined(schedule_names()));
    return std::move(*start);
}

// The step rule's state, by the algorithm's key names, as {"name", "lr", "group": {key: number},
// "params": [None or {"scalars": {...}, "buffers": {...}}, one per parameter array of the rule]}.
template <typename T>
py::object rule_state(const train::Trainer<T>& t) {
    if (!t.has_step_rule()) return py::none();
    const train::StepRule<T>& rule = t.rule();
    const train::RuleState<T> s = rule.state();
    py::dict d, group;
    py::list params;
    d["name"] = rule.name();
    d["lr"] = rule.lr();
    for (const auto& [k, v] : s.group) group[k.c_str()] = v;
    for (const auto& p : s.params) {
        if (!p.started) {
            params.append(py::none());
            continue;
        }
        py::dict scalars, buffers;
        for (const auto& [k, v] : p.scalars) scalars[k.c_str()] = v;
        for (const auto& [k, v] : p.buffers) {
            py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
            std::copy(v.begin(), v.end(), a.mutable_data());
            buffers[k.c_str()] = a;
        }
        params.append(py::dict(py::arg("scalars") = scalars, py::arg("buffers") = buffers));
    }
    d["group"] = group;
    d["params"] = params;
    return d;
}

template <typename T>
void set_rule_state(train::Trainer<T>& t, const py::dict& d) {
    const std::string name = dict_item<std::string>(d, "name", "optimizer state", "entry");
    if (!t.has_step_rule() || name != t.rule().name())
        throw py::value_error("the optimizer state is " + name + "'s; the trainer's step rule is " +
                              (t.has_step_rule() ? std::string(t.rule().name()) : std::string("not set")));
    train::RuleState<T> s;
    for (auto kv : dict_item<py::dict>(d, "group", "optimizer state", "entry"))
        s.group.emplace_back(kv.first.cast<std::string>(), kv.second.cast<double>());
    for (py::handle item : dict_item<py::list>(d, "params", "optimizer state", "entry")) {
        train::ParamRuleState<T> p;
        if (!item.is_none()) {
            const auto entry = py::reinterpret_borrow<py::dict>(item);
            p.started = true;
            for (auto kv : dict_item<py::dict>(entry, "scalars", "optimizer state", "entry"))
                p.scalars.emplace_back(kv.first.cast<std::string>(), kv.second.cast<double>());
            for (auto kv : dict_item<py::dict>(entry, "buffers", "optimizer state", "entry")) {
                auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(kv.second);
                if (!a) throw py::type_error("optimizer state buffer '" + kv.first.cast<std::string>() + "': expected an array");
                p.buffers.emplace_back(kv.first.cast<std::string>(), std::vector<T>(a.data(), a.data() + a.size()));
            }
        }
        s.params.push_back(std::move(p));
    }
    const double lr = dict_item<double>(d, "lr", "optimizer state", "entry");
    t.rule().set_state(s);
    t.rule().set_lr(lr);
}

// Rows of X (read in place) with their targets as the network sees them, or for a softmax output each
// row's int64 class, and their sample weights (None: all 1). Names are prefixed for the messages.
template <typename T>
train::Rows<T> rows_of(const nn::MLP<T>& net, py::handle X, py::handle Y, py::handle sample_weight,
                       const std::string& prefix, const std::string& suffix) {
    const nn::Layout& layout = net.layout();
    const auto nf = static_cast<py::ssize_t>(layout.n_features()), no = static_cast<py::ssize_t>(layout.n_outputs());
    const std::string x_name = prefix + "X" + suffix, y_name = prefix + "Y" + suffix,
                      sw_name = prefix + "sample_weight" + suffix;
    const T* x = rows_array<T>(X, x_name.c_str(), -1, nf);
    const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
    train::Rows<T> rows{x, nullptr, nullptr, nullptr, static_cast<std::size_t>(n)};
    if (py::isinstance<py::array_t<std::int64_t>>(Y) && net.output_activation() == nn::Activation::softmax)
        rows.labels = label_array(Y, y_name.c_str(), n, no);
    else
        rows.Y = rows_array<T>(Y, y_name.c_str(), n, no);
    if (!sample_weight.is_none()) rows.sample_weight = rows_array<T>(sample_weight, sw_name.c_str(), n, -1);
    return rows;
}

// sklearn's _fit_stochastic: rows of X (read in place) and the targets as the network sees them, or for a
// softmax output each row's int64 class. The validation rows are either rows of X (val_index, sklearn's
// split) or a set of their own (X_val, Y_val, sample_weight_val, read in place likewise). `progress` is
// updated in place, also when this raises.
template <typename T>
std::string fit_stochastic(train::Trainer<T>& t, py::handle X, py::handle Y, py::handle sample_weight,
                           py::handle train_index, py::handle val_index, py::handle best_params,
                           py::handle random_state, train::Progress& progress, const train::LoopOptions& options,
                           py::object hook, py::handle X_val, py::handle Y_val, py::handle sample_weight_val) {
    const nn::MLP<T>& net = t.net();
    train::Rows<T> tr = rows_of<T>(net, X, Y, sample_weight, "", "");
    const auto n = static_cast<py::ssize_t>(tr.size);
    if (!train_index.is_none()) tr.index = index_array(train_index, "train_index", n, tr.size);
    if (!val_index.is_none() && !X_val.is_none())
        throw py::value_error("val_index and X_val are two validation sets: give one");
    if (X_val.is_none() != Y_val.is_none()) throw py::value_error("X_val and Y_val go together");
    std::optional<train::Rows<T>> val;
    if (!val_index.is_none()) {
        val = tr;
        val->index = index_array(val_index, "val_index", n, val->size);
    } else if (!X_val.is_none()) {
        val = rows_of<T>(net, X_val, Y_val, sample_weight_val, "", "_val");
        if (val->size == 0) throw py::value_error("X_val: expected at least one row");
    }
    T* best = nullptr;
    if (!best_params.is_none()) {
        best = const_cast<T*>(rows_array<T>(best_params, "best_params", static_cast<py::ssize_t>(net.n_params()), -1));
        if (!(py::reinterpret_borrow<py::array>(best_params).flags() & py::detail::npy_api::NPY_ARRAY_WRITEABLE_))
            throw py::value_error("best_params: expected a writeable array");
    }
    LegacyRandomState* rs = random_state.is_none() ? nullptr : &random_state.cast<LegacyRandomState&>();
    t.rule();
    t.rate_policy();  // both set, or a ValueError before anything runs

    // A Python error in the hook (KeyboardInterrupt included) stops training after that epoch and
    // is raised once the loop has returned, with the GIL held. A signal that came during the epoch
    // (Ctrl-C) is taken first, and the hook still runs: it records the finished epoch, so that the
    // estimator's per-epoch records agree with the weights when the interrupt reaches it.
    std::optional<py::error_already_set> pending;
    train::EpochHook epoch_hook = [&](const train::EpochReport& r) -> bool {
        py::gil_scoped_acquire gil;
        if (PyErr_CheckSignals() != 0) pending.emplace();  // fetches (and clears) the signal's error
        if (hook.is_none()) return pending.has_value();
        try {
            return py::bool_(hook(report_to_dict(r))).cast<bool>() || pending.has_value();
        } catch (py::error_already_set& e) {
            if (!pending) pending.emplace(std::move(e));
            return true;
        }
    };
    train::StopReason reason;
    {
        py::gil_scoped_release release;
        reason = t.fit_stochastic(tr, val ? &*val : nullptr, best, rs, options, progress, epoch_hook);
    }
    if (pending) {
        pending->restore();
        throw py::error_already_set();
    }
    return train::stop_reason_name(reason);
}

template <typename T>
py::tuple fit_lbfgs(train::Trainer<T>& t, py::handle X, py::handle Y, py::handle sample_weight, double alpha,
                    std::int64_t max_iter, std::int64_t max_fun, double tol) {
    const nn::Layout& layout = t.net().layout();
    const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
    const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
    nn::Batch<T> all{x, rows_array<T>(Y, "Y", n, static_cast<py::ssize_t>(layout.n_outputs())), nullptr,
                     static_cast<std::size_t>(n)};
    if (!sample_weight.is_none()) all.sample_weight = rows_array<T>(sample_weight, "sample_weight", n, -1);
    train::LbfgsResult r;
    {
        py::gil_scoped_release release;
        r = t.fit_lbfgs(all, train::LbfgsOptions{alpha, max_iter, max_fun, tol});
    }
    return py::make_tuple(r.loss, r.n_iter, r.n_evals, r.status, std::string(r.message));
}

// Each layer's rows x fan_out block of a workspace buffer, copied out as NumPy arrays.
template <typename T, class Buffer>
py::list layer_arrays(const nn::Layout& layout, py::ssize_t n, Buffer&& buffer) {
    py::list out;
    for (std::size_t l = 0; l < layout.n_weight_layers(); ++l) {
        py::array_t<T> a({n, static_cast<py::ssize_t>(layout.fan_out(l))});
        const T* src = buffer(l);
        std::copy(src, src + a.size(), a.mutable_data());
        out.append(a);
    }
    return out;
}

// sklearn's _forward_pass on all rows of X at the network's weights: every layer's activations.
template <typename T>
py::list forward_layers(const train::Trainer<T>& t, py::handle X) {
    const nn::Layout& layout = t.net().layout();
    const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
    const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
    if (n == 0) throw py::value_error("X: expected at least one row, got 0");
    nn::Workspace<T> ws(layout, static_cast<std::size_t>(n), /*gather=*/false);
    {
        py::gil_scoped_release release;
        t.net().forward(x, static_cast<std::size_t>(n), ws);
    }
    return layer_arrays<T>(layout, n, [&](std::size_t l) { return ws.activations(l); });
}

// sklearn's _backprop on all rows of X at the network's weights: (loss, packed gradient, every layer's
// activations, every layer's deltas).
template <typename T>
py::tuple backprop_all(const train::Trainer<T>& t, py::handle X, py::handle Y, py::handle sample_weight, double alpha) {
    const nn::Layout& layout = t.net().layout();
    const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
    const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
    if (n == 0) throw py::value_error("X: expected at least one row, got 0");
    nn::Batch<T> all{x, rows_array<T>(Y, "Y", n, static_cast<py::ssize_t>(layout.n_outputs())), nullptr,
                     static_cast<std::size_t>(n)};
    if (!sample_weight.is_none()) all.sample_weight = rows_array<T>(sample_weight, "sample_weight", n, -1);
    nn::Workspace<T> ws(layout, static_cast<std::size_t>(n), /*gather=*/false);
    double loss;
    {
        py::gil_scoped_release release;
        loss = t.net().backprop(all, alpha, ws);
    }
    py::array_t<T> grad(static_cast<py::ssize_t>(layout.size()));
    std::copy(ws.grads(), ws.grads() + layout.size(), grad.mutable_data());
    return py::make_tuple(loss, grad, layer_arrays<T>(layout, n, [&](std::size_t l) { return ws.activations(l); }),
                          layer_arrays<T>(layout, n, [&](std::size_t l) { return ws.deltas(l); }));
}

template <typename T>
py::array_t<T> predict(const train::Trainer<T>& t, py::handle X) {
    const nn::Layout& layout = t.net().layout();
    const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
    const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
    py::array_t<T> out({n, static_cast<py::ssize_t>(layout.n_outputs())});
    if (n == 0) return out;
    T* o = out.mutable_data();
    {
        py::gil_scoped_release release;
        t.predict(x, static_cast<std::size_t>(n), o);
    }
    return out;
}

std::unique_ptr<train::RatePolicy> sklearn_rate_policy(const std::string& name, double learning_rate_init,
                                                      double power_t) {
    if (name == "constant") return std::make_unique<train::ConstantRate>();
    if (name == "invscaling") return std::make_unique<train::InvScalingRate>(learning_rate_init, power_t);
    if (name == "adaptive") return std::make_unique<train::AdaptiveRate>();
    throw py::value_error("unknown rate policy '" + name + "'; expected constant, invscaling or adaptive");
}

template <typename T>
void bind_trainer(py::module_& m, const char* name) {
    using Tr = train::Trainer<T>;
    py::class_<Tr>(m, name,
                   "A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP "
                   "training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor.")
        .def(py::init([](const std::vector<py::ssize_t>& layer_units, const std::string& hidden, const std::string& output,
                         double negative_slope, std::optional<std::string> loss, double huber_delta, double quantile) {
                 std::vector<std::size_t> units;
                 for (std::size_t i = 0; i < layer_units.size(); ++i) {
                     if (layer_units[i] < 1)
                         throw py::value_error("layer_units[" + std::to_string(i) + "] must be at least 1, got " +
                                               std::to_string(layer_units[i]));
                     units.push_back(static_cast<std::size_t>(layer_units[i]));
                 }
                 const nn::Activation out = nn::activation_from_name(output);
                 const nn::LossFunction f{loss ? nn::loss_from_name(*loss) : nn::loss_for_output(out), huber_delta, quantile};
                 return std::make_unique<Tr>(units, nn::activation_from_name(hidden), out, f,
                                             nn::ActivationParams{negative_slope});
             }),
             py::arg("layer_units"), py::arg("hidden_activation"), py::arg("out_activation"), py::kw_only(),
             py::arg("negative_slope") = 0.01, py::arg("loss") = py::none(), py::arg("huber_delta") = 1.0,
             py::arg("quantile") = 0.5,
             "A network of these layer sizes and activations (negative_slope: leaky_relu's) and its loss: by "
             "default the output's (sklearn's pairs), or absolute_error, huber (huber_delta) or pinball "
             "(quantile) after an identity output.")
        .def_property_readonly("layer_units", [](Tr& t) { return t.net().layout().layer_units(); })
        .def_property_readonly("loss", [](Tr& t) { return std::string(nn::loss_name(t.net().loss())); })
        .def(
            "set_dropout",
            [](Tr& t, const std::vector<double>& rates, std::uint64_t seed) { t.set_dropout(rates, seed); },
            py::arg("rates"), py::arg("seed"),
            "Dropout in fit_stochastic's steps: one rate in [0, 1) per hidden layer ([] or zeros: none), masks "
            "drawn from seed and the step count (dropout_steps), which goes on.")
        .def_property_readonly("dropout_rates", [](Tr& t) { return t.dropout().rates(); })
        .def_property("dropout_steps", &Tr::dropout_steps, &Tr::set_dropout_steps,
                      "The training steps whose dropout masks have been drawn (the mask stream's position).")
        .def_property_readonly("n_params", [](Tr& t) { return t.net().n_params(); })
        .def_property_readonly(
            "params",
            [](py::object self) {
                Tr& t = self.cast<Tr&>();
                return py::array_t<T>({static_cast<py::ssize_t>(t.net().n_params())}, {static_cast<py::ssize_t>(sizeof(T))},
                                      t.net().params(), self);
            },
            "The packed weights (coefs then intercepts), a writeable view of the trainer's own buffer.")
        .def(
            "set_params",
            [](Tr& t, py::handle packed) {
                t.net().set_params(rows_array<T>(packed, "packed", static_cast<py::ssize_t>(t.net().n_params()), -1));
            },
            py::arg("packed"))
        .def(
            "glorot_init", [](Tr& t, LegacyRandomState& rs) { nn::glorot_uniform_init(t.net(), rs); }, py::arg("random_state"),
            "sklearn's initial weights drawn from random_state (weights then biases, layer by layer).")
        .def(
            "set_step_rule",
            [](Tr& t, const std::string& rule, const py::dict& hyper, const py::object& options) {
                t.set_step_rule(step_rule<T>(rule, hyper, options, t.net().params(), t.net().layout()));
            },
            py::arg("name"), py::arg("hyper"), py::arg("options") = py::none(),
            "Uses the optimizer `name` (SklearnSGD, SklearnAdam or a gradkit.optim name) with the given "
            "hyperparameters over all weights, from a fresh state; options: {'inner': (name, hyper)} "
            "for Lookahead, {'others': AdamW's hyper, 'layers': 'hidden' or 'all'} for a hybrid.")
        .def_static(
            "step_rules", [] { return registry_names(train::StepRules{}); }, "The names set_step_rule accepts.")
        .def("clear_step_rule", &Tr::clear_step_rule)
        .def_property_readonly("has_step_rule", &Tr::has_step_rule)
        .def(
            "set_rate_policy",
            [](Tr& t, const std::string& policy, double learning_rate_init, double power_t) {
                t.set_rate_policy(sklearn_rate_policy(policy, learning_rate_init, power_t));
            },
            py::arg("name"), py::arg("learning_rate_init") = 0.0, py::arg("power_t") = 0.5)
        .def(
            "set_schedule",
            [](Tr& t, const std::string& schedule, const py::dict& args, std::optional<double> min_lr,
               std::optional<double> max_lr, double base_lr, bool per_step) {
                t.rule();  // a ValueError before the schedule is built
                t.set_schedule(schedule_rate(schedule, args, rate_bounds(min_lr, max_lr), base_lr, per_step), schedule);
            },
            py::arg("name"), py::arg("args"), py::arg("min_lr"), py::arg("max_lr"), py::arg("base_lr"),
            py::arg("per_step"),
            "Uses the gradkit schedule `name` (its arguments by torch's names) from base_lr as the rate "
            "policy, stepped after every optimizer step (per_step) or every epoch.")
        .def_static("schedules", &schedule_names, "The names set_schedule accepts.")
        .def_property("schedule_steps", &Tr::schedule_steps, &Tr::set_schedule_steps,
                      "The steps the rate policy's schedule has taken (its state).")
        .def_property("schedule_state", &Tr::schedule_state, &Tr::set_schedule_state,
                      "A loss-driven schedule's state machine (best loss, counters) as numbers; empty for others.")
        .def_property("lr", [](Tr& t) { return t.rule().lr(); }, [](Tr& t, double lr) { t.rule().set_lr(lr); })
        .def("rule_state", &rule_state<T>)
        .def("set_rule_state", &set_rule_state<T>, py::arg("state"))
        .def("fit_stochastic", &fit_stochastic<T>, py::arg("X"), py::arg("Y"), py::arg("sample_weight"),
             py::arg("train_index"), py::arg("val_index"), py::arg("best_params"), py::arg("random_state"),
             py::arg("progress"), py::arg("options"), py::arg("hook"), py::kw_only(), py::arg("X_val") = py::none(),
             py::arg("Y_val") = py::none(), py::arg("sample_weight_val") = py::none(),
             "sklearn's _fit_stochastic on rows of X (read in place). Y is the targets as the network sees them "
             "(n, n_outputs), or for a softmax output the int64 class of each row. The validation set is rows "
             "of X (val_index) or X_val, Y_val, sample_weight_val (as X, Y, sample_weight). progress (a Progress) "
             "goes on from where it is and is updated in place, also when this raises. Returns the stop reason.")
        .def("fit_lbfgs", &fit_lbfgs<T>, py::arg("X"), py::arg("Y"), py::arg("sample_weight"), py::kw_only(),
             py::arg("alpha"), py::arg("max_iter"), py::arg("max_fun"), py::arg("tol"),
             "scipy's L-BFGS-B on all rows. Returns (loss, n_iter, n_evals, status, message): scipy's fun, nit, "
             "nfev, status (0 converged, 1 a limit reached, 2 the line search failed) and message.")
        .def("forward", &forward_layers<T>, py::arg("X"),
             "sklearn's _forward_pass on every row of X: each layer's activations (copies).")
        .def("backprop", &backprop_all<T>, py::arg("X"), py::arg("Y"), py::arg("sample_weight"), py::kw_only(),
             py::arg("alpha"),
             "sklearn's _backprop on every row of X: (loss, packed gradient, each layer's activations, each "
             "layer's deltas).")
        .def("predict", &predict<T>, py::arg("X"), "The network's output for every row of X.");
}

// Progress: what a fit has reached (sklearn's n_iter_, t_, loss_curve_, ...), read by the estimators
// after each fit. Its fields, their attributes and its pickled state (a dict by the same names) all come
// from Progress::fields.
void bind_progress(py::module_& m) {
    using P = train::Progress;
    py::class_<P> cls(m, "Progress", "What the training loop has reached: sklearn's n_iter_, t_, loss_curve_ and the rest.");
    cls.def(py::init<>());
    P::fields([&](const char* name, auto member) { cls.def_readwrite(name, member); });
    cls.def(py::pickle(
        [](const P& p) {
            py::dict state;
            P::fields([&](const char* name, auto member) { state[name] = p.*member; });
            return state;
        },
        [](const py::dict& state) {
            P p;
            P::fields([&](const char* name, auto member) {
                using F = std::decay_t<decltype(p.*member)>;
                if (!state.contains(name)) throw py::value_error(std::string("Progress: the state lacks '") + name + "'");
                p.*member = state[name].template cast<F>();
            });
            return p;
        }));
}

// LoopOptions: sklearn's training options for one fit_stochastic.
void bind_loop_options(py::module_& m) {
    using O = train::LoopOptions;
    py::class_<O> cls(m, "LoopOptions", "The options of one fit_stochastic (sklearn's batch_size, shuffle, max_iter, ...).");
    cls.def(py::init<>());
    O::fields([&](const char* name, auto member) { cls.def_readwrite(name, member); });
    cls.def_property(
        "score", [](const O& o) { return std::string(o.score == train::Score::accuracy ? "accuracy" : "r2"); },
        [](O& o, const std::string& score) {
            if (score == "accuracy") o.score = train::Score::accuracy;
            else if (score == "r2") o.score = train::Score::r2;
            else throw py::value_error("score: expected 'accuracy' or 'r2', got '" + score + "'");
        },
        "What early stopping watches: 'accuracy' (classifiers) or 'r2' (regressors).");
    cls.def_property(
        "keep",
        [](const O& o) {
            return std::string(o.keep == train::KeepWeights::best   ? "best"
                               : o.keep == train::KeepWeights::last ? "last"
                                                                    : "sklearn");
        },
        [](O& o, const std::string& keep) {
            if (keep == "sklearn") o.keep = train::KeepWeights::sklearn;
            else if (keep == "best") o.keep = train::KeepWeights::best;
            else if (keep == "last") o.keep = train::KeepWeights::last;
            else throw py::value_error("keep: expected 'sklearn', 'best' or 'last', got '" + keep + "'");
        },
        "The weights a fit ends on: 'sklearn' (the best validation score's with early stopping, else the "
        "last epoch's), 'best' (this fit's best epoch's, by the validation score with validation data, "
        "else the training loss) or 'last'.");
}

}  // namespace

void register_train(py::module_& m) {
    py::register_exception<train::DivergedError>(m, "TrainingDiverged", PyExc_ValueError);
    py::register_exception<train::ScheduleStepError>(m, "ScheduleStepError", PyExc_ValueError);
    m.def(
        "sklearn_adam_learning_rate",
        [](double learning_rate_init, double beta_1, double beta_2, double t) {
            optim::SklearnAdam::Hyper h;
            h.lr = learning_rate_init;
            h.beta_1 = beta_1;
            h.beta_2 = beta_2;
            return optim::SklearnAdam::learning_rate(h, t);
        },
        py::arg("learning_rate_init"), py::arg("beta_1"), py::arg("beta_2"), py::arg("t"),
        "sklearn's AdamOptimizer.learning_rate after t steps (the rate of step t, bias-corrected).");
    bind_progress(m);
    bind_loop_options(m);
    bind_trainer<float>(m, "MLPTrainer_float32");
    bind_trainer<double>(m, "MLPTrainer_float64");
}

}  // namespace gradkit::bindings
