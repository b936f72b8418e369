// NAdam (Adam with Nesterov momentum and a momentum schedule), optionally NAdamW: torch.optim.NAdam.
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

struct NAdam {
    static constexpr const char* name = "NAdam";

    struct Hyper {
        double lr = 2e-3;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;
        double momentum_decay = 4e-3;
        bool decoupled_weight_decay = false;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("momentum_decay", momentum_decay);
            v("decoupled_weight_decay", decoupled_weight_decay);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.eps, "epsilon value");
        require_betas(h.betas);
        require_nonnegative(h.weight_decay, "weight_decay value");
        require_nonnegative(h.momentum_decay, "momentum_decay value");
    }

    template <typename T>
    struct State {
        double step = 0;
        double mu_product = 1;  // product of the momentum schedule mu_1 ... mu_t
        std::vector<T> exp_avg, exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("mu_product", mu_product);
            v("exp_avg", exp_avg);
            v("exp_avg_sq", exp_avg_sq);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
        s.exp_avg_sq.assign(n, T(0));
    }

    // Per-step constants, computed once in double and cast to the array's type.
    template <typename T>
    struct Coefficients {
        T sign;        // -1 when maximizing
        T wd;          // coupled decay: g += wd*p
        T decay;       // decoupled decay: p *= 1 - lr*wd
        T decay_rate;  // 1 - decay, for per-element rates
        T w1;          // exp_avg.lerp_(grad, 1 - beta1)
        T b2, w2;      // beta2, 1 - beta2
        T bc2;         // 1 - beta2^t
        T eps;
        T grad_coef;   // -lr (1 - mu_t) / (1 - mu_1...mu_t)
        T avg_coef;    // -lr mu_{t+1} / (1 - mu_1...mu_{t+1})
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // the weight decay mode (coupled, decoupled or none) is chosen once per step. scale holds per-element
    // lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Coupled, bool Decoupled, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict m,
                       T* __restrict v, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            T pi = p[i];
            if constexpr (Decoupled) pi = p[i] * scaled_decay<Scaled>(k.decay, k.decay_rate, scale, i);
            T gi = k.sign * g[i];
            // torch adds weight_decay * p only when weight_decay != 0 (0 * inf would be NaN).
            if constexpr (Coupled) gi = fmadd(k.wd, pi, gi);
            const T mi = lerp(m[i], gi, k.w1);
            const T vi = fmadd(k.w2 * gi, gi, v[i] * k.b2);
            const T denom = std::sqrt(vi / k.bc2) + k.eps;
            m[i] = mi;
            v[i] = vi;
            // Two addcdiv_ calls in torch: the gradient's share, then the momentum's.
            const T grad_coef = scaled<Scaled>(k.grad_coef, scale, i);
            const T avg_coef = scaled<Scaled>(k.avg_coef, scale, i);
            p[i] = plus(plus(pi, grad_coef * gi / denom), avg_coef * mi / denom);
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        const double step = s.step, beta1 = h.betas[0], beta2 = h.betas[1];
        const double bias_correction2 = 1 - std::pow(beta2, step);
        // The momentum schedule mu_t and the one-step look-ahead mu_{t+1}, as torch computes them
        // (plus() keeps each product rounded, as in Python).
        const double mu = beta1 * plus(1.0, -(0.5 * std::pow(0.96, step * h.momentum_decay)));
        const double mu_next = beta1 * plus(1.0, -(0.5 * std::pow(0.96, (step + 1) * h.momentum_decay)));
        s.mu_product *= mu;
        const double mu_product_next = s.mu_product * mu_next;
        Coefficients<T> c;
        c.grad_coef = static_cast<T>(-h.lr * plus(1.0, -mu) / plus(1.0, -s.mu_product));
        c.avg_coef = static_cast<T>((-h.lr * mu_next) / plus(1.0, -mu_product_next));

        c.sign = h.maximize ? T(-1) : T(1);
        const bool decoupled = h.weight_decay != 0 && h.decoupled_weight_decay;
        const bool coupled = h.weight_decay != 0 && !h.decoupled_weight_decay;
        c.wd = static_cast<T>(h.weight_decay);
        c.decay = static_cast<T>(decoupled ? plus(1.0, -(h.lr * h.weight_decay)) : 1.0);
        c.decay_rate = T(1) - c.decay;
        c.w1 = static_cast<T>(1 - beta1);
        c.b2 = static_cast<T>(beta2);
        c.w2 = static_cast<T>(1 - beta2);
        c.bc2 = static_cast<T>(bias_correction2);
        c.eps = static_cast<T>(h.eps);
        T* m = s.exp_avg.data();
        T* v = s.exp_avg_sq.data();
        with_scaled(scale, [&](auto is_scaled) {
            dispatch<T, decltype(is_scaled)::value>(c, coupled, decoupled, p, g, m, v, scale, n);
        });
    }

    template <typename T, bool Scaled>
    static void dispatch(const Coefficients<T>& c, bool coupled, bool decoupled, T* p, const T* g, T* m, T* v,
                         const T* scale, std::size_t n) {
        if (coupled)
            run<T, true, false, Scaled>(c, p, g, m, v, scale, n);
        else if (decoupled)
            run<T, false, true, Scaled>(c, p, g, m, v, scale, n);
        else
            run<T, false, false, Scaled>(c, p, g, m, v, scale, n);
    }

    template <typename T, bool Coupled, bool Decoupled, bool Scaled>
    static void run(const Coefficients<T>& c, T* p, const T* g, T* m, T* v, const T* scale, std::size_t n) {
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            kernel<T, Coupled, Decoupled, Scaled>(c, p, g, m, v, scale, b, e);
        });
    }
};

}  // namespace gradkit::optim
