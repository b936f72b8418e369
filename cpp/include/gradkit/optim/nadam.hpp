// NAdam (Adam with Nesterov momentum and a momentum schedule), optionally NAdamW: torch.optim.NAdam.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
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

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        s.step += 1;
        const double step = s.step, beta1 = h.betas[0], beta2 = h.betas[1];
        const double bias_correction2 = 1 - std::pow(beta2, step);
        // The momentum schedule mu_t and the one-step look-ahead mu_{t+1}, as torch computes them
        // (plus() keeps each product rounded, as in Python).
        const double mu = beta1 * plus(1.0, -(0.5 * std::pow(0.96, step * h.momentum_decay)));
        const double mu_next = beta1 * plus(1.0, -(0.5 * std::pow(0.96, (step + 1) * h.momentum_decay)));
        s.mu_product *= mu;
        const double mu_product_next = s.mu_product * mu_next;
        const T grad_coef = static_cast<T>(-h.lr * plus(1.0, -mu) / plus(1.0, -s.mu_product));
        const T avg_coef = static_cast<T>((-h.lr * mu_next) / plus(1.0, -mu_product_next));

        const T sign = h.maximize ? T(-1) : T(1);
        const bool decoupled = h.weight_decay != 0 && h.decoupled_weight_decay;
        const bool coupled = h.weight_decay != 0 && !h.decoupled_weight_decay;
        const T wd = static_cast<T>(h.weight_decay);
        const T decay = static_cast<T>(decoupled ? plus(1.0, -(h.lr * h.weight_decay)) : 1.0);
        const T w1 = static_cast<T>(1 - beta1), b2 = static_cast<T>(beta2), w2 = static_cast<T>(1 - beta2);
        const T bc2 = static_cast<T>(bias_correction2), eps = static_cast<T>(h.eps);
        T* m = s.exp_avg.data();
        T* v = s.exp_avg_sq.data();
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T pi = decoupled ? p[i] * decay : p[i];
                // torch adds weight_decay * p only when weight_decay != 0 (0 * inf would be NaN).
                const T gi = coupled ? fmadd(wd, pi, sign * g[i]) : sign * g[i];
                const T mi = lerp(m[i], gi, w1);
                const T vi = fmadd(w2 * gi, gi, v[i] * b2);
                const T denom = std::sqrt(vi / bc2) + eps;
                m[i] = mi;
                v[i] = vi;
                // Two addcdiv_ calls in torch: the gradient's share, then the momentum's.
                p[i] = plus(plus(pi, grad_coef * gi / denom), avg_coef * mi / denom);
            }
        });
    }
};

}  // namespace gradkit::optim
