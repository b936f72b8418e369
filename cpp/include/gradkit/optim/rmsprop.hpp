// RMSprop, optionally centered and with momentum, with weight decay: torch.optim.RMSprop.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct RMSprop {
    static constexpr const char* name = "RMSprop";

    struct Hyper {
        double lr = 1e-2;
        double momentum = 0.0;
        double alpha = 0.99;
        double eps = 1e-8;
        bool centered = false;
        double weight_decay = 0.0;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("momentum", momentum);
            v("alpha", alpha);
            v("eps", eps);
            v("centered", centered);
            v("weight_decay", weight_decay);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.eps, "epsilon value");
        require_nonnegative(h.momentum, "momentum value");
        require_nonnegative(h.weight_decay, "weight_decay value");
        require_nonnegative(h.alpha, "alpha value");
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> square_avg;
        std::vector<T> momentum_buffer;  // empty unless momentum > 0 (torch has no such key)
        std::vector<T> grad_avg;         // empty unless centered

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("square_avg", square_avg);
            v("momentum_buffer", momentum_buffer);
            v("grad_avg", grad_avg);
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.square_avg.assign(n, T(0));
        if (h.momentum > 0) s.momentum_buffer.assign(n, T(0));
        if (h.centered) s.grad_avg.assign(n, T(0));
    }

    // Per-step constants, computed once in double and cast to the array's type.
    template <typename T>
    struct Coefficients {
        T lr;
        T alpha, one_minus_alpha;
        T w;     // grad_avg.lerp_(grad, 1 - alpha)
        T eps;
        T wd;
        T mu;    // momentum
        T sign;  // -1 when maximizing
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // centered and momentum are chosen once per step (ga and buf are null when unused). scale holds
    // per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Centered, bool Momentum, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict sq,
                       T* __restrict buf, T* __restrict ga, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = coupled_decay(k.sign * g[i], k.wd, p[i]);
            const T si = sq[i] * k.alpha + k.one_minus_alpha * gi * gi;
            sq[i] = si;
            T avg;
            if constexpr (Centered) {
                const T ai = lerp(ga[i], gi, k.w);
                ga[i] = ai;
                avg = std::sqrt(si - ai * ai) + k.eps;
            } else {
                avg = std::sqrt(si) + k.eps;
            }
            if constexpr (Momentum) {
                const T bi = buf[i] * k.mu + gi / avg;
                buf[i] = bi;
                p[i] -= scaled<Scaled>(k.lr, scale, i) * bi;
            } else {
                p[i] -= scaled<Scaled>(k.lr, scale, i) * gi / avg;
            }
        }
    }

    template <typename T, bool Centered, bool Momentum, bool Scaled>
    static void run(const Coefficients<T>& c, T* p, const T* g, T* sq, T* buf, T* ga, const T* scale, std::size_t n) {
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            kernel<T, Centered, Momentum, Scaled>(c, p, g, sq, buf, ga, scale, b, e);
        });
    }

    template <typename T, bool Scaled>
    static void dispatch(const Coefficients<T>& c, bool centered, bool use_momentum, T* p, const T* g, T* sq, T* buf,
                         T* ga, const T* scale, std::size_t n) {
        if (centered && use_momentum)
            run<T, true, true, Scaled>(c, p, g, sq, buf, ga, scale, n);
        else if (centered)
            run<T, true, false, Scaled>(c, p, g, sq, buf, ga, scale, n);
        else if (use_momentum)
            run<T, false, true, Scaled>(c, p, g, sq, buf, ga, scale, n);
        else
            run<T, false, false, Scaled>(c, p, g, sq, buf, ga, scale, n);
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        Coefficients<T> c;
        c.lr = static_cast<T>(h.lr);
        c.alpha = static_cast<T>(h.alpha);
        c.one_minus_alpha = static_cast<T>(1 - h.alpha);
        c.w = c.one_minus_alpha;
        c.eps = static_cast<T>(h.eps);
        c.wd = static_cast<T>(h.weight_decay);
        c.mu = static_cast<T>(h.momentum);
        c.sign = h.maximize ? T(-1) : T(1);
        // A flag switched on after the first step finds no buffer: start it from zeros.
        const bool use_momentum = h.momentum > 0, centered = h.centered;
        if (use_momentum && s.momentum_buffer.size() != n) s.momentum_buffer.assign(n, T(0));
        if (centered && s.grad_avg.size() != n) s.grad_avg.assign(n, T(0));
        T* sq = s.square_avg.data();
        T* buf = use_momentum ? s.momentum_buffer.data() : nullptr;
        T* ga = centered ? s.grad_avg.data() : nullptr;
        with_scaled(scale, [&](auto is_scaled) {
            dispatch<T, decltype(is_scaled)::value>(c, centered, use_momentum, p, g, sq, buf, ga, scale, n);
        });
    }
};

}  // namespace gradkit::optim
