// PiecewiseConstantLR: absolute rates between step boundaries, as Keras' PiecewiseConstantDecay:
// values[0] while t <= boundaries[0], values[i] while boundaries[i-1] < t <= boundaries[i], and
// values.back() once t > boundaries.back(). The values replace the group's lr (they are not factors).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct PiecewiseConstantLR {
    static constexpr const char* name = "PiecewiseConstantLR";

    struct Args {
        std::vector<double> boundaries;  // steps, strictly increasing
        std::vector<double> values;      // one more than boundaries

        template <class V>
        void visit(V&& v) {
            v("boundaries", boundaries);
            v("values", values);
        }
    };

    static void validate(const Args& a) {
        if (a.values.size() != a.boundaries.size() + 1)
            optim::invalid("values must have one more entry than boundaries, got " +
                           std::to_string(a.boundaries.size()) + " boundaries and " +
                           std::to_string(a.values.size()) + " values");
        for (std::size_t i = 0; i < a.boundaries.size(); ++i) {
            if (!std::isfinite(a.boundaries[i]))
                optim::invalid("boundaries must be finite numbers, got boundaries[" + std::to_string(i) +
                               "] = " + optim::repr(a.boundaries[i]));
            if (i > 0 && !(a.boundaries[i] > a.boundaries[i - 1]))
                optim::invalid("boundaries must be strictly increasing, got boundaries[" + std::to_string(i) +
                               "] = " + optim::repr(a.boundaries[i]) + " after " + optim::repr(a.boundaries[i - 1]));
        }
        for (std::size_t i = 0; i < a.values.size(); ++i)
            if (!(a.values[i] >= 0))
                optim::invalid("values must be non-negative rates, got values[" + std::to_string(i) +
                               "] = " + optim::repr(a.values[i]));
    }

    // A pure function of t: no torch recursion to reproduce, so the step computes the closed form.
    static double next_lr(const Args& a, std::int64_t last_epoch, double base_lr, double, bool = false) {
        return closed_form(a, last_epoch, base_lr);
    }

    // The value's index is the number of boundaries strictly below t (boundaries are sorted). base_lr is
    // not used: the values are absolute.
    static double closed_form(const Args& a, std::int64_t last_epoch, double) {
        require_nonnegative_step(last_epoch);
        const double t = static_cast<double>(last_epoch);
        const auto below = std::lower_bound(a.boundaries.begin(), a.boundaries.end(), t) - a.boundaries.begin();
        return a.values[static_cast<std::size_t>(below)];
    }
};

}  // namespace gradkit::schedules
