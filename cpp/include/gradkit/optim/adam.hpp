// Adam and AdamW (decoupled weight decay), with AMSGrad: torch.optim.Adam / torch.optim.AdamW.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Adam {
    static constexpr const char* name = "Adam";

    struct Hyper {
        double lr = 1e-3;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;
        bool amsgrad = false;
        bool maximize = false;
        bool decoupled_weight_decay = false;  // true: AdamW

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("amsgrad", amsgrad);
            v("maximize", maximize);
            v("decoupled_weight_decay", decoupled_weight_decay);
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
        std::vector<T> exp_avg, exp_avg_sq, max_exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("exp_avg", exp_avg);
            v("exp_avg_sq", exp_avg_sq);
            v("max_exp_avg_sq", max_exp_avg_sq);  // empty unless amsgrad
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
        s.exp_avg_sq.assign(n, T(0));
        if (h.amsgrad) s.max_exp_avg_sq.assign(n, T(0));
    }

    // Per-step constants, computed once in double and cast to the array's type.
    template <typename T>
    struct Coefficients {
        T decay;         // decoupled decay: p *= 1 - lr*wd (1 otherwise)
        T decay_rate;    // 1 - decay, for per-element rates
        T wd;            // coupled decay: g += wd*p (0 otherwise)
        T sign;          // -1 when maximizing
        T one_minus_b1;  // m lerps toward g by 1 - beta1
        T b2, one_minus_b2;
        T step_size;     // lr / (1 - beta1^t)
        // 1 / sqrt(1 - beta2^t): v is bias-corrected before eps is added, as in torch. torch divides;
        // multiplying by the reciprocal saves a division per element (within 1 ulp of torch's value).
        T inv_bc2_sqrt;
        T eps;
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Amsgrad, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict m,
                       T* __restrict v, T* __restrict vmax, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T pi = p[i] * scaled_decay<Scaled>(k.decay, k.decay_rate, scale, i);
            const T gi = coupled_decay(k.sign * g[i], k.wd, pi);
            // torch's exp_avg.lerp_(grad, 1 - beta1), whose formula switches at weight 0.5 (pointwise.hpp).
            // m + (1 - beta1)(g - m) is torch's number only for beta1 > 0.5: for beta1 <= 0.5 it was an ulp
            // off in ~40% of elements, which the 120-step fixtures, at 1e-7 relative, cannot see.
            const T mi = lerp(m[i], gi, k.one_minus_b1);
            const T vi = v[i] * k.b2 + k.one_minus_b2 * gi * gi;
            m[i] = mi;
            v[i] = vi;
            T denom_v = vi;
            if constexpr (Amsgrad) {
                denom_v = vmax[i] < vi ? vi : vmax[i];
                vmax[i] = denom_v;
            }
            // torch's param.addcdiv_(exp_avg, denom, value=-step_size): one multiply-add onto the decayed
            // parameter, written out so that the compiler fuses the same operations with or without Scaled.
            p[i] = fmadd(-scaled<Scaled>(k.step_size, scale, i), mi / (std::sqrt(denom_v) * k.inv_bc2_sqrt + k.eps), pi);
        }
    }

    template <typename T, bool Amsgrad, bool Scaled>
    static void run(const Coefficients<T>& c, T* p, const T* g, T* m, T* v, T* vmax, const T* scale, std::size_t n) {
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            kernel<T, Amsgrad, Scaled>(c, p, g, m, v, vmax, scale, b, e);
        });
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        const double beta1 = h.betas[0], beta2 = h.betas[1];
        const bool decoupled = h.decoupled_weight_decay;
        Coefficients<T> c;
        c.decay = static_cast<T>(decoupled ? 1 - h.lr * h.weight_decay : 1.0);
        c.decay_rate = T(1) - c.decay;
        c.wd = decoupled ? T(0) : static_cast<T>(h.weight_decay);
        c.sign = h.maximize ? T(-1) : T(1);
        c.one_minus_b1 = static_cast<T>(1 - beta1);
        c.b2 = static_cast<T>(beta2);
        c.one_minus_b2 = static_cast<T>(1 - beta2);
        c.step_size = static_cast<T>(h.lr / (1 - std::pow(beta1, s.step)));
        c.inv_bc2_sqrt = static_cast<T>(1.0 / std::sqrt(1 - std::pow(beta2, s.step)));
        c.eps = static_cast<T>(h.eps);
        if (h.amsgrad && s.max_exp_avg_sq.size() != n) s.max_exp_avg_sq.assign(n, T(0));
        T* m = s.exp_avg.data();
        T* v = s.exp_avg_sq.data();
        T* vmax = s.max_exp_avg_sq.data();
        with_scaled(scale, [&](auto is_scaled) {
            constexpr bool Scaled = decltype(is_scaled)::value;
            if (h.amsgrad)
                run<T, true, Scaled>(c, p, g, m, v, vmax, scale, n);
            else
                run<T, false, Scaled>(c, p, g, m, v, vmax, scale, n);
        });
    }
};

}  // namespace gradkit::optim
