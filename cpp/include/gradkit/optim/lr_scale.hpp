// Per-element learning-rate multipliers ("lr scale"): element i of a parameter steps with lr * scale[i].
//
// A param group may give each parameter an array of multipliers, one per element (null: none). Every
// optimizer's fused kernel takes it as `const T* __restrict scale` with a template bool `Scaled`, and
// multiplies by scale[i] each coefficient that its lr enters. With Scaled false the scale is never read:
// the loop is the unscaled one, with the same numbers bit for bit. With every multiplier 1 the scaled
// loop gives those numbers too (a product by 1 is exact, and decay factors are rebuilt exactly, below).
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <type_traits>

#include "gradkit/optim/check.hpp"

namespace gradkit::optim {

// Calls f(std::true_type{}) when there are multipliers (scale not null), else f(std::false_type{}): the
// one runtime test per step, turned into the compile-time `Scaled` a kernel takes as
// decltype(is_scaled)::value. The kernels stay separate functions with __restrict pointers, so each
// instantiation vectorises as before; only the branch that picks one is written once.
//   with_scaled(scale, [&](auto is_scaled) {
//       parallel_chunks(n, [=](std::size_t b, std::size_t e) {
//           kernel<T, decltype(is_scaled)::value>(c, p, g, scale, b, e);
//       });
//   });
template <typename T, class F>
inline void with_scaled(const T* scale, F&& f) {
    if (scale)
        f(std::true_type{});
    else
        f(std::false_type{});
}

// The coefficient `coef`, which is proportional to lr, for element i.
template <bool Scaled, typename T>
inline T scaled(T coef, const T* scale, std::size_t i) {
    if constexpr (Scaled)
        return coef * scale[i];
    else
        return coef;
}

// A decay factor decay = 1 - lr * rate_per_lr for element i: 1 - (lr * rate_per_lr) * scale[i].
// `one_minus_decay` is 1 - decay computed in T, which is exact for decay in [0.5, 2] (Sterbenz), so
// 1 - one_minus_decay * 1 is decay again, exactly; a factor recomputed from lr in double would not be.
template <bool Scaled, typename T>
inline T scaled_decay(T decay, T one_minus_decay, const T* scale, std::size_t i) {
    if constexpr (Scaled)
        return T(1) - one_minus_decay * scale[i];
    else
        return decay;
}

// Multipliers are checked once, when a group is given them: finite and not negative, as an lr must be.
// `name` says which array it is (e.g. "lr_scale[3]").
template <typename T>
void require_valid_lr_scale(const T* scale, std::size_t n, const std::string& name) {
    for (std::size_t i = 0; i < n; ++i) {
        if (!(std::isfinite(scale[i]) && scale[i] >= T(0)))
            invalid(name + ": learning-rate multipliers must be finite and >= 0, got " +
                    repr(static_cast<double>(scale[i])) + " at flat index " + std::to_string(i));
    }
}

}  // namespace gradkit::optim
