// BoldDriverLR: the "bold driver" rule (Vogl et al. 1988, named by Battiti 1989), driven by the loss.
//
// After each epoch the loss is compared with the previous epoch's:
//   loss < previous   ->  lr *= increase      (going well: go faster)
//   loss > previous   ->  lr *= decrease      (overshot: brake)
//   loss == previous, or no previous loss (the first step)  ->  lr unchanged
// A non-finite loss (nan, +-inf) counts as a rise, even on the first step, and is not kept as the
// previous loss: the step after it has nothing to compare with and leaves the lr unchanged.
// Every group's lr gets the same factor; an lr the rule changes is then clamped into [min_lr, max_lr].
// The classic rule also undoes the step that raised the loss; a schedule cannot, so that is left to
// the caller.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <stdexcept>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/rate_bounds.hpp"

namespace gradkit::schedules {

struct BoldDriverLR {
    static constexpr const char* name = "BoldDriverLR";

    struct Args {
        double increase = 1.05;
        double decrease = 0.5;

        template <class V>
        void visit(V&& v) {
            v("increase", increase);
            v("decrease", decrease);
        }
    };

    struct State {
        std::optional<double> previous_loss;  // none before the first loss and after a non-finite one
        std::int64_t last_epoch = 0;

        template <class V>
        void visit(V&& v) {
            v("previous_loss", previous_loss);
            v("last_epoch", last_epoch);
        }
    };

    enum class Change { none, increase, decrease };

    static void validate(const Args& a) {
        if (!(std::isfinite(a.increase) && a.increase >= 1.0))
            throw std::invalid_argument("BoldDriverLR: increase must be a finite number >= 1, got " +
                                        optim::repr(a.increase));
        if (!(a.decrease > 0.0 && a.decrease <= 1.0))
            throw std::invalid_argument("BoldDriverLR: decrease must be in (0, 1], got " +
                                        optim::repr(a.decrease));
    }

    static double scaled_lr(double lr, double factor, double min_lr, double max_lr) {
        return RateBounds{min_lr, max_lr}.clip(lr * factor);
    }

    Args args;
    State state;

    explicit BoldDriverLR(const Args& a) : args(a) { validate(args); }

    // Compares the loss with the previous one and remembers it; says what to do to the lrs.
    Change observe(double loss) {
        ++state.last_epoch;
        if (!std::isfinite(loss)) {
            state.previous_loss.reset();
            return Change::decrease;
        }
        Change change = Change::none;
        if (state.previous_loss) {
            if (loss < *state.previous_loss) change = Change::increase;
            if (loss > *state.previous_loss) change = Change::decrease;
        }
        state.previous_loss = loss;
        return change;
    }

    // One epoch on n groups' lrs (in place); returns what it did.
    Change step(double loss, double* lrs, const double* min_lrs, const double* max_lrs, std::size_t n) {
        const Change change = observe(loss);
        if (change != Change::none) {
            const double factor = change == Change::increase ? args.increase : args.decrease;
            for (std::size_t i = 0; i < n; ++i) lrs[i] = scaled_lr(lrs[i], factor, min_lrs[i], max_lrs[i]);
        }
        return change;
    }
};

}  // namespace gradkit::schedules
