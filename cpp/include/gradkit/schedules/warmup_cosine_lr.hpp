// WarmupCosineLR: linear warmup then cosine annealing as one schedule (torch needs SequentialLR of
// LinearLR and CosineAnnealingLR, whose hand-over differs). With W = warmup_steps, T = total_steps,
// s = warmup_start_factor:
//   t <  W:       lr0 * (s + (1 - s) * t / W)                                   from lr0*s up to lr0
//   W <= t < T:   eta_min + (lr0 - eta_min) * (1 + cos(pi * (t - W) / (T - W))) / 2   lr0 down to eta_min
//   t >= T:       eta_min
#pragma once

#include <cmath>
#include <cstdint>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct WarmupCosineLR {
    static constexpr const char* name = "WarmupCosineLR";
    static constexpr double pi = 3.141592653589793;  // Python's math.pi

    struct Args {
        std::int64_t warmup_steps = 0;  // required
        std::int64_t total_steps = 1;   // required
        double warmup_start_factor = 0.0;
        double eta_min = 0.0;

        template <class V>
        void visit(V&& v) {
            v("warmup_steps", warmup_steps);
            v("total_steps", total_steps);
            v("warmup_start_factor", warmup_start_factor);
            v("eta_min", eta_min);
        }
    };

    static void validate(const Args& a) {
        if (a.warmup_steps < 0)
            optim::invalid("warmup_steps must be a non-negative integer, got " + std::to_string(a.warmup_steps));
        if (a.total_steps <= a.warmup_steps)
            optim::invalid("total_steps must be greater than warmup_steps, got total_steps=" +
                           std::to_string(a.total_steps) + " and warmup_steps=" + std::to_string(a.warmup_steps));
        if (!(a.warmup_start_factor >= 0 && a.warmup_start_factor <= 1))
            optim::invalid("warmup_start_factor must be between 0 and 1, got " + optim::repr(a.warmup_start_factor));
        if (!(a.eta_min >= 0 && std::isfinite(a.eta_min)))
            optim::invalid("eta_min must be a finite non-negative number, got " + optim::repr(a.eta_min));
    }

    // A pure function of t: no torch recursion to reproduce, so the step computes the closed form.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool = false) {
        return closed_form(a, last_epoch, base_lr);
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        require_nonnegative_step(last_epoch);
        const double t = static_cast<double>(last_epoch);
        const double s = a.warmup_start_factor;
        if (last_epoch < a.warmup_steps)  // so warmup_steps > 0 here
            return base_lr * (s + (1 - s) * t / static_cast<double>(a.warmup_steps));
        if (last_epoch >= a.total_steps) return a.eta_min;
        const double p = (t - static_cast<double>(a.warmup_steps)) /
                         static_cast<double>(a.total_steps - a.warmup_steps);
        return a.eta_min + (base_lr - a.eta_min) * (1 + std::cos(pi * p)) / 2;
    }
};

}  // namespace gradkit::schedules
