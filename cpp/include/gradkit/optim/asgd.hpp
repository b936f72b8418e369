// Averaged stochastic gradient descent (Polyak-Ruppert averaging): torch.optim.ASGD.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct ASGD {
    static constexpr const char* name = "ASGD";

    struct Hyper {
        double lr = 1e-2;
        double lambd = 1e-4;  // decay term
        double alpha = 0.75;  // power of the eta schedule
        double t0 = 1e6;      // step after which averaging starts
        double weight_decay = 0.0;
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("lambd", lambd);
            v("alpha", alpha);
            v("t0", t0);
            v("weight_decay", weight_decay);
            v("maximize", maximize);
        }
    };

    // torch checks only these two; lambd, alpha and t0 are taken as given.
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.weight_decay, "weight_decay value");
    }

    template <typename T>
    struct State {
        double step = 0;
        double eta = 0;  // this step's learning rate: lr at creation, then lr / (1 + lambd lr t)^alpha
        double mu = 1;   // averaging weight: 1 (copy) until t0 is passed, then 1 / (t - t0)
        std::vector<T> ax;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("eta", eta);
            v("mu", mu);
            v("ax", ax);
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.eta = h.lr;
        s.ax.assign(n, T(0));
    }

    // Per-step constants, cast to the array's type.
    template <typename T>
    struct Coefficients {
        T sign;        // -1 when maximizing
        T wd;
        T decay;       // 1 - lambd * eta
        T decay_rate;  // 1 - decay, for per-element rates
        T minus_eta;
        T mu;          // averaging weight
        bool coupled;  // weight_decay != 0
        bool copy;     // torch copies the parameter rather than averaging with weight 1
    };

    // One fused pass over [b, e). A free function with __restrict pointers, so that it vectorises;
    // scale holds per-element multipliers of this step's rate eta when Scaled (see lr_scale.hpp).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict p, const T* __restrict g, T* __restrict ax,
                       const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = k.coupled ? fmadd(k.wd, p[i], k.sign * g[i]) : k.sign * g[i];
            const T decay = scaled_decay<Scaled>(k.decay, k.decay_rate, scale, i);
            const T pi = fmadd(scaled<Scaled>(k.minus_eta, scale, i), gi, p[i] * decay);
            p[i] = pi;
            ax[i] = k.copy ? pi : plus(ax[i], (pi - ax[i]) * k.mu);
        }
    }

    // scale: per-element multipliers of eta, or null for none. eta's own decay follows the group's lr, so
    // a multiplier c is the same as lr * c only while lambd * lr * step is negligible (or lambd == 0).
    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n, const T* scale = nullptr) {
        s.step += 1;
        Coefficients<T> c;
        c.sign = h.maximize ? T(-1) : T(1);
        c.coupled = h.weight_decay != 0;
        c.wd = static_cast<T>(h.weight_decay);
        c.decay = static_cast<T>(plus(1.0, -(h.lambd * s.eta)));
        c.decay_rate = T(1) - c.decay;
        c.minus_eta = static_cast<T>(-s.eta);
        c.copy = s.mu == 1;
        c.mu = static_cast<T>(s.mu);
        T* ax = s.ax.data();
        with_scaled(scale, [&](auto is_scaled) {
            parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                kernel<T, decltype(is_scaled)::value>(c, p, g, ax, scale, b, e);
            });
        });
        // The next step's eta and mu, from the step count and this group's current lr.
        s.eta = h.lr / std::pow(plus(1.0, h.lambd * h.lr * s.step), h.alpha);
        s.mu = 1 / std::max(1.0, s.step - h.t0);
    }
};

}  // namespace gradkit::optim
