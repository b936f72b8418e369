// Activation functions and their derivatives, computed as scikit-learn's MLP computes them
// (sklearn/neural_network/_base.py: ACTIVATIONS and DERIVATIVES).
//
// The derivatives take the activation's *output* Z, as sklearn's inplace_*_derivative do: logistic
// Z(1 - Z), tanh 1 - Z², relu 0 where Z == 0. They scale a backpropagated delta in place.
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
enum class Activation { identity, logistic, tanh, relu, softmax, exp };

inline const char* activation_name(Activation a) {
    switch (a) {
        case Activation::identity: return "identity";
        case Activation::logistic: return "logistic";
        case Activation::tanh: return "tanh";
        case Activation::relu: return "relu";
        case Activation::softmax: return "softmax";
        case Activation::exp: return "exp";
    }
    return "?";
}

inline Activation activation_from_name(std::string_view name) {
    for (Activation a : {Activation::identity, Activation::logistic, Activation::tanh, Activation::relu,
                         Activation::softmax, Activation::exp})
        if (name == activation_name(a)) return a;
    throw std::invalid_argument("unknown activation '" + std::string(name) +
                                "'; expected one of identity, logistic, tanh, relu, softmax, exp");
}

// Those with a derivative in sklearn's DERIVATIVES, i.e. those a hidden layer may use.
inline bool is_hidden_activation(Activation a) {
    return a == Activation::identity || a == Activation::logistic || a == Activation::tanh || a == Activation::relu;
}

namespace detail {

// One element of an element-wise activation. logistic is scipy's expit, 1 / (1 + exp(-x)); relu is
// np.maximum(x, 0), which keeps NaN and -0.0.
template <Activation A, typename T>
inline T activate(T x) {
    if constexpr (A == Activation::logistic) return T(1) / (T(1) + std::exp(-x));
    else if constexpr (A == Activation::tanh) return std::tanh(x);
    else if constexpr (A == Activation::relu) return x < T(0) ? T(0) : x;
    else if constexpr (A == Activation::exp) return std::exp(x);
    else return x;
}

// z[r, j] = f(z[r, j] + b[j]) on rows [rb, re): sklearn adds the intercept, then activates in place.
template <Activation A, typename T>
void bias_activation_kernel(T* __restrict z, const T* __restrict b, std::size_t cols, std::size_t rb, std::size_t re) {
    for (std::size_t r = rb; r < re; ++r) {
        T* __restrict row = z + r * cols;
        for (std::size_t j = 0; j < cols; ++j) row[j] = activate<A>(row[j] + b[j]);
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
template <Activation A, typename T>
void derivative_kernel(const T* __restrict Z, T* __restrict delta, std::size_t b, std::size_t e) {
    for (std::size_t i = b; i < e; ++i) {
        if constexpr (A == Activation::logistic) delta[i] = (delta[i] * Z[i]) * (T(1) - Z[i]);
        else if constexpr (A == Activation::tanh) delta[i] *= optim::plus(T(1), -(Z[i] * Z[i]));
        else if constexpr (A == Activation::relu) delta[i] = Z[i] == T(0) ? T(0) : delta[i];
    }
}

template <Activation A, typename T>
void bias_activation(T* z, const T* b, std::size_t rows, std::size_t cols) {
    parallel_rows(rows, cols, [=](std::size_t rb, std::size_t re) { bias_activation_kernel<A>(z, b, cols, rb, re); });
}

}  // namespace detail

// z (rows × cols, row-major) holds x·W; adds the intercept b and applies the activation, in place.
template <typename T>
void add_bias_and_activate(Activation a, T* z, const T* b, std::size_t rows, std::size_t cols) {
    switch (a) {
        case Activation::identity: return detail::bias_activation<Activation::identity>(z, b, rows, cols);
        case Activation::logistic: return detail::bias_activation<Activation::logistic>(z, b, rows, cols);
        case Activation::tanh: return detail::bias_activation<Activation::tanh>(z, b, rows, cols);
        case Activation::relu: return detail::bias_activation<Activation::relu>(z, b, rows, cols);
        case Activation::exp: return detail::bias_activation<Activation::exp>(z, b, rows, cols);
        case Activation::softmax:
            return parallel_rows(rows, cols, [=](std::size_t rb, std::size_t re) {
                detail::bias_softmax_kernel(z, b, cols, rb, re);
            });
    }
}

// sklearn's DERIVATIVES[a](Z, delta) on n elements: delta *= f'(z), with Z = f(z) the layer's output.
// Only hidden activations have one (the output layer's delta is computed directly as p - y).
template <typename T>
void multiply_by_derivative(Activation a, const T* Z, T* delta, std::size_t n) {
    switch (a) {
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
