// The trainer's view of an optimizer: one update of a network's whole flat parameter buffer from the
// gradient in the same layout, and a learning rate the rate policy may read and set between steps.
//
// StepRule<T> erases the algorithm's type, so the epoch loop is written once and any ParamGroup policy
// (param_group.hpp) plugs in: scikit-learn's SklearnSGD and SklearnAdam for the estimators' 'sgd' and
// 'adam' solvers, and any torch-style gradkit optimizer for `optimizer=`. ParamGroupRule uses only the
// group's public interface (construct, add_param, step, hyper/set_hyper, states), so changes inside the
// kernels do not reach the trainer. The rate is the hyperparameter the group visits as "lr".
#pragma once

#include <array>
#include <cstddef>
#include <limits>
#include <cstring>
#include <memory>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradkit/optim/buffer_shape.hpp"
#include "gradkit/optim/param_group.hpp"

namespace gradkit::train {

// An optimizer's state for one parameter buffer, by the algorithm's key names: what pickling an
// estimator saves so that partial_fit continues where it was. `started` is false before the first step.
template <typename T>
struct RuleState {
    bool started = false;
    std::vector<std::pair<std::string, double>> scalars;
    std::vector<std::pair<std::string, std::vector<T>>> buffers;
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
    RuleState<T>& out;
    template <class Number>
    void operator()(const char* key, Number& x) { out.scalars.emplace_back(key, static_cast<double>(x)); }
    void operator()(const char* key, std::vector<T>& b, optim::BufferShape = optim::BufferShape::like_param) {
        out.buffers.emplace_back(key, b);
    }
};

template <typename T>
struct StateWriter {
    const RuleState<T>& in;
    std::size_t n;
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
    void operator()(const char* key, std::vector<T>& b, optim::BufferShape = optim::BufferShape::like_param) {
        auto it = find(in.buffers, key);
        if (it == in.buffers.end()) throw std::invalid_argument(std::string("optimizer state lacks '") + key + "'");
        if (!it->second.empty() && it->second.size() != n)
            throw std::invalid_argument(std::string("optimizer state '") + key + "' has " +
                                        std::to_string(it->second.size()) + " values; the network has " +
                                        std::to_string(n) + " parameters");
        if (!dry_run) b = it->second;
    }
};

}  // namespace detail

// Any ParamGroup policy over one flat buffer of n parameters (which must outlive the rule).
template <class Algo, typename T>
class ParamGroupRule final : public StepRule<T> {
public:
    using Hyper = typename Algo::Hyper;

    ParamGroupRule(Hyper hyper, T* params, std::size_t n) : group_(std::move(hyper)), n_(n) {
        if (!read_hyper(detail::LrReader{}).found) throw std::invalid_argument(std::string(Algo::name) + " has no learning rate 'lr' to schedule");
        group_.add_param({params, n});
    }

    void step(const T* grad) override { group_.step(&grad); }

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
        const auto& s = group_.states().front();
        if (!s) return out;
        out.started = true;
        auto copy = *s;
        copy.visit(detail::StateReader<T>{out});
        return out;
    }

    void set_state(const RuleState<T>& in) override {
        if (!in.started) {
            group_.states().front().reset();
            return;
        }
        typename Algo::template State<T> s;
        s.visit(detail::StateWriter<T>{in, n_, true});
        const std::size_t expected = in.scalars.size() + in.buffers.size();
        std::size_t keys = 0;
        s.visit([&keys](const char*, auto&, auto...) { ++keys; });
        if (keys != expected)
            throw std::invalid_argument(std::string("optimizer state has entries that ") + Algo::name +
                                        " does not keep: is it another optimizer's state?");
        s.visit(detail::StateWriter<T>{in, n_, false});
        group_.states().front() = std::move(s);
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
    std::size_t n_;
};

template <class Algo, typename T>
std::unique_ptr<StepRule<T>> make_step_rule(typename Algo::Hyper hyper, T* params, std::size_t n) {
    return std::make_unique<ParamGroupRule<Algo, T>>(std::move(hyper), params, n);
}

}  // namespace gradkit::train
