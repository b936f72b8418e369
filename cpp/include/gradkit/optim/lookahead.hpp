// Lookahead (Zhang et al. 2019, "Lookahead Optimizer: k steps forward, 1 step back"): the arithmetic of
// the wrapper gradkit.optim.Lookahead, which runs any inner optimizer and holds the step counter. Every k
// inner steps the slow weights move toward the fast ones (the parameters) and the fast ones restart there:
//   slow <- slow + alpha (fast - slow);  fast <- slow
// computed as the reference, torch-optimizer 0.3.0's lookahead.py, computes it:
//   fast.mul_(alpha).add_(slow, alpha=1-alpha);  slow.copy_(fast)
// and, for eval() / train(), the exchange of the two points in place.
#pragma once

#include <cstddef>
#include <cstdint>
#include <string>
#include <utility>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Lookahead {
    static constexpr const char* name = "Lookahead";

    // The reference's messages. It refuses only k < 0 and alpha < 0: k = 0 fails at its first step
    // (counter % 0), and alpha > 1 or NaN extrapolates past the fast weights, which the paper's alpha in
    // (0, 1] excludes.
    static void validate(std::int64_t k, double alpha) {
        if (k < 1) invalid("Invalid number of lookahead steps: " + std::to_string(k));
        if (!(0.0 <= alpha && alpha <= 1.0)) invalid("Invalid linear interpolation factor: " + repr(alpha));
    }

    // fast <- alpha fast + (1 - alpha) slow;  slow <- fast. The product alpha fast is rounded (torch's mul_),
    // then one multiply-add (torch's add with alpha); the product passed to fmadd as its addend stays rounded.
    template <typename T>
    static void sync(T* __restrict fast, T* __restrict slow, std::size_t n, double alpha) {
        const T a = static_cast<T>(alpha), one_minus_a = static_cast<T>(1.0 - alpha);
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T f = fmadd(one_minus_a, slow[i], fast[i] * a);
                fast[i] = f;
                slow[i] = f;
            }
        });
    }

    // Exchanges the two points in place (eval(): the parameters take the slow weights; train(): back).
    template <typename T>
    static void swap(T* __restrict a, T* __restrict b, std::size_t n) {
        parallel_chunks(n, [=](std::size_t begin, std::size_t end) {
            for (std::size_t i = begin; i < end; ++i) std::swap(a[i], b[i]);
        });
    }
};

}  // namespace gradkit::optim
