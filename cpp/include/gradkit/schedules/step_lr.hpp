// StepLR: lr * gamma every step_size steps, as torch.optim.lr_scheduler.StepLR.
#pragma once

#include <cmath>
#include <cstdint>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct StepLR {
    static constexpr const char* name = "StepLR";

    struct Args {
        std::int64_t step_size = 1;  // required in torch
        double gamma = 0.1;

        template <class V>
        void visit(V&& v) {
            v("step_size", step_size);
            v("gamma", gamma);
        }
    };

    // torch checks nothing: step_size=0 fails at the first step() with ZeroDivisionError.
    static void validate(const Args& a) { require_decay_factor(a.gamma); }

    static double next_lr(const Args& a, std::int64_t last_epoch, double, double lr, bool = false) {
        if (last_epoch == 0) return lr;
        if (a.step_size == 0) throw zero_division("integer modulo by zero");
        // Divisibility does not depend on the signs, so C++'s % answers as Python's would.
        if (last_epoch % a.step_size != 0) return lr;
        return lr * a.gamma;
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        if (a.step_size == 0) throw zero_division("integer division or modulo by zero");
        return base_lr * std::pow(a.gamma, static_cast<double>(floor_div(last_epoch, a.step_size)));
    }
};

}  // namespace gradkit::schedules
