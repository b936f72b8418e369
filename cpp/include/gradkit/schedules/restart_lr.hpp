// RestartLR: lr0 * gamma^(t mod period): back to the fixed rate lr0 every period steps, decaying
// geometrically in between (torch has no such schedule).
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct RestartLR {
    static constexpr const char* name = "RestartLR";

    struct Args {
        std::int64_t period = 1;  // required
        double gamma = 1.0;

        template <class V>
        void visit(V&& v) {
            v("period", period);
            v("gamma", gamma);
        }
    };

    static void validate(const Args& a) {
        if (a.period < 1) optim::invalid("period must be a positive integer, got " + std::to_string(a.period));
        require_decay_factor(a.gamma);
    }

    // A pure function of t: no torch recursion to reproduce, so the step computes the closed form.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool = false) {
        return closed_form(a, last_epoch, base_lr);
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        require_nonnegative_step(last_epoch);
        return base_lr * std::pow(a.gamma, static_cast<double>(last_epoch % a.period));
    }
};

}  // namespace gradkit::schedules
