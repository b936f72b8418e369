// The losses of scikit-learn's MLP (sklearn/neural_network/_base.py: LOSS_FUNCTIONS), with its
// sample weights, 0.5 factor and clipping of probabilities.
//
// Each is np.average(per-element loss, weights=sample_weight, axis=0) reduced over the outputs: .mean()
// for squared_error, .sum() for the others. Sums run in double whatever T is (sklearn sums float32
// data in float32; the difference is far below float32's resolution of the weights).
//
// Beyond sklearn, regression losses on an identity output, each the weighted mean over samples of the
// mean over outputs of a per-element loss of r = y - p:
//   absolute_error  |r|
//   huber           r²/2 where |r| <= delta, delta (|r| - delta/2) beyond
//   pinball         q max(r, 0) + (1 - q) max(-r, 0)   (sklearn.metrics.mean_pinball_loss, alpha = q)
// Their output delta is the exact gradient of that value (output_delta), not p - y.
#pragma once

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <string_view>

#include "gradkit/nn/activation.hpp"

namespace gradkit::nn {

enum class Loss { squared_error, poisson, log_loss, binary_log_loss, absolute_error, huber, pinball };

// A loss with its parameters (only huber and pinball have any).
struct LossFunction {
    Loss kind = Loss::squared_error;
    double huber_delta = 1.0;  // huber: where the quadratic part ends, > 0
    double quantile = 0.5;     // pinball: the quantile q, in (0, 1)
};

inline const char* loss_name(Loss l) {
    switch (l) {
        case Loss::squared_error: return "squared_error";
        case Loss::poisson: return "poisson";
        case Loss::log_loss: return "log_loss";
        case Loss::binary_log_loss: return "binary_log_loss";
        case Loss::absolute_error: return "absolute_error";
        case Loss::huber: return "huber";
        case Loss::pinball: return "pinball";
    }
    return "?";
}

inline Loss loss_from_name(std::string_view name) {
    for (Loss l : {Loss::squared_error, Loss::poisson, Loss::log_loss, Loss::binary_log_loss, Loss::absolute_error,
                   Loss::huber, Loss::pinball})
        if (name == loss_name(l)) return l;
    throw std::invalid_argument("unknown loss '" + std::string(name) +
                                "'; expected one of squared_error, poisson, log_loss, binary_log_loss, "
                                "absolute_error, huber, pinball");
}

// Whether the output delta is simply p - y: the (output activation, loss) pairs sklearn uses.
inline bool is_canonical(Loss l) { return l != Loss::absolute_error && l != Loss::huber && l != Loss::pinball; }

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

// Throws unless `loss` can follow the output activation `out` (sklearn's pairs, and the regression
// losses on an identity output) with valid parameters.
inline void check_loss(const LossFunction& loss, Activation out) {
    const Loss expected = loss_for_output(out);
    const bool ok = loss.kind == expected || (!is_canonical(loss.kind) && out == Activation::identity) ||
                    (expected == Loss::binary_log_loss && loss.kind == Loss::log_loss);
    if (!ok)
        throw std::invalid_argument(std::string("loss '") + loss_name(loss.kind) + "' cannot follow a '" +
                                    activation_name(out) + "' output");
    if (loss.kind == Loss::huber && !(loss.huber_delta > 0.0 && std::isfinite(loss.huber_delta)))
        throw std::invalid_argument("huber_delta must be a finite number > 0, got " + std::to_string(loss.huber_delta));
    if (loss.kind == Loss::pinball && !(loss.quantile > 0.0 && loss.quantile < 1.0))
        throw std::invalid_argument("quantile must be in (0, 1), got " + std::to_string(loss.quantile));
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
inline double element_loss(T y, T p, const LossFunction& f = {}) {
    if constexpr (L == Loss::absolute_error) {
        return std::fabs(static_cast<double>(y) - static_cast<double>(p));
    } else if constexpr (L == Loss::huber) {
        const double r = std::fabs(static_cast<double>(y) - static_cast<double>(p)), d = f.huber_delta;
        return r <= d ? 0.5 * r * r : d * (r - 0.5 * d);
    } else if constexpr (L == Loss::pinball) {
        const double r = static_cast<double>(y) - static_cast<double>(p);
        return r > 0.0 ? f.quantile * r : (f.quantile - 1.0) * r;
    } else if constexpr (L == Loss::squared_error) {
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
double weighted_sum(const T* y, const T* p, const T* sw, std::size_t rows, std::size_t cols, const LossFunction& f = {}) {
    double total = 0.0;
    for (std::size_t r = 0; r < rows; ++r) {
        double row = 0.0;
        for (std::size_t j = 0; j < cols; ++j) row += element_loss<L>(y[r * cols + j], p[r * cols + j], f);
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
double loss_value(const LossFunction& f, const T* y, const T* p, const T* sw, std::size_t rows, std::size_t cols) {
    const double sw_sum = weight_sum(sw, rows);
    if (!(sw_sum != 0.0)) throw std::domain_error("Weights sum to zero, can't be normalized");
    const double per_output = sw_sum * static_cast<double>(cols);
    switch (f.kind) {
        case Loss::absolute_error: return detail::weighted_sum<Loss::absolute_error>(y, p, sw, rows, cols, f) / per_output;
        case Loss::huber: return detail::weighted_sum<Loss::huber>(y, p, sw, rows, cols, f) / per_output;
        case Loss::pinball: return detail::weighted_sum<Loss::pinball>(y, p, sw, rows, cols, f) / per_output;
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

template <typename T>
double loss_value(Loss loss, const T* y, const T* p, const T* sw, std::size_t rows, std::size_t cols) {
    return loss_value(LossFunction{loss}, y, p, sw, rows, cols);
}

namespace detail {

// d element_loss / d p for the regression losses beyond sklearn's, at the kinks: sign(0) = 0 for
// absolute_error and huber's linear part, and 0 for pinball where p == y (inside its subgradient
// [-q, 1 - q]; pinball at q = 0.5 is half the absolute error, and so is its gradient everywhere).
template <Loss L, typename T>
inline T element_gradient(T y, T p, T delta_or_q) {
    const T r = p - y;
    const T sign = r > T(0) ? T(1) : (r < T(0) ? T(-1) : T(0));
    if constexpr (L == Loss::absolute_error) return sign;
    else if constexpr (L == Loss::huber) return std::fabs(r) <= delta_or_q ? r : delta_or_q * sign;
    else {
        static_assert(L == Loss::pinball, "element_gradient: a regression loss beyond sklearn's");
        return r > T(0) ? T(1) - delta_or_q : (r < T(0) ? -delta_or_q : T(0));
    }
}

// The output delta of rows [rb, re): for sklearn's pairs activations[-1] - y scaled by the row's
// sample weight (the numbers of its `_backprop`; for squared_error with k outputs that is k times the
// derivative of its loss, which averages over the outputs: kept, being sklearn's); for the others
// sw · d loss / d p · (1/k), so that after backprop's division by sw_sum it is the exact gradient.
template <Loss L, typename T, bool Weighted>
void output_delta_kernel(const T* __restrict p, const T* __restrict y, const T* __restrict sw, T* __restrict d,
                         std::size_t cols, std::size_t rb, std::size_t re, T param) {
    const T inv_k = T(1) / static_cast<T>(cols);
    for (std::size_t r = rb; r < re; ++r)
        for (std::size_t j = 0; j < cols; ++j) {
            const std::size_t i = r * cols + j;
            if constexpr (L == Loss::squared_error) {  // every canonical pair
                d[i] = Weighted ? (p[i] - y[i]) * sw[r] : p[i] - y[i];
            } else {
                const T g = element_gradient<L>(y[i], p[i], param) * inv_k;
                d[i] = Weighted ? g * sw[r] : g;
            }
        }
}

template <Loss L, typename T>
void output_delta_rows(const T* p, const T* y, const T* sw, T* d, std::size_t cols, std::size_t rb, std::size_t re,
                       T param) {
    if (sw) output_delta_kernel<L, T, true>(p, y, sw, d, cols, rb, re, param);
    else output_delta_kernel<L, T, false>(p, y, sw, d, cols, rb, re, param);
}

}  // namespace detail

// d[r, j] = the output delta of row r (rows [rb, re) of row-major rows × cols p, y, d; sw null or one
// weight a row), before backprop's division by the weight sum.
template <typename T>
void output_delta(const LossFunction& f, const T* p, const T* y, const T* sw, T* d, std::size_t cols, std::size_t rb,
                  std::size_t re) {
    switch (f.kind) {
        case Loss::absolute_error:
            return detail::output_delta_rows<Loss::absolute_error>(p, y, sw, d, cols, rb, re, T(0));
        case Loss::huber:
            return detail::output_delta_rows<Loss::huber>(p, y, sw, d, cols, rb, re, static_cast<T>(f.huber_delta));
        case Loss::pinball:
            return detail::output_delta_rows<Loss::pinball>(p, y, sw, d, cols, rb, re, static_cast<T>(f.quantile));
        default: return detail::output_delta_rows<Loss::squared_error>(p, y, sw, d, cols, rb, re, T(0));
    }
}

}  // namespace gradkit::nn
