// How the trainer's learning rate moves: a policy the epoch loop consults after every optimizer step,
// after every epoch, and when training stalls. It reads and sets the step rule's rate (StepRule::lr).
//
// scikit-learn's MLP learning_rate modes are three such policies (its SGDOptimizer.iteration_ends and
// trigger_stopping): 'constant', 'invscaling' (lr = learning_rate_init / (t + 1)**power_t once per
// epoch, t counting the samples seen) and 'adaptive' (lr / 5 when training stalls). A gradkit schedule
// plugs in as a policy that sets the rate from its step count after each batch or each epoch.
#pragma once

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <vector>

namespace gradkit::train {

// What the loop knows at the end of an epoch (sklearn's n_iter_, t_ and loss_).
struct EpochEnd {
    std::int64_t epoch = 0;         // epochs done in this fit, counting this one
    std::int64_t samples_seen = 0;  // samples over all fits, counting this epoch's
    double loss = 0.0;
};

// What a policy does when training has stalled for more than n_iter_no_change epochs.
enum class PlateauAction { stop, stop_rate_too_small, rate_reduced };

class RatePolicy {
public:
    virtual ~RatePolicy() = default;
    // After optimizer step number `steps` (counted over this fit); may change lr.
    virtual void after_step(std::int64_t steps, double& lr) {
        (void)steps;
        (void)lr;
    }
    // sklearn's iteration_ends: after each epoch's bookkeeping; may change lr.
    virtual void after_epoch(const EpochEnd& end, double& lr) {
        (void)end;
        (void)lr;
    }
    // sklearn's trigger_stopping. The default stops, as every sklearn mode but 'adaptive' does.
    virtual PlateauAction on_plateau(double& lr) {
        (void)lr;
        return PlateauAction::stop;
    }
    // The momentum (or beta1) the policy sets for the next step: OneCycleLR's and CyclicLR's with
    // cycle_momentum, from their step count. NaN (every other policy): the momentum is left alone.
    virtual double momentum() const { return std::numeric_limits<double>::quiet_NaN(); }
    // The steps a stateful policy (a schedule) has taken, for pickling; stateless policies keep none.
    virtual std::int64_t steps_taken() const { return 0; }
    virtual void set_steps_taken(std::int64_t steps) { (void)steps; }
    // A loss-driven policy's state machine (best loss, counters) as numbers, for pickling; empty for
    // the others. set_machine_state throws std::invalid_argument, changing nothing, on another length.
    virtual std::vector<double> machine_state() const { return {}; }
    virtual void set_machine_state(const std::vector<double>& state) {
        if (!state.empty()) throw std::invalid_argument("this rate policy keeps no state machine");
    }
};

// sklearn's 'constant' (and its Adam, which has no rate modes).
class ConstantRate final : public RatePolicy {};

// sklearn's 'invscaling': lr = learning_rate_init / (t + 1)**power_t after each epoch.
class InvScalingRate final : public RatePolicy {
public:
    InvScalingRate(double learning_rate_init, double power_t) : init_(learning_rate_init), power_t_(power_t) {}
    void after_epoch(const EpochEnd& end, double& lr) override {
        lr = init_ / std::pow(static_cast<double>(end.samples_seen + 1), power_t_);
    }

private:
    double init_, power_t_;
};

// sklearn's 'adaptive': a stall divides the rate by 5, unless it is already at most 1e-6 (then stop).
class AdaptiveRate final : public RatePolicy {
public:
    PlateauAction on_plateau(double& lr) override {
        if (lr <= 1e-6) return PlateauAction::stop_rate_too_small;
        lr /= 5.0;
        return PlateauAction::rate_reduced;
    }
};

}  // namespace gradkit::train
