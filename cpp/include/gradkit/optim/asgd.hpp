// Averaged stochastic gradient descent (Polyak-Ruppert averaging): torch.optim.ASGD.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <vector>

#include "gradkit/optim/check.hpp"
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

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        s.step += 1;
        const T sign = h.maximize ? T(-1) : T(1);
        const bool coupled = h.weight_decay != 0;
        const T wd = static_cast<T>(h.weight_decay);
        const T decay = static_cast<T>(plus(1.0, -(h.lambd * s.eta)));
        const T minus_eta = static_cast<T>(-s.eta);
        const bool copy = s.mu == 1;  // torch copies the parameter rather than averaging with weight 1
        const T mu = static_cast<T>(s.mu);
        T* ax = s.ax.data();
        parallel_chunks(n, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T gi = coupled ? fmadd(wd, p[i], sign * g[i]) : sign * g[i];
                const T pi = fmadd(minus_eta, gi, p[i] * decay);
                p[i] = pi;
                ax[i] = copy ? pi : plus(ax[i], (pi - ax[i]) * mu);
            }
        });
        // The next step's eta and mu, from the step count and this group's current lr.
        s.eta = h.lr / std::pow(plus(1.0, h.lambd * h.lr * s.step), h.alpha);
        s.mu = 1 / std::max(1.0, s.step - h.t0);
    }
};

}  // namespace gradkit::optim
