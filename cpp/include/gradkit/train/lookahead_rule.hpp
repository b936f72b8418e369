// Lookahead around any step rule, over the network's whole flat buffer: what gradkit.optim.Lookahead does
// around an optimizer, with the same kernels (optim/lookahead.hpp) and the same counting: the slow weights
// are made after the first inner step (a copy: the first sync moves nothing), and synced after inner
// steps 1, k+1, 2k+1, ... Between epochs the parameters hold the slow weights (eval()), as the point to
// validate, predict and pickle; each epoch's steps move the fast ones (train()).
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/optim/lookahead.hpp"
#include "gradkit/train/step_rule.hpp"

namespace gradkit::train {

template <typename T>
class LookaheadRule final : public StepRule<T> {
public:
    // The inner rule steps params (n values, the network's buffer, which must outlive this rule).
    LookaheadRule(std::unique_ptr<StepRule<T>> inner, std::int64_t k, double alpha, T* params, std::size_t n)
        : inner_(std::move(inner)), k_(k), alpha_(alpha), params_(params), n_(n) {
        optim::Lookahead::validate(k, alpha);
    }

    void step(const T* grad) override {
        inner_->step(grad);
        ++counter_;
        if ((counter_ - 1) % k_ != 0) return;
        if (slow_.empty())
            slow_.assign(params_, params_ + n_);
        else
            optim::Lookahead::sync(params_, slow_.data(), n_, alpha_);
    }

    // eval(): the slow weights into the parameters, then the inner rule's eval(); train() the reverse.
    void set_mode(bool train) override {
        if (train == train_mode_) return;
        if (train) {
            inner_->set_mode(true);
            if (!slow_.empty()) optim::Lookahead::swap(params_, slow_.data(), n_);
        } else {
            if (!slow_.empty()) optim::Lookahead::swap(params_, slow_.data(), n_);
            inner_->set_mode(false);
        }
        train_mode_ = train;
    }

    std::vector<std::pair<std::string, double>> group_values() const override { return inner_->group_values(); }
    double lr() const override { return inner_->lr(); }
    void set_lr(double lr) override { inner_->set_lr(lr); }
    double momentum() const override { return inner_->momentum(); }
    void set_momentum(double momentum) override { inner_->set_momentum(momentum); }
    const char* name() const override { return optim::Lookahead::name; }

    // The inner rule's state, with Lookahead's counter and mode in the group state and, after the inner
    // arrays, one more entry: the other point (the slow weights in train mode, the fast ones in eval mode).
    RuleState<T> state() const override {
        RuleState<T> s = inner_->state();
        s.group.emplace_back("lookahead.counter", static_cast<double>(counter_));
        s.group.emplace_back("lookahead.train_mode", train_mode_ ? 1.0 : 0.0);
        ParamRuleState<T> other;
        if (!slow_.empty()) {
            other.started = true;
            other.buffers.emplace_back(train_mode_ ? "slow_param" : "fast_param", slow_);
        }
        s.params.push_back(std::move(other));
        return s;
    }

    void set_state(const RuleState<T>& in) override {
        if (in.params.empty()) throw std::invalid_argument("optimizer state lacks Lookahead's other point");
        RuleState<T> inner;
        double counter = -1, train_mode = -1;
        for (const auto& [key, value] : in.group) {
            if (key == "lookahead.counter") counter = value;
            else if (key == "lookahead.train_mode") train_mode = value;
            else inner.group.emplace_back(key, value);
        }
        if (!(counter >= 0) || !(train_mode == 0.0 || train_mode == 1.0))
            throw std::invalid_argument("optimizer state lacks Lookahead's counter or mode: is it another optimizer's?");
        const ParamRuleState<T>& other = in.params.back();
        std::vector<T> slow;
        if (other.started) {
            if (other.buffers.size() != 1 || other.buffers[0].second.size() != n_)
                throw std::invalid_argument("optimizer state's Lookahead point must have " + std::to_string(n_) +
                                            " values, one per parameter");
            slow = other.buffers[0].second;
        }
        inner.params.assign(in.params.begin(), in.params.end() - 1);
        inner_->set_state(inner);  // checks the rest; nothing of Lookahead's changed yet
        counter_ = static_cast<std::int64_t>(counter);
        train_mode_ = train_mode == 1.0;
        slow_ = std::move(slow);
    }

private:
    std::unique_ptr<StepRule<T>> inner_;
    std::int64_t k_;
    double alpha_;
    T* params_;
    std::size_t n_;
    std::int64_t counter_ = 0;
    bool train_mode_ = false;  // between fits the parameters hold the slow weights
    std::vector<T> slow_;      // the slow weights in train mode, the fast ones in eval mode
};

}  // namespace gradkit::train
