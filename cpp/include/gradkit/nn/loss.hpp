// The losses of scikit-learn's MLP (sklearn/neural_network/_base.py: LOSS_FUNCTIONS), with its
// sample weights, 0.5 factor and clipping of probabilities.
//
// Each is np.average(per-element loss, weights=sample_weight, axis=0) reduced over the outputs: .mean()
// for squared_error, .sum() for the others. Sums run in double whatever T is (sklearn sums float32
// data in float32; the difference is far below float32's resolution of the weights).
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>

#include "gradkit/nn/activation.hpp"

namespace gradkit::nn {

enum class Loss { squared_error, poisson, log_loss, binary_log_loss };

inline const char* loss_name(Loss l) {
    switch (l) {
        case Loss::squared_error: return "squared_error";
        case Loss::poisson: return "poisson";
        case Loss::log_loss: return "log_loss";
        case Loss::binary_log_loss: return "binary_log_loss";
    }
    return "?";
}

// The loss sklearn pairs with each output activation (`_backprop` switches log_loss to binary_log_loss
// for a logistic output). Each pair is canonical, which is why the output delta is simply p - y.
inline Loss loss_for_output(Activation out) {
    switch (out) {
        case Activation::identity: return Loss::squared_error;
        case Activation::exp: return Loss::poisson;
        case Activation::softmax: return Loss::log_loss;
        case Activation::logistic: return Loss::binary_log_loss;
        default:
            throw std::invalid_argument(std::string("activation '") + activation_name(out) +
                                        "' cannot be an output activation; expected identity, exp, softmax or logistic");
    }
}

namespace detail {

// scipy.special.xlogy: 0 where x == 0 (unless y is NaN), x log y otherwise.
inline double xlogy(double x, double y) { return (x == 0.0 && !std::isnan(y)) ? 0.0 : x * std::log(y); }

// np.clip(p, eps, 1 - eps) with eps = np.finfo(T).eps, in T as NumPy clips.
template <typename T>
inline T clip_probability(T p) {
    constexpr T eps = std::numeric_limits<T>::epsilon();
    const T lo = p < eps ? eps : p;
    return lo > T(1) - eps ? T(1) - eps : lo;
}

template <Loss L, typename T>
inline double element_loss(T y, T p) {
    if constexpr (L == Loss::squared_error) {
        const double d = static_cast<double>(y - p);
        return d * d;
    } else if constexpr (L == Loss::poisson) {
        const double yd = y, pd = p;
        return xlogy(yd, yd / pd) - yd + pd;
    } else if constexpr (L == Loss::log_loss) {
        return xlogy(y, clip_probability(p));
    } else {
        const T q = clip_probability(p);
        return xlogy(y, q) + xlogy(static_cast<T>(T(1) - y), static_cast<T>(T(1) - q));
    }
}

// sum_i w_i sum_j loss(y_ij, p_ij), w_i = 1 without weights.
template <Loss L, typename T>
double weighted_sum(const T* y, const T* p, const T* sw, std::size_t rows, std::size_t cols) {
    double total = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        double row = 0.0;
        for (std::size_t j = 0; j < cols; ++j) row += element_loss<L>(y[r * cols + j], p[r * cols + j]);
        total += sw ? static_cast<double>(sw[r]) * row : row;
    }
    return total;
}

}  // namespace detail

// sum of the sample weights, or the number of rows without them: sklearn's `sw_sum`.
template <typename T>
double weight_sum(const T* sw, std::size_t rows) {
    if (!sw) return static_cast<double>(rows);
    double s = 0.0;
    for (std::size_t r = 0; r < rows; ++r) s += sw[r];
    return s;
}

// LOSS_FUNCTIONS[loss](y_true, y_pred, sample_weight) for row-major (rows × cols) y and p; sw may be
// null. log_loss with one column is the binary log loss, as sklearn appends the complementary column.
// Weights summing to zero raise (np.average raises ZeroDivisionError).
template <typename T>
double loss_value(Loss loss, const T* y, const T* p, const T* sw, std::size_t rows, std::size_t cols) {
    const double sw_sum = weight_sum(sw, rows);
    if (!(sw_sum != 0.0)) throw std::domain_error("Weights sum to zero, can't be normalized");
    switch (loss) {
        case Loss::squared_error:
            return 0.5 * (detail::weighted_sum<Loss::squared_error>(y, p, sw, rows, cols) / sw_sum) /
                   static_cast<double>(cols);
        case Loss::poisson: return detail::weighted_sum<Loss::poisson>(y, p, sw, rows, cols) / sw_sum;
        case Loss::log_loss:
            if (cols == 1) return -detail::weighted_sum<Loss::binary_log_loss>(y, p, sw, rows, cols) / sw_sum;
            return -detail::weighted_sum<Loss::log_loss>(y, p, sw, rows, cols) / sw_sum;
        case Loss::binary_log_loss:
            return -detail::weighted_sum<Loss::binary_log_loss>(y, p, sw, rows, cols) / sw_sum;
    }
    return 0.0;
}

}  // namespace gradkit::nn
