// Schedule-Free AdamW (Defazio et al. 2024): Schedule-Free's interpolation and average over Adam's
// preconditioned step, with no first moment and no schedule. The numbers are those of the reference,
// schedulefree 1.4.1's AdamWScheduleFree (pinned: later versions changed it; its per-parameter path,
// foreach=False, whose numbers its foreach path gives too):
//   v <- beta2 v + (1 - beta2) g^2;  d <- g / (sqrt(v / (1 - beta2^(k+1))) + eps);  d <- d + wd y
//   y <- lerp(y, z, ckp1);  y <- y + lr (beta1 (1 - ckp1) - 1) d;  z <- z - lr d
// The denominator is bias-corrected; the weight decay is taken at y and not preconditioned.
// schedule_free.hpp has the group-level scalars and train() / eval().
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/each_stepped.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/optim/schedule_free.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct ScheduleFreeAdamW {
    static constexpr const char* name = "ScheduleFreeAdamW";
    static constexpr const auto& group_state = schedule_free::kGroupState;

    struct Hyper : schedule_free::Averaging {
        double lr = 0.0025;
        std::array<double, 2> betas{0.9, 0.999};
        double eps = 1e-8;
        double weight_decay = 0.0;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("betas", betas);
            v("eps", eps);
            v("weight_decay", weight_decay);
            visit_averaging(v);
        }
    };

    // The reference checks nothing: these are torch.optim.AdamW's conditions and messages, with beta1 > 0
    // (eval() moves the parameters by 1 - 1/beta1; the reference divides by zero there), then the shared
    // ones (schedule_free.hpp).
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.eps, "epsilon value");
        require_betas(h.betas);
        if (h.betas[0] == 0.0)
            invalid("Invalid beta parameter at index 0: 0.0 (Schedule-Free needs beta1 > 0: eval() moves the "
                    "parameters by 1 - 1/beta1)");
        require_nonnegative(h.weight_decay, "weight_decay value");
        schedule_free::validate_shared(h);
    }

    template <typename T>
    struct State {
        std::vector<T> z, exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("z", z);
            v("exp_avg_sq", exp_avg_sq);
        }
    };

    // z starts at the parameter (torch.clone(p)), v at zero.
    template <typename T>
    static void init(const Hyper&, State<T>& s, const T* p, std::size_t n) {
        s.z.assign(p, p + n);
        s.exp_avg_sq.assign(n, T(0));
    }

    template <typename T>
    struct Coefficients {
        T b2, one_minus_b2;
        T bias_correction2;  // 1 - beta2^(k+1): v is divided by it, as the reference does
        T eps;
        T wd;      // d += wd y (0: none)
        T ckp1;    // y lerps toward z by ckp1
        T y_rate;  // lr (beta1 (1 - ckp1) - 1): y += y_rate d
        T lr;      // z -= lr d
    };

    // One fused pass over [b, e): the reference's in-place ops, each rounded as torch's CPU kernel:
    // exp_avg_sq.mul_(beta2).addcmul_(g, g, value=1-beta2) is a product, then one multiply-add of the
    // rounded (1-beta2) g; div, sqrt and add round once each; add with alpha and lerp are single
    // multiply-adds (pointwise.hpp). The caller's gradient is read only (the reference divides p.grad in place).
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict y, const T* __restrict g, T* __restrict z,
                       T* __restrict v, const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T gi = g[i], yi = y[i], zi = z[i];
            const T vi = fmadd(k.one_minus_b2 * gi, gi, v[i] * k.b2);
            v[i] = vi;
            const T denom = std::sqrt(vi / k.bias_correction2) + k.eps;
            const T d = coupled_decay(gi / denom, k.wd, yi);
            y[i] = fmadd(scaled<Scaled>(k.y_rate, scale, i), d, lerp(yi, zi, k.ckp1));
            z[i] = fmadd(-scaled<Scaled>(k.lr, scale, i), d, zi);
        }
    }

    // The whole group's step: the group's scalars once, then every parameter with a gradient.
    template <typename T>
    static void step_group(Hyper& h, const std::vector<ArrayRef<T>>& params, std::vector<std::optional<State<T>>>& states,
                           const T* const* grads, const std::vector<ArrayRef<const T>>& scales) {
        const double beta1 = h.betas[0], beta2 = h.betas[1];
        const double bias_correction2 = 1 - std::pow(beta2, static_cast<double>(h.k + 1));
        const schedule_free::StepScalars s = schedule_free::begin_step(h);
        Coefficients<T> c;
        c.b2 = static_cast<T>(beta2);
        c.one_minus_b2 = static_cast<T>(1 - beta2);
        c.bias_correction2 = static_cast<T>(bias_correction2);
        c.eps = static_cast<T>(h.eps);
        c.wd = static_cast<T>(h.weight_decay);
        c.ckp1 = static_cast<T>(s.ckp1);
        c.y_rate = static_cast<T>(schedule_free::y_rate(s.lr, beta1, s.ckp1));
        c.lr = static_cast<T>(s.lr);
        each_stepped(
            params, states, grads, scales, [&](State<T>& st, const ArrayRef<T>& p) { init(h, st, p.data, p.size); },
            [&](std::size_t i, State<T>& st, const T* scale) {
                T* y = params[i].data;
                T* z = st.z.data();
                T* v = st.exp_avg_sq.data();
                const T* g = grads[i];
                with_scaled(scale, [&](auto is_scaled) {
                    parallel_chunks(params[i].size, [=](std::size_t b, std::size_t e) {
                        kernel<T, decltype(is_scaled)::value>(c, y, g, z, v, scale, b, e);
                    });
                });
            });
        h.k = h.k + 1;
    }

    static void check_step(const Hyper& h) {
        if (!h.train_mode) schedule_free::refuse_eval_mode(name);
    }

    template <typename T>
    static void set_mode(Hyper& h, const std::vector<ArrayRef<T>>& params,
                         std::vector<std::optional<State<T>>>& states, bool train) {
        schedule_free::set_mode(h, h.betas[0], params, states, train);
    }
};

}  // namespace gradkit::optim
