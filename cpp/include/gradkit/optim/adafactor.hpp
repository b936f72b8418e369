// Adafactor (Shazeer & Stern 2018) as torch.optim.Adafactor (torch 2.13, its CPU for-loop
// _single_tensor_adafactor): the second moment of a parameter with two or more dimensions is kept as the
// factors of its last two dimensions, a row mean and a column mean of g^2 per matrix (a 3-D or higher
// array is a stack of matrices, each factored on its own, as torch does); a 0-D or 1-D parameter keeps it
// whole. For step t (with beta2_t = 1 - t^beta2_decay, rho = min(lr, 1/sqrt(t))):
//   alpha = max(eps2, RMS(p)) * rho                         (RMS of the parameter before the decay)
//   p *= 1 - lr * weight_decay
//   R = lerp(R, mean_cols(g^2), 1 - beta2_t);  C = lerp(C, mean_rows(g^2), 1 - beta2_t)
//   V = R C / max(mean(R), eps1)      (1-D: V = lerp(V, g^2, 1 - beta2_t))
//   U = g / sqrt(max(V, eps1^2));  p -= alpha / max(1, RMS(U) / d) * U
// eps1 None is the dtype's machine epsilon. torch's row and column means are its norms squared and
// divided, rounded as torch rounds them; the sums inside the norms accumulate in double (float32 too).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <optional>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/buffer_shape.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/each_stepped.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/pointwise.hpp"

namespace gradkit::optim {

struct Adafactor {
    static constexpr const char* name = "Adafactor";
    // Its second moment is factored over each matrix's rows and columns: callers holding a network in one
    // flat buffer give it the layers' arrays (train/step_rule.hpp).
    static constexpr bool reads_shapes = true;

    struct Hyper {
        double lr = 1e-2;
        double beta2_decay = -0.8;
        std::pair<std::optional<double>, double> eps{std::nullopt, 1e-3};  // (eps1, eps2)
        double d = 1.0;
        double weight_decay = 0.0;
        std::optional<bool> foreach;  // torch's implementation choice; the numbers are its for-loop's
        bool maximize = false;

        template <class V>
        void visit(V&& v) {
            v("lr", lr);
            v("beta2_decay", beta2_decay);
            v("eps", eps);
            v("d", d);
            v("weight_decay", weight_decay);
            v("foreach", foreach);
            v("maximize", maximize);
        }
    };

    // torch's checks and messages.
    static void validate(const Hyper& h) {
        if (!(0.0 <= h.lr)) invalid("Learning rate should be >= 0 but is: " + repr(h.lr));
        if (!(0.0 >= h.beta2_decay)) invalid("beta2_decay should be <= 0 but is: " + repr(h.beta2_decay));
        if (h.eps.first && !(0.0 <= *h.eps.first)) invalid("epsilon1 should be >= 0 but is: " + repr(*h.eps.first));
        if (!(0.0 <= h.eps.second)) invalid("epsilon2 should be >= 0 but is: " + repr(h.eps.second));
        if (!(1.0 <= h.d)) invalid("Clipping threshold d should be >= 1 but is: " + repr(h.d));
        if (!(0.0 <= h.weight_decay)) invalid("weight_decay should be >= 0 but is: " + repr(h.weight_decay));
    }

    template <typename T>
    struct State {
        double step = 0;
        std::vector<T> row_var, col_var;  // a parameter with ndim >= 2
        std::vector<T> variance;          // ndim 0 or 1

        template <class V>
        void visit(V&& v) {
            v("step", step);
            v("row_var", row_var, BufferShape::row_factor);
            v("col_var", col_var, BufferShape::col_factor);
            v("variance", variance);
        }
    };

    // The buffers depend on the parameter's shape, which init does not see: step_group creates them.
    template <typename T>
    static void init(const Hyper&, State<T>& s, const T*, std::size_t) {
        s = State<T>{};
    }

    template <typename T>
    static void init_shaped(State<T>& s, const ArrayRef<T>& p) {
        s = State<T>{};
        if (p.is_matrix_stack()) {
            s.row_var.assign(p.matrices() * p.rows, T(0));
            s.col_var.assign(p.matrices() * p.cols, T(0));
        } else {
            s.variance.assign(p.size, T(0));
        }
    }

    // A loaded state must have the buffers of the parameter's shape (the bindings check each one's shape).
    template <typename T>
    static void check_state(const Hyper&, const State<T>& s, const ArrayRef<T>& p) {
        if (p.is_matrix_stack()) {
            if (s.row_var.size() != p.matrices() * p.rows || s.col_var.size() != p.matrices() * p.cols ||
                !s.variance.empty())
                invalid("a parameter with " + std::to_string(p.ndim) +
                        " dimensions keeps 'row_var' and 'col_var' (its factored second moment), not 'variance'");
        } else if (s.variance.size() != p.size || !s.row_var.empty() || !s.col_var.empty()) {
            invalid("a parameter with " + std::to_string(p.ndim) +
                    " dimension(s) keeps 'variance', not 'row_var' and 'col_var' (only matrices are factored)");
        }
        if (!(s.step >= 0)) invalid("'step' is " + repr(s.step) + ", a count of steps");
    }

    template <typename T>
    static void step_group(Hyper& h, const std::vector<ArrayRef<T>>& params, std::vector<std::optional<State<T>>>& states,
                           const T* const* grads, const std::vector<ArrayRef<const T>>& scales) {
        // Refusals first, so that nothing changes when one is raised.
        for (std::size_t i = 0; i < params.size(); ++i) {
            if (grads[i] == nullptr) continue;
            if (params[i].size == 0)
                invalid("parameter " + std::to_string(i) + " of the group is empty: Adafactor divides by its size");
            if (states[i]) check_state(h, *states[i], params[i]);
        }
        each_stepped(
            params, states, grads, scales, [](State<T>& st, const ArrayRef<T>& p) { init_shaped(st, p); },
            [&](std::size_t i, State<T>& st, const T* scale) {
                with_scaled(scale, [&](auto is_scaled) {
                    update<T, decltype(is_scaled)::value>(h, st, params[i], grads[i], scale);
                });
            });
    }

private:
    // Python's max(a, b) and min(a, b): the first argument unless the second compares greater (less).
    static double py_max(double a, double b) { return b > a ? b : a; }
    static double py_min(double a, double b) { return b < a ? b : a; }

    // torch's x.norm(2) of a T tensor: a T value (the sum of squares accumulated in double here).
    template <typename T>
    static T norm_of_sum(double sum_sq) {
        return static_cast<T>(std::sqrt(sum_sq));
    }

    // torch's norm(...).square_().div_(count): the norm rounded to T, squared in T, divided in T.
    template <typename T>
    static T mean_square(double sum_sq, std::size_t count) {
        const T n = norm_of_sum<T>(sum_sq);
        return (n * n) / static_cast<T>(count);
    }

    // torch's var.lerp_(end, weight) where `end` is a rounded value (std::fma keeps a factor rounded, so the
    // difference is never fused with a product that made `end`).
    template <typename T>
    static T lerp_to(T self, T end, T weight) {
        const bool small = std::abs(weight) < T(0.5);
        const T diff = std::fma(end, T(1), -self);
        return fmadd(small ? weight : weight - T(1), diff, small ? self : end);
    }

    // update.clamp_(min=eps1^2).rsqrt_().mul_(grad): torch's rsqrt is 1 / sqrt.
    template <typename T>
    static T scaled_grad(T var_estimate, T eps1_sq, T g) {
        const T clamped = var_estimate < eps1_sq ? eps1_sq : var_estimate;  // NaN stays NaN, as torch's clamp
        return (T(1) / std::sqrt(clamped)) * g;
    }

    // sum x_i^2 in double, over 8 fixed lanes: the loop vectorises, and the order is the same on any thread
    // count.
    template <typename T>
    static double sum_of_squares(const T* x, std::size_t n) {
        double lane[8] = {0, 0, 0, 0, 0, 0, 0, 0};
        std::size_t i = 0;
        for (; i + 8 <= n; i += 8)
            for (std::size_t k = 0; k < 8; ++k) {
                const double v = static_cast<double>(x[i + k]);
                lane[k] += v * v;
            }
        double tail = 0.0;
        for (; i < n; ++i) {
            const double v = static_cast<double>(x[i]);
            tail += v * v;
        }
        return ((lane[0] + lane[1]) + (lane[2] + lane[3])) + ((lane[4] + lane[5]) + (lane[6] + lane[7])) + tail;
    }

    // The update U of a matrix row (or of a vector, with row_var * col_var replaced by the variance):
    // var_estimate = R C / max(mean(R), eps1), then clamp_(min=eps1^2).rsqrt_().mul_(grad).
    template <typename T>
    static void row_update(T* __restrict u, T rv, const T* __restrict col, T divisor, T eps1_sq, T sign,
                           const T* __restrict g, std::size_t cols) {
        for (std::size_t c = 0; c < cols; ++c) u[c] = scaled_grad((rv * col[c]) / divisor, eps1_sq, sign * g[c]);
    }

    // The scratch buffer U of the running thread, grown as needed (not freed between steps).
    template <typename T>
    static T* scratch(std::size_t n) {
        thread_local std::vector<T> buffer;
        if (buffer.size() < n) buffer.resize(n);
        return buffer.data();
    }

    template <typename T, bool Scaled>
    static void update(const Hyper& h, State<T>& s, const ArrayRef<T>& param, const T* grad, const T* scale) {
        T* p = param.data;
        const std::size_t n = param.size;
        const T sign = h.maximize ? T(-1) : T(1);
        const double eps1 = h.eps.first ? *h.eps.first : static_cast<double>(std::numeric_limits<T>::epsilon());
        const double eps2 = h.eps.second;

        s.step += 1;
        const double t = s.step;
        const double one_minus_beta2_t = std::pow(t, h.beta2_decay);
        const double inv_sqrt_t = 1 / std::pow(t, 0.5);
        const double rho = py_min(h.lr, inv_sqrt_t);
        const double rms_factor =
            py_max(eps2, static_cast<double>(norm_of_sum<T>(sum_of_squares(p, n))) / std::pow(double(n), 0.5));
        const double alpha = rms_factor * rho;

        const T w = static_cast<T>(one_minus_beta2_t);
        const T eps1_sq = static_cast<T>(eps1 * eps1);
        T* u = scratch<T>(n);
        if (param.is_matrix_stack()) {
            const std::size_t matrices = param.matrices(), rows = param.rows, cols = param.cols;
            T* R = s.row_var.data();
            T* C = s.col_var.data();
            std::vector<double> col_sq(cols);
            for (std::size_t b = 0; b < matrices; ++b) {
                const T* g = grad + b * rows * cols;
                T* Rb = R + b * rows;
                T* Cb = C + b * cols;
                std::fill(col_sq.begin(), col_sq.end(), 0.0);
                for (std::size_t r = 0; r < rows; ++r) {
                    const T* gr = g + r * cols;
                    for (std::size_t c = 0; c < cols; ++c) {
                        const double x = static_cast<double>(gr[c]);
                        col_sq[c] += x * x;
                    }
                    Rb[r] = lerp_to(Rb[r], mean_square<T>(sum_of_squares(gr, cols), cols), w);
                }
                for (std::size_t c = 0; c < cols; ++c) Cb[c] = lerp_to(Cb[c], mean_square<T>(col_sq[c], rows), w);
                // row_var.mean(dim=-2).clamp_(min=eps1): torch's sum rounded to T, then divided.
                double r_sum = 0.0;
                for (std::size_t r = 0; r < rows; ++r) r_sum += static_cast<double>(Rb[r]);
                const T mean = static_cast<T>(r_sum) / static_cast<T>(rows);
                const T e1 = static_cast<T>(eps1);
                const T divisor = mean < e1 ? e1 : mean;  // NaN stays NaN
                for (std::size_t r = 0; r < rows; ++r)
                    row_update(u + (b * rows + r) * cols, Rb[r], Cb, divisor, eps1_sq, sign, g + r * cols, cols);
            }
        } else {
            T* V = s.variance.data();
            for (std::size_t i = 0; i < n; ++i) {
                const T gi = sign * grad[i];
                V[i] = lerp_to(V[i], gi * gi, w);
            }
            for (std::size_t i = 0; i < n; ++i) u[i] = scaled_grad(V[i], eps1_sq, sign * grad[i]);
        }
        const double denom =
            py_max(1.0, static_cast<double>(norm_of_sum<T>(sum_of_squares(u, n))) / (std::pow(double(n), 0.5) * h.d));
        const T coef = static_cast<T>(-alpha / denom);
        const bool decays = h.weight_decay != 0;
        const T decay = static_cast<T>(1 - h.lr * h.weight_decay);
        const T decay_rate = T(1) - decay;
        // p.mul_(1 - lr * weight_decay) (only when weight_decay != 0), then p.add_(U, alpha=-alpha / denom).
        for (std::size_t i = 0; i < n; ++i) {
            T pi = p[i];
            if (decays) pi = pi * scaled_decay<Scaled>(decay, decay_rate, scale, i);
            T step_coef = coef;
            if constexpr (Scaled) {
                // Element i steps with lr * scale[i]: its rho and so its alpha are its own.
                const double rho_i = py_min(h.lr * static_cast<double>(scale[i]), inv_sqrt_t);
                step_coef = static_cast<T>(-(rms_factor * rho_i) / denom);
            }
            p[i] = fmadd(u[i], step_coef, pi);
        }
    }
};

}  // namespace gradkit::optim
