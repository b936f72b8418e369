// OneCycleLR, CyclicLR and CosineAnnealingWarmRestarts as ScheduleRate schedules (the estimators'
// lr_schedule=). Their formulas are the schedules' own (schedules/one_cycle_lr.hpp, cyclic_lr.hpp,
// cosine_annealing_warm_restarts.hpp). For warm restarts the adapter gives torch's recursive state
// after any number of steps; for the other two it adds the
// per-group levels torch keeps (initial/max/min lr, base/max lr) as Args, so that next_lr is a function
// of the step count alone. Both ignore base_lr (the estimator's learning_rate_init), as torch's
// constructors overwrite the group's lr. With cycle_momentum they also give the momentum (or beta1)
// of each step, which ScheduleRate hands to the step rule; without it, momentum() is NaN (left alone).
#pragma once

#include <cstdint>
#include <limits>
#include <stdexcept>

#include "gradkit/schedules/cosine_annealing_warm_restarts.hpp"
#include "gradkit/schedules/cyclic_lr.hpp"
#include "gradkit/schedules/one_cycle_lr.hpp"

namespace gradkit::train {

// cycle_momentum and the levels it moves the momentum between, by torch's names (unused without it).
struct MomentumCycle {
    bool cycle_momentum = false;
    double base_momentum = 0.0;
    double max_momentum = 0.0;

    template <class V>
    void visit(V&& v) {
        v("cycle_momentum", cycle_momentum);
        v("base_momentum", base_momentum);
        v("max_momentum", max_momentum);
    }
};

struct OneCycleRate {
    static constexpr const char* name = schedules::OneCycleLR::name;

    struct Args {
        schedules::OneCycleLR::Args cycle;
        double max_lr = 0.1;
        double div_factor = 25.0;
        double final_div_factor = 1e4;
        MomentumCycle momentum{false, 0.85, 0.95};

        template <class V>
        void visit(V&& v) {
            cycle.visit(v);
            v("max_lr", max_lr);
            v("div_factor", div_factor);
            v("final_div_factor", final_div_factor);
            momentum.visit(v);
        }
    };

    static void validate(const Args& a) {
        schedules::OneCycleLR::validate(a.cycle);
        (void)schedules::OneCycleLR::levels(a.max_lr, a.div_factor, a.final_div_factor);  // Python's ZeroDivisionError
    }

    // Throws torch's ValueError message past total_steps.
    static double next_lr(const Args& a, std::int64_t last_epoch, double, double, bool) {
        const auto l = schedules::OneCycleLR::levels(a.max_lr, a.div_factor, a.final_div_factor);
        return schedules::OneCycleLR::lr(a.cycle, last_epoch, l.initial_lr, l.max_lr, l.min_lr);
    }

    // The momentum after `last_epoch` steps (max_momentum -> base_momentum -> max_momentum), NaN
    // without cycle_momentum.
    static double momentum(const Args& a, std::int64_t last_epoch) {
        const MomentumCycle& m = a.momentum;
        if (!m.cycle_momentum) return std::numeric_limits<double>::quiet_NaN();
        return schedules::OneCycleLR::momentum(a.cycle, last_epoch, m.base_momentum, m.max_momentum);
    }
};

struct CyclicRate {
    static constexpr const char* name = schedules::CyclicLR::name;

    struct Args {
        schedules::CyclicLR::Args cycle;
        double base_lr = 0.001;
        double max_lr = 0.006;
        MomentumCycle momentum{false, 0.8, 0.9};

        template <class V>
        void visit(V&& v) {
            cycle.visit(v);
            v("base_lr", base_lr);
            v("max_lr", max_lr);
            momentum.visit(v);
        }
    };

    // A custom scale_fn is a Python callable, evaluated per step: the trainer runs without the GIL.
    static void validate(const Args& a) {
        schedules::CyclicLR::validate(a.cycle);
        if (a.cycle.mode == schedules::CyclicLR::custom)
            throw std::invalid_argument("CyclicLR: a custom scale_fn cannot drive the trainer; use a built-in mode");
    }

    static double next_lr(const Args& a, std::int64_t last_epoch, double, double, bool) {
        const auto p = schedules::CyclicLR::position(a.cycle, last_epoch);
        return schedules::CyclicLR::lr(a.base_lr, a.max_lr, p.scale_factor,
                                       schedules::CyclicLR::builtin_scale_at(a.cycle, p, last_epoch));
    }

    // The momentum after `last_epoch` steps (it falls as the lr rises), NaN without cycle_momentum.
    static double momentum(const Args& a, std::int64_t last_epoch) {
        const MomentumCycle& m = a.momentum;
        if (!m.cycle_momentum) return std::numeric_limits<double>::quiet_NaN();
        const auto p = schedules::CyclicLR::position(a.cycle, last_epoch);
        return schedules::CyclicLR::momentum(m.base_momentum, m.max_momentum, p.scale_factor,
                                             schedules::CyclicLR::builtin_scale_at(a.cycle, p, last_epoch));
    }
};

struct WarmRestartsRate {
    using S = schedules::CosineAnnealingWarmRestarts;
    static constexpr const char* name = S::name;
    using Args = S::Args;

    static void validate(const Args& a) { S::validate(a); }

    // (T_cur, T_i) after `steps` calls of torch's step(): each restart subtracts the finished cycle's
    // length and multiplies it by T_mult. The counts are whole numbers, so this is exactly where the
    // recursion (S::advance, T_cur += 1 per call) arrives, in O(number of restarts).
    static S::State state_after(const Args& a, std::int64_t steps) {
        S::State s;
        s.T_i = a.T_0;
        std::int64_t left = steps;
        if (a.T_mult == 1) {
            left %= a.T_0;
        } else {
            while (left >= s.T_i) {
                left -= s.T_i;
                s.T_i *= a.T_mult;
            }
        }
        s.T_cur = static_cast<double>(left);
        return s;
    }

    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool) {
        return S::lr(a, state_after(a, last_epoch), base_lr);
    }
};

}  // namespace gradkit::train
