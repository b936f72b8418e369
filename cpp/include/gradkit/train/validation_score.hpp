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
//
// evaluate() gives the score and the validation loss from the same forward passes: the data loss of
// the network's loss function (nn::loss_value, with the validation sample weights, without the L2
// term, so that it compares across alpha), batch by batch, weighted by each batch's weight sum.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/nn/loss.hpp"
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

// A visitor of each batch's rows and outputs, for what is computed beside the score.
template <typename T>
using BatchVisitor = void (*)(void* context, const nn::Batch<T>& batch, const T* p);

template <typename T>
double accuracy(const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws, BatchVisitor<T> visit = nullptr,
                void* context = nullptr) {
    const std::size_t k = net.layout().n_outputs();
    double hits = 0.0, total = 0.0;
    for (std::size_t start = 0; start < set.size; start += ws.capacity()) {
        const std::size_t m = std::min(ws.capacity(), set.size - start);
        const nn::Batch<T> b = set.batch(start, m, ws);
        const T* p = net.forward(b.x, m, ws);
        if (visit) visit(context, b, p);
        for (std::size_t r = 0; r < m; ++r) {
            const double w = b.sample_weight ? static_cast<double>(b.sample_weight[r]) : 1.0;
            if (detail::predicts_row(net.output_activation(), p + r * k, b.y + r * k, k)) hits += w;
            total += w;
        }
    }
    return hits / total;
}

template <typename T>
double r2(const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws, BatchVisitor<T> visit = nullptr,
          void* context = nullptr) {
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
        if (visit) visit(context, b, p);
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

struct ValidationResult {
    double score = std::numeric_limits<double>::quiet_NaN();
    double loss = std::numeric_limits<double>::quiet_NaN();  // NaN when the weights sum to zero
};

// The score and the validation loss in one pass over the set (see the top of this file).
template <typename T>
ValidationResult evaluate(Score kind, const nn::MLP<T>& net, const Rows<T>& set, nn::Workspace<T>& ws) {
    struct LossSum {
        nn::Loss loss;
        std::size_t cols;
        double weighted = 0.0, weights = 0.0;
    } sum{net.loss(), net.layout().n_outputs()};
    const BatchVisitor<T> add = [](void* context, const nn::Batch<T>& b, const T* p) {
        auto& s = *static_cast<LossSum*>(context);
        const double w = nn::weight_sum(b.sample_weight, b.rows);
        if (w == 0.0) return;  // rows that weigh nothing add nothing (loss_value refuses them)
        s.weighted += nn::loss_value(s.loss, b.y, p, b.sample_weight, b.rows, s.cols) * w;
        s.weights += w;
    };
    ValidationResult result;
    result.score = kind == Score::accuracy ? accuracy(net, set, ws, add, &sum) : r2(net, set, ws, add, &sum);
    if (sum.weights != 0.0) result.loss = sum.weighted / sum.weights;
    return result;
}

}  // namespace gradkit::train
