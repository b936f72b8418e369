// Adagrad with learning-rate decay, an initial accumulator and weight decay: torch.optim.Adagrad.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Adagrad {
    static constexpr const char* name = "Adagrad";

    struct Hyper {
        double lr = 1e-2;
        double lr_decay = 0.0;
        double eps = 1e-10;
        double weight_decay = 0.0;
        double initial_accumulator_value = 0.0;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("lr_decay", lr_decay);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("initial_accumulator_value", initial_accumulator_value);
            v("maximize", maximize);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.lr_decay, "lr_decay value");
        require_nonnegative(h.weight_decay, "weight_decay value");
        require_nonnegative(h.initial_accumulator_value, "initial_accumulator_value value");
        require_nonnegative(h.eps, "epsilon value");
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> sum;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("sum", sum);
        }
    };

    // torch fills the sum with initial_accumulator_value (the Python class does so for every
    // parameter at construction, as torch does; this covers parameters added later).
    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.sum.assign(n, static_cast<T>(h.initial_accumulator_value));
    }

    // Per-step constants, cast to the array's type.
    template <typename T>
    struct Coefficients {
        T clr;   // lr / (1 + (step - 1) * lr_decay)
        T eps;
        T wd;
        T sign;  // -1 when maximizing
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict sum,
                       const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = coupled_decay(k.sign * g[i], k.wd, p[i]);
            const T si = sum[i] + gi * gi;
            sum[i] = si;
            p[i] -= scaled<Scaled>(k.clr, scale, i) * gi / (std::sqrt(si) + k.eps);
        }
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        Coefficients<T> c;
        // torch: clr = lr / (1 + (step - 1) * lr_decay), in Python floats.
        c.clr = static_cast<T>(h.lr / (1 + (s.step - 1) * h.lr_decay));
        c.eps = static_cast<T>(h.eps);
        c.wd = static_cast<T>(h.weight_decay);
        c.sign = h.maximize ? T(-1) : T(1);
        if (s.sum.size() != n) s.sum.assign(n, static_cast<T>(h.initial_accumulator_value));
        T* sum = s.sum.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, sum, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
