// Adadelta with weight decay: torch.optim.Adadelta.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Adadelta {
    static constexpr const char* name = "Adadelta";

    struct Hyper {
        double lr = 1.0;  // torch scales Adadelta's own (unit-free) step by lr
        double rho = 0.9;
        double eps = 1e-6;
        double weight_decay = 0.0;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("rho", rho);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_between(h.rho, 0.0, 1.0, "rho value");
        require_nonnegative(h.eps, "epsilon value");
        require_nonnegative(h.weight_decay, "weight_decay value");
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> square_avg, acc_delta;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("square_avg", square_avg);
            v("acc_delta", acc_delta);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.square_avg.assign(n, T(0));
        s.acc_delta.assign(n, T(0));
    }

    // Per-step constants, cast to the array's type.
    template <typename T>
    struct Coefficients {
        T lr;
        T rho, one_minus_rho;
        T eps;
        T wd;
        T sign;  // -1 when maximizing
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict sq,
                       T* __restrict acc, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = coupled_decay(k.sign * g[i], k.wd, p[i]);
            const T si = sq[i] * k.rho + k.one_minus_rho * gi * gi;
            // torch: delta = sqrt(acc_delta + eps) / sqrt(square_avg + eps) * grad
            const T delta = std::sqrt(acc[i] + k.eps) / std::sqrt(si + k.eps) * gi;
            sq[i] = si;
            acc[i] = acc[i] * k.rho + k.one_minus_rho * delta * delta;
            p[i] -= scaled<Scaled>(k.lr, scale, i) * delta;
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        Coefficients<T> c;
        c.lr = static_cast<T>(h.lr);
        c.rho = static_cast<T>(h.rho);
        c.one_minus_rho = static_cast<T>(1 - h.rho);
        c.eps = static_cast<T>(h.eps);
        c.wd = static_cast<T>(h.weight_decay);
        c.sign = h.maximize ? T(-1) : T(1);
        T* sq = s.square_avg.data();
        T* acc = s.acc_delta.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, sq, acc, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
