// RMSprop, optionally centered and with momentum, with weight decay: torch.optim.RMSprop.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
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

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        s.step += 1;
        const T lr = static_cast<T>(h.lr);
        const T alpha = static_cast<T>(h.alpha);
        const T one_minus_alpha = static_cast<T>(1 - h.alpha);
        const T w = one_minus_alpha;  // grad_avg.lerp_(grad, 1 - alpha)
        const T eps = static_cast<T>(h.eps);
        const T wd = static_cast<T>(h.weight_decay);
        const T mu = static_cast<T>(h.momentum);
        const T sign = h.maximize ? T(-1) : T(1);
        // A flag switched on after the first step finds no buffer: start it from zeros.
        const bool use_momentum = h.momentum > 0, centered = h.centered;
        if (use_momentum && s.momentum_buffer.size() != n) s.momentum_buffer.assign(n, T(0));
        if (centered && s.grad_avg.size() != n) s.grad_avg.assign(n, T(0));
        T* sq = s.square_avg.data();
        T* buf = use_momentum ? s.momentum_buffer.data() : nullptr;
        T* ga = centered ? s.grad_avg.data() : nullptr;
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T gi = sign * g[i] + wd * p[i];
                const T si = sq[i] * alpha + one_minus_alpha * gi * gi;
                sq[i] = si;
                T avg;
                if (centered) {
                    const T ai = lerp(ga[i], gi, w);
                    ga[i] = ai;
                    avg = std::sqrt(si - ai * ai) + eps;
                } else {
                    avg = std::sqrt(si) + eps;
                }
                if (use_momentum) {
                    const T bi = buf[i] * mu + gi / avg;
                    buf[i] = bi;
                    p[i] -= lr * bi;
                } else {
                    p[i] -= lr * gi / avg;
                }
            }
        });
    }
};

}  // namespace gradkit::optim
