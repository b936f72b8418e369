// The trainer's view of an optimizer: one update of a network's whole flat parameter buffer from the
// gradient in the same layout, and a learning rate the rate policy may read and set between steps.
//
// StepRule<T> erases the algorithm's type, so the epoch loop is written once and any ParamGroup policy
// (param_group.hpp) plugs in: scikit-learn's SklearnSGD and SklearnAdam for the estimators' 'sgd' and
// 'adam' solvers, and any torch-style gradkit optimizer for `optimizer=`. ParamGroupRule uses only the
// group's public interface (construct, add_param, step, hyper/set_hyper, states), so changes inside the
// kernels do not reach the trainer. The rate is the hyperparameter the group visits as "lr".
#pragma once

#include <algorithm>
#include <array>
#include <cstddef>
#include <limits>
#include <cstring>
#include <memory>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradkit/optim/buffer_shape.hpp"
#include "gradkit/nn/layout.hpp"
#include "gradkit/optim/param_group.hpp"

namespace gradkit::train {

// An optimizer's state for one parameter array, by the algorithm's key names. `started` is false before
// its first step.
template <typename T>
struct ParamRuleState {
    bool started = false;
    std::vector<std::pair<std::string, double>> scalars;
    std::vector<std::pair<std::string, std::vector<T>>> buffers;
};

// What pickling an estimator saves so that partial_fit continues where it was: the group state a step
// changes (Algo::group_state: Schedule-Free's k, Prodigy's d), and each parameter array's state, in the
// rule's order (one array for the whole flat buffer, or one per layer array for algorithms that read shapes).
template <typename T>
struct RuleState {
    std::vector<std::pair<std::string, double>> group;
    std::vector<ParamRuleState<T>> params;
};

template <typename T>
class StepRule {
public:
    virtual ~StepRule() = default;
    // One update of all parameters; grad is laid out like them.
    virtual void step(const T* grad) = 0;
    virtual double lr() const = 0;
    // Throws std::invalid_argument (leaving the rate unchanged) if the algorithm refuses the value.
    virtual void set_lr(double lr) = 0;
    // The momentum a cycling schedule moves, by torch's rule: the first of "betas" where the
    // algorithm has them (sklearn's Adam: beta_1), else "momentum"; NaN when it has neither.
    virtual double momentum() const = 0;
    // Throws std::invalid_argument (leaving it unchanged) if the algorithm has no momentum or refuses it.
    virtual void set_momentum(double momentum) = 0;
    // train() / eval(): where the parameters lie between epochs (Schedule-Free's x, Lookahead's slow
    // weights) and where gradients are taken (y, the fast weights). Nothing for most algorithms.
    virtual void set_mode(bool /*train*/) {}
    // The group state the algorithm adapts as it steps (Algo::group_state: Prodigy's d, Schedule-Free's k),
    // by name: what the estimators record each epoch. Cheaper than state(), which copies every buffer.
    virtual std::vector<std::pair<std::string, double>> group_values() const { return {}; }
    virtual const char* name() const = 0;
    virtual RuleState<T> state() const = 0;
    // Checks every entry first: names, and buffer sizes against the parameters; changes nothing on error.
    virtual void set_state(const RuleState<T>& state) = 0;
};

namespace detail {

struct LrReader {
    double lr = 0.0;
    bool found = false;
    template <class F>
    void operator()(const char* key, F& field) {
        if constexpr (std::is_convertible_v<F, double>)
            if (std::strcmp(key, "lr") == 0) {
                lr = static_cast<double>(field);
                found = true;
            }
    }
};

struct LrWriter {
    double lr;
    template <class F>
    void operator()(const char* key, F& field) {
        if constexpr (std::is_same_v<F, double>)
            if (std::strcmp(key, "lr") == 0) field = lr;
    }
};

// Reads or writes the hyperparameter StepRule::momentum names: betas[0], beta_1, or momentum.
struct MomentumAccess {
    bool write = false;
    double value = std::numeric_limits<double>::quiet_NaN();
    bool found = false, from_betas = false;
    template <class F>
    void operator()(const char* key, F& field) {
        if constexpr (std::is_same_v<F, std::array<double, 2>>) {
            if (std::strcmp(key, "betas") == 0) {
                if (write) field[0] = value;
                else value = field[0];
                found = from_betas = true;
            }
        } else if constexpr (std::is_same_v<F, double>) {
            if (!from_betas && (std::strcmp(key, "momentum") == 0 || std::strcmp(key, "beta_1") == 0)) {
                if (write) field = value;
                else value = field;
                found = true;
            }
        }
    }
};

template <typename T>
struct StateReader {
    ParamRuleState<T>& out;
    template <class Number>
    void operator()(const char* key, Number& x) { out.scalars.emplace_back(key, static_cast<double>(x)); }
    void operator()(const char* key, std::vector<T>& b, optim::BufferShape = optim::BufferShape::like_param) {
        out.buffers.emplace_back(key, b);
    }
};

// The number of values a buffer of kind `kind` holds beside `param`; a flat buffer's length is the
// algorithm's to check (Algo::check_state), so `given` passes.
template <typename T>
std::size_t expected_buffer_size(optim::BufferShape kind, const optim::ArrayRef<T>& param, std::size_t given) {
    switch (kind) {
        case optim::BufferShape::row_factor: return param.cols ? param.size / param.cols : 0;
        case optim::BufferShape::col_factor: return param.rows ? param.size / param.rows : 0;
        case optim::BufferShape::flat: return given;
        default: return param.size;
    }
}

template <typename T>
struct StateWriter {
    const ParamRuleState<T>& in;
    const optim::ArrayRef<T>& param;
    bool dry_run;  // only check
    template <class Entries>
    static auto find(const Entries& entries, const char* key) {
        for (auto it = entries.begin(); it != entries.end(); ++it)
            if (it->first == key) return it;
        return entries.end();
    }
    template <class Number>
    void operator()(const char* key, Number& x) {
        auto it = find(in.scalars, key);
        if (it == in.scalars.end()) throw std::invalid_argument(std::string("optimizer state lacks '") + key + "'");
        if (!dry_run) x = static_cast<Number>(it->second);
    }
    void operator()(const char* key, std::vector<T>& b, optim::BufferShape kind = optim::BufferShape::like_param) {
        auto it = find(in.buffers, key);
        if (it == in.buffers.end()) throw std::invalid_argument(std::string("optimizer state lacks '") + key + "'");
        const std::size_t n = expected_buffer_size(kind, param, it->second.size());
        if (!it->second.empty() && it->second.size() != n)
            throw std::invalid_argument(std::string("optimizer state '") + key + "' has " +
                                        std::to_string(it->second.size()) + " values; expected " + std::to_string(n) +
                                        " for a parameter array of " + std::to_string(param.size));
        if (!dry_run) b = it->second;
    }
};

// Reads (or writes) the Hyper fields an algorithm lists in Algo::group_state, as doubles.
struct GroupStateAccess {
    std::vector<std::pair<std::string, double>>* values;
    bool write = false;
    template <class F>
    void operator()(const char* key, F& field) {
        if constexpr (std::is_arithmetic_v<F>) {
            for (auto& [name, value] : *values)
                if (name == key) {
                    if (write) field = static_cast<F>(value);
                    else value = static_cast<double>(field);
                }
        }
    }
};

}  // namespace detail

// Any ParamGroup policy over parameter arrays that are views into one flat buffer (the network's, which
// must outlive the rule): the whole buffer as one 1-D array for the element-wise algorithms, or each layer's
// coefficient matrix and intercept vector for the algorithms that read shapes (Adafactor, Muon); or a
// subset of them, as a hybrid's parts. The gradient is laid out like the buffer.
template <class Algo, typename T>
class ParamGroupRule final : public StepRule<T> {
public:
    using Hyper = typename Algo::Hyper;

    ParamGroupRule(Hyper hyper, const T* base, std::vector<optim::ArrayRef<T>> views)
        : group_(std::move(hyper)), base_(base) {
        if (!read_hyper(detail::LrReader{}).found) throw std::invalid_argument(std::string(Algo::name) + " has no learning rate 'lr' to schedule");
        for (const auto& v : views) {
            group_.add_param(v);
            offsets_.push_back(static_cast<std::size_t>(v.data - base));
        }
        grads_.resize(views.size());
    }

    void step(const T* grad) override {
        for (std::size_t i = 0; i < offsets_.size(); ++i) grads_[i] = grad + offsets_[i];
        group_.step(grads_.data());
    }
    void set_mode(bool train) override { group_.set_mode(train); }
    std::vector<std::pair<std::string, double>> group_values() const override {
        std::vector<std::pair<std::string, double>> out;
        for (const auto& name : optim::group_state_names<Algo>()) out.emplace_back(name, 0.0);
        if (!out.empty()) read_hyper(detail::GroupStateAccess{&out, false});
        return out;
    }

    double lr() const override { return read_hyper(detail::LrReader{}).lr; }
    void set_lr(double lr) override { write_hyper(detail::LrWriter{lr}); }
    double momentum() const override { return read_hyper(detail::MomentumAccess{}).value; }
    void set_momentum(double momentum) override {
        if (!write_hyper(detail::MomentumAccess{true, momentum}).found)
            throw std::invalid_argument(std::string(Algo::name) + " has no momentum or beta1 to cycle");
    }
    const char* name() const override { return Algo::name; }

    RuleState<T> state() const override {
        RuleState<T> out;
        out.group = group_values();
        for (const auto& s : group_.states()) {
            ParamRuleState<T> p;
            if (s) {
                p.started = true;
                auto copy = *s;
                copy.visit(detail::StateReader<T>{p});
            }
            out.params.push_back(std::move(p));
        }
        return out;
    }

    void set_state(const RuleState<T>& in) override {
        const auto& params = group_.params();
        if (in.params.size() != params.size())
            throw std::invalid_argument("optimizer state has " + std::to_string(in.params.size()) +
                                        " parameter arrays; the rule has " + std::to_string(params.size()));
        const auto names = optim::group_state_names<Algo>();
        if (in.group.size() != names.size())
            throw std::invalid_argument(std::string("optimizer state's group state does not fit ") + Algo::name +
                                        ": is it another optimizer's state?");
        for (const auto& [key, value] : in.group)
            if (std::find(names.begin(), names.end(), key) == names.end())
                throw std::invalid_argument(std::string("optimizer state has group state '") + key + "', which " +
                                            Algo::name + " does not keep");
        std::vector<std::optional<typename Algo::template State<T>>> states(params.size());
        for (std::size_t i = 0; i < params.size(); ++i) {
            const ParamRuleState<T>& p = in.params[i];
            if (!p.started) continue;
            typename Algo::template State<T> s;
            s.visit(detail::StateWriter<T>{p, params[i], true});
            const std::size_t expected = p.scalars.size() + p.buffers.size();
            std::size_t keys = 0;
            s.visit([&keys](const char*, auto&, auto...) { ++keys; });
            if (keys != expected)
                throw std::invalid_argument(std::string("optimizer state has entries that ") + Algo::name +
                                            " does not keep: is it another optimizer's state?");
            s.visit(detail::StateWriter<T>{p, params[i], false});
            group_.check_state(i, s, group_.hyper());  // what only the algorithm knows (Prodigy's sliced s)
            states[i] = std::move(s);
        }
        Hyper h = group_.hyper();
        std::vector<std::pair<std::string, double>> group = in.group;
        h.visit(detail::GroupStateAccess{&group, true});
        group_.set_hyper(h);  // validates: a refused group state changes nothing
        group_.states() = std::move(states);
    }

private:
    // The group's hyperparameters through a visitor that reads them, or that changes them (then set
    // back: the group validates them and changes nothing when it refuses).
    template <class Visitor>
    Visitor read_hyper(Visitor v) const {
        Hyper h = group_.hyper();
        h.visit(v);
        return v;
    }
    template <class Visitor>
    Visitor write_hyper(Visitor v) {
        Hyper h = group_.hyper();
        h.visit(v);
        group_.set_hyper(h);
        return v;
    }

    optim::ParamGroup<Algo, T> group_;
    const T* base_;
    std::vector<std::size_t> offsets_;
    std::vector<const T*> grads_;
};

// The network's parameter arrays as views into its flat buffer: each layer's (fan_in, fan_out) coefficient
// matrix, then each layer's intercept vector (coefs_ and intercepts_ as NumPy sees them).
template <typename T>
std::vector<optim::ArrayRef<T>> layer_views(T* params, const nn::Layout& layout) {
    std::vector<optim::ArrayRef<T>> views;
    for (std::size_t l = 0; l < layout.n_weight_layers(); ++l) {
        optim::ArrayRef<T> coef{params + layout.coef_offset(l), layout.coef_size(l)};
        coef.ndim = 2;
        coef.rows = layout.fan_in(l);
        coef.cols = layout.fan_out(l);
        views.push_back(coef);
    }
    for (std::size_t l = 0; l < layout.n_weight_layers(); ++l)
        views.push_back({params + layout.intercept_offset(l), layout.fan_out(l)});
    return views;
}

// A rule of Algo over the network's parameters: one flat 1-D array for the element-wise algorithms (one
// pass over all weights per step, the same numbers as per layer), each layer's arrays for those whose
// step reads shapes.
template <class Algo, typename T>
std::unique_ptr<StepRule<T>> make_step_rule(typename Algo::Hyper hyper, T* params, const nn::Layout& layout) {
    std::vector<optim::ArrayRef<T>> views;
    if constexpr (optim::reads_shapes<Algo>)
        views = layer_views(params, layout);
    else
        views.push_back({params, layout.size()});
    return std::make_unique<ParamGroupRule<Algo, T>>(std::move(hyper), params, std::move(views));
}

// A rule of Algo over n parameters in one flat buffer, seen as one 1-D array.
template <class Algo, typename T>
std::unique_ptr<StepRule<T>> make_step_rule(typename Algo::Hyper hyper, T* params, std::size_t n) {
    return std::make_unique<ParamGroupRule<Algo, T>>(std::move(hyper), params,
                                                      std::vector<optim::ArrayRef<T>>{{params, n}});
}

}  // namespace gradkit::train
