// Adamax (Adam with an infinity-norm denominator), with weight decay: torch.optim.Adamax.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Adamax {
    static constexpr const char* name = "Adamax";

    struct Hyper {
        double lr = 2e-3;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.eps, "epsilon value");
        require_betas(h.betas);
        require_nonnegative(h.weight_decay, "weight_decay value");
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> exp_avg, exp_inf;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("exp_avg", exp_avg);
            v("exp_inf", exp_inf);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
        s.exp_inf.assign(n, T(0));
    }

    // Per-step constants, computed once in double and cast to the array's type.
    template <typename T>
    struct Coefficients {
        T sign;  // -1 when maximizing
        T wd;
        T w;     // exp_avg.lerp_(grad, 1 - beta1)
        T b2;
        T eps;
        T clr;   // lr / (1 - beta1^t)
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict m,
                       T* __restrict u, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = coupled_decay(k.sign * g[i], k.wd, p[i]);
            const T mi = lerp(m[i], gi, k.w);
            // eps is added to |g| inside the max, not to the denominator.
            const T ui = maximum(u[i] * k.b2, std::abs(gi) + k.eps);
            m[i] = mi;
            u[i] = ui;
            p[i] -= scaled<Scaled>(k.clr, scale, i) * mi / ui;
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        const double beta1 = h.betas[0];
        Coefficients<T> c;
        // Only the first moment is bias-corrected; the max norm needs none.
        c.clr = static_cast<T>(h.lr / (1 - std::pow(beta1, s.step)));
        c.w = static_cast<T>(1 - beta1);
        c.b2 = static_cast<T>(h.betas[1]);
        c.eps = static_cast<T>(h.eps);
        c.wd = static_cast<T>(h.weight_decay);
        c.sign = h.maximize ? T(-1) : T(1);
        T* m = s.exp_avg.data();
        T* u = s.exp_inf.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, m, u, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
