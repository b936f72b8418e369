// scikit-learn's Adam rule for its MLP (sklearn/neural_network/_stochastic_optimizers.py, AdamOptimizer),
// which differs from torch.optim.Adam in where epsilon sits: sklearn bias-corrects the rate,
// lr_t = lr * sqrt(1 - beta_2^t) / (1 - beta_1^t), and steps by -lr_t * m / (sqrt(v) + epsilon), so
// epsilon is added to the uncorrected sqrt(v) (torch adds it to sqrt(v) / sqrt(1 - beta_2^t)).
//
// It follows the ParamGroup policy concept (param_group.hpp). Keys are gradkit's "lr" (sklearn's
// learning_rate_init, the rate before bias correction; sklearn's own `learning_rate` attribute is the
// corrected lr_t, recomputed every step) and sklearn's "beta_1", "beta_2", "epsilon". sklearn counts
// t once per update of all parameters; here each parameter counts its own steps, which is the same
// when every step updates every parameter, as an MLP's steps do.
#pragma once

#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct SklearnAdam {
    static constexpr const char* name = "SklearnAdam";

    struct Hyper {
        double lr = 0.001;  // sklearn's learning_rate_init
        double beta_1 = 0.9;
        double beta_2 = 0.999;
        double epsilon = 1e-8;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("beta_1", beta_1);
            v("beta_2", beta_2);
            v("epsilon", epsilon);
        }
    };

    // sklearn's MLP constraints: betas in [0, 1), epsilon > 0.
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_betas({h.beta_1, h.beta_2});
        if (!(h.epsilon > 0.0)) invalid("Invalid epsilon value: " + repr(h.epsilon));
    }

    template <typename T>
    struct State {
        double t = 0;  // steps taken
        std::vector<T> m, v;  // sklearn's ms and vs, zero at the start

        template <class V>
        void visit(V&& vis) {
            vis("t", t);
            vis("m", m);
            vis("v", v);
        }
    };

    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t n) {
        s.m.assign(n, T(0));
        s.v.assign(n, T(0));
    }

    // The moments are computed in T with the coefficients cast to T (sklearn's Python floats are cast
    // to a float32 array's type). The step is computed in double: sklearn's lr_t is a NumPy float64,
    // which makes `-lr_t * m / (sqrt(v) + epsilon)` a float64 array even for float32 parameters, and
    // `param += update` adds in float64 before rounding to float32. Each operation is rounded as
    // NumPy rounds it (plus() keeps GCC from fusing a multiply-add).
    // scale holds per-element lr multipliers when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(T b1, T one_minus_b1, T b2, T one_minus_b2, double neg_lr_t, T eps, T* __restrict p,
                       const T* __restrict g, T* __restrict m, T* __restrict v, const T* __restrict scale,
                       std::size_t b, std::size_t e) {
        for (std::size_t i = b; i < e; ++i) {
            const T gi = g[i];
            const T mi = plus(b1 * m[i], one_minus_b1 * gi);
            const T vi = plus(b2 * v[i], one_minus_b2 * (gi * gi));
            m[i] = mi;
            v[i] = vi;
            const double rate = Scaled ? neg_lr_t * static_cast<double>(scale[i]) : neg_lr_t;
            const double step = (rate * static_cast<double>(mi)) / static_cast<double>(std::sqrt(vi) + eps);
            p[i] = static_cast<T>(static_cast<double>(p[i]) + step);
        }
    }

    // sklearn's AdamOptimizer.learning_rate after t steps, the bias-corrected rate of step t:
    // learning_rate_init * np.sqrt(1 - beta_2**t) / (1 - beta_1**t), in that order.
    static double learning_rate(const Hyper& h, double t) {
        return h.lr * std::sqrt(1 - std::pow(h.beta_2, t)) / (1 - std::pow(h.beta_1, t));
    }

    // scale: per-element lr multipliers, or null for none.
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.t += 1;
        const double lr_t = learning_rate(h, s.t);
        const T b1 = static_cast<T>(h.beta_1), b2 = static_cast<T>(h.beta_2);
        const T one_minus_b1 = static_cast<T>(1 - h.beta_1), one_minus_b2 = static_cast<T>(1 - h.beta_2);
        const T eps = static_cast<T>(h.epsilon);
        const double neg_lr_t = -lr_t;
        T* m = s.m.data();
        T* v = s.v.data();
        with_scaled(scale, [&](auto is_scaled) {
            constexpr bool Scaled = decltype(is_scaled)::value;
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, Scaled>(b1, one_minus_b1, b2, one_minus_b2, neg_lr_t, eps, p, g, m, v, scale, b, e);
            });
        });
    }
};

}  // namespace gradkit::optim
