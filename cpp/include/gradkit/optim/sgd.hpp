// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay: torch.optim.SGD.
#pragma once

#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct SGD {
    static constexpr const char* name = "SGD";

    struct Hyper {
        double lr = 1e-3;
        double momentum = 0.0;
        double dampening = 0.0;
        double weight_decay = 0.0;
        bool nesterov = false;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("momentum", momentum);
            v("dampening", dampening);
            v("weight_decay", weight_decay);
            v("nesterov", nesterov);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.momentum, "momentum value");
        require_nonnegative(h.weight_decay, "weight_decay value");
        if (h.nesterov && (h.momentum <= 0 || h.dampening != 0))
            invalid("Nesterov momentum requires a momentum and zero dampening");
    }

    template <typename T>
    struct State {
        std::vector<T> momentum_buffer;  // empty until the first step with momentum (torch: None)

        template <class V>
        void visit(V&& v) { v("momentum_buffer", momentum_buffer); }
    };

    template <typename T>
    static void init(const Hyper&, State<T>&, const T*, std::size_t) {}

    // Per-step constants, cast to the array's type.
    template <typename T>
    struct Coefficients {
        T lr;
        T wd;
        T sign;      // -1 when maximizing
        T mu;        // momentum
        T keep;      // 1 - dampening
        bool first;  // the momentum buffer's first step
        bool nesterov;
    };

    // One fused pass over [b, e). Free functions with __restrict pointers, so that they vectorise;
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void plain_kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g,
                             const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T d = coupled_decay(k.sign * g[i], k.wd, p[i]);
            p[i] -= scaled<Scaled>(k.lr, scale, i) * d;
        }
    }

    template <typename T, bool Scaled>
    static void momentum_kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict buf,
                                const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T d = coupled_decay(k.sign * g[i], k.wd, p[i]);
            // torch clones the gradient into the buffer on the first step (no dampening).
            const T v = k.first ? d : buf[i] * k.mu + k.keep * d;
            buf[i] = v;
            p[i] -= scaled<Scaled>(k.lr, scale, i) * (k.nesterov ? d + k.mu * v : v);
        }
    }

    template <typename T, bool Scaled>
    static void run(const Coefficients<T>& c, bool momentum, T* p, const T* g, T* buf, const T* scale, std::size_t n) {
        if (momentum)
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                momentum_kernel<T, Scaled>(c, p, g, buf, scale, b, e);
            });
        else
            parallel_chunks(n, [=](std::size_t b, std::size_t e) { plain_kernel<T, Scaled>(c, p, g, scale, b, e); });
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        Coefficients<T> c;
        c.lr = static_cast<T>(h.lr);
        c.wd = static_cast<T>(h.weight_decay);
        c.sign = h.maximize ? T(-1) : T(1);
        c.mu = static_cast<T>(h.momentum);
        c.keep = static_cast<T>(1.0 - h.dampening);
        c.nesterov = h.nesterov;
        const bool momentum = h.momentum != 0.0;
        c.first = momentum && s.momentum_buffer.empty();
        if (c.first) s.momentum_buffer.resize(n);
        T* buf = s.momentum_buffer.data();
        with_scaled(scale, [&](auto is_scaled) {
            run<T, decltype(is_scaled)::value>(c, momentum, p, g, buf, scale, n);
        });
    }
};

}  // namespace gradkit::optim
