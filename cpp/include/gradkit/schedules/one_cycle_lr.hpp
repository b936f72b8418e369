// OneCycleLR: the 1cycle policy, as torch.optim.lr_scheduler.OneCycleLR.
//
// Two phases (or three with three_phase) end at steps pct_start * total_steps - 1,
// (2 * pct_start * total_steps - 2,) and total_steps - 1; in each the lr (and momentum) is annealed
// (cosine or linearly) between the group's levels:
//   lr:       initial -> max -> min            three_phase: initial -> max -> initial -> min
//   momentum: max -> base -> max               three_phase: max -> base -> max -> max
// torch reads the levels from each param group (initial_lr, max_lr, min_lr, max_momentum,
// base_momentum); they are passed in. Stepping past total_steps raises torch's ValueError.
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct OneCycleLR {
    static constexpr const char* name = "OneCycleLR";
    static constexpr double pi = 3.141592653589793;  // Python's math.pi

    struct Args {
        std::int64_t total_steps = 1;
        double pct_start = 0.3;
        bool linear = false;  // anneal_strategy == "linear"
        bool three_phase = false;

        template <class V>
        void visit(V&& v) {
            v("total_steps", total_steps);
            v("pct_start", pct_start);
            v("linear", linear);
            v("three_phase", three_phase);
        }
    };

    // torch's range checks (its type checks are made in Python, where the values are formatted).
    static void validate(const Args& a) {
        if (a.total_steps <= 0)
            throw std::invalid_argument("Expected positive integer total_steps, but got " +
                                        std::to_string(a.total_steps));
        if (a.pct_start < 0 || a.pct_start > 1)  // NaN passes, as in torch
            throw std::invalid_argument("Expected float between 0 and 1 pct_start");
    }

    static double anneal(const Args& a, double start, double end, double pct) {
        if (a.linear) return rounded((end - start) * pct) + start;
        const double cos_out = std::cos(pi * pct) + 1;
        return end + rounded((start - end) / 2.0 * cos_out);
    }

    struct Position {
        int phase;
        double pct;
    };
    static Position position(const Args& a, std::int64_t step_num) {
        if (step_num > a.total_steps)
            throw std::invalid_argument("Tried to step " + std::to_string(step_num) +
                                        " times. The specified number of total steps is " +
                                        std::to_string(a.total_steps));
        const double total = static_cast<double>(a.total_steps);
        double ends[3];
        int phases;
        if (a.three_phase) {
            ends[0] = rounded(a.pct_start * total) - 1;
            ends[1] = rounded(2 * a.pct_start * total) - 2;
            ends[2] = total - 1;
            phases = 3;
        } else {
            ends[0] = rounded(a.pct_start * total) - 1;
            ends[1] = total - 1;
            phases = 2;
        }
        const double t = static_cast<double>(step_num);
        double start = 0.0;
        for (int i = 0;; ++i) {
            if (t <= ends[i] || i == phases - 1) return {i, py_div(t - start, ends[i] - start)};
            start = ends[i];
        }
    }

    // torch's per-group levels from its constructor's arguments (Python's division by zero raises).
    struct Levels {
        double initial_lr, max_lr, min_lr;
    };
    static Levels levels(double max_lr, double div_factor, double final_div_factor) {
        const double initial = py_div(max_lr, div_factor);
        return {initial, max_lr, py_div(initial, final_div_factor)};
    }

    static double lr(const Args& a, std::int64_t step_num, double initial_lr, double max_lr, double min_lr) {
        const Position p = position(a, step_num);
        const double from[3] = {initial_lr, max_lr, initial_lr};
        const double to[3] = {max_lr, a.three_phase ? initial_lr : min_lr, min_lr};
        return anneal(a, from[p.phase], to[p.phase], p.pct);
    }

    static double momentum(const Args& a, std::int64_t step_num, double base_momentum, double max_momentum) {
        const Position p = position(a, step_num);
        const double from[3] = {max_momentum, base_momentum, max_momentum};
        const double to[3] = {base_momentum, max_momentum, max_momentum};
        return anneal(a, from[p.phase], to[p.phase], p.pct);
    }
};

// The lr after 0, 1, ..., steps-1 calls of step(), clipped into bounds (the Python class offers only
// a lower bound: torch's max_lr is the cycle's peak); throws where torch would (steps > total_steps + 1).
inline void curve_one_cycle(const OneCycleLR::Args& a, std::int64_t steps, double max_lr, double div_factor,
                            double final_div_factor, double* out, const RateBounds& bounds = {}) {
    OneCycleLR::validate(a);
    bounds.validate();
    const auto l = OneCycleLR::levels(max_lr, div_factor, final_div_factor);
    for (std::int64_t k = 0; k < steps; ++k) out[k] = bounds.clip(OneCycleLR::lr(a, k, l.initial_lr, l.max_lr, l.min_lr));
}

}  // namespace gradkit::schedules
