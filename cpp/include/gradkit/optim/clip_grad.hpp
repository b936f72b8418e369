// Gradient clipping by total norm or by value, in place: torch.nn.utils.clip_grad_norm_ / clip_grad_value_.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>

#include "gradkit/optim/array_ref.hpp"

namespace gradkit::optim {

// The norm of one array: sum(|g|^p)^(1/p); p = inf gives max |g|, p = 0 the count of non-zeros.
template <typename T>
double array_norm(ArrayRef<const T> g, double p) {
    const T* x = g.data;
    const std::size_t n = g.size;
    if (std::isinf(p)) {
        double m = p > 0 ? 0.0 : std::numeric_limits<double>::infinity();
        for (std::size_t i = 0; i < n; ++i) {
            const double a = std::abs(static_cast<double>(x[i]));
            m = p > 0 ? std::max(m, a) : std::min(m, a);
        }
        return m;
    }
    double s = 0.0;
    if (p == 0.0) {
        for (std::size_t i = 0; i < n; ++i) s += x[i] != T(0);
        return s;
    }
    if (p == 2.0) {
        for (std::size_t i = 0; i < n; ++i) s += static_cast<double>(x[i]) * static_cast<double>(x[i]);
        return std::sqrt(s);
    }
    if (p == 1.0) {
        for (std::size_t i = 0; i < n; ++i) s += std::abs(static_cast<double>(x[i]));
        return s;
    }
    for (std::size_t i = 0; i < n; ++i) s += std::pow(std::abs(static_cast<double>(x[i])), p);
    return std::pow(s, 1.0 / p);
}

// Combines per-array norms into the norm of their concatenation (torch: the norm of the norms).
inline double combine_norms(const double* norms, std::size_t count, double p) {
    ArrayRef<const double> all{norms, count};
    if (p == 0.0) {
        double s = 0.0;
        for (std::size_t i = 0; i < count; ++i) s += norms[i];
        return s;
    }
    return array_norm<double>(all, p);
}

// torch's factor: max_norm / (total + 1e-6), never above 1.
inline double clip_coefficient(double total_norm, double max_norm) {
    return std::min(max_norm / (total_norm + 1e-6), 1.0);
}

template <typename T>
void scale_in_place(ArrayRef<T> g, double factor) {
    const T f = static_cast<T>(factor);
    for (std::size_t i = 0; i < g.size; ++i) g.data[i] *= f;
}

// torch's clamp_min_(-clip_value) then clamp_max_(clip_value), which propagate a NaN bound: a NaN
// clip_value makes every element NaN (std::max/std::min would keep the gradient instead).
template <typename T>
void clamp_in_place(ArrayRef<T> g, double clip_value) {
    if (std::isnan(clip_value)) {
        std::fill(g.data, g.data + g.size, std::numeric_limits<T>::quiet_NaN());
        return;
    }
    const T hi = static_cast<T>(clip_value), lo = -hi;
    for (std::size_t i = 0; i < g.size; ++i) g.data[i] = std::min(std::max(g.data[i], lo), hi);
}

}  // namespace gradkit::optim
