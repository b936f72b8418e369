// Schedule-Free SGD (Defazio et al. 2024): SGD with momentum replaced by an interpolation and an average,
// and no schedule. The numbers are those of the reference, schedulefree 1.4.1's SGDScheduleFree (its
// per-parameter path, foreach=False; its foreach path calls the same CPU kernels and gives the same numbers):
//   g <- g + wd y;  y <- lerp(y, z, ckp1);  y <- y + lr (momentum (1 - ckp1) - 1) g;  z <- z - lr g
// schedule_free.hpp has the group-level scalars and train() / eval().
#pragma once

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

struct ScheduleFreeSGD {
    static constexpr const char* name = "ScheduleFreeSGD";
    static constexpr const auto& group_state = schedule_free::kGroupState;

    struct Hyper : schedule_free::Averaging {
        double lr = 1.0;
        double momentum = 0.9;
        double weight_decay = 0.0;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("momentum", momentum);
            v("weight_decay", weight_decay);
            visit_averaging(v);
        }
    };

    // The reference's three checks and messages, then the shared ones (schedule_free.hpp).
    static void validate(const Hyper& h) {
        require_nonnegative(h.lr, "learning rate");
        require_nonnegative(h.weight_decay, "weight_decay value");
        if (!(0.0 < h.momentum && h.momentum < 1.0))
            invalid("Momentum must be between 0 and 1 exclusive: " + repr(h.momentum));
        schedule_free::validate_shared(h);
    }

    template <typename T>
    struct State {
        std::vector<T> z;

        template <class V>
        void visit(V&& v) {
            v("z", z);
        }
    };

    // z starts at the parameter (the reference's torch.clone(p)).
    template <typename T>
    static void init(const Hyper&, State<T>& s, const T* p, std::size_t n) {
        s.z.assign(p, p + n);
    }

    template <typename T>
    struct Coefficients {
        T wd;      // g += wd y (0: none)
        T ckp1;    // y lerps toward z by ckp1
        T y_rate;  // lr (momentum (1 - ckp1) - 1): y += y_rate g
        T lr;      // z -= lr g
    };

    // One fused pass over [b, e): the reference's four in-place ops, each rounded as torch's CPU kernel
    // (add with alpha and lerp are single multiply-adds, pointwise.hpp). The caller's gradient is read only:
    // the reference's grad.add_(y, alpha=weight_decay) writes the decayed gradient into p.grad.
    template <typename T, bool Scaled>
    static void kernel(const Coefficients<T>& c, T* __restrict y, const T* __restrict g, T* __restrict z,
                       const T* __restrict scale, std::size_t b, std::size_t e) {
        const Coefficients<T> k = c;
        for (std::size_t i = b; i < e; ++i) {
            const T yi = y[i], zi = z[i];
            const T gi = coupled_decay(g[i], k.wd, yi);
            y[i] = fmadd(scaled<Scaled>(k.y_rate, scale, i), gi, lerp(yi, zi, k.ckp1));
            z[i] = fmadd(-scaled<Scaled>(k.lr, scale, i), gi, zi);
        }
    }

    // The whole group's step: the group's scalars once, then every parameter with a gradient.
    template <typename T>
    static void step_group(Hyper& h, const std::vector<ArrayRef<T>>& params, std::vector<std::optional<State<T>>>& states,
                           const T* const* grads, const std::vector<ArrayRef<const T>>& scales) {
        const schedule_free::StepScalars s = schedule_free::begin_step(h);
        Coefficients<T> c;
        c.wd = static_cast<T>(h.weight_decay);
        c.ckp1 = static_cast<T>(s.ckp1);
        c.y_rate = static_cast<T>(schedule_free::y_rate(s.lr, h.momentum, s.ckp1));
        c.lr = static_cast<T>(s.lr);
        each_stepped(
            params, states, grads, scales, [&](State<T>& st, const ArrayRef<T>& p) { init(h, st, p.data, p.size); },
            [&](std::size_t i, State<T>& st, const T* scale) {
                T* y = params[i].data;
                T* z = st.z.data();
                const T* g = grads[i];
                with_scaled(scale, [&](auto is_scaled) {
                    parallel_chunks(params[i].size, [=](std::size_t b, std::size_t e) {
                        kernel<T, decltype(is_scaled)::value>(c, y, g, z, scale, b, e);
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
        schedule_free::set_mode(h, h.momentum, params, states, train);
    }
};

}  // namespace gradkit::optim
