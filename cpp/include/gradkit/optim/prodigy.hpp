// Prodigy (Mishchenko & Defazio 2023): Adam whose step size d is estimated on the fly, from how far the
// parameters have moved against the gradients. The numbers are those of the reference implementation,
// prodigyopt 1.1.2 (prodigyopt/prodigy.py), one optimizer step over all param groups at once:
//
//   dlr = d * lr * bias_correction            (d, lr = the largest group lr: the values before this step)
//   pass 1, every parameter with a gradient (g + weight_decay * p when decay is not decoupled):
//     numerator += (d / d0) * dlr * <g[::slice_p], p0 - p[::slice_p]>   (p0: the parameter at its first step)
//     m = beta1 m + d (1 - beta1) g;  v = beta2 v + d^2 (1 - beta2) g^2
//     s = beta3 s + (d / d0) * dlr * g[::slice_p]  (d / d0 * d with safeguard_warmup);  denom += |s|_1
//   no progress (denom == 0): return, with only pass 1's buffers changed
//   d_hat = d_coef * (beta3 * d_numerator + numerator) / denom; d = max(d, d_hat) while d == d0;
//   d_max = max(d_max, d_hat); d = min(d_max, d * growth_rate)
//   pass 2: p -= weight_decay * dlr * p (decoupled); p -= dlr * m / (sqrt(v) + d * eps)  (the new d here)
//
// The reference reads most hyperparameters from the first group (betas, beta3, d, d_max, d_numerator,
// d_coef, growth_rate, decouple, use_bias_correction, k for the bias correction) and the others from each
// group (lr, eps, weight_decay, d0, safeguard_warmup, slice_p); so does this. The scalar reductions (the dot
// product and the |s| sum) accumulate in double for float32 parameters too.
#pragma once

#include <array>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <optional>
#include <string>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/buffer_shape.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim {

struct Prodigy {
    static constexpr const char* name = "Prodigy";

    struct Hyper {
        double lr = 1.0;
        std::array<double, 2> betas{0.9, 0.999};
        std::optional<double> beta3;  // None: sqrt(beta2)
        double eps = 1e-8;
        double weight_decay = 0.0;
        // The group state (group_state below): the reference keeps it in every group's dict.
        double d = 1e-6;
        double d0 = 1e-6;
        double d_max = 1e-6;
        double d_numerator = 0.0;
        double d_coef = 1.0;
        std::int64_t k = 0;
        double growth_rate = std::numeric_limits<double>::infinity();
        bool use_bias_correction = false;
        bool decouple = true;
        bool safeguard_warmup = false;
        bool fsdp_in_use = false;
        std::int64_t slice_p = 1;
        // Written by the first step that estimates d; the reference's dict has no such keys before.
        std::optional<double> d_denom;
        std::optional<double> d_hat;

        template <class V>
        void visit(V&& v) {  // the reference's order of its defaults
            v("lr", lr);
            v("betas", betas);
            v("beta3", beta3);
            v("eps", eps);
            v("weight_decay", weight_decay);
            v("d", d);
            v("d0", d0);
            v("d_max", d_max);
            v("d_numerator", d_numerator);
            v("d_coef", d_coef);
            v("k", k);
            v("growth_rate", growth_rate);
            v("use_bias_correction", use_bias_correction);
            v("decouple", decouple);
            v("safeguard_warmup", safeguard_warmup);
            v("fsdp_in_use", fsdp_in_use);
            v("slice_p", slice_p);
            v("d_denom", d_denom);
            v("d_hat", d_hat);
        }
    };

    // What a step changes in the groups' dicts.
    static constexpr std::array<const char*, 6> group_state{"d", "d_max", "d_numerator", "d_denom", "d_hat", "k"};

    // The reference's checks (its constructor's, for every group here): d0 > 0, eps > 0, betas in [0, 1).
    // Its constructor also wants lr > 0; a param group may have lr = 0 (gradkit.optim.Prodigy checks the
    // constructor's). slice_p must be a positive step of flatten()[::slice_p]; there is no FSDP here.
    static void validate(const Hyper& h) {
        if (!(0.0 < h.d0)) invalid("Invalid d0 value: " + repr(h.d0));
        require_nonnegative(h.lr, "learning rate");
        if (!(0.0 < h.eps)) invalid("Invalid epsilon value: " + repr(h.eps));
        require_betas(h.betas);
        if (h.slice_p < 1)
            invalid("Invalid slice_p value: " + std::to_string(h.slice_p) +
                    " (statistics are taken on every slice_p-th element: it must be >= 1)");
        if (h.fsdp_in_use) invalid("fsdp_in_use=True is not supported: gradkit has no sharded (FSDP) parameters");
        if (h.k < 0) invalid("Invalid k value: " + std::to_string(h.k) + " (the count of steps, >= 0)");
    }

    template <typename T>
    struct State {
        std::int64_t step = 0;
        std::vector<T> s;   // ceil(n / slice_p) elements
        std::vector<T> p0;  // the same, or one 0 when the parameter was all zeros (the reference's tensor(0))
        std::vector<T> exp_avg, exp_avg_sq;

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("s", s, BufferShape::flat);
            v("p0", p0, BufferShape::flat);
            v("exp_avg", exp_avg);  // empty when beta1 == 0
            v("exp_avg_sq", exp_avg_sq);
        }
    };

    static std::size_t sliced(std::size_t n, std::int64_t slice_p) {
        const auto p = static_cast<std::size_t>(slice_p);
        return (n + p - 1) / p;
    }

    // The reference's state initialisation: slice_p and the zero test are the parameter's group's, beta1
    // the first group's.
    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T* p, std::size_t n, double beta1) {
        const std::size_t m = sliced(n, h.slice_p);
        s.step = 0;
        s.s.assign(m, T(0));
        bool any = false;  // torch's p.any(): NaN counts as non-zero
        for (std::size_t i = 0; i < n && !any; ++i) any = p[i] != T(0);
        if (any) {
            s.p0.resize(m);
            for (std::size_t j = 0; j < m; ++j) s.p0[j] = p[j * static_cast<std::size_t>(h.slice_p)];
        } else {
            s.p0.assign(1, T(0));  // broadcasts as the reference's 0-d zero does
        }
        if (beta1 > 0) s.exp_avg.assign(n, T(0));
        else s.exp_avg.clear();
        s.exp_avg_sq.assign(n, T(0));
    }
    template <typename T>
    static void init(const Hyper& h, State<T>& s, const T* p, std::size_t n) {
        init(h, s, p, n, h.betas[0]);
    }

    template <typename T>
    static void check_state(const Hyper& h, const State<T>& s, const ArrayRef<T>& p) {
        const std::size_t m = sliced(p.size, h.slice_p);
        if (s.s.size() != m)
            invalid("'s' has " + std::to_string(s.s.size()) + " elements; a parameter of " + std::to_string(p.size) +
                    " with slice_p=" + std::to_string(h.slice_p) + " has " + std::to_string(m));
        if (s.p0.size() != m && s.p0.size() != 1)
            invalid("'p0' has " + std::to_string(s.p0.size()) + " elements; expected " + std::to_string(m) +
                    " (the sliced parameter) or 1 (an all-zero parameter's 0)");
        if (s.step < 0) invalid("'step' is " + std::to_string(s.step) + ", a count of steps");
    }

private:
    // A group as the step sees it.
    template <typename T>
    struct View {
        Hyper* h;
        const std::vector<ArrayRef<T>>* params;
        std::vector<std::optional<State<T>>>* states;
        const T* const* grads;
        const std::vector<ArrayRef<const T>>* scales;
        const T* scale(std::size_t i) const { return scales->empty() ? nullptr : (*scales)[i].data; }
    };

    // Python's max(a, b) and min(a, b): the first argument unless the second compares greater (less).
    static double py_max(double a, double b) { return b > a ? b : a; }
    static double py_min(double a, double b) { return b < a ? b : a; }

    // The gradient the reference steps with: grad.add_(p, alpha=weight_decay) (one fma) when decay is coupled.
    template <typename T, bool Coupled>
    static T effective_grad(T g, T p, T decay) {
        if constexpr (Coupled) return fmadd(p, decay, g);
        else return g;
    }

    // Pass 1 on one parameter whose group has lr > 0: the EMAs, s, and the two reductions.
    template <typename T, bool Coupled, bool Scaled>
    static void first_pass(const ArrayRef<T>& param, const T* g, State<T>& st, const T* scale, T decay, bool has_m,
                           T b1, T m_alpha, T b2, T v_alpha, T b3, T s_alpha, bool s_scaled, std::size_t slice_p,
                           double& dot, double& abs_sum) {
        T* __restrict p = param.data;
        T* __restrict m = has_m ? st.exp_avg.data() : nullptr;
        T* __restrict v = st.exp_avg_sq.data();
        // The dot product reads the parameter before anything moves it; the EMAs never move it. Both sums
        // run over 8 fixed lanes in double: the loop vectorises, and their order is the same on any machine.
        const T* p0 = st.p0.data();
        const std::size_t p0_stride = st.p0.size() == 1 && st.s.size() != 1 ? 0 : 1;  // a 0-d p0 broadcasts
        T* __restrict s = st.s.data();
        const std::size_t count = st.s.size();
        auto element = [&](std::size_t j, double& dot_lane, double& abs_lane) {
            const std::size_t i = j * slice_p;
            const T gi = effective_grad<T, Coupled>(g[i], p[i], decay);
            const T diff = p0[j * p0_stride] - p[i];
            double term = static_cast<double>(gi) * static_cast<double>(diff);
            if constexpr (Scaled) term *= static_cast<double>(scale[i]);
            dot_lane += term;
            const T alpha = (Scaled && s_scaled) ? s_alpha * scale[i] : s_alpha;
            const T si = fmadd(gi, alpha, s[j] * b3);
            s[j] = si;
            abs_lane += static_cast<double>(std::abs(si));
        };
        double dot_lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0}, abs_lanes[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        std::size_t j = 0;
        for (; j + 8 <= count; j += 8)
            for (std::size_t k = 0; k < 8; ++k) element(j + k, dot_lanes[k], abs_lanes[k]);
        double d_acc = 0.0, a_acc = 0.0;
        for (; j < count; ++j) element(j, d_acc, a_acc);
        d_acc += ((dot_lanes[0] + dot_lanes[1]) + (dot_lanes[2] + dot_lanes[3])) +
                 ((dot_lanes[4] + dot_lanes[5]) + (dot_lanes[6] + dot_lanes[7]));
        a_acc += ((abs_lanes[0] + abs_lanes[1]) + (abs_lanes[2] + abs_lanes[3])) +
                 ((abs_lanes[4] + abs_lanes[5]) + (abs_lanes[6] + abs_lanes[7]));
        dot += d_acc;
        abs_sum += a_acc;
        // torch's exp_avg.mul_(beta1).add_(grad, alpha=d (1-beta1)) and
        // exp_avg_sq.mul_(beta2).addcmul_(grad, grad, value=d^2 (1-beta2)): (value * grad) * grad, one fma.
        parallel_chunks(param.size, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T gi = effective_grad<T, Coupled>(g[i], p[i], decay);
                if (m) m[i] = fmadd(gi, m_alpha, m[i] * b1);
                v[i] = fmadd(v_alpha * gi, gi, v[i] * b2);
            }
        });
    }

    // Pass 2 on one parameter: decoupled decay, then p.addcdiv_(m, sqrt(v) + d eps, value=-dlr) (torch rounds
    // value * m, then the quotient, then the sum), or with the gradient and value -dlr * d when beta1 == 0.
    template <typename T, bool Coupled, bool Decoupled, bool HasM, bool Scaled>
    static void second_pass(const ArrayRef<T>& param, const T* g, const State<T>& st, const T* scale, T decay,
                            T decay_coef, T d_eps, T value) {
        T* p = param.data;
        const T* m = HasM ? st.exp_avg.data() : nullptr;
        const T* v = st.exp_avg_sq.data();
        parallel_chunks(param.size, [=](std::size_t b, std::size_t e) {
            for (std::size_t i = b; i < e; ++i) {
                const T denom = std::sqrt(v[i]) + d_eps;
                T pi = p[i];
                const T num = HasM ? m[i] : effective_grad<T, Coupled>(g[i], pi, decay);
                if constexpr (Decoupled) pi = fmadd(pi, scaled<Scaled>(decay_coef, scale, i), pi);
                p[i] = plus(pi, (scaled<Scaled>(value, scale, i) * num) / denom);
            }
        });
    }

    template <typename T>
    static void step_views(std::vector<View<T>>& groups) {
        const Hyper& first = *groups.front().h;
        // Refusals first: nothing has changed when one is raised.
        double lr = 0.0;
        for (const auto& g : groups) lr = py_max(lr, g.h->lr);
        for (std::size_t gi = 0; gi < groups.size(); ++gi) {
            const double group_lr = groups[gi].h->lr;
            if (!(group_lr == lr || group_lr == 0.0))
                invalid("param_groups[" + std::to_string(gi) + "]['lr'] is " + repr(group_lr) + " and another group's " +
                        repr(lr) + ": Setting different lr values in different parameter groups is only supported "
                        "for values of 0 (Prodigy's d is one estimate for all groups)");
        }
        const double beta1 = first.betas[0], beta2 = first.betas[1];
        for (std::size_t gi = 0; gi < groups.size(); ++gi) {
            const View<T>& g = groups[gi];
            for (std::size_t i = 0; i < g.params->size(); ++i) {
                const auto& st = (*g.states)[i];
                if (g.grads[i] == nullptr || !st) continue;
                const std::string where = "param group " + std::to_string(gi) + ", parameter " + std::to_string(i);
                try {
                    check_state(*g.h, *st, (*g.params)[i]);
                } catch (const std::invalid_argument& e) {
                    invalid(where + ": its state does not fit: " + e.what() + " (slice_p cannot change after the first step)");
                }
                if (beta1 > 0 && st->exp_avg.size() != (*g.params)[i].size)
                    invalid(where + ": betas[0] > 0 needs an 'exp_avg', which a first step with betas[0] == 0 did not create");
                if (st->exp_avg_sq.size() != (*g.params)[i].size) invalid(where + ": 'exp_avg_sq' has the wrong size");
            }
        }

        const double beta3 = first.beta3 ? *first.beta3 : std::sqrt(beta2);
        const std::int64_t k0 = first.k;
        double d = first.d, d_max = first.d_max;
        const double d_coef = first.d_coef;
        const double bias_correction =
            first.use_bias_correction
                ? std::pow(1 - std::pow(beta2, static_cast<double>(k0 + 1)), 0.5) /
                      (1 - std::pow(beta1, static_cast<double>(k0 + 1)))
                : 1.0;
        const double dlr = d * lr * bias_correction;
        const double growth_rate = first.growth_rate;
        const bool decouple = first.decouple;
        const double d_numerator = first.d_numerator * beta3;
        double delta_numerator = 0.0, d_denom = 0.0;

        for (View<T>& g : groups) {
            const Hyper& h = *g.h;
            const double decay = h.weight_decay;
            const bool coupled = decay != 0 && !decouple;
            for (std::size_t i = 0; i < g.params->size(); ++i) {
                if (g.grads[i] == nullptr) continue;
                const ArrayRef<T>& p = (*g.params)[i];
                auto& st = (*g.states)[i];
                if (!st) {
                    st.emplace();
                    init(h, *st, p.data, p.size, beta1);
                }
                if (!(h.lr > 0.0)) continue;
                const double ratio = d / h.d0;
                double dot = 0.0, abs_sum = 0.0;
                const T* scale = g.scale(i);
                with_scaled(scale, [&](auto is_scaled) {
                    constexpr bool Scaled = decltype(is_scaled)::value;
                    auto run = [&](auto is_coupled) {
                        first_pass<T, decltype(is_coupled)::value, Scaled>(
                            p, g.grads[i], *st, scale, static_cast<T>(decay), beta1 > 0, static_cast<T>(beta1),
                            static_cast<T>(d * (1 - beta1)), static_cast<T>(beta2), static_cast<T>(d * d * (1 - beta2)),
                            static_cast<T>(beta3),
                            static_cast<T>(h.safeguard_warmup ? ratio * d : ratio * dlr), !h.safeguard_warmup,
                            static_cast<std::size_t>(h.slice_p), dot, abs_sum);
                    };
                    if (coupled) run(std::true_type{});
                    else run(std::false_type{});
                });
                delta_numerator += ratio * dlr * dot;
                d_denom += abs_sum;
            }
        }

        // No progress yet (every gradient zero, or every lr 0): the reference returns here.
        if (d_denom == 0) return;

        // d_denom != 0 needs a group with lr > 0, so the reference's `if lr > 0` holds here.
        const double global_d_numerator = d_numerator + delta_numerator;
        const double global_d_denom = d_denom;
        const double d_hat = d_coef * global_d_numerator / global_d_denom;
        // The reference compares with the d0 of the last group (its loop variable, left over).
        if (d == groups.back().h->d0) d = py_max(d, d_hat);
        d_max = py_max(d_max, d_hat);
        d = py_min(d_max, d * growth_rate);

        for (View<T>& g : groups) {
            Hyper& h = *g.h;
            h.d_numerator = global_d_numerator;
            h.d_denom = global_d_denom;
            h.d = d;
            h.d_max = d_max;
            h.d_hat = d_hat;
            const double decay = h.weight_decay;
            const bool coupled = decay != 0 && !decouple;
            const bool decoupled = decay != 0 && decouple;
            const T d_eps = static_cast<T>(d * h.eps);
            const T decay_coef = static_cast<T>(-decay * dlr);
            const T value = static_cast<T>(beta1 > 0 ? -dlr : -dlr * d);
            for (std::size_t i = 0; i < g.params->size(); ++i) {
                if (g.grads[i] == nullptr) continue;
                State<T>& st = *(*g.states)[i];
                st.step += 1;
                const T* scale = g.scale(i);
                const ArrayRef<T>& p = (*g.params)[i];
                with_scaled(scale, [&](auto is_scaled) {
                    constexpr bool Scaled = decltype(is_scaled)::value;
                    auto run = [&](auto is_coupled, auto is_decoupled, auto has_m) {
                        second_pass<T, decltype(is_coupled)::value, decltype(is_decoupled)::value,
                                    decltype(has_m)::value, Scaled>(p, g.grads[i], st, scale, static_cast<T>(decay),
                                                                    decay_coef, d_eps, value);
                    };
                    if (beta1 > 0) {
                        if (decoupled) run(std::false_type{}, std::true_type{}, std::true_type{});
                        else run(std::false_type{}, std::false_type{}, std::true_type{});
                    } else if (coupled) {
                        run(std::true_type{}, std::false_type{}, std::false_type{});
                    } else if (decoupled) {
                        run(std::false_type{}, std::true_type{}, std::false_type{});
                    } else {
                        run(std::false_type{}, std::false_type{}, std::false_type{});
                    }
                });
            }
            h.k = h.k + 1;
        }
    }

public:
    // Every group's step at once: d is one estimate over all of them (optim::step_groups calls this).
    template <typename T>
    static void step_groups(const std::vector<ParamGroup<Prodigy, T>*>& groups, const std::vector<const T* const*>& grads) {
        std::vector<View<T>> views;
        views.reserve(groups.size());
        for (std::size_t i = 0; i < groups.size(); ++i)
            views.push_back({&groups[i]->hyper_for_step(), &groups[i]->params(), &groups[i]->states(), grads[i],
                             &groups[i]->lr_scales()});
        step_views(views);
    }
};

}  // namespace gradkit::optim
