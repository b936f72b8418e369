// PolynomialLR: base_lr * (1 - t / total_iters) ** power, as torch.optim.lr_scheduler.PolynomialLR.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstdint>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct PolynomialLR {
    static constexpr const char* name = "PolynomialLR";

    struct Args {
        std::int64_t total_iters = 5;
        double power = 1.0;

        template <class V>
        void visit(V&& v) {
            v("total_iters", total_iters);
            v("power", power);
        }
    };

    static void validate(const Args&) {}  // torch checks nothing

    // Python's float ** float where it raises instead of returning a number.
    static double py_pow(double base, double power) {
        if (base == 0.0 && power < 0) throw zero_division("0.0 cannot be raised to a negative power");
        if (base < 0 && std::isfinite(power) && power != std::floor(power))
            throw std::domain_error("PolynomialLR: a negative number to a fractional power is complex");
        return std::pow(base, power);
    }

    // torch's recursion: the ratio of consecutive closed-form factors, applied to the current lr.
    static double next_lr(const Args& a, std::int64_t last_epoch, double, double lr, bool initial = false) {
        if (initial || last_epoch > a.total_iters) return lr;
        if (a.total_iters == 0) throw zero_division("division by zero");
        const double t = static_cast<double>(a.total_iters);
        const double ratio = py_div(1.0 - static_cast<double>(last_epoch) / t,
                                    1.0 - static_cast<double>(last_epoch - 1) / t);
        return lr * py_pow(ratio, a.power);
    }

    static double closed_form(const Args& a, std::int64_t last_epoch, double base_lr) {
        if (a.total_iters == 0) throw zero_division("division by zero");
        const double done = static_cast<double>(std::min(a.total_iters, last_epoch));
        return base_lr * py_pow(1.0 - done / static_cast<double>(a.total_iters), a.power);
    }
};

}  // namespace gradkit::schedules
