// Adam and AdamW (decoupled weight decay), with AMSGrad: torch.optim.Adam / torch.optim.AdamW.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <vector>

#include "gradkit/optim/check.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Adam {
    static constexpr const char* name = "Adam";

    struct Hyper {
        double lr = 1e-3;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;
        bool amsgrad = false;
        bool maximize = false;
        bool decoupled_weight_decay = false;  // true: AdamW

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("amsgrad", amsgrad);
            v("maximize", maximize);
            v("decoupled_weight_decay", decoupled_weight_decay);
        }
    };

    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.eps, "epsilon value");
        require_betas(h.betas);
        require_nonnegative(h.weight_decay, "weight_decay value");
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> exp_avg, exp_avg_sq, max_exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("exp_avg", exp_avg);
            v("exp_avg_sq", exp_avg_sq);
            v("max_exp_avg_sq", max_exp_avg_sq);  // empty unless amsgrad
        }
    };

    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T*, std::size_t n) {
        s.exp_avg.assign(n, T(0));
        s.exp_avg_sq.assign(n, T(0));
        if (h.amsgrad) s.max_exp_avg_sq.assign(n, T(0));
    }

    template <typename T>
    static void update(const Hyper& h, State<T>& s, T* p, const T* g, std::size_t n) {
        s.step += 1;
        const double beta1 = h.betas[0], beta2 = h.betas[1];
        const double bias_correction1 = 1 - std::pow(beta1, s.step);
        const double bias_correction2 = 1 - std::pow(beta2, s.step);
        const T step_size = static_cast<T>(h.lr / bias_correction1);
        const T bc2_sqrt = static_cast<T>(std::sqrt(bias_correction2));
        const T b1 = static_cast<T>(1 - beta1), b2 = static_cast<T>(beta2), one_minus_b2 = static_cast<T>(1 - beta2);
        const T eps = static_cast<T>(h.eps);
        const T sign = h.maximize ? T(-1) : T(1);
        const bool decoupled = h.decoupled_weight_decay;
        // Coupled decay adds wd*p to the gradient; decoupled decay scales p by (1 - lr*wd) first.
        const T wd = decoupled ? T(0) : static_cast<T>(h.weight_decay);
        const T decay = static_cast<T>(decoupled ? 1 - h.lr * h.weight_decay : 1.0);
        if (h.amsgrad && s.max_exp_avg_sq.size() != n) s.max_exp_avg_sq.assign(n, T(0));
        T* m = s.exp_avg.data();
        T* v = s.exp_avg_sq.data();
        T* vmax = h.amsgrad ? s.max_exp_avg_sq.data() : nullptr;
        parallel_chunks(n, [&](std::size_t b, std::size_t e) {
            if (vmax) {
                for (std::size_t i = b; i < e; ++i) {
                    const T pi = p[i] * decay;
                    const T gi = sign * g[i] + wd * pi;
                    const T mi = m[i] + b1 * (gi - m[i]);
                    const T vi = v[i] * b2 + one_minus_b2 * gi * gi;
                    const T vm = vmax[i] < vi ? vi : vmax[i];
                    m[i] = mi;
                    v[i] = vi;
                    vmax[i] = vm;
                    p[i] = pi - step_size * mi / (std::sqrt(vm) / bc2_sqrt + eps);
                }
            } else {
                for (std::size_t i = b; i < e; ++i) {
                    const T pi = p[i] * decay;
                    const T gi = sign * g[i] + wd * pi;
                    const T mi = m[i] + b1 * (gi - m[i]);
                    const T vi = v[i] * b2 + one_minus_b2 * gi * gi;
                    m[i] = mi;
                    v[i] = vi;
                    p[i] = pi - step_size * mi / (std::sqrt(vi) / bc2_sqrt + eps);
                }
            }
        });
    }
};

}  // namespace gradkit::optim
