// RAdam (Adam with the variance of the adaptive rate rectified), optionally decoupled: torch.optim.RAdam.
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

struct RAdam {
    static constexpr const char* name = "RAdam";

    struct Hyper {
        double lr = 1e-3;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;
        bool decoupled_weight_decay = false;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
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
        std::vector<T> exp_avg, exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("exp_avg", exp_avg);
            v("exp_avg_sq", exp_avg_sq);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
        s.exp_avg_sq.assign(n, T(0));
    }

    // Length of the approximated simple moving average at `step`; rectify only when it exceeds 5.
    static double rho(double beta2, double step) {
        const double rho_inf = 2 / (1 - beta2) - 1;
        return rho_inf - 2 * step * std::pow(beta2, step) / (1 - std::pow(beta2, step));
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
        T bc1;         // 1 - beta1^t
        T lr, eps;
        T bc2_sqrt;    // sqrt(1 - beta2^t)
        T rect;        // the rectification term, when rectified
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // the weight decay mode (coupled, decoupled or none) and whether this step rectifies are chosen once per
    // step. scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Coupled, bool Decoupled, bool Rectified, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict m,
                       T* __restrict v, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            T pi = p[i];
            if constexpr (Decoupled) pi = p[i] * scaled_decay<Scaled>(k.decay, k.decay_rate, scale, i);
            T gi = k.sign * g[i];
            if constexpr (Coupled) gi = fmadd(k.wd, pi, gi);
            const T mi = lerp(m[i], gi, k.w1);
            const T vi = fmadd(k.w2 * gi, gi, v[i] * k.b2);
            m[i] = mi;
            v[i] = vi;
            const T moved = mi / k.bc1 * scaled<Scaled>(k.lr, scale, i);
            // torch evaluates sqrt(bc2) / (sqrt(v) + eps) as reciprocal(sqrt(v) + eps) * sqrt(bc2),
            // and param.add_(x, alpha=-1) as one multiply-add.
            T x = moved;
            if constexpr (Rectified) x = moved * (T(1) / (std::sqrt(vi) + k.eps) * k.bc2_sqrt) * k.rect;
            p[i] = fmadd(T(-1), x, pi);
        }
    }

    template <typename T, bool Coupled, bool Decoupled, bool Rectified, bool Scaled>
    static void run(const Coefficients<T>& c, T* p, const T* g, T* m, T* v, const T* scale, std::size_t n) {
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            kernel<T, Coupled, Decoupled, Rectified, Scaled>(c, p, g, m, v, scale, b, e);
        });
    }

    template <typename T, bool Scaled>
    static void dispatch(const Coefficients<T>& c, bool coupled, bool decoupled, bool rectified, T* p, const T* g, T* m,
                         T* v, const T* scale, std::size_t n) {
        if (rectified) {
            if (coupled)
                run<T, true, false, true, Scaled>(c, p, g, m, v, scale, n);
            else if (decoupled)
                run<T, false, true, true, Scaled>(c, p, g, m, v, scale, n);
            else
                run<T, false, false, true, Scaled>(c, p, g, m, v, scale, n);
        } else {
            if (coupled)
                run<T, true, false, false, Scaled>(c, p, g, m, v, scale, n);
            else if (decoupled)
                run<T, false, true, false, Scaled>(c, p, g, m, v, scale, n);
            else
                run<T, false, false, false, Scaled>(c, p, g, m, v, scale, n);
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        const double step = s.step, beta1 = h.betas[0], beta2 = h.betas[1];
        const double bias_correction1 = 1 - std::pow(beta1, step);
        const double bias_correction2 = 1 - std::pow(beta2, step);
        const double rho_inf = 2 / (1 - beta2) - 1;
        const double rho_t = rho(beta2, step);
        const bool rectified = rho_t > 5.0;
        const double rect =
            rectified ? std::pow((rho_t - 4) * (rho_t - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_t), 0.5) : 0.0;

        Coefficients<T> c;
        c.sign = h.maximize ? T(-1) : T(1);
        const bool decoupled = h.weight_decay != 0 && h.decoupled_weight_decay;
        const bool coupled = h.weight_decay != 0 && !h.decoupled_weight_decay;
        c.wd = static_cast<T>(h.weight_decay);
        c.decay = static_cast<T>(decoupled ? plus(1.0, -(h.lr * h.weight_decay)) : 1.0);
        c.decay_rate = T(1) - c.decay;
        c.w1 = static_cast<T>(1 - beta1);
        c.b2 = static_cast<T>(beta2);
        c.w2 = static_cast<T>(1 - beta2);
        c.bc1 = static_cast<T>(bias_correction1);
        c.lr = static_cast<T>(h.lr);
        c.eps = static_cast<T>(h.eps);
        c.bc2_sqrt = static_cast<T>(std::pow(bias_correction2, 0.5));
        c.rect = static_cast<T>(rect);
        T* m = s.exp_avg.data();
        T* v = s.exp_avg_sq.data();
        with_scaled(scale, [&](auto is_scaled) {
            dispatch<T, decltype(is_scaled)::value>(c, coupled, decoupled, rectified, p, g, m, v, scale, n);
        });
    }
};

}  // namespace gradkit::optim
