// Lion (EvoLved Sign Momentum, Chen et al. 2023): the sign of an interpolation of the momentum and the
// gradient is the step, with decoupled weight decay. The numbers are those of the reference
// implementation (google/automl lion/lion_pytorch.py, as packaged by lion-pytorch 0.2.5):
//   p *= 1 - lr * wd;  p -= lr * sign(beta1 m + (1 - beta1) g);  m = beta2 m + (1 - beta2) g
#pragma once

#include <array>
#include <cstddef>
#include <string>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Lion {
    static constexpr const char* name = "Lion";

    struct Hyper {
        double lr = 1e-4;
        std::array<double, 2> betas{0.9, 0.99};
        double weight_decay = 0.0;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("weight_decay", weight_decay);
        }
    };

    // The reference asserts lr > 0 and 0 <= beta <= 1; lr = 0 is allowed here, as by every torch
    // optimizer, so that a schedule may bring the rate down to zero.
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        for (int i = 0; i < 2; ++i)
            if (!(0.0 <= h.betas[i] && h.betas[i] <= 1.0))
                invalid("Invalid beta parameter at index " + std::to_string(i) + ": " + repr(h.betas[i]));
        require_nonnegative(h.weight_decay, "weight_decay value");
    }

    template <typename T>
    struct State {
        std::vector<T> exp_avg;

        template <class V>
        void visit(V&& v) {
            v("exp_avg", exp_avg);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
    }

    // Per-step constants, computed once in double (as the reference's Python scalars) and cast to T.
    template <typename T>
    struct Coefficients {
        T decay;       // 1 - lr * wd
        T decay_rate;  // lr * wd, for per-element rates
        T lr;
        T b1, one_minus_b1;
        T b2, one_minus_b2;
    };

    // One fused pass over [b, e). The reference's `m * beta1 + (1 - beta1) g` and
    // `m * beta2 + (1 - beta2) g` are torch's add with alpha: the product m * beta rounded, then one
    // multiply-add. The sign must come out as the reference's, so the rounding has to be the same.
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict m,
                       const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = g[i];
            const T mi = m[i];
            const T pi = p[i] * scaled_decay<Scaled>(k.decay, k.decay_rate, scale, i);
            const T direction = fmadd(k.one_minus_b1, gi, mi * k.b1);
            // Two roundings, as the reference's two in-place ops: plus() keeps GCC from fusing the decay's
            // product into this subtraction.
            p[i] = plus(pi, -scaled<Scaled>(k.lr, scale, i) * sgn(direction));
            m[i] = fmadd(k.one_minus_b2, gi, mi * k.b2);
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        Coefficients<T> c;
        c.decay = static_cast<T>(1.0 - h.lr * h.weight_decay);
        c.decay_rate = static_cast<T>(1) - c.decay;
        c.lr = static_cast<T>(h.lr);
        c.b1 = static_cast<T>(h.betas[0]);
        c.one_minus_b1 = static_cast<T>(1.0 - h.betas[0]);
        c.b2 = static_cast<T>(h.betas[1]);
        c.one_minus_b2 = static_cast<T>(1.0 - h.betas[1]);
        T* m = s.exp_avg.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, m, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
