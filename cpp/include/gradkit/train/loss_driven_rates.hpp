// ReduceLROnPlateau, AdaptiveLR and BoldDriverLR as the trainer's rate policy (the estimators'
// lr_schedule=): the schedules' own state machines (cpp/include/gradkit/schedules), stepped after
// every epoch with that epoch's training loss -- what a user does with the Python classes and
// loss_curve_[-1]. Their state (best loss, counters) lives as long as the trainer, so partial_fit
// continues it, and goes out and back in as numbers (machine_state) so that pickling keeps it.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <vector>

#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"
#include "gradkit/schedules/rate_bounds.hpp"
#include "gradkit/schedules/reduce_lr_on_plateau.hpp"
#include "gradkit/train/rate_policy.hpp"

namespace gradkit::train {

namespace detail {

// A machine's State (fields double, int64, bool or optional double, listed by its visit) to and from
// numbers; counts and flags are whole numbers, exact in a double, and an empty optional is NaN (the
// machines keep only finite losses).
template <class F>
double state_number(const F& field) {
    if constexpr (std::is_same_v<F, std::optional<double>>)
        return field ? *field : std::numeric_limits<double>::quiet_NaN();
    else
        return static_cast<double>(field);
}

template <class F>
void set_state_number(F& field, double x) {
    if constexpr (std::is_same_v<F, bool>)
        field = x != 0.0;
    else if constexpr (std::is_same_v<F, std::optional<double>>)
        field = std::isnan(x) ? std::nullopt : std::optional<double>(x);
    else
        field = static_cast<F>(x);
}

template <class State>
std::vector<double> state_numbers(State s) {
    std::vector<double> out;
    s.visit([&](const char*, auto& field) { out.push_back(state_number(field)); });
    return out;
}

template <class State>
State state_from_numbers(const std::vector<double>& numbers, const char* name) {
    State s;
    std::size_t fields = 0;
    s.visit([&](const char*, auto&) { ++fields; });
    if (numbers.size() != fields)
        throw std::invalid_argument(std::string(name) + " keeps " + std::to_string(fields) + " numbers of state, got " +
                                    std::to_string(numbers.size()));
    std::size_t i = 0;
    s.visit([&](const char*, auto& field) { set_state_number(field, numbers[i++]); });
    return s;
}

}  // namespace detail

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

    std::vector<double> machine_state() const override { return detail::state_numbers(machine_.state); }
    void set_machine_state(const std::vector<double>& s) override {
        machine_.state = detail::state_from_numbers<schedules::ReduceLROnPlateau::State>(s, schedules::ReduceLROnPlateau::name);
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

    std::vector<double> machine_state() const override { return detail::state_numbers(machine_.state); }
    void set_machine_state(const std::vector<double>& s) override {
        machine_.state = detail::state_from_numbers<typename Machine::State>(s, Machine::name);
    }

private:
    Machine machine_;
    schedules::RateBounds bounds_;
};

}  // namespace gradkit::train
