// ExponentialLR: lr * gamma every step, as torch.optim.lr_scheduler.ExponentialLR.
#pragma once

#include <cmath>
#include <cstdint>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct ExponentialLR {
    static constexpr const char* name = "ExponentialLR";

    struct Args {
        double gamma = 1.0;  // required in torch

        template <class V>
        void visit(V&& v) { v("gamma", gamma); }
    };

    static void validate(const Args& a) { require_decay_factor(a.gamma); }  // torch checks nothing

    // The constructor's step leaves lr alone (also when resuming with last_epoch >= 0).
    static double next_lr(const Args& a, std::int64_t, double, double lr, bool initial = false) {
        if (initial) return lr;
        return lr * a.gamma;
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        return base_lr * std::pow(a.gamma, static_cast<double>(last_epoch));
    }
};

}  // namespace gradkit::schedules
