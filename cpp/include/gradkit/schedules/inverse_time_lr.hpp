// InverseTimeLR: lr0 / (1 + decay_rate * t / decay_steps), or with floor(t / decay_steps) when staircase,
// as Keras' InverseTimeDecay (which torch lacks).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct InverseTimeLR {
    static constexpr const char* name = "InverseTimeLR";

    struct Args {
        double decay_rate = 0.0;  // required
        std::int64_t decay_steps = 1;
        bool staircase = false;

        template <class V>
        void visit(V&& v) {
            v("decay_rate", decay_rate);
            v("decay_steps", decay_steps);
            v("staircase", staircase);
        }
    };

    static void validate(const Args& a) {
        if (!(a.decay_rate >= 0))  // NaN fails too
            optim::invalid("decay_rate must be a non-negative number, got " + optim::repr(a.decay_rate));
        if (a.decay_steps < 1)
            optim::invalid("decay_steps must be a positive integer, got " + std::to_string(a.decay_steps));
    }

    // A pure function of t: no torch recursion to reproduce, so the step computes the closed form.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool = false) {
        return closed_form(a, last_epoch, base_lr);
    }

    // Keras' order of operations: p = t / decay_steps (floored), then lr0 / (1 + decay_rate * p).
    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        require_nonnegative_step(last_epoch);
        double p = static_cast<double>(last_epoch) / static_cast<double>(a.decay_steps);
        if (a.staircase) p = static_cast<double>(last_epoch / a.decay_steps);  // both >= 0: exact floor
        return base_lr / (1.0 + rounded(a.decay_rate * p));
    }
};

}  // namespace gradkit::schedules
