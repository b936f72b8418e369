// Resilient backpropagation: per-element step sizes grown or shrunk by the gradient's sign: torch.optim.Rprop.
#pragma once

#include <array>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Rprop {
    static constexpr const char* name = "Rprop";

    struct Hyper {
        double lr = 1e-2;  // only the initial step size: torch reads it when the state is created
        std::array<double, 2> etas{0.5, 1.2};          // (etaminus, etaplus)
        std::array<double, 2> step_sizes{1e-6, 50.0};  // (min, max) step size
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("etas", etas);
            v("step_sizes", step_sizes);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_etas(h.etas);
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> prev;       // the last gradient used, zeroed where its sign flipped
        std::vector<T> step_size;  // per-element step size, starting at lr

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("prev", prev);
            v("step_size", step_size);
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.prev.assign(n, T(0));
        s.step_size.assign(n, static_cast<T>(h.lr));
    }

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        s.step += 1;
        const T sign = h.maximize ? T(-1) : T(1);
        const T etaminus = static_cast<T>(h.etas[0]), etaplus = static_cast<T>(h.etas[1]);
        const T lo = static_cast<T>(h.step_sizes[0]), hi = static_cast<T>(h.step_sizes[1]);
        T* prev = s.prev.data();
        T* size = s.step_size.data();
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T gi = sign * g[i];
                // torch overwrites sign(g * prev) in place in this order: > 0, then < 0, then == 0.
                // Replaying it keeps its behaviour when an eta rounds to 0 or 1 in float32.
                T factor = sgn(gi * prev[i]);
                if (factor > T(0)) factor = etaplus;
                if (factor < T(0)) factor = etaminus;
                if (factor == T(0)) factor = T(1);
                const T si = clamp(size[i] * factor, lo, hi);
                // Where the sign flipped, the gradient counts as 0: no move now, no flip test next step.
                const T gk = factor == etaminus ? T(0) : gi;
                size[i] = si;
                p[i] = fmadd(-sgn(gk), si, p[i]);  // param.addcmul_(sign, step_size, value=-1)
                prev[i] = gk;
            }
        });
    }
};

}  // namespace gradkit::optim
