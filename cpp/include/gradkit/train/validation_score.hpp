// The score early stopping watches, as scikit-learn's MLP computes it on its validation split
// (`_score`): accuracy for classifiers, R² for regressors, both with the validation sample weights.
//
// Accuracy is computed on the binarized targets the network trains on, which gives sklearn's label
// comparison: a softmax output predicts the class of its largest probability (the first on ties, as
// argmax), a logistic output predicts each label present when its probability is > 0.5 (LabelBinarizer's
// threshold), and a row counts as correct only if every label matches (subset accuracy for multilabel).
// R² is r2_score with multioutput='uniform_average' and force_finite=True; like sklearn, the score is
// NaN when a prediction is not finite. Sums run in double in row order (NumPy sums pairwise, so the
// last bits of a weighted score may differ from sklearn's).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/nn/mlp.hpp"
#include "gradkit/train/dataset.hpp"

namespace gradkit::train {

enum class Score { accuracy, r2 };

namespace detail {

// Whether row r of the output p predicts the labels of row r of the binarized targets y.
template <typename T>
bool predicts_row(nn::Activation out, const T* p, const T* y, std::size_t k) {
    if (out == nn::Activation::softmax) {
        std::size_t best = 0, truth = 0;
        for (std::size_t j = 1; j < k; ++j) {
            if (p[j] > p[best]) best = j;
            if (y[j] > y[truth]) truth = j;
        }
        return best == truth;
    }
    for (std::size_t j = 0; j < k; ++j)
        if ((p[j] > T(0.5)) != (y[j] > T(0.5))) return false;
    return true;
}

}  // namespace detail

template <typename T>
double accuracy(const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws) {
    const std::size_t k = net.layout().n_outputs();
    double hits = 0.0, total = 0.0;
    for (std::size_t start = 0; start < set.size; start += ws.capacity()) {
        const std::size_t m = std::min(ws.capacity(), set.size - start);
        const nn::Batch<T> b = set.batch(start, m, ws);
        const T* p = net.forward(b.x, m, ws);
        for (std::size_t r = 0; r < m; ++r) {
            const double w = b.sample_weight ? static_cast<double>(b.sample_weight[r]) : 1.0;
            if (detail::predicts_row(net.output_activation(), p + r * k, b.y + r * k, k)) hits += w;
            total += w;
        }
    }
    return hits / total;
}

template <typename T>
double r2(const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws) {
    const std::size_t k = net.layout().n_outputs(), n = set.size;
    if (!set.Y) throw std::invalid_argument("R² needs the targets as a matrix");
    if (n < 2) return std::numeric_limits<double>::quiet_NaN();  // sklearn: not well-defined
    auto weight = [&](std::size_t i) { return set.sample_weight ? static_cast<double>(set.sample_weight[set.row(i)]) : 1.0; };
    // np.average(y_true, axis=0, weights=sample_weight)
    std::vector<double> mean(k, 0.0), num(k, 0.0), den(k, 0.0);
    double wsum = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double w = weight(i);
        const T* y = set.Y + set.row(i) * k;
        for (std::size_t j = 0; j < k; ++j) mean[j] += w * static_cast<double>(y[j]);
        wsum += w;
    }
    for (double& m : mean) m /= wsum;
    bool finite = true;
    for (std::size_t start = 0; start < n; start += ws.capacity()) {
        const std::size_t m = std::min(ws.capacity(), n - start);
        const nn::Batch<T> b = set.batch(start, m, ws);
        const T* p = net.forward(b.x, m, ws);
        for (std::size_t r = 0; r < m; ++r) {
            const double w = b.sample_weight ? static_cast<double>(b.sample_weight[r]) : 1.0;
            for (std::size_t j = 0; j < k; ++j) {
                const double y = b.y[r * k + j], yp = p[r * k + j];
                finite = finite && std::isfinite(yp);
                num[j] += w * ((y - yp) * (y - yp));
                den[j] += w * ((y - mean[j]) * (y - mean[j]));
            }
        }
    }
    if (!finite) return std::numeric_limits<double>::quiet_NaN();
    double total = 0.0;
    for (std::size_t j = 0; j < k; ++j) {
        double s = 1.0;  // a zero numerator: perfect predictions
        if (num[j] != 0.0) s = den[j] != 0.0 ? 1.0 - num[j] / den[j] : 0.0;
        total += s;
    }
    return total / static_cast<double>(k);
}

template <typename T>
double validation_score(Score kind, const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws) {
    return kind == Score::accuracy ? accuracy(net, set, ws) : r2(net, set, ws);
}

}  // namespace gradkit::train
