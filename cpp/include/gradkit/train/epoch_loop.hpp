// The minibatch epoch loop of scikit-learn's MLP (`_fit_stochastic`), step for step:
//   per epoch: one shuffle of the sample order (NumPy's legacy RandomState), minibatches of
//   batch_size consecutive positions of that order, for each: backprop, then one optimizer step over
//   the whole flat parameter buffer; the epoch's loss is sum(batch loss × batch rows) / n;
//   then n_iter_ += 1, t_ += n, loss_curve_, the no-improvement count (on the training loss, or on the
//   validation score with early stopping, keeping a copy of the best weights), the rate policy's
//   epoch end (sklearn's iteration_ends), and past n_iter_no_change stalled epochs the policy's
//   plateau action (stop, or divide the rate as 'adaptive' does). With early stopping the best
//   weights are put back at the end.
//
// Beyond sklearn: validation data can be scored without stopping on it (stop_on_validation false), its
// loss is recorded beside its score (one forward pass for both, validation_score.hpp), and which weights
// the fit ends on is a choice (KeepWeights): sklearn's, the best epoch's of this fit, or the last.
//
// Beyond sklearn: a momentum-cycling schedule (OneCycleLR, CyclicLR) sets the rule's momentum or beta1
// wherever it sets the rate; a hook sees every epoch's results and may stop training (the Python binding calls
// into Python through it, once per epoch), and with stop_on_divergence divergence stops training with
// DivergedError, the weights put back to those at the end of the previous epoch (a copy per epoch costs
// one pass over the parameters, small beside an epoch's products); without it the loop goes on as
// sklearn's does, NaN and all.
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <functional>
#include <limits>
#include <numeric>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/nn/mlp.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/clip_grad.hpp"
#include "gradkit/train/dataset.hpp"
#include "gradkit/train/progress.hpp"
#include "gradkit/train/rate_policy.hpp"
#include "gradkit/train/step_rule.hpp"
#include "gradkit/train/validation_score.hpp"

namespace gradkit::train {

// The weights a fit ends on.
enum class KeepWeights {
    sklearn,  // the best validation score's with early stopping (carried across fits), else the last epoch's
    best,     // this fit's best epoch's: by the validation score with validation data, else the training loss
    last,     // the last epoch's
};

struct LoopOptions {
    std::size_t batch_size = 200;  // already clipped to [1, n] by the caller, as sklearn clips it
    bool shuffle = true;
    std::int64_t max_iter = 200;
    double alpha = 1e-4;
    double tol = 1e-4;
    double n_iter_no_change = 10;  // may be +inf (never stall)
    bool incremental = false;      // partial_fit: one epoch
    Score score = Score::accuracy;  // what early stopping watches
    double clip_grad_norm = 0.0;    // > 0: each step's gradient scaled to this L2 norm at most (torch's clip_grad_norm_)
    // A non-finite loss or weight: stop with DivergedError on the previous epoch's weights (true), or
    // record it and go on as sklearn does (false: the NaN enters loss_curve_ and the stopping tests).
    bool stop_on_divergence = true;
    // With a validation set: its score counts the epochs without improvement (sklearn's early stopping);
    // false: it is only scored, and stopping stays on the training loss.
    bool stop_on_validation = true;
    KeepWeights keep = KeepWeights::sklearn;  // an enum, bound by name as score is

    // The numeric and flag fields by name, as pointers to members (score and keep, enums, are not among them).
    template <class V>
    static void fields(V&& v) {
        v("batch_size", &LoopOptions::batch_size);
        v("shuffle", &LoopOptions::shuffle);
        v("max_iter", &LoopOptions::max_iter);
        v("alpha", &LoopOptions::alpha);
        v("tol", &LoopOptions::tol);
        v("n_iter_no_change", &LoopOptions::n_iter_no_change);
        v("incremental", &LoopOptions::incremental);
        v("clip_grad_norm", &LoopOptions::clip_grad_norm);
        v("stop_on_divergence", &LoopOptions::stop_on_divergence);
        v("stop_on_validation", &LoopOptions::stop_on_validation);
    }
};

// One epoch's results, for the hook.
struct EpochReport {
    std::int64_t epoch = 0;  // sklearn's n_iter_ after this epoch
    double loss = 0.0;
    bool has_validation_score = false;
    double validation_score = std::numeric_limits<double>::quiet_NaN();
    double validation_loss = std::numeric_limits<double>::quiet_NaN();  // with a validation score
    double lr = 0.0;       // the rate the epoch's steps used (at its start)
    double next_lr = 0.0;  // the rate for the next epoch
    bool stalled = false;  // more than n_iter_no_change epochs without improvement
    PlateauAction action = PlateauAction::stop;  // what the policy did about it, if stalled
    // The step rule's adapted group state after the epoch (StepRule::group_values: Prodigy's d), by name.
    std::vector<std::pair<std::string, double>> group_state;
};

// Returns true to stop training after this epoch.
using EpochHook = std::function<bool(const EpochReport&)>;

enum class StopReason { max_iter, stalled, rate_too_small, hook, incremental };

inline const char* stop_reason_name(StopReason r) {
    switch (r) {
        case StopReason::max_iter: return "max_iter";
        case StopReason::stalled: return "stalled";
        case StopReason::rate_too_small: return "rate_too_small";
        case StopReason::hook: return "hook";
        case StopReason::incremental: return "incremental";
    }
    return "?";
}

// Training produced a non-finite loss or weight; the weights are those of the previous epoch.
class DivergedError : public std::domain_error {
public:
    DivergedError(std::int64_t epoch, double loss, double lr)
        : std::domain_error(message(epoch, loss)), epoch_(epoch), loss_(loss), lr_(lr) {}
    std::int64_t epoch() const { return epoch_; }
    double loss() const { return loss_; }
    double lr() const { return lr_; }

private:
    static std::string message(std::int64_t epoch, double loss) {
        const std::string what = std::isfinite(loss) ? "some weights are not finite" : "the loss is " + optim::repr(loss);
        return "training diverged in epoch " + std::to_string(epoch) + ": " + what +
               "; the weights at the end of epoch " + std::to_string(epoch - 1) + " were kept";
    }
    std::int64_t epoch_;
    double loss_, lr_;
};

namespace detail {

template <typename T>
bool all_finite(const T* __restrict p, std::size_t n) {
    bool ok = true;
    for (std::size_t i = 0; i < n; ++i) ok &= std::isfinite(p[i]);
    return ok;
}

}  // namespace detail

template <typename T>
class EpochLoop {
public:
    // The network, rule and policy must outlive the loop; the rule updates net.params(). Each
    // minibatch step takes the next masks of `dropout` (null: none).
    EpochLoop(nn::MLP<T>& net, StepRule<T>& rule, RatePolicy& rate, nn::DropoutStream* dropout = nullptr)
        : net_(net), rule_(rule), rate_(rate), dropout_(dropout) {}

    // Trains on `train`; with a validation set (early stopping) keeps the best weights in best_params
    // (net.n_params() values, the caller's, carried across fits as sklearn's _best_coefs) and puts
    // them back at the end (opt.keep chooses otherwise; KeepWeights::best uses best_params too). rs draws
    // the per-epoch order when options.shuffle. progress is read and updated in place, and is up to date
    // whenever the hook runs or an exception leaves.
    StopReason fit(const Rows<T>& train, const Rows<T>* validation, T* best_params, nn::LegacyRandomState* rs,
                   const LoopOptions& opt, Progress& progress, const EpochHook& hook = {}) {
        check(train, validation, best_params, rs, opt);
        apply_momentum();  // the policy's, at its step count (a fresh schedule's first, or where partial_fit left it)
        const std::size_t n = train.size, bs = opt.batch_size, n_params = net_.n_params();
        nn::Workspace<T> ws(net_.layout(), bs);
        std::vector<std::int64_t> order(n), rows(bs);
        std::iota(order.begin(), order.end(), std::int64_t{0});
        std::vector<T> previous(opt.stop_on_divergence ? n_params : 0);
        T* params = net_.params();
        // Each batch reads rows of X through the shuffled order composed with the set's own index.
        const bool gathered = opt.shuffle || train.index;
        std::int64_t steps = 0;
        // This fit's best epoch for KeepWeights::best, by a value to minimise (the training loss, or
        // minus the validation score).
        double fit_best = std::numeric_limits<double>::infinity();
        std::int64_t fit_best_epoch = 0;

        progress.n_iter = 0;
        for (std::int64_t it = 0; it < opt.max_iter; ++it) {
            if (opt.shuffle) rs->shuffle(order.data(), n);
            if (opt.stop_on_divergence) std::copy(params, params + n_params, previous.begin());
            // Between epochs the parameters hold the point to evaluate (Schedule-Free's x, Lookahead's slow
            // weights); the batches take their gradients where the rule steps (y, the fast weights).
            rule_.set_mode(true);
            const double lr = rule_.lr();
            double accumulated = 0.0;
            for (std::size_t start = 0; start < n; start += bs) {
                const std::size_t m = std::min(bs, n - start);
                nn::Batch<T> batch;
                if (gathered) {
                    for (std::size_t i = 0; i < m; ++i) rows[i] = train.index ? train.index[order[start + i]] : order[start + i];
                    batch = ws.defer_gather(train.X, train.Y, train.labels, train.sample_weight, rows.data(), m);
                } else {
                    batch = train.batch(start, m, ws);
                }
                const nn::DropoutStep masks = dropout_ ? dropout_->next() : nn::DropoutStep{};
                accumulated += net_.backprop(batch, opt.alpha, ws, masks) * static_cast<double>(m);
                if (opt.clip_grad_norm > 0) clip_norm(ws.grads(), n_params, opt.clip_grad_norm);
                rule_.step(ws.grads());
                double step_lr = rule_.lr();
                rate_.after_step(++steps, step_lr);
                if (step_lr != rule_.lr()) rule_.set_lr(step_lr);
                apply_momentum();
            }
            rule_.set_mode(false);
            const double loss = accumulated / static_cast<double>(n);
            if (opt.stop_on_divergence && (!std::isfinite(loss) || !detail::all_finite(params, n_params))) {
                std::copy(previous.begin(), previous.end(), params);
                throw DivergedError(progress.n_iter + 1, loss, lr);
            }

            progress.n_iter += 1;
            progress.loss = loss;
            progress.t += static_cast<std::int64_t>(n);
            progress.loss_curve.push_back(loss);

            EpochReport report;
            report.epoch = progress.n_iter;
            report.loss = loss;
            report.lr = lr;
            report.group_state = rule_.group_values();
            const auto position = static_cast<std::int64_t>(progress.loss_curve.size());
            bool improved = false;  // on the monitored value: the validation score if any, else the loss
            double value = loss;    // the same, as a value to minimise
            if (validation) {
                const ValidationResult v = evaluate(opt.score, net_, *validation, ws);
                report.has_validation_score = true;
                report.validation_score = v.score;
                report.validation_loss = v.loss;
                progress.validation_loss_curve.push_back(v.loss);
                if (!opt.stop_on_validation) record_loss(progress, opt.tol);
                improved = record_validation_score(progress, v.score, opt.tol, opt.stop_on_validation);
                if (improved && opt.stop_on_validation && opt.keep == KeepWeights::sklearn)
                    std::copy(params, params + n_params, best_params);
                value = -v.score;
            } else {
                improved = record_loss(progress, opt.tol);
            }
            if (improved) progress.best_epoch = position;
            if (opt.keep == KeepWeights::best && value < fit_best) {
                fit_best = value;
                fit_best_epoch = position;
                std::copy(params, params + n_params, best_params);
            }

            double next = rule_.lr();
            rate_.after_epoch({progress.n_iter, progress.t, loss}, next);
            if (next != rule_.lr()) rule_.set_lr(next);
            apply_momentum();

            StopReason stop = StopReason::max_iter;
            bool stopping = false;
            if (static_cast<double>(progress.no_improvement_count) > opt.n_iter_no_change) {
                report.stalled = true;
                report.action = rate_.on_plateau(next);
                if (report.action == PlateauAction::rate_reduced) {
                    rule_.set_lr(next);
                    progress.no_improvement_count = 0;
                } else {
                    stopping = true;
                    stop = report.action == PlateauAction::stop ? StopReason::stalled : StopReason::rate_too_small;
                }
            }
            report.next_lr = rule_.lr();
            if (hook && hook(report) && !stopping) {
                stopping = true;
                stop = StopReason::hook;
            }
            if (!stopping && opt.incremental) {
                stopping = true;
                stop = StopReason::incremental;
            }
            if (stopping) {
                finish(validation, best_params, opt, fit_best_epoch, progress);
                return stop;
            }
        }
        finish(validation, best_params, opt, fit_best_epoch, progress);
        return StopReason::max_iter;
    }

private:
    // A momentum-cycling schedule sets the rule's momentum (or beta1) after each of its steps.
    void apply_momentum() {
        const double m = rate_.momentum();
        if (!std::isnan(m) && m != rule_.momentum()) rule_.set_momentum(m);
    }

    void finish(const Rows<T>* validation, const T* best_params, const LoopOptions& opt, std::int64_t fit_best_epoch,
                Progress& progress) {
        const bool restore = opt.keep == KeepWeights::best ? fit_best_epoch > 0
                                                           : opt.keep == KeepWeights::sklearn && validation &&
                                                                 opt.stop_on_validation;
        if (restore) std::copy(best_params, best_params + net_.n_params(), net_.params());
        if (opt.keep == KeepWeights::best && fit_best_epoch > 0) progress.best_epoch = fit_best_epoch;
    }

    // torch's clip_grad_norm_ over the one flat gradient: scaled by max_norm / (norm + 1e-6) when above.
    static void clip_norm(T* grad, std::size_t n, double max_norm) {
        const double coefficient = optim::clip_coefficient(optim::array_norm<T>({grad, n}, 2.0), max_norm);
        if (coefficient < 1.0) optim::scale_in_place<T>({grad, n}, coefficient);
    }

    void check(const Rows<T>& train, const Rows<T>* validation, const T* best_params, const nn::LegacyRandomState* rs,
               const LoopOptions& opt) const {
        if (train.size == 0) throw std::invalid_argument("the training set has no rows");
        if (!train.Y && !train.labels) throw std::invalid_argument("the training set has no targets");
        if (!train.Y && net_.output_activation() != nn::Activation::softmax)
            throw std::invalid_argument("class labels as targets need a softmax output (single-label multiclass)");
        if (opt.batch_size == 0 || opt.batch_size > train.size)
            throw std::invalid_argument("batch_size must be in [1, " + std::to_string(train.size) + "], got " +
                                        std::to_string(opt.batch_size));
        if (opt.max_iter < 1) throw std::invalid_argument("max_iter must be at least 1");
        if (!(opt.clip_grad_norm >= 0) || std::isinf(opt.clip_grad_norm))
            throw std::invalid_argument("clip_grad_norm must be a finite non-negative number (0: no clipping)");
        if (opt.shuffle && !rs) throw std::invalid_argument("shuffling needs a random state");
        if (!best_params && ((validation && opt.stop_on_validation) || opt.keep == KeepWeights::best))
            throw std::invalid_argument("early stopping and KeepWeights::best need a buffer for the best weights");
        if (validation && validation->size == 0) throw std::invalid_argument("the validation set has no rows");
    }

    nn::MLP<T>& net_;
    StepRule<T>& rule_;
    RatePolicy& rate_;
    nn::DropoutStream* dropout_;
};

}  // namespace gradkit::train
