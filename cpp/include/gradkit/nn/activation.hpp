// Activation functions and their derivatives, computed as scikit-learn's MLP computes them
// (sklearn/neural_network/_base.py: ACTIVATIONS and DERIVATIVES).
//
// The derivatives take the activation's *output* Z, as sklearn's inplace_*_derivative do: logistic
// Z(1 - Z), tanh 1 - Z², relu 0 where Z == 0. They scale a backpropagated delta in place.
//
// Beyond sklearn, hidden activations with torch.nn.functional's definitions (torch 2.13):
//   leaky_relu  x > 0 ? x : negative_slope·x                      (F.leaky_relu, slope 0.01 by default)
//   elu         x > 0 ? x : expm1(x)                              (F.elu, alpha = 1)
//   softplus    x > 20 ? x : log1p(exp(x))                        (F.softplus, beta = 1, threshold = 20)
//   silu        x / (1 + exp(-x))                                 (F.silu)
//   gelu        x/2 · (1 + erf(x/√2))                             (F.gelu, approximate='none': exact)
//   gelu_tanh   x/2 · (1 + tanh(√(2/π)(x + 0.044715 x³)))         (F.gelu, approximate='tanh')
// leaky_relu, elu and softplus have derivatives in Z too (slope where Z <= 0; Z + 1 where Z <= 0;
// 1 - exp(-Z)). silu and gelu are not invertible from Z: their derivatives read the pre-activation,
// which the forward pass keeps for them only (needs_preactivation).
#pragma once

#include <cmath>
#include <cstddef>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::nn {

// sklearn's names. identity/logistic/tanh/relu serve hidden layers; identity (squared error), exp
// (Poisson), logistic (binary and multilabel) and softmax (multiclass) serve the output layer.
enum class Activation { identity, logistic, tanh, relu, softmax, exp, leaky_relu, elu, gelu, gelu_tanh, silu, softplus };

// The parameters of the activations that have one; the others ignore them.
struct ActivationParams {
    double negative_slope = 0.01;  // leaky_relu's, torch's default
};

inline const char* activation_name(Activation a) {
    switch (a) {
        case Activation::identity: return "identity";
        case Activation::logistic: return "logistic";
        case Activation::tanh: return "tanh";
        case Activation::relu: return "relu";
        case Activation::softmax: return "softmax";
        case Activation::exp: return "exp";
        case Activation::leaky_relu: return "leaky_relu";
        case Activation::elu: return "elu";
        case Activation::gelu: return "gelu";
        case Activation::gelu_tanh: return "gelu_tanh";
        case Activation::silu: return "silu";
        case Activation::softplus: return "softplus";
    }
    return "?";
}

inline Activation activation_from_name(std::string_view name) {
    for (Activation a : {Activation::identity, Activation::logistic, Activation::tanh, Activation::relu,
                         Activation::softmax, Activation::exp, Activation::leaky_relu, Activation::elu, Activation::gelu,
                         Activation::gelu_tanh, Activation::silu, Activation::softplus})
        if (name == activation_name(a)) return a;
    throw std::invalid_argument("unknown activation '" + std::string(name) +
                                "'; expected one of identity, logistic, tanh, relu, softmax, exp, leaky_relu, elu, "
                                "gelu, gelu_tanh, silu, softplus");
}

// Those with a derivative here, i.e. those a hidden layer may use: all but softmax and exp.
inline bool is_hidden_activation(Activation a) { return a != Activation::softmax && a != Activation::exp; }

// Whose derivative needs the pre-activation x rather than the output Z.
inline bool needs_preactivation(Activation a) {
    return a == Activation::gelu || a == Activation::gelu_tanh || a == Activation::silu;
}

namespace detail {

// √(2/π) and 1/√2, 1/√(2π), as torch's GELU kernels write them.
inline constexpr double kSqrt2OverPi = 0.79788456080286535588;
inline constexpr double kSqrtHalf = 0.70710678118654752440;
inline constexpr double kInvSqrt2Pi = 0.39894228040143267794;
inline constexpr double kGeluTanhCubic = 0.044715;
inline constexpr double kSoftplusThreshold = 20.0;  // torch's default: linear above it

// One element of an element-wise activation. logistic is scipy's expit, 1 / (1 + exp(-x)); relu is
// np.maximum(x, 0), which keeps NaN and -0.0. `slope` is leaky_relu's.
template <Activation A, typename T>
inline T activate(T x, T slope = T(0)) {
    if constexpr (A == Activation::logistic) return T(1) / (T(1) + std::exp(-x));
    else if constexpr (A == Activation::tanh) return std::tanh(x);
    else if constexpr (A == Activation::relu) return x < T(0) ? T(0) : x;
    else if constexpr (A == Activation::exp) return std::exp(x);
    else if constexpr (A == Activation::leaky_relu) return x > T(0) ? x : x * slope;
    else if constexpr (A == Activation::elu) return x > T(0) ? x : std::expm1(x);
    else if constexpr (A == Activation::softplus) return x > T(kSoftplusThreshold) ? x : std::log1p(std::exp(x));
    else if constexpr (A == Activation::silu) return x / (T(1) + std::exp(-x));
    else if constexpr (A == Activation::gelu) return x * T(0.5) * (T(1) + std::erf(x * T(kSqrtHalf)));
    else if constexpr (A == Activation::gelu_tanh) {
        const T inner = T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x * x * x);
        return T(0.5) * x * (T(1) + std::tanh(inner));
    } else return x;
}

// f'(x) from the pre-activation x, for the activations that need it.
template <Activation A, typename T>
inline T derivative_at(T x) {
    if constexpr (A == Activation::silu) {
        const T s = T(1) / (T(1) + std::exp(-x));
        return s * (T(1) + x * (T(1) - s));
    } else if constexpr (A == Activation::gelu) {
        return T(0.5) * (T(1) + std::erf(x * T(kSqrtHalf))) + x * T(kInvSqrt2Pi) * std::exp(T(-0.5) * x * x);
    } else {
        static_assert(A == Activation::gelu_tanh, "derivative_at: an activation whose derivative needs x");
        const T x2 = x * x;
        const T t = std::tanh(T(kSqrt2OverPi) * (x + T(kGeluTanhCubic) * x2 * x));
        return T(0.5) * (T(1) + t) + T(0.5) * x * (T(1) - t * t) * T(kSqrt2OverPi) * (T(1) + T(3 * kGeluTanhCubic) * x2);
    }
}

// z[r, j] = f(z[r, j] + b[j]) on rows [rb, re): sklearn adds the intercept, then activates in place.
template <Activation A, typename T>
void bias_activation_kernel(T* __restrict z, const T* __restrict b, std::size_t cols, std::size_t rb, std::size_t re,
                            T slope) {
    for (std::size_t r = rb; r < re; ++r) {
        T* __restrict row = z + r * cols;
        for (std::size_t j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + b[j], slope);
    }
}

// The same keeping the pre-activation x = z + b in pre (same shape as z), for a derivative that needs it.
template <Activation A, typename T>
void bias_activation_keep_kernel(T* __restrict z, T* __restrict pre, const T* __restrict b, std::size_t cols,
                                 std::size_t rb, std::size_t re) {
    for (std::size_t r = rb; r < re; ++r) {
        T* __restrict row = z + r * cols;
        T* __restrict x = pre + r * cols;
        for (std::size_t j = 0; j < cols; ++j) {
            x[j] = row[j] + b[j];
            row[j] = activate<A>(x[j]);
        }
    }
}

// sklearn's inplace_softmax after the intercept: exp(x - row max), then divided by the row's sum.
template <typename T>
void bias_softmax_kernel(T* __restrict z, const T* __restrict b, std::size_t cols, std::size_t rb, std::size_t re) {
    for (std::size_t r = rb; r < re; ++r) {
        T* __restrict row = z + r * cols;
        T top = row[0] + b[0];
        for (std::size_t j = 0; j < cols; ++j) {
            row[j] += b[j];
            top = row[j] > top ? row[j] : top;
        }
        T sum = T(0);
        for (std::size_t j = 0; j < cols; ++j) {
            row[j] = std::exp(row[j] - top);
            sum += row[j];
        }
        for (std::size_t j = 0; j < cols; ++j) row[j] /= sum;
    }
}

// delta *= f'(z), from Z = f(z), on [b, e). The products are rounded as NumPy rounds them (no fused
// multiply-add): logistic delta*Z*(1-Z) in that order, tanh delta*(1 - Z²).
// The new ones from Z as well: leaky_relu the slope where Z <= 0 (Z > 0 exactly where x > 0, for a
// slope >= 0); elu Z + 1 = exp(x) where Z <= 0; softplus sigmoid(x) = -expm1(-Z), 1 above the threshold.
template <Activation A, typename T>
void derivative_kernel(const T* __restrict Z, T* __restrict delta, std::size_t b, std::size_t e, T slope = T(0)) {
    for (std::size_t i = b; i < e; ++i) {
        if constexpr (A == Activation::logistic) delta[i] = (delta[i] * Z[i]) * (T(1) - Z[i]);
        else if constexpr (A == Activation::tanh) delta[i] *= optim::plus(T(1), -(Z[i] * Z[i]));
        else if constexpr (A == Activation::relu) delta[i] = Z[i] == T(0) ? T(0) : delta[i];
        else if constexpr (A == Activation::leaky_relu) delta[i] = Z[i] > T(0) ? delta[i] : delta[i] * slope;
        else if constexpr (A == Activation::elu) delta[i] = Z[i] > T(0) ? delta[i] : delta[i] * (Z[i] + T(1));
        else if constexpr (A == Activation::softplus)
            delta[i] = Z[i] > T(kSoftplusThreshold) ? delta[i] : delta[i] * -std::expm1(-Z[i]);
    }
}

// delta *= f'(x) from the pre-activation x.
template <Activation A, typename T>
void derivative_from_input_kernel(const T* __restrict x, T* __restrict delta, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) delta[i] *= derivative_at<A>(x[i]);
}

template <Activation A, typename T>
void bias_activation(T* z, const T* b, std::size_t rows, std::size_t cols, T slope = T(0)) {
    parallel_rows(rows, cols,
                  [=](std::size_t rb, std::size_t re) { bias_activation_kernel<A>(z, b, cols, rb, re, slope); });
}

template <Activation A, typename T>
void bias_activation(T* z, const T* b, std::size_t rows, std::size_t cols, T* pre) {
    if (!pre) return bias_activation<A>(z, b, rows, cols);
    parallel_rows(rows, cols,
                  [=](std::size_t rb, std::size_t re) { bias_activation_keep_kernel<A>(z, pre, b, cols, rb, re); });
}

template <Activation A, typename T>
void derivative(const T* Z, T* delta, std::size_t n, T slope = T(0)) {
    parallel_chunks(n, [=](std::size_t b, std::size_t e) { derivative_kernel<A>(Z, delta, b, e, slope); });
}

template <Activation A, typename T>
void derivative_from_input(const T* x, T* delta, std::size_t n) {
    parallel_chunks(n, [=](std::size_t b, std::size_t e) { derivative_from_input_kernel<A>(x, delta, b, e); });
}

}  // namespace detail

// z (rows × cols, row-major) holds x·W; adds the intercept b and applies the activation, in place.
// For an activation that needs_preactivation, a non-null `pre` (rows × cols) receives z + b for the
// derivative; forward-only passes leave it null.
template <typename T>
void add_bias_and_activate(Activation a, T* z, const T* b, std::size_t rows, std::size_t cols,
                           const ActivationParams& params = {}, T* pre = nullptr) {
    switch (a) {
        case Activation::identity: return detail::bias_activation<Activation::identity>(z, b, rows, cols);
        case Activation::logistic: return detail::bias_activation<Activation::logistic>(z, b, rows, cols);
        case Activation::tanh: return detail::bias_activation<Activation::tanh>(z, b, rows, cols);
        case Activation::relu: return detail::bias_activation<Activation::relu>(z, b, rows, cols);
        case Activation::exp: return detail::bias_activation<Activation::exp>(z, b, rows, cols);
        case Activation::leaky_relu:
            return detail::bias_activation<Activation::leaky_relu>(z, b, rows, cols, static_cast<T>(params.negative_slope));
        case Activation::elu: return detail::bias_activation<Activation::elu>(z, b, rows, cols);
        case Activation::softplus: return detail::bias_activation<Activation::softplus>(z, b, rows, cols);
        case Activation::silu: return detail::bias_activation<Activation::silu>(z, b, rows, cols, pre);
        case Activation::gelu: return detail::bias_activation<Activation::gelu>(z, b, rows, cols, pre);
        case Activation::gelu_tanh: return detail::bias_activation<Activation::gelu_tanh>(z, b, rows, cols, pre);
        case Activation::softmax:
            return parallel_rows(rows, cols, [=](std::size_t rb, std::size_t re) {
                detail::bias_softmax_kernel(z, b, cols, rb, re);
            });
    }
}

// sklearn's DERIVATIVES[a](Z, delta) on n elements: delta *= f'(z), with Z = f(z) the layer's output,
// or for an activation that needs_preactivation, x the pre-activation (add_bias_and_activate's `pre`).
// Only hidden activations have one (the output layer's delta is computed directly by the loss).
template <typename T>
void multiply_by_derivative(Activation a, const T* Z, T* delta, std::size_t n, const ActivationParams& params = {},
                            const T* x = nullptr) {
    if (needs_preactivation(a) && !x)
        throw std::invalid_argument(std::string("activation '") + activation_name(a) +
                                    "' needs its pre-activation for its derivative");
    switch (a) {
        case Activation::leaky_relu:
            return detail::derivative<Activation::leaky_relu>(Z, delta, n, static_cast<T>(params.negative_slope));
        case Activation::elu: return detail::derivative<Activation::elu>(Z, delta, n);
        case Activation::softplus: return detail::derivative<Activation::softplus>(Z, delta, n);
        case Activation::silu: return detail::derivative_from_input<Activation::silu>(x, delta, n);
        case Activation::gelu: return detail::derivative_from_input<Activation::gelu>(x, delta, n);
        case Activation::gelu_tanh: return detail::derivative_from_input<Activation::gelu_tanh>(x, delta, n);
        case Activation::identity: return;
        case Activation::logistic:
            return parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                detail::derivative_kernel<Activation::logistic>(Z, delta, b, e);
            });
        case Activation::tanh:
            return parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                detail::derivative_kernel<Activation::tanh>(Z, delta, b, e);
            });
        case Activation::relu:
            return parallel_chunks(n, [=](std::size_t b, std::size_t e) {
                detail::derivative_kernel<Activation::relu>(Z, delta, b, e);
            });
        case Activation::softmax:
        case Activation::exp:
            throw std::invalid_argument(std::string("activation '") + activation_name(a) +
                                        "' has no derivative here: it serves only the output layer");
    }
}

}  // namespace gradkit::nn
