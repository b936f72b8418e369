// ReduceLROnPlateau, AdaptiveLR and BoldDriverLR as the trainer's rate policy (the estimators'
// lr_schedule=): the schedules' own state machines (cpp/include/gradkit/schedules), stepped after
// every epoch with that epoch's training loss -- what a user does with the Python classes and
// loss_curve_[-1]. Their state (best loss, counters) lives as long as the trainer: partial_fit
// continues it; a pickled estimator starts it anew.
#pragma once

#include <algorithm>

#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"
#include "gradkit/schedules/rate_bounds.hpp"
#include "gradkit/schedules/reduce_lr_on_plateau.hpp"
#include "gradkit/train/rate_policy.hpp"

namespace gradkit::train {

// torch's ReduceLROnPlateau on one group: min_lr is torch's floor of a reduction, max_lr gradkit's
// ceiling on every lr (clipped at construction and after each step, as the Python class clips).
class PlateauRate final : public RatePolicy {
public:
    PlateauRate(const schedules::ReduceLROnPlateau::Args& args, double min_lr, double max_lr)
        : machine_(args), min_lr_(min_lr), max_lr_(max_lr) {}

    double initial_lr(double base_lr) const { return std::min(base_lr, max_lr_); }

    void after_epoch(const EpochEnd& end, double& lr) override {
        machine_.step(end.loss, &lr, &min_lr_, 1);
        lr = std::min(lr, max_lr_);
    }

private:
    schedules::ReduceLROnPlateau machine_;
    double min_lr_, max_lr_;
};

// AdaptiveLR or BoldDriverLR on one group: an lr the rule changes is clamped into the bounds.
template <class Machine>
class LossRuleRate final : public RatePolicy {
public:
    LossRuleRate(const typename Machine::Args& args, schedules::RateBounds bounds) : machine_(args), bounds_(bounds) {}

    double initial_lr(double base_lr) const { return base_lr; }

    void after_epoch(const EpochEnd& end, double& lr) override {
        machine_.step(end.loss, &lr, &bounds_.min_lr, &bounds_.max_lr, 1);
    }

private:
    Machine machine_;
    schedules::RateBounds bounds_;
};

}  // namespace gradkit::train
