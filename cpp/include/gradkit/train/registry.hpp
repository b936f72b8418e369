// What the MLP trainer accepts, by family: the step rules (every ParamGroup optimizer of optim/registry.hpp)
// and the rate policies of lr_schedule= (every schedule of schedules/registry.hpp, as train/ adapts it).
// The trainer's factories iterate these lists, so an optimizer or a schedule added to its registry
// reaches the estimators with no further list to keep.
#pragma once

#include <memory>
#include <type_traits>
#include <utility>

#include "gradkit/optim/registry.hpp"
#include "gradkit/schedules/registry.hpp"
#include "gradkit/train/cyclic_rates.hpp"
#include "gradkit/train/loss_driven_rates.hpp"
#include "gradkit/train/rate_policy.hpp"
#include "gradkit/train/schedule_rate.hpp"
#include "gradkit/type_list.hpp"

namespace gradkit::train {

using StepRules = optim::ParamGroupOptimizers;

// Stepped by the count of optimizer steps (or epochs) through ScheduleRate<S>: the closed-form schedules
// and the cyclic ones, whose per-group levels are in their arguments (cyclic_rates.hpp).
using StepDrivenRates = concat_t<schedules::ClosedFormSchedules, TypeList<WarmRestartsRate, OneCycleRate, CyclicRate>>;

// Stepped once per epoch on its training loss.
using LossDrivenRates = schedules::LossDrivenSchedules;

// A rate policy and the rate of its first step.
struct RateStart {
    std::unique_ptr<RatePolicy> policy;
    double first_lr;
};

// A loss-driven schedule as the trainer's rate policy, from base_lr.
template <class Machine>
RateStart loss_driven_rate(const typename Machine::Args& args, schedules::RateBounds bounds, double base_lr) {
    if constexpr (std::is_same_v<Machine, schedules::ReduceLROnPlateau>) {
        // min_lr is torch's floor of each reduction; max_lr gradkit's ceiling.
        auto policy = std::make_unique<PlateauRate>(args, bounds.bounds_below() ? bounds.min_lr : 0.0, bounds.max_lr);
        const double first = policy->initial_lr(base_lr);
        return {std::move(policy), first};
    } else {
        auto policy = std::make_unique<LossRuleRate<Machine>>(args, bounds);
        const double first = policy->initial_lr(base_lr);
        return {std::move(policy), first};
    }
}

// A step-driven schedule as the trainer's rate policy, from base_lr, stepped per optimizer step or per epoch.
template <class S>
RateStart step_driven_rate(const typename S::Args& args, schedules::RateBounds bounds, double base_lr, bool per_step) {
    auto policy = std::make_unique<ScheduleRate<S>>(args, bounds, base_lr, per_step);
    const double first = policy->initial_lr();
    return {std::move(policy), first};
}

}  // namespace gradkit::train
