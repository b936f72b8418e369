// scikit-learn's training bookkeeping for the stochastic solvers, carried from one fit to the next
// (warm_start, partial_fit) by the caller: the estimator's n_iter_, t_, loss_, loss_curve_, best_loss_,
// validation_scores_, best_validation_score_ and _no_improvement_count; beyond sklearn, the
// validation loss of every epoch and the best epoch (validation_loss_curve_, best_epoch_).
#pragma once

#include <cstdint>
#include <limits>
#include <vector>

namespace gradkit::train {

struct Progress {
    std::int64_t n_iter = 0;  // epochs of the current fit (sklearn restarts the count at every fit call)
    std::int64_t t = 0;       // samples seen over all fits
    double loss = std::numeric_limits<double>::quiet_NaN();
    std::vector<double> loss_curve;
    double best_loss = std::numeric_limits<double>::infinity();  // without early stopping
    std::vector<double> validation_scores;                        // with validation data
    double best_validation_score = -std::numeric_limits<double>::infinity();
    std::int64_t no_improvement_count = 0;
    std::vector<double> validation_loss_curve;  // with validation data, beside validation_scores
    // The 1-based position in loss_curve of the best epoch by the monitored value (the validation
    // score with validation data, else the training loss), or of the epoch whose weights were restored;
    // 0: none yet.
    std::int64_t best_epoch = 0;

    // Each field by its name, as a pointer to member: the bindings expose and pickle them from this list.
    template <class V>
    static void fields(V&& v) {
        v("n_iter", &Progress::n_iter);
        v("t", &Progress::t);
        v("loss", &Progress::loss);
        v("loss_curve", &Progress::loss_curve);
        v("best_loss", &Progress::best_loss);
        v("validation_scores", &Progress::validation_scores);
        v("best_validation_score", &Progress::best_validation_score);
        v("no_improvement_count", &Progress::no_improvement_count);
        v("validation_loss_curve", &Progress::validation_loss_curve);
        v("best_epoch", &Progress::best_epoch);
    }
};

// sklearn's `_update_no_improvement_count` without early stopping: did the last epoch's loss improve
// on the best one by more than tol? Returns whether the loss is a new best.
inline bool record_loss(Progress& p, double tol) {
    const double last = p.loss_curve.back();
    if (last > p.best_loss - tol) ++p.no_improvement_count;
    else p.no_improvement_count = 0;
    if (last < p.best_loss) {
        p.best_loss = last;
        return true;
    }
    return false;
}

// The same with early stopping, on the validation score (`counts`: false when validation data is only
// scored, training stopping on the training loss). Returns whether the score is a new best (the
// caller then keeps a copy of the weights). A NaN score resets the count, as in sklearn.
inline bool record_validation_score(Progress& p, double score, double tol, bool counts = true) {
    p.validation_scores.push_back(score);
    if (counts) {
        if (score < p.best_validation_score + tol) ++p.no_improvement_count;
        else p.no_improvement_count = 0;
    }
    if (score > p.best_validation_score) {
        p.best_validation_score = score;
        return true;
    }
    return false;
}

}  // namespace gradkit::train
