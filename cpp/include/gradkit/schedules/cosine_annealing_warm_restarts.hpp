// CosineAnnealingWarmRestarts: eta_min + (base_lr - eta_min) * (1 + cos(pi T_cur / T_i)) / 2, with T_cur
// reset to 0 (and T_i multiplied by T_mult) at each restart, as
// torch.optim.lr_scheduler.CosineAnnealingWarmRestarts.
//
// torch keeps T_cur and T_i as scheduler state and overrides step(): step() advances T_cur by one,
// step(epoch) recomputes both from epoch (which may be fractional). The lr is a closed form in
// (T_cur, T_i); State holds them (T_cur is a float once step(epoch) gave a fractional value).
#pragma once

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct CosineAnnealingWarmRestarts {
    static constexpr const char* name = "CosineAnnealingWarmRestarts";
    static constexpr double pi = 3.141592653589793;  // Python's math.pi

    struct Args {
        std::int64_t T_0 = 1;  // required in torch
        std::int64_t T_mult = 1;
        double eta_min = 0.0;

        template <class V>
        void visit(V&& v) {
            v("T_0", T_0);
            v("T_mult", T_mult);
            v("eta_min", eta_min);
        }
    };

    struct State {
        double T_cur = 0.0;
        std::int64_t T_i = 1;
    };

    // torch's range checks (its type checks, and eta_min's, are made in Python).
    static void validate(const Args& a) {
        if (a.T_0 <= 0) throw std::invalid_argument("Expected positive integer T_0, but got " + std::to_string(a.T_0));
        if (a.T_mult < 1)
            throw std::invalid_argument("Expected integer T_mult >= 1, but got " + std::to_string(a.T_mult));
    }

    // step(): T_cur + 1, restarting (once) when it reaches T_i.
    static State advance(const Args& a, State s) {
        s.T_cur += 1;
        if (s.T_cur >= static_cast<double>(s.T_i)) {
            s.T_cur = std::fmod(s.T_cur, static_cast<double>(s.T_i));  // both positive: Python's %
            s.T_i *= a.T_mult;
        }
        return s;
    }

    // step(epoch), epoch >= 0.
    static State at_epoch(const Args& a, double epoch) {
        State s;
        const double t0 = static_cast<double>(a.T_0);
        if (epoch >= t0) {
            if (a.T_mult == 1) {
                s.T_cur = std::fmod(epoch, t0);
                s.T_i = a.T_0;  // torch leaves T_i as it was, which is T_0 whenever T_mult == 1
            } else {
                const double m = static_cast<double>(a.T_mult);
                // Python's math.log(x, base) is log(x) / log(base).
                const double x = rounded(epoch / t0 * (m - 1)) + 1;
                const auto n = static_cast<std::int64_t>(std::log(x) / std::log(m));  // int(): toward 0
                std::int64_t power = 1;
                for (std::int64_t k = 0; k < n; ++k) power *= a.T_mult;
                s.T_cur = epoch - static_cast<double>(a.T_0 * (power - 1)) / static_cast<double>(a.T_mult - 1);
                s.T_i = a.T_0 * power;
            }
        } else {
            s.T_i = a.T_0;
            s.T_cur = epoch;
        }
        return s;
    }

    static double lr(const Args& a, const State& s, double base_lr) {
        const double c = std::cos(pi * s.T_cur / static_cast<double>(s.T_i));
        return a.eta_min + (base_lr - a.eta_min) * (1 + c) / 2;
    }
};

// The lr after 0, 1, ..., steps-1 calls of step() on a fresh scheduler, clipped into bounds.
inline void curve_warm_restarts(const CosineAnnealingWarmRestarts::Args& a, std::int64_t steps, double base_lr,
                                double* out, const RateBounds& bounds = {}) {
    using S = CosineAnnealingWarmRestarts;
    S::validate(a);
    bounds.validate();
    S::State s = S::at_epoch(a, 0.0);
    for (std::int64_t k = 0; k < steps; ++k) {
        if (k > 0) s = S::advance(a, s);
        out[k] = bounds.clip(S::lr(a, s, base_lr));
    }
}

}  // namespace gradkit::schedules
