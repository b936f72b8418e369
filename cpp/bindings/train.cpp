// gradkit._core's MLP trainer (cpp/include/gradkit/train): MLPTrainer_float32 / MLPTrainer_float64 own
// a network, its step rule and rate policy; the estimators in gradkit.neural_network drive them.
// Conversion only: arrays are checked and read in place, the GIL is released around training and
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
#include <vector>

#include "arrays.hpp"
#include "bind_optimizer.hpp"
#include "loss_driven_args.hpp"
#include "rate_bounds.hpp"
#include "schedule_args.hpp"
#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/nn/mlp.hpp"
#include "gradkit/optim/adadelta.hpp"
#include "gradkit/optim/adagrad.hpp"
#include "gradkit/optim/adam.hpp"
#include "gradkit/optim/adamax.hpp"
#include "gradkit/optim/asgd.hpp"
#include "gradkit/optim/nadam.hpp"
#include "gradkit/optim/radam.hpp"
#include "gradkit/optim/rmsprop.hpp"
#include "gradkit/optim/rprop.hpp"
#include "gradkit/optim/sgd.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/optim/sklearn_sgd.hpp"
#include "gradkit/schedules/constant_lr.hpp"
#include "gradkit/schedules/cosine_annealing_lr.hpp"
#include "gradkit/schedules/exponential_lr.hpp"
#include "gradkit/schedules/inv_scaling_lr.hpp"
#include "gradkit/schedules/inverse_time_lr.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/multi_step_lr.hpp"
#include "gradkit/schedules/piecewise_constant_lr.hpp"
#include "gradkit/schedules/polynomial_lr.hpp"
#include "gradkit/schedules/restart_lr.hpp"
#include "gradkit/schedules/step_lr.hpp"
#include "gradkit/schedules/warmup_cosine_lr.hpp"
#include "gradkit/train/cyclic_rates.hpp"
#include "gradkit/train/epoch_loop.hpp"
#include "gradkit/train/lbfgs_solver.hpp"
#include "gradkit/train/loss_driven_rates.hpp"
#include "gradkit/train/schedule_rate.hpp"

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

py::dict progress_to_dict(const train::Progress& p) {
    py::dict d;
    d["n_iter"] = p.n_iter;
    d["t"] = p.t;
    d["loss"] = p.loss;
    d["loss_curve"] = p.loss_curve;
    d["best_loss"] = p.best_loss;
    d["validation_scores"] = p.validation_scores;
    d["best_validation_score"] = p.best_validation_score;
    d["no_improvement_count"] = p.no_improvement_count;
    return d;
}

train::Progress progress_from_dict(const py::dict& d) {
    train::Progress p;
    auto get = [&](const char* key, auto& field) {
        if (d.contains(key)) field = d[key].cast<std::decay_t<decltype(field)>>();
    };
    get("n_iter", p.n_iter);
    get("t", p.t);
    get("loss", p.loss);
    get("loss_curve", p.loss_curve);
    get("best_loss", p.best_loss);
    get("validation_scores", p.validation_scores);
    get("best_validation_score", p.best_validation_score);
    get("no_improvement_count", p.no_improvement_count);
    return p;
}

py::dict report_to_dict(const train::EpochReport& r) {
    py::dict d;
    d["epoch"] = r.epoch;
    d["loss"] = r.loss;
    d["validation_score"] = r.has_validation_score ? py::object(py::float_(r.validation_score)) : py::object(py::none());
    d["lr"] = r.lr;
    d["next_lr"] = r.next_lr;
    const char* action = r.action == train::PlateauAction::rate_reduced ? "rate_reduced"
                         : r.action == train::PlateauAction::stop      ? "stop"
                                                                       : "stop_rate_too_small";
    d["stalled"] = r.stalled ? py::object(py::str(action)) : py::object(py::none());
    return d;
}

// The step rules a trainer can use, by the algorithm's name, each with its hyperparameters as a dict
// (the keys of its param group): scikit-learn's rules and every torch-style ParamGroup optimizer.
template <typename T>
using RuleFactory = std::unique_ptr<train::StepRule<T>> (*)(const py::dict&, T*, std::size_t);

template <class Algo, typename T>
std::unique_ptr<train::StepRule<T>> make_rule(const py::dict& hyper, T* params, std::size_t n) {
    return train::make_step_rule<Algo, T>(hyper_from_dict<Algo>(hyper), params, n);
}

template <typename T>
const std::vector<std::pair<std::string, RuleFactory<T>>>& step_rules() {
    static const std::vector<std::pair<std::string, RuleFactory<T>>> rules = {
        {optim::SklearnSGD::name, &make_rule<optim::SklearnSGD, T>},
        {optim::SklearnAdam::name, &make_rule<optim::SklearnAdam, T>},
        {optim::SGD::name, &make_rule<optim::SGD, T>},
        {optim::Adam::name, &make_rule<optim::Adam, T>},
        {optim::Adagrad::name, &make_rule<optim::Adagrad, T>},
        {optim::RMSprop::name, &make_rule<optim::RMSprop, T>},
        {optim::Adadelta::name, &make_rule<optim::Adadelta, T>},
        {optim::Adamax::name, &make_rule<optim::Adamax, T>},
        {optim::NAdam::name, &make_rule<optim::NAdam, T>},
        {optim::RAdam::name, &make_rule<optim::RAdam, T>},
        {optim::Rprop::name, &make_rule<optim::Rprop, T>},
        {optim::ASGD::name, &make_rule<optim::ASGD, T>},
    };
    return rules;
}

// The schedules lr_schedule= accepts, by name: gradkit's closed-form schedules and the cyclic ones
// (their per-group levels in their arguments). Each factory returns the
// policy and the rate of the first step.
using ScheduleFactory = std::pair<std::unique_ptr<train::RatePolicy>, double> (*)(const py::dict&, schedules::RateBounds,
                                                                                  double, bool);

template <class S>
std::pair<std::unique_ptr<train::RatePolicy>, double> make_schedule(const py::dict& args, schedules::RateBounds bounds,
                                                                    double base_lr, bool per_step) {
    auto policy = std::make_unique<train::ScheduleRate<S>>(args_from_dict<S>(args), bounds, base_lr, per_step);
    const double first = policy->initial_lr();
    return {std::move(policy), first};
}

// The loss-driven schedules step after each epoch, on its training loss.
void refuse_per_step(const char* name, bool per_step) {
    if (per_step)
        throw py::value_error(std::string(name) + " steps once per epoch, on the epoch's training loss; not per batch");
}

std::pair<std::unique_ptr<train::RatePolicy>, double> make_plateau(const py::dict& args, schedules::RateBounds bounds,
                                                                   double base_lr, bool per_step) {
    refuse_per_step(schedules::ReduceLROnPlateau::name, per_step);
    auto policy = std::make_unique<train::PlateauRate>(plateau_args(args), bounds.bounds_below() ? bounds.min_lr : 0.0,
                                                       bounds.max_lr);
    const double first = policy->initial_lr(base_lr);
    return {std::move(policy), first};
}

template <class Machine, typename Machine::Args (*read)(const py::dict&)>
std::pair<std::unique_ptr<train::RatePolicy>, double> make_loss_rule(const py::dict& args, schedules::RateBounds bounds,
                                                                     double base_lr, bool per_step) {
    refuse_per_step(Machine::name, per_step);
    auto policy = std::make_unique<train::LossRuleRate<Machine>>(read(args), bounds);
    const double first = policy->initial_lr(base_lr);
    return {std::move(policy), first};
}

inline const std::vector<std::pair<std::string, ScheduleFactory>>& schedule_policies() {
    static const std::vector<std::pair<std::string, ScheduleFactory>> policies = {
        {schedules::StepLR::name, &make_schedule<schedules::StepLR>},
        {schedules::MultiStepLR::name, &make_schedule<schedules::MultiStepLR>},
        {schedules::ConstantLR::name, &make_schedule<schedules::ConstantLR>},
        {schedules::LinearLR::name, &make_schedule<schedules::LinearLR>},
        {schedules::ExponentialLR::name, &make_schedule<schedules::ExponentialLR>},
        {schedules::PolynomialLR::name, &make_schedule<schedules::PolynomialLR>},
        {schedules::CosineAnnealingLR::name, &make_schedule<schedules::CosineAnnealingLR>},
        {train::WarmRestartsRate::name, &make_schedule<train::WarmRestartsRate>},
        {schedules::ReduceLROnPlateau::name, &make_plateau},
        {schedules::AdaptiveLR::name, &make_loss_rule<schedules::AdaptiveLR, &adaptive_args>},
        {schedules::BoldDriverLR::name, &make_loss_rule<schedules::BoldDriverLR, &bold_driver_args>},
        {schedules::InverseTimeLR::name, &make_schedule<schedules::InverseTimeLR>},
        {schedules::InvScalingLR::name, &make_schedule<schedules::InvScalingLR>},
        {schedules::RestartLR::name, &make_schedule<schedules::RestartLR>},
        {schedules::PiecewiseConstantLR::name, &make_schedule<schedules::PiecewiseConstantLR>},
        {schedules::WarmupCosineLR::name, &make_schedule<schedules::WarmupCosineLR>},
        {train::OneCycleRate::name, &make_schedule<train::OneCycleRate>},
        {train::CyclicRate::name, &make_schedule<train::CyclicRate>},
    };
    return policies;
}

template <typename T>
class Trainer {
public:
    Trainer(const std::vector<std::size_t>& units, const std::string& hidden, const std::string& output)
        : net_(units, nn::activation_from_name(hidden), nn::activation_from_name(output)) {}

    nn::MLP<T>& net() { return net_; }
    bool has_step_rule() const { return static_cast<bool>(rule_); }
    train::StepRule<T>& rule() {
        if (!rule_) throw py::value_error("the trainer has no step rule: call set_step_rule first");
        return *rule_;
    }

    void set_step_rule(const std::string& name, const py::dict& hyper) {
        std::string names;
        for (const auto& [known, factory] : step_rules<T>()) {
            if (known == name) {
                rule_ = factory(hyper, net_.params(), net_.n_params());
                return;
            }
            names += (names.empty() ? "" : ", ") + known;
        }
        throw py::value_error("unknown step rule '" + name + "'; expected one of " + names);
    }
    void clear_step_rule() { rule_.reset(); }

    void set_rate_policy(const std::string& name, double learning_rate_init, double power_t) {
        if (name == "constant") rate_ = std::make_unique<train::ConstantRate>();
        else if (name == "invscaling") rate_ = std::make_unique<train::InvScalingRate>(learning_rate_init, power_t);
        else if (name == "adaptive") rate_ = std::make_unique<train::AdaptiveRate>();
        else throw py::value_error("unknown rate policy '" + name + "'; expected constant, invscaling or adaptive");
    }

    // A gradkit schedule from base_lr, stepped after every optimizer step or every epoch; sets the step
    // rule's rate (and a momentum-cycling schedule's momentum) to the schedule's first. Nothing changes
    // if the arguments are refused.
    void set_schedule(const std::string& name, const py::dict& args, std::optional<double> min_lr,
                      std::optional<double> max_lr, double base_lr, bool per_step) {
        train::StepRule<T>& rule = this->rule();
        std::string names;
        for (const auto& [known, factory] : schedule_policies()) {
            if (known == name) {
                auto [policy, first] = factory(args, rate_bounds(min_lr, max_lr), base_lr, per_step);
                const double momentum = policy->momentum();
                if (!std::isnan(momentum) && std::isnan(rule.momentum()))
                    throw py::value_error(name + " with cycle_momentum=True: optimizer must support momentum or beta1 "
                                          "with `cycle_momentum` option enabled (" + rule.name() +
                                          " has neither; pass cycle_momentum=False)");
                rule.set_lr(first);
                if (!std::isnan(momentum)) rule.set_momentum(momentum);
                rate_ = std::move(policy);
                return;
            }
            names += (names.empty() ? "" : ", ") + known;
        }
        throw py::value_error("unknown schedule '" + name + "'; expected one of " + names);
    }
    std::int64_t schedule_steps() const { return rate_ ? rate_->steps_taken() : 0; }
    std::vector<double> schedule_state() const { return rate_ ? rate_->machine_state() : std::vector<double>{}; }
    void set_schedule_state(const std::vector<double>& state) {
        if (!rate_) throw py::value_error("the trainer has no rate policy: call set_rate_policy or set_schedule first");
        rate_->set_machine_state(state);
    }
    void set_schedule_steps(std::int64_t steps) {
        if (!rate_) throw py::value_error("the trainer has no rate policy: call set_rate_policy or set_schedule first");
        if (steps < 0) throw py::value_error("schedule_steps must be non-negative, got " + std::to_string(steps));
        rate_->set_steps_taken(steps);
    }

    py::object rule_state() {
        if (!rule_) return py::none();
        const train::RuleState<T> s = rule_->state();
        py::dict d, scalars, buffers;
        d["name"] = rule_->name();
        d["lr"] = rule_->lr();
        d["started"] = s.started;
        for (const auto& [k, v] : s.scalars) scalars[k.c_str()] = v;
        for (const auto& [k, v] : s.buffers) {
            py::array_t<T> a(static_cast<py::ssize_t>(v.size()));
            std::copy(v.begin(), v.end(), a.mutable_data());
            buffers[k.c_str()] = a;
        }
        d["scalars"] = scalars;
        d["buffers"] = buffers;
        return d;
    }

    void set_rule_state(const py::dict& d) {
        const std::string name = d["name"].cast<std::string>();
        if (!rule_ || name != rule_->name())
            throw py::value_error("the optimizer state is " + name + "'s; the trainer's step rule is " +
                                  (rule_ ? std::string(rule_->name()) : std::string("not set")));
        train::RuleState<T> s;
        s.started = d["started"].cast<bool>();
        for (auto kv : d["scalars"].cast<py::dict>()) s.scalars.emplace_back(kv.first.cast<std::string>(), kv.second.cast<double>());
        for (auto kv : d["buffers"].cast<py::dict>()) {
            auto a = py::array_t<T, py::array::c_style | py::array::forcecast>::ensure(kv.second);
            if (!a) throw py::type_error("optimizer state buffer '" + kv.first.cast<std::string>() + "': expected an array");
            s.buffers.emplace_back(kv.first.cast<std::string>(), std::vector<T>(a.data(), a.data() + a.size()));
        }
        const double lr = d["lr"].cast<double>();
        rule_->set_state(s);
        rule_->set_lr(lr);
    }

    py::tuple fit_stochastic(py::handle X, py::handle Y, py::handle sample_weight, py::handle train_index,
                             py::handle val_index, py::handle best_params, py::handle random_state,
                             const py::dict& progress, py::object hook, std::size_t batch_size, bool shuffle,
                             std::int64_t max_iter, double alpha, double tol, double n_iter_no_change, bool incremental,
                             const std::string& score, double clip_grad_norm) {
        const nn::Layout& layout = net_.layout();
        const auto nf = static_cast<py::ssize_t>(layout.n_features()), no = static_cast<py::ssize_t>(layout.n_outputs());
        const T* x = rows_array<T>(X, "X", -1, nf);
        const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
        train::Rows<T> tr{x, nullptr, nullptr, nullptr, static_cast<std::size_t>(n)};
        // Targets: the matrix the network sees, or (softmax outputs) each row's class.
        if (py::isinstance<py::array_t<std::int64_t>>(Y) && net_.output_activation() == nn::Activation::softmax)
            tr.labels = label_array(Y, "Y", n, no);
        else
            tr.Y = rows_array<T>(Y, "Y", n, no);
        if (!sample_weight.is_none()) tr.sample_weight = rows_array<T>(sample_weight, "sample_weight", n, -1);
        if (!train_index.is_none()) tr.index = index_array(train_index, "train_index", n, tr.size);
        std::optional<train::Rows<T>> val;
        T* best = nullptr;
        if (!val_index.is_none()) {
            val = tr;
            val->index = index_array(val_index, "val_index", n, val->size);
            best = const_cast<T*>(rows_array<T>(best_params, "best_params", static_cast<py::ssize_t>(net_.n_params()), -1));
            if (!(py::reinterpret_borrow<py::array>(best_params).flags() & py::detail::npy_api::NPY_ARRAY_WRITEABLE_))
                throw py::value_error("best_params: expected a writeable array");
        }
        LegacyRandomState* rs = random_state.is_none() ? nullptr : &random_state.cast<LegacyRandomState&>();
        train::LoopOptions opt;
        opt.batch_size = batch_size;
        opt.shuffle = shuffle;
        opt.max_iter = max_iter;
        opt.alpha = alpha;
        opt.tol = tol;
        opt.n_iter_no_change = n_iter_no_change;
        opt.incremental = incremental;
        opt.clip_grad_norm = clip_grad_norm;
        if (score == "accuracy") opt.score = train::Score::accuracy;
        else if (score == "r2") opt.score = train::Score::r2;
        else throw py::value_error("score: expected 'accuracy' or 'r2', got '" + score + "'");
        train::Progress p = progress_from_dict(progress);
        if (!rate_) throw py::value_error("the trainer has no rate policy: call set_rate_policy first");
        train::StepRule<T>& rule = this->rule();

        // A Python error in the hook (KeyboardInterrupt included) stops training after that epoch and
        // is raised once the loop has returned, with the GIL held.
        std::optional<py::error_already_set> pending;
        train::EpochHook epoch_hook = [&](const train::EpochReport& r) -> bool {
            py::gil_scoped_acquire gil;
            try {
                if (PyErr_CheckSignals() != 0) throw py::error_already_set();
                if (hook.is_none()) return false;
                return py::bool_(hook(report_to_dict(r))).cast<bool>();
            } catch (py::error_already_set& e) {
                pending.emplace(std::move(e));
                return true;
            }
        };
        train::StopReason reason;
        {
            py::gil_scoped_release release;
            train::EpochLoop<T> loop(net_, rule, *rate_);
            try {
                reason = loop.fit(tr, val ? &*val : nullptr, best, rs, opt, p, epoch_hook);
            } catch (...) {
                py::gil_scoped_acquire gil;
                progress_out_ = progress_to_dict(p);
                throw;
            }
        }
        progress_out_ = progress_to_dict(p);
        if (pending) {
            pending->restore();
            throw py::error_already_set();
        }
        return py::make_tuple(progress_out_, train::stop_reason_name(reason));
    }

    py::tuple fit_lbfgs(py::handle X, py::handle Y, py::handle sample_weight, double alpha, std::int64_t max_iter,
                        std::int64_t max_fun, double tol) {
        const nn::Layout& layout = net_.layout();
        const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
        const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
        nn::Batch<T> all{x, rows_array<T>(Y, "Y", n, static_cast<py::ssize_t>(layout.n_outputs())), nullptr,
                         static_cast<std::size_t>(n)};
        if (!sample_weight.is_none()) all.sample_weight = rows_array<T>(sample_weight, "sample_weight", n, -1);
        train::LbfgsOptions opt{alpha, max_iter, max_fun, tol};
        train::LbfgsResult r;
        {
            py::gil_scoped_release release;
            r = train::fit_lbfgs(net_, all, opt);
        }
        return py::make_tuple(r.loss, r.n_iter, r.n_evals, r.converged);
    }

    py::array_t<T> predict(py::handle X) {
        const nn::Layout& layout = net_.layout();
        const T* x = rows_array<T>(X, "X", -1, static_cast<py::ssize_t>(layout.n_features()));
        const py::ssize_t n = py::reinterpret_borrow<py::array>(X).shape(0);
        py::array_t<T> out({n, static_cast<py::ssize_t>(layout.n_outputs())});
        if (n == 0) return out;
        T* o = out.mutable_data();
        {
            py::gil_scoped_release release;
            net_.predict(x, static_cast<std::size_t>(n), o);
        }
        return out;
    }

    py::object last_progress() const { return progress_out_; }

private:
    nn::MLP<T> net_;
    std::unique_ptr<train::StepRule<T>> rule_;
    std::unique_ptr<train::RatePolicy> rate_;
    py::object progress_out_ = py::none();
};

template <typename T>
void bind_trainer(py::module_& m, const char* name) {
    using Tr = Trainer<T>;
    py::class_<Tr>(m, name,
                   "A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP "
                   "training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor.")
        .def(py::init([](const std::vector<py::ssize_t>& layer_units, const std::string& hidden, const std::string& output) {
                 std::vector<std::size_t> units;
                 for (std::size_t i = 0; i < layer_units.size(); ++i) {
                     if (layer_units[i] < 1)
                         throw py::value_error("layer_units[" + std::to_string(i) + "] must be at least 1, got " +
                                               std::to_string(layer_units[i]));
                     units.push_back(static_cast<std::size_t>(layer_units[i]));
                 }
                 return std::make_unique<Tr>(units, hidden, output);
             }),
             py::arg("layer_units"), py::arg("hidden_activation"), py::arg("out_activation"))
        .def_property_readonly("layer_units", [](Tr& t) { return t.net().layout().layer_units(); })
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
        .def("set_step_rule", &Tr::set_step_rule, py::arg("name"), py::arg("hyper"),
             "Uses the optimizer `name` (SklearnSGD, SklearnAdam or a gradkit.optim name) with the given "
             "hyperparameters over all weights, from a fresh state.")
        .def_static(
            "step_rules",
            [] {
                std::vector<std::string> names;
                for (const auto& entry : step_rules<T>()) names.push_back(entry.first);
                return names;
            },
            "The names set_step_rule accepts.")
        .def("clear_step_rule", &Tr::clear_step_rule)
        .def_property_readonly("has_step_rule", &Tr::has_step_rule)
        .def("set_rate_policy", &Tr::set_rate_policy, py::arg("name"), py::arg("learning_rate_init") = 0.0,
             py::arg("power_t") = 0.5)
        .def("set_schedule", &Tr::set_schedule, py::arg("name"), py::arg("args"), py::arg("min_lr"), py::arg("max_lr"),
             py::arg("base_lr"), py::arg("per_step"),
             "Uses the gradkit schedule `name` (its arguments by torch's names) from base_lr as the rate "
             "policy, stepped after every optimizer step (per_step) or every epoch.")
        .def_static(
            "schedules",
            [] {
                std::vector<std::string> names;
                for (const auto& entry : schedule_policies()) names.push_back(entry.first);
                return names;
            },
            "The names set_schedule accepts.")
        .def_property("schedule_steps", &Tr::schedule_steps, &Tr::set_schedule_steps,
                      "The steps the rate policy's schedule has taken (its state).")
        .def_property("schedule_state", &Tr::schedule_state, &Tr::set_schedule_state,
                      "A loss-driven schedule's state machine (best loss, counters) as numbers; empty for others.")
        .def_property("lr", [](Tr& t) { return t.rule().lr(); }, [](Tr& t, double lr) { t.rule().set_lr(lr); })
        .def("rule_state", &Tr::rule_state)
        .def("set_rule_state", &Tr::set_rule_state, py::arg("state"))
        .def("fit_stochastic", &Tr::fit_stochastic, py::arg("X"), py::arg("Y"), py::arg("sample_weight"),
             py::arg("train_index"), py::arg("val_index"), py::arg("best_params"), py::arg("random_state"),
             py::arg("progress"), py::arg("hook"), py::kw_only(), py::arg("batch_size"), py::arg("shuffle"),
             py::arg("max_iter"), py::arg("alpha"), py::arg("tol"), py::arg("n_iter_no_change"),
             py::arg("incremental"), py::arg("score"), py::arg("clip_grad_norm") = 0.0,
             "sklearn's _fit_stochastic on rows of X (read in place). Y is the targets as the network sees them "
             "(n, n_outputs), or for a softmax output the int64 class of each row. Returns (progress, stop reason).")
        .def_property_readonly("last_progress", &Tr::last_progress,
                               "The progress of the last fit_stochastic, also when it raised.")
        .def("fit_lbfgs", &Tr::fit_lbfgs, py::arg("X"), py::arg("Y"), py::arg("sample_weight"), py::kw_only(),
             py::arg("alpha"), py::arg("max_iter"), py::arg("max_fun"), py::arg("tol"),
             "Full-batch L-BFGS. Returns (loss, n_iter, n_evals, converged).")
        .def("predict", &Tr::predict, py::arg("X"), "The network's output for every row of X.");
}

}  // namespace

void register_train(py::module_& m) {
    py::register_exception<train::DivergedError>(m, "TrainingDiverged", PyExc_ValueError);
    py::register_exception<train::ScheduleStepError>(m, "ScheduleStepError", PyExc_ValueError);
    bind_trainer<float>(m, "MLPTrainer_float32");
    bind_trainer<double>(m, "MLPTrainer_float64");
}

}  // namespace gradkit::bindings
