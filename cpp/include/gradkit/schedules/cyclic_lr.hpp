// CyclicLR: base_lr + (max_lr - base_lr) * triangle(t) * scale, with momentum cycling the other way, as
// torch.optim.lr_scheduler.CyclicLR.
//
// torch computes, from last_epoch t, the cycle c = floor(1 + t / total_size) and a position in it,
// scale_factor in [0, 1] (rising over step_ratio of the cycle, then falling); each group's lr is
// base_lr + (max_lr - base_lr) * scale_factor * scale_fn(c or t), its momentum
// max_momentum - (max_momentum - base_momentum) * scale_factor * scale_fn(...). The built-in modes'
// scale_fn are here; a Python scale_fn is evaluated by the caller and its value passed in.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct CyclicLR {
    static constexpr const char* name = "CyclicLR";

    enum Mode : std::int64_t { triangular = 0, triangular2 = 1, exp_range = 2, custom = 3 };

    struct Args {
        double total_size = 4000.0;  // step_size_up + step_size_down, as floats
        double step_ratio = 0.5;     // step_size_up / total_size
        std::int64_t mode = triangular;
        double gamma = 1.0;

        template <class V>
        void visit(V&& v) {
            v("total_size", total_size);
            v("step_ratio", step_ratio);
            v("mode", mode);
            v("gamma", gamma);
        }
    };

    // torch checks the mode (in Python: it is a string) and nothing else.
    static void validate(const Args& a) {
        if (a.mode < triangular || a.mode > custom) throw std::invalid_argument("mode is invalid and scale_fn is None");
    }

    struct Sizes {
        double total_size, step_ratio;
    };
    static Sizes sizes(double step_size_up, double step_size_down) {
        const double total = step_size_up + step_size_down;
        return {total, py_div(step_size_up, total)};
    }

    struct Position {
        std::int64_t cycle;
        double scale_factor;
    };
    static Position position(const Args& a, std::int64_t last_epoch) {
        const double t = py_div(static_cast<double>(last_epoch), a.total_size);
        const double c = std::floor(1 + t);
        const double x = 1.0 + t - c;
        double f;
        if (x <= a.step_ratio)
            f = py_div(x, a.step_ratio);
        else
            f = py_div(x - 1, a.step_ratio - 1);
        return {static_cast<std::int64_t>(c), f};
    }

    // The built-in modes' scale_fn at x (the cycle for triangular*, last_epoch for exp_range).
    static double builtin_scale(const Args& a, double x) {
        switch (a.mode) {
            case triangular:
                return 1.0;
            case triangular2:
                return 1 / std::pow(2.0, x - 1);
            case exp_range:
                return std::pow(a.gamma, x);
            default:
                throw std::invalid_argument("CyclicLR: a custom scale_fn is evaluated by the caller");
        }
    }

    // The built-in modes' argument of scale_fn: the cycle, or last_epoch for exp_range ("iterations").
    static double builtin_scale_at(const Args& a, const Position& p, std::int64_t last_epoch) {
        return builtin_scale(a, a.mode == exp_range ? static_cast<double>(last_epoch) : static_cast<double>(p.cycle));
    }

    static double lr(double base_lr, double max_lr, double scale_factor, double scale) {
        const double base_height = (max_lr - base_lr) * scale_factor;
        return base_lr + rounded(base_height * scale);
    }

    static double momentum(double base_momentum, double max_momentum, double scale_factor, double scale) {
        const double base_height = (max_momentum - base_momentum) * scale_factor;
        return max_momentum - rounded(base_height * scale);
    }
};

// The lr after 0, 1, ..., steps-1 calls of step() with a built-in mode, clipped into bounds (the
// Python class offers only min_lr: torch's max_lr argument is the cycle's peak).
inline void curve_cyclic(const CyclicLR::Args& a, std::int64_t steps, double base_lr, double max_lr, double* out,
                         const RateBounds& bounds = {}) {
    CyclicLR::validate(a);
    bounds.validate();
    for (std::int64_t k = 0; k < steps; ++k) {
        const auto p = CyclicLR::position(a, k);
        out[k] = bounds.clip(CyclicLR::lr(base_lr, max_lr, p.scale_factor, CyclicLR::builtin_scale_at(a, p, k)));
    }
}

}  // namespace gradkit::schedules
