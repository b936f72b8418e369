// Trainer<T>: a network with the step rule that updates it and the rate policy that sets the rule's
// learning rate, trained in place -- what the estimators (gradkit.MLPClassifier / MLPRegressor) drive
// through the bindings. Choosing a rule or a schedule by name and converting arrays is the bindings'
// part; everything here works on core types.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/nn/activation.hpp"
#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/nn/mlp.hpp"
#include "gradkit/train/epoch_loop.hpp"
#include "gradkit/train/lbfgs_solver.hpp"
#include "gradkit/train/progress.hpp"
#include "gradkit/train/rate_policy.hpp"
#include "gradkit/train/registry.hpp"
#include "gradkit/train/step_rule.hpp"

namespace gradkit::train {

template <typename T>
class Trainer {
public:
    Trainer(const std::vector<std::size_t>& units, nn::Activation hidden, nn::Activation output)
        : net_(units, hidden, output) {}
    // With the loss (and its parameters) and the hidden activation's parameters given.
    Trainer(const std::vector<std::size_t>& units, nn::Activation hidden, nn::Activation output,
            const nn::LossFunction& loss, const nn::ActivationParams& hidden_params)
        : net_(units, hidden, output, loss, hidden_params) {}

    nn::MLP<T>& net() { return net_; }
    const nn::MLP<T>& net() const { return net_; }

    // Dropout for the minibatch loop: one rate per hidden layer (all 0 or none: off) and the masks'
    // seed. The count of steps whose masks were drawn goes on (dropout_steps), so that training
    // continued by partial_fit draws new masks; set it to continue a stream elsewhere (unpickling).
    void set_dropout(std::vector<double> rates, std::uint64_t seed) {
        const std::size_t hidden = net_.layout().n_weight_layers() - 1;
        if (!rates.empty() && rates.size() != hidden)
            throw std::invalid_argument("dropout: expected one rate per hidden layer (" + std::to_string(hidden) +
                                        "), got " + std::to_string(rates.size()));
        dropout_.dropout = nn::Dropout(std::move(rates), seed);
    }
    const nn::Dropout& dropout() const { return dropout_.dropout; }
    std::uint64_t dropout_steps() const { return dropout_.steps; }
    void set_dropout_steps(std::uint64_t steps) { dropout_.steps = steps; }

    bool has_step_rule() const { return static_cast<bool>(rule_); }
    StepRule<T>& rule() const {
        if (!rule_) throw std::invalid_argument("the trainer has no step rule: call set_step_rule first");
        return *rule_;
    }
    void set_step_rule(std::unique_ptr<StepRule<T>> rule) { rule_ = std::move(rule); }
    void clear_step_rule() { rule_.reset(); }

    bool has_rate_policy() const { return static_cast<bool>(rate_); }
    RatePolicy& rate_policy() const {
        if (!rate_) throw std::invalid_argument("the trainer has no rate policy: call set_rate_policy or set_schedule first");
        return *rate_;
    }
    // scikit-learn's learning_rate modes: the rule's own rate is the first.
    void set_rate_policy(std::unique_ptr<RatePolicy> policy) { rate_ = std::move(policy); }

    // A schedule as the rate policy: sets the step rule's rate (and a momentum-cycling schedule's momentum)
    // to the schedule's first. Nothing changes if the rule cannot follow it. `name` is for the message.
    void set_schedule(RateStart start, const std::string& name) {
        StepRule<T>& rule = this->rule();
        const double momentum = start.policy->momentum();
        if (!std::isnan(momentum) && std::isnan(rule.momentum()))
            throw std::invalid_argument(name + " with cycle_momentum=True: optimizer must support momentum or beta1 "
                                        "with `cycle_momentum` option enabled (" + rule.name() +
                                        " has neither; pass cycle_momentum=False)");
        rule.set_lr(start.first_lr);
        if (!std::isnan(momentum)) rule.set_momentum(momentum);
        rate_ = std::move(start.policy);
    }

    std::int64_t schedule_steps() const { return rate_ ? rate_->steps_taken() : 0; }
    void set_schedule_steps(std::int64_t steps) {
        if (steps < 0) throw std::invalid_argument("schedule_steps must be non-negative, got " + std::to_string(steps));
        rate_policy().set_steps_taken(steps);
    }
    std::vector<double> schedule_state() const { return rate_ ? rate_->machine_state() : std::vector<double>{}; }
    void set_schedule_state(const std::vector<double>& state) { rate_policy().set_machine_state(state); }

    // scikit-learn's _fit_stochastic on `train` (and early stopping on `validation` into best_params).
    // `progress` goes on from where it is and holds the state reached, also when this throws.
    StopReason fit_stochastic(const Rows<T>& train, const Rows<T>* validation, T* best_params,
                              nn::LegacyRandomState* random_state, const LoopOptions& options, Progress& progress,
                              const EpochHook& hook) {
        StepRule<T>& rule = this->rule();
        EpochLoop<T> loop(net_, rule, rate_policy(), &dropout_);
        return loop.fit(train, validation, best_params, random_state, options, progress, hook);
    }

    // Without dropout: a random objective would break the line search.
    LbfgsResult fit_lbfgs(const nn::Batch<T>& all, const LbfgsOptions& options) {
        if (dropout_.dropout.any())
            throw std::invalid_argument("L-BFGS needs a deterministic objective: turn dropout off");
        return train::fit_lbfgs(net_, all, options);
    }

    // The network's outputs for n rows of x, into out (n x n_outputs).
    void predict(const T* x, std::size_t n, T* out) const { net_.predict(x, n, out); }

private:
    nn::MLP<T> net_;
    nn::DropoutStream dropout_;
    std::unique_ptr<StepRule<T>> rule_;
    std::unique_ptr<RatePolicy> rate_;
};

}  // namespace gradkit::train
