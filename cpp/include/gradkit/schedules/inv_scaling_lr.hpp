// InvScalingLR: lr0 / (t + 1)^power_t, scikit-learn's 'invscaling' learning rate
// (learning_rate_init / pow(t + 1, power_t)), which torch lacks.
#pragma once

#include <cmath>
#include <cstdint>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct InvScalingLR {
    static constexpr const char* name = "InvScalingLR";

    struct Args {
        double power_t = 0.5;  // scikit-learn's default

        template <class V>
        void visit(V&& v) {
            v("power_t", power_t);
        }
    };

    static void validate(const Args& a) {
        if (!(a.power_t >= 0))  // NaN fails too
            optim::invalid("power_t must be a non-negative number, got " + optim::repr(a.power_t));
    }

    // A pure function of t: no torch recursion to reproduce, so the step computes the closed form.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool = false) {
        return closed_form(a, last_epoch, base_lr);
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        require_nonnegative_step(last_epoch);
        return base_lr / std::pow(static_cast<double>(last_epoch + 1), a.power_t);
    }
};

}  // namespace gradkit::schedules
