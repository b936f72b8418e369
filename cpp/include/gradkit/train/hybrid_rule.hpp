// Two optimizers over one network, each over its own arrays: the usual way to train with an optimizer
// that takes only some parameters (Muon: weight matrices; the biases and the input and output layers go
// to AdamW, as in Keller Jordan's Muon and torch's Muon documentation).
//
// The rate a schedule sets is the primary's; the secondary's follows it at a fixed ratio (its rate over
// the primary's when the rule was made), as a torch scheduler scales every param group's rate by the same
// factor. A momentum-cycling schedule moves the primary's momentum only.
#pragma once

#include <cmath>
#include <cstddef>
#include <memory>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/nn/layout.hpp"
#include "gradkit/train/step_rule.hpp"

namespace gradkit::train {

// Which coefficient matrices the primary optimizer takes.
enum class MatrixLayers {
    hidden,  // those between two hidden layers: not the first (from the inputs) nor the last (to the outputs)
    all,     // every layer's coefficients
};

template <typename T>
class HybridRule final : public StepRule<T> {
public:
    HybridRule(std::unique_ptr<StepRule<T>> primary, std::unique_ptr<StepRule<T>> secondary, std::string name)
        : primary_(std::move(primary)), secondary_(std::move(secondary)), name_(std::move(name)) {
        ratio_ = primary_->lr() > 0 ? secondary_->lr() / primary_->lr() : 1.0;
    }

    void step(const T* grad) override {
        primary_->step(grad);
        secondary_->step(grad);
    }
    void set_mode(bool train) override {
        primary_->set_mode(train);
        secondary_->set_mode(train);
    }
    std::vector<std::pair<std::string, double>> group_values() const override { return primary_->group_values(); }
    double lr() const override { return primary_->lr(); }
    void set_lr(double lr) override {
        const double before = primary_->lr();
        primary_->set_lr(lr);
        try {
            secondary_->set_lr(lr * ratio_);
        } catch (...) {
            primary_->set_lr(before);  // nothing changes when either refuses
            throw;
        }
    }
    double momentum() const override { return primary_->momentum(); }
    void set_momentum(double momentum) override { primary_->set_momentum(momentum); }
    const char* name() const override { return name_.c_str(); }

    // The primary's arrays, then the secondary's; the group state is the primary's (the secondary's is
    // kept under "secondary." names).
    RuleState<T> state() const override {
        RuleState<T> a = primary_->state(), b = secondary_->state();
        for (auto& [key, value] : b.group) a.group.emplace_back("secondary." + key, value);
        for (auto& p : b.params) a.params.push_back(std::move(p));
        return a;
    }
    void set_state(const RuleState<T>& in) override {
        const RuleState<T> before = primary_->state();  // to put back if the secondary refuses its part
        const std::size_t n_primary = before.params.size();
        if (in.params.size() < n_primary)
            throw std::invalid_argument("optimizer state has " + std::to_string(in.params.size()) +
                                        " parameter arrays; " + name_ + "'s two optimizers have more");
        RuleState<T> a, b;
        for (const auto& [key, value] : in.group) {
            if (key.rfind("secondary.", 0) == 0)
                b.group.emplace_back(key.substr(10), value);
            else
                a.group.emplace_back(key, value);
        }
        a.params.assign(in.params.begin(), in.params.begin() + static_cast<std::ptrdiff_t>(n_primary));
        b.params.assign(in.params.begin() + static_cast<std::ptrdiff_t>(n_primary), in.params.end());
        primary_->set_state(a);
        try {
            secondary_->set_state(b);
        } catch (...) {
            primary_->set_state(before);
            throw;
        }
    }

    StepRule<T>& primary() { return *primary_; }
    StepRule<T>& secondary() { return *secondary_; }

private:
    std::unique_ptr<StepRule<T>> primary_, secondary_;
    std::string name_;
    double ratio_ = 1.0;
};

// Primary over the chosen coefficient matrices (each a (fan_in, fan_out) matrix view), Secondary over
// every other array of the network (the other coefficients and all intercepts). `secondary_ratio` is the
// secondary's rate over the primary's.
template <class Primary, class Secondary, typename T>
std::unique_ptr<StepRule<T>> make_hybrid_rule(typename Primary::Hyper primary, typename Secondary::Hyper secondary,
                                              MatrixLayers layers, T* params, const nn::Layout& layout) {
    const std::size_t n_layers = layout.n_weight_layers();
    std::vector<optim::ArrayRef<T>> mine, others;
    const std::vector<optim::ArrayRef<T>> views = layer_views(params, layout);
    for (std::size_t i = 0; i < views.size(); ++i) {
        const bool is_coef = i < n_layers;
        const bool chosen = is_coef && (layers == MatrixLayers::all || (i != 0 && i + 1 != n_layers));
        (chosen ? mine : others).push_back(views[i]);
    }
    auto a = std::make_unique<ParamGroupRule<Primary, T>>(std::move(primary), params, std::move(mine));
    auto b = std::make_unique<ParamGroupRule<Secondary, T>>(std::move(secondary), params, std::move(others));
    return std::make_unique<HybridRule<T>>(std::move(a), std::move(b), Primary::name);
}

}  // namespace gradkit::train
