// RandomLR: per-element learning-rate multipliers drawn uniformly from [low, high], redrawn every
// resample_every steps (the multipliers go to the optimizer's per-element rates, optim/lr_scale.hpp).
//
// The draw is counter-based: element i of array `stream` in draw number `draw` is a hash of
// (seed, draw, stream, i), so any element can be computed alone. The numbers therefore do not depend on
// how the loop is split between threads, and a resumed run redraws exactly what it had.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/parallel.hpp"
#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

namespace random_detail {

inline constexpr std::uint64_t kGolden = 0x9e3779b97f4a7c15ULL;  // 2^64 / golden ratio: splitmix64's increment

// splitmix64's output function: a bijective 64-bit mix in which every input bit reaches every output bit.
inline std::uint64_t mix64(std::uint64_t z) {
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

// The key of one array in one draw. Each component is mixed before the next joins, so that neighbouring
// seeds, draws and streams give unrelated keys.
inline std::uint64_t key(std::uint64_t seed, std::uint64_t draw, std::uint64_t stream) {
    std::uint64_t k = mix64(seed + kGolden);
    k = mix64(k ^ mix64(draw + 2 * kGolden));
    return mix64(k ^ mix64(stream + 3 * kGolden));
}

// out[i] = low + width * u_i, u_i in [0, 1) with 53 random bits: the splitmix64 sequence started at `key`,
// element i read directly. Computed in double, capped at high, then rounded to T.
template <typename T>
void fill_uniform(std::uint64_t k, double low, double width, double high, T* __restrict out, std::size_t b,
                  std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
        const std::uint64_t bits = mix64(k + (static_cast<std::uint64_t>(i) + 1) * kGolden);
        const double u = static_cast<double>(bits >> 11) * 0x1.0p-53;
        out[i] = static_cast<T>(std::min(low + width * u, high));
    }
}

}  // namespace random_detail

struct RandomLR {
    static constexpr const char* name = "RandomLR";

    struct Args {
        double low = 0.0;
        double high = 1.0;
        std::int64_t resample_every = 1;

        template <class V>
        void visit(V&& v) {
            v("low", low);
            v("high", high);
            v("resample_every", resample_every);
        }
    };

    static void validate(const Args& a) {
        using optim::invalid;
        using optim::repr;
        if (!(std::isfinite(a.low) && a.low >= 0.0))
            invalid("Invalid low: " + repr(a.low) + " (multipliers must be finite and >= 0)");
        if (!std::isfinite(a.high)) invalid("Invalid high: " + repr(a.high) + " (multipliers must be finite)");
        if (!(a.low <= a.high)) invalid("Invalid low, high: " + repr(a.low) + ", " + repr(a.high) + " (need low <= high)");
        if (a.resample_every < 1)
            invalid("Invalid resample_every: " + std::to_string(a.resample_every) + " (must be at least 1)");
    }

    // The draw in effect after `last_epoch` steps: draws change at multiples of resample_every.
    static std::int64_t draw_index(const Args& a, std::int64_t last_epoch) {
        return floor_div(last_epoch, a.resample_every);
    }

    // Fills out[0, n) with draw number `draw` of array number `stream` (e.g. the parameter's index).
    template <typename T>
    static void draw(const Args& a, std::uint64_t seed, std::int64_t draw, std::uint64_t stream, T* out, std::size_t n) {
        validate(a);
        const std::uint64_t k = random_detail::key(seed, static_cast<std::uint64_t>(draw), stream);
        const double low = a.low, width = a.high - a.low, high = a.high;
        parallel_chunks(n, [=](std::size_t b, std::size_t e) { random_detail::fill_uniform<T>(k, low, width, high, out, b, e); });
    }
};

}  // namespace gradkit::schedules
