// Resilient backpropagation: per-element step sizes grown or shrunk by the gradient's sign: torch.optim.Rprop.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Rprop {
    static constexpr const char* name = "Rprop";

    struct Hyper {
        double lr = 1e-2;  // only the initial step size: torch reads it when the state is created
        std::array<double, 2> etas{0.5, 1.2};          // (etaminus, etaplus)
        std::array<double, 2> step_sizes{1e-6, 50.0};  // (min, max) step size
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("etas", etas);
            v("step_sizes", step_sizes);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_etas(h.etas);
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> prev;       // the last gradient used, zeroed where its sign flipped
        std::vector<T> step_size;  // per-element step size, starting at lr

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("prev", prev);
            v("step_size", step_size);
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.prev.assign(n, T(0));
        s.step_size.assign(n, static_cast<T>(h.lr));
    }

    // torch overwrites sign(g * prev) in place in this order: > 0 becomes etaplus, then < 0 etaminus, then
    // == 0 one. Replaying it keeps its behaviour when an eta rounds to 0 or 1 in float32. The outcome depends
    // only on the sign, so it is replayed once per step for each of -1, 0 and 1.
    template <typename T>
    static T factor_for(T sign, T etaminus, T etaplus) {
        T factor = sign;
        if (factor > T(0)) factor = etaplus;
        if (factor < T(0)) factor = etaminus;
        if (factor == T(0)) factor = T(1);
        return factor;
    }

    // Per-step constants, cast to the array's type.
    template <typename T>
    struct Coefficients {
        T sign;  // -1 when maximizing
        T etaminus;
        T factor_neg, factor_zero, factor_pos;  // factor_for(-1), factor_for(0), factor_for(1)
        T lo, hi;                               // step size bounds
    };

    // One fused pass over [b, e). A free function with __restrict pointers, and with selects for branches
    // and no floating-point arithmetic under a condition (GCC would not if-convert it), so that it vectorises.
    // scale holds per-element multipliers of the applied step when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict prev,
                       T* __restrict size, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = k.sign * g[i];
            const int s = isgn(gi * prev[i]);  // sgn(gi * prev[i]), compared as an int
            const T factor = s > 0 ? k.factor_pos : (s < 0 ? k.factor_neg : k.factor_zero);
            const T si = clamp(size[i] * factor, k.lo, k.hi);
            // Where the sign flipped, the gradient counts as 0: no move now, no flip test next step.
            const bool flipped = factor == k.etaminus;
            const T gk = flipped ? T(0) : gi;
            size[i] = si;
            // param.addcmul_(sign(gk), step_size, value=-1). sgn(gk) is sgn(gi), or 0 where flipped: masked as
            // an int, since GCC would move a conversion or comparison under the condition of a select.
            const T sk = static_cast<T>(isgn(gi) & -static_cast<int>(!flipped));
            p[i] = fmadd(-sk, scaled<Scaled>(si, scale, i), p[i]);
            prev[i] = gk;
        }
    }

    // scale: per-element multipliers of the step applied, step_size[i] * scale[i], or null for none. Rprop's
    // lr is only the initial step size; the step sizes kept (and their bounds) stay unscaled.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        Coefficients<T> c;
        c.sign = h.maximize ? T(-1) : T(1);
        c.etaminus = static_cast<T>(h.etas[0]);
        const T etaplus = static_cast<T>(h.etas[1]);
        c.factor_neg = factor_for(T(-1), c.etaminus, etaplus);
        c.factor_zero = factor_for(T(0), c.etaminus, etaplus);
        c.factor_pos = factor_for(T(1), c.etaminus, etaplus);
        c.lo = static_cast<T>(h.step_sizes[0]);
        c.hi = static_cast<T>(h.step_sizes[1]);
        T* prev = s.prev.data();
        T* size = s.step_size.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, prev, size, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
