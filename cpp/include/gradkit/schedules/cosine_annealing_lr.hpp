// CosineAnnealingLR: eta_min + (base_lr - eta_min) * (1 + cos(pi t / T_max)) / 2, computed by torch's
// recursion, as torch.optim.lr_scheduler.CosineAnnealingLR.
//
// torch's step() uses a recursion (a ratio of consecutive cosines applied to the current lr, and at
// every t with (t - 1 - T_max) a multiple of 2 T_max, where that ratio would be 0/0, a fixed increment).
// It follows the closed form only to rounding (about 1e-13 relative over a few hundred steps past
// T_max), and it carries over changes made to the lr from outside; next_lr is that recursion,
// closed_form is torch's _get_closed_form_lr.
#pragma once

#include <cmath>
#include <cstdint>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct CosineAnnealingLR {
    static constexpr const char* name = "CosineAnnealingLR";
    static constexpr double pi = 3.141592653589793;  // Python's math.pi

    struct Args {
        std::int64_t T_max = 1;  // required in torch
        double eta_min = 0.0;

        template <class V>
        void visit(V&& v) {
            v("T_max", T_max);
            v("eta_min", eta_min);
        }
    };

    static void validate(const Args&) {}  // torch checks nothing: T_max=0 fails at the first step()

    // torch also has a branch for `_step_count == 1 and last_epoch > 0` outside the initial step; step()
    // counts before it asks, so _step_count is at least 2 there and that branch is never taken.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double lr,
                          bool initial = false) {
        if (initial) return lr;
        if (a.T_max == 0) throw zero_division("integer modulo by zero");
        const double t = static_cast<double>(a.T_max);
        // A multiple of 2 T_max either way, so C++'s % answers as Python's would.
        if ((last_epoch - 1 - a.T_max) % (2 * a.T_max) == 0)
            return lr + (base_lr - a.eta_min) * (1 - std::cos(pi / t)) / 2;
        const double num = 1 + std::cos(pi * static_cast<double>(last_epoch) / t);
        const double den = 1 + std::cos(pi * static_cast<double>(last_epoch - 1) / t);
        return rounded(py_div(num, den) * (lr - a.eta_min)) + a.eta_min;
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        const double c = std::cos(py_div(pi * static_cast<double>(last_epoch), static_cast<double>(a.T_max)));
        return a.eta_min + (base_lr - a.eta_min) * (1 + c) / 2;
    }
};

}  // namespace gradkit::schedules
