// scikit-learn's SGD rule for its MLP (sklearn/neural_network/_stochastic_optimizers.py, SGDOptimizer),
// which differs from torch.optim.SGD: the velocity holds the step, v = momentum*v - lr*g, and p += v;
// with Nesterov the new velocity is applied again, p += momentum*v - lr*g.
//
// It follows the ParamGroup policy concept (param_group.hpp), so the trainer can hold it like any
// gradkit optimizer, a whole network being one flat parameter array. Keys are gradkit's "lr" (the
// trainer's schedules set it generically) and sklearn's "momentum" and "nesterov".
//
// Only the update rule lives here. sklearn's learning_rate modes are schedules of `lr`: 'constant';
// 'invscaling', lr = learning_rate_init / (t + 1)**power_t set once per epoch (iteration_ends), t
// counting the samples seen so far; 'adaptive', lr /= 5 when training stalls (trigger_stopping).
// The trainer sets `lr` between steps, as sklearn reassigns optimizer.learning_rate.
#pragma once

#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct SklearnSGD {
    static constexpr const char* name = "SklearnSGD";

    struct Hyper {
        double lr = 0.1;  // sklearn's optimizer.learning_rate (starts at learning_rate_init)
        double momentum = 0.9;
        bool nesterov = true;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("momentum", momentum);
            v("nesterov", nesterov);
        }
    };

    // sklearn's MLP constraints: momentum in [0, 1]; its rates are positive (adaptive shrinks them).
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_between(h.momentum, 0.0, 1.0, "momentum value");
    }

    template <typename T>
    struct State {
        std::vector<T> velocity;  // sklearn's velocities, zero at the start

        template <class V>
        void visit(V&& v) { v("velocity", velocity); }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.velocity.assign(n, T(0));
    }

    // One fused pass over [b, e). Each product is rounded before it is added, as NumPy evaluates
    // `momentum * velocity - learning_rate * grad` (plus() keeps GCC from fusing a multiply-add).
    // float32 arrays compute in float32: sklearn's Python-float rates are cast to the array's type.
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Nesterov, bool Scaled>
    static void kernel(T mu, T lr, T* __restrict p, const T* __restrict g, T* __restrict v,
                       const T* __restrict scale, std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
            const T lr_g = scaled<Scaled>(lr, scale, i) * g[i];
            const T vi = plus(mu * v[i], -lr_g);
            v[i] = vi;
            p[i] += Nesterov ? plus(mu * vi, -lr_g) : vi;
        }
    }

    template <typename T, bool Scaled>
    static void run(bool nesterov, T mu, T lr, T* p, const T* g, T* v, const T* scale, std::size_t n) {
        if (nesterov)
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, true, Scaled>(mu, lr, p, g, v, scale, b, e);
            });
        else
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, false, Scaled>(mu, lr, p, g, v, scale, b, e);
            });
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        const T mu = static_cast<T>(h.momentum), lr = static_cast<T>(h.lr);
        T* v = s.velocity.data();
        with_scaled(scale, [&](auto is_scaled) {
            run<T, decltype(is_scaled)::value>(h.nesterov, mu, lr, p, g, v, scale, n);
        });
    }
};

}  // namespace gradkit::optim
