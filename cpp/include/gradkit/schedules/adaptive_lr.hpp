// AdaptiveLR: scikit-learn's learning_rate='adaptive' rule (MLPClassifier/MLPRegressor, solver='sgd'),
// as a loss-driven state machine.
//
// sklearn judges each epoch's training loss (BaseMultilayerPerceptron._update_no_improvement_count,
// the early_stopping=False branch):
//   loss >  best_loss - tol   ->  no_improvement_count += 1, else no_improvement_count = 0
//   loss <  best_loss         ->  best_loss = loss  (so a gain smaller than tol still lowers best_loss)
// and when no_improvement_count > n_iter_no_change (here: patience) its SGDOptimizer.trigger_stopping
// divides the lr by 5 and restarts the count, or, once the lr is <= 1e-6, stops the training (the
// count is kept). Here:
//   - the division is by 1 / factor (factor = 0.2: 1 / 0.2 rounds to exactly 5.0, so the lrs are
//     sklearn's to the last bit, which lr * 0.2 is not), then clamped into [min_lr, max_lr];
//   - sklearn has one lr; with several param groups each group whose lr is above stop_lr is divided
//     and the rule stops when no group's is (so a group held at lr 0 does not stop the others);
//   - stopping sets state.stopped, which is final: later steps keep the bookkeeping but never
//     change an lr (sklearn's fit loop ends there; its trainer will read `stopped`);
//   - a NaN loss counts as no improvement (sklearn's comparisons would count it as one).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/rate_bounds.hpp"

namespace gradkit::schedules {

struct AdaptiveLR {
    static constexpr const char* name = "AdaptiveLR";

    // sklearn's SGDOptimizer.trigger_stopping: an lr at or below this stops the training.
    static constexpr double stop_lr = 1e-6;

    struct Args {
        double factor = 0.2;
        std::int64_t patience = 2;
        double tol = 1e-4;

        template <class V>
        void visit(V&& v) {
            v("factor", factor);
            v("patience", patience);
            v("tol", tol);
        }
    };

    struct State {
        double best_loss = std::numeric_limits<double>::infinity();
        std::int64_t no_improvement_count = 0;
        std::int64_t last_epoch = 0;
        bool stopped = false;

        template <class V>
        void visit(V&& v) {
            v("best_loss", best_loss);
            v("no_improvement_count", no_improvement_count);
            v("last_epoch", last_epoch);
            v("stopped", stopped);
        }
    };

    static void validate(const Args& a) {
        if (!(a.factor > 0.0 && a.factor < 1.0))
            throw std::invalid_argument("AdaptiveLR: factor must be in (0, 1), got " + optim::repr(a.factor));
        if (a.patience < 0)
            throw std::invalid_argument("AdaptiveLR: patience must be >= 0, got " + std::to_string(a.patience));
        if (!(std::isfinite(a.tol) && a.tol >= 0.0))
            throw std::invalid_argument("AdaptiveLR: tol must be a finite number >= 0, got " + optim::repr(a.tol));
    }

    // sklearn's division, then the bounds.
    static double reduced_lr(const Args& a, double lr, double min_lr, double max_lr) {
        const double divided = lr / (1.0 / a.factor);
        return RateBounds{min_lr, max_lr}.clip(divided);
    }

    Args args;
    State state;

    explicit AdaptiveLR(const Args& a) : args(a) { validate(args); }

    // sklearn's _update_no_improvement_count for one epoch's loss; true when the rule must act
    // (divide the lrs or stop). Stopped rules keep counting but never act again.
    bool observe(double loss) {
        ++state.last_epoch;
        if (!(loss <= state.best_loss - args.tol))
            ++state.no_improvement_count;
        else
            state.no_improvement_count = 0;
        if (loss < state.best_loss) state.best_loss = loss;
        return !state.stopped && state.no_improvement_count > args.patience;
    }

    // sklearn's trigger_stopping on n groups' lrs (in place): divide those above stop_lr and
    // restart the count, or stop when there are none.
    void reduce(double* lrs, const double* min_lrs, const double* max_lrs, std::size_t n) {
        bool any = false;
        for (std::size_t i = 0; i < n; ++i) any = any || lrs[i] > stop_lr;
        if (!any) {
            state.stopped = true;
            return;
        }
        for (std::size_t i = 0; i < n; ++i)
            if (lrs[i] > stop_lr) lrs[i] = reduced_lr(args, lrs[i], min_lrs[i], max_lrs[i]);
        state.no_improvement_count = 0;
    }

    // One epoch: observe the loss and act on the lrs if the rule says so; true when it acted.
    bool step(double loss, double* lrs, const double* min_lrs, const double* max_lrs, std::size_t n) {
        const bool acting = observe(loss);
        if (acting) reduce(lrs, min_lrs, max_lrs, n);
        return acting;
    }
};

}  // namespace gradkit::schedules
