// Stochastic gradient descent with momentum, dampening, Nesterov and weight decay: torch.optim.SGD.
#pragma once

#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
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

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        const T lr = static_cast<T>(h.lr);
        const T wd = static_cast<T>(h.weight_decay);
        const T sign = h.maximize ? T(-1) : T(1);
        if (h.momentum == 0.0) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                for (std::size_t i = b; i < e; ++i) {
                    const T d = sign * g[i] + wd * p[i];
                    p[i] -= lr * d;
                }
            });
            return;
        }
        const T mu = static_cast<T>(h.momentum);
        const T keep = static_cast<T>(1.0 - h.dampening);
        const bool first = s.momentum_buffer.empty();
        if (first) s.momentum_buffer.resize(n);
        T* buf = s.momentum_buffer.data();
        const bool nesterov = h.nesterov;
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T d = sign * g[i] + wd * p[i];
                // torch clones the gradient into the buffer on the first step (no dampening).
                const T v = first ? d : buf[i] * mu + keep * d;
                buf[i] = v;
                p[i] -= lr * (nesterov ? d + mu * v : v);
            }
        });
    }
};

}  // namespace gradkit::optim
