// ConstantLR: lr * factor until total_iters, then lr, as torch.optim.lr_scheduler.ConstantLR.
#pragma once

#include <cstdint>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct ConstantLR {
    static constexpr const char* name = "ConstantLR";

    struct Args {
        double factor = 1.0 / 3;
        std::int64_t total_iters = 5;

        template <class V>
        void visit(V&& v) {
            v("factor", factor);
            v("total_iters", total_iters);
        }
    };

    static void validate(const Args& a) {
        // torch's comparison, so NaN passes as it does in torch.
        if (a.factor > 1.0 || a.factor < 0)
            optim::invalid("Constant multiplicative factor expected to be between 0 and 1.");
    }

    // Recursive: scales by factor at step 0 and by 1/factor at step total_iters (never, if that is 0).
    static double next_lr(const Args& a, std::int64_t last_epoch, double, double lr, bool = false) {
        if (last_epoch == 0) return lr * a.factor;
        if (last_epoch != a.total_iters) return lr;
        return lr * py_div(1.0, a.factor);
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        const double after = last_epoch >= a.total_iters ? 1.0 : 0.0;
        return base_lr * (a.factor + after * (1 - a.factor));
    }
};

}  // namespace gradkit::schedules
