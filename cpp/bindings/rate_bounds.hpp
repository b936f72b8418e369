// Conversion of Python's min_lr / max_lr (a float or None) to schedules::RateBounds, for the binding files.
#pragma once

#include <optional>

#include "gradkit/schedules/rate_bounds.hpp"

namespace gradkit::bindings {

// None is no bound; the bounds are checked (ValueError with RateBounds' message).
inline schedules::RateBounds rate_bounds(std::optional<double> min_lr, std::optional<double> max_lr) {
    schedules::RateBounds b;
    if (min_lr) b.min_lr = *min_lr;
    if (max_lr) b.max_lr = *max_lr;
    b.validate();
    return b;
}

}  // namespace gradkit::bindings
