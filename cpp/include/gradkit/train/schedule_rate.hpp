// A gradkit schedule as the trainer's rate policy (the estimators' lr_schedule=): the same schedule
// structs Python users call (cpp/include/gradkit/schedules), stepped after every optimizer step or
// after every epoch, with RateBounds clipping each rate as the Python schedulers clip it.
//
// It follows torch's recursion as gradkit.schedules.lr_curve does: the first rate is next_lr(.., 0, ..,
// initial=true) from base_lr, and each step k continues from the rate before it. The step count is the
// policy's whole state (kept over partial_fit calls and pickled), together with the optimizer's lr.
#pragma once

#include <cstdint>
#include <exception>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>

#include "gradkit/schedules/rate_bounds.hpp"
#include "gradkit/schedules/schedule.hpp"
#include "gradkit/train/rate_policy.hpp"

namespace gradkit::train {

// A schedule that refused a step inside the loop (OneCycleLR past total_steps, a division by zero):
// the bindings raise it as a ValueError, after the loop has left its progress consistent.
struct ScheduleStepError : std::runtime_error {
    ScheduleStepError(const std::string& message, std::int64_t step_) : std::runtime_error(message), step(step_) {}
    std::int64_t step;  // the step that was refused
};

namespace detail {

// Whether S gives a momentum per step (S::momentum(args, step)): the cyclic schedules.
template <class S, class = void>
struct gives_momentum : std::false_type {};
template <class S>
struct gives_momentum<S, std::void_t<decltype(S::momentum(std::declval<const typename S::Args&>(), std::int64_t{}))>>
    : std::true_type {};

}  // namespace detail

template <class S>
class ScheduleRate final : public RatePolicy {
public:
    // Validates the arguments and bounds (std::invalid_argument with the schedule's message).
    ScheduleRate(typename S::Args args, schedules::RateBounds bounds, double base_lr, bool per_step)
        : args_(std::move(args)), bounds_(bounds), base_lr_(base_lr), per_step_(per_step) {
        S::validate(args_);
        bounds_.validate();
        initial_lr_ = bounds_.clip(S::next_lr(args_, 0, base_lr_, base_lr_, true));
    }

    // The rate of the first step (the one torch's constructor sets).
    double initial_lr() const { return initial_lr_; }

    void after_step(std::int64_t, double& lr) override {
        if (per_step_) advance(lr);
    }
    void after_epoch(const EpochEnd&, double& lr) override {
        if (!per_step_) advance(lr);
    }

    double momentum() const override {
        if constexpr (detail::gives_momentum<S>::value) return S::momentum(args_, steps_);
        else return RatePolicy::momentum();
    }

    std::int64_t steps_taken() const override { return steps_; }
    void set_steps_taken(std::int64_t steps) override { steps_ = steps; }

private:
    // The step count moves only once the step succeeded, so a refused step leaves the state as it was.
    void advance(double& lr) {
        const std::int64_t next = steps_ + 1;
        double rate;
        try {
            rate = S::next_lr(args_, next, base_lr_, lr, false);
        } catch (const std::exception& e) {
            throw ScheduleStepError(e.what(), next);
        }
        lr = bounds_.clip(rate);
        steps_ = next;
    }

    typename S::Args args_;
    schedules::RateBounds bounds_;
    double base_lr_, initial_lr_ = 0.0;
    bool per_step_;
    std::int64_t steps_ = 0;
};

}  // namespace gradkit::train
