// LinearLR: the factor on lr moves linearly from start_factor to end_factor over total_iters steps,
// as torch.optim.lr_scheduler.LinearLR.
#pragma once

#include <algorithm>
#include <cstdint>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct LinearLR {
    static constexpr const char* name = "LinearLR";

    struct Args {
        double start_factor = 1.0 / 3;
        double end_factor = 1.0;
        std::int64_t total_iters = 5;

        template <class V>
        void visit(V&& v) {
            v("start_factor", start_factor);
            v("end_factor", end_factor);
            v("total_iters", total_iters);
        }
    };

    static void validate(const Args& a) {
        if (a.start_factor > 1.0 || a.start_factor <= 0)
            optim::invalid("Starting multiplicative factor expected to be greater than 0 and less or equal to 1.");
        if (a.end_factor > 1.0 || a.end_factor < 0)
            optim::invalid("Ending multiplicative factor expected to be between 0 and 1.");
    }

    // torch's recursion: the ratio of consecutive factors, applied to the current lr.
    static double next_lr(const Args& a, std::int64_t last_epoch, double, double lr, bool initial = false) {
        if (last_epoch == 0) return lr * a.start_factor;
        if (initial || last_epoch > a.total_iters) return lr;
        const double delta = a.end_factor - a.start_factor;
        const double denom = rounded(static_cast<double>(a.total_iters) * a.start_factor) +
                             rounded(static_cast<double>(last_epoch - 1) * delta);
        return lr * (1.0 + py_div(delta, denom));
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        const double done = static_cast<double>(std::min(a.total_iters, last_epoch));
        return base_lr *
               (a.start_factor + py_div((a.end_factor - a.start_factor) * done, static_cast<double>(a.total_iters)));
    }
};

}  // namespace gradkit::schedules
