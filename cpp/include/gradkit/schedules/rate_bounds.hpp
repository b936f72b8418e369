// RateBounds: gradkit's optional min_lr / max_lr on the lr any scheduler sets (torch has them on no
// scheduler but ReduceLROnPlateau's min_lr). A scheduler clips the lr it computes into the bounds
// before storing it, so recursive forms continue from the clipped value; the trainer does the same.
#pragma once

#include <cmath>
#include <limits>

#include "gradkit/optim/check.hpp"

namespace gradkit::schedules {

struct RateBounds {
    // An infinite bound is no bound; the defaults leave every lr as it is, bit for bit.
    double min_lr = -std::numeric_limits<double>::infinity();
    double max_lr = std::numeric_limits<double>::infinity();

    bool bounds_below() const { return min_lr != -std::numeric_limits<double>::infinity(); }
    bool bounds_above() const { return max_lr != std::numeric_limits<double>::infinity(); }

    // Bounds are rates: min_lr finite and non-negative, max_lr non-negative, min_lr <= max_lr.
    void validate() const {
        if (bounds_below() && !(min_lr >= 0 && std::isfinite(min_lr)))
            optim::invalid("min_lr must be a finite non-negative number, got " + optim::repr(min_lr));
        if (!(max_lr >= 0)) optim::invalid("max_lr must be a non-negative number, got " + optim::repr(max_lr));
        if (min_lr > max_lr)
            optim::invalid("min_lr (" + optim::repr(min_lr) + ") must not be greater than max_lr (" +
                           optim::repr(max_lr) + ")");
    }

    // Comparisons rather than std::clamp: an lr inside the bounds comes back as it is, and a NaN lr
    // (every comparison with it false) stays NaN instead of being turned into a bound.
    double clip(double lr) const {
        if (lr < min_lr) return min_lr;
        if (lr > max_lr) return max_lr;
        return lr;
    }
};

}  // namespace gradkit::schedules
