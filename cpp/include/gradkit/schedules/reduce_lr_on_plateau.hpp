// ReduceLROnPlateau: torch.optim.lr_scheduler.ReduceLROnPlateau's metric-driven state machine.
//
// Unlike the step-driven schedules (schedule.hpp) this one has state: the best metric so far, the
// number of bad epochs since, the cooldown counter and last_epoch, with torch's names. A step is two
// parts, as in torch:
//   observe(metric)    torch's step() up to the decision: updates best, num_bad_epochs,
//                      cooldown_counter and last_epoch; true when the lrs are to be reduced
//   reduce(lrs, ...)   torch's _reduce_lr(): lr <- max(lr * factor, min_lr) where that lowers lr by
//                      more than eps; then the cooldown starts and num_bad_epochs is reset
// step(metric, lrs, min_lrs, n) does both. The Python wrapper calls them separately so that it can run
// torch's check of the number of param groups in between.
#pragma once

#include <algorithm>
#include <cstddef>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>

#include "gradkit/schedules/schedule.hpp"

namespace gradkit::schedules {

struct ReduceLROnPlateau {
    static constexpr const char* name = "ReduceLROnPlateau";

    enum class Mode { min, max };
    enum class ThresholdMode { rel, abs };

    struct Args {
        Mode mode = Mode::min;
        double factor = 0.1;
        std::int64_t patience = 10;
        double threshold = 1e-4;
        ThresholdMode threshold_mode = ThresholdMode::rel;
        std::int64_t cooldown = 0;
        double eps = 1e-8;

        // By torch's names; mode and threshold_mode are read as torch's strings through their parser.
        template <class V>
        void visit(V&& v) {
            v("factor", factor);
            v("mode", mode, &parse_mode);
            v("threshold_mode", threshold_mode, &parse_threshold_mode);
            v("patience", patience);
            v("threshold", threshold);
            v("cooldown", cooldown);
            v("eps", eps);
        }
    };

    struct State {
        double best = std::numeric_limits<double>::infinity();
        std::int64_t num_bad_epochs = 0;
        std::int64_t cooldown_counter = 0;
        std::int64_t last_epoch = 0;

        template <class V>
        void visit(V&& v) {
            v("best", best);
            v("num_bad_epochs", num_bad_epochs);
            v("cooldown_counter", cooldown_counter);
            v("last_epoch", last_epoch);
        }
    };

    // torch's messages, in torch's order (factor is checked first, mode and threshold_mode last).
    static Mode parse_mode(const std::string& mode) {
        if (mode == "min") return Mode::min;
        if (mode == "max") return Mode::max;
        throw std::invalid_argument("mode " + mode + " is unknown!");
    }
    static ThresholdMode parse_threshold_mode(const std::string& threshold_mode) {
        if (threshold_mode == "rel") return ThresholdMode::rel;
        if (threshold_mode == "abs") return ThresholdMode::abs;
        throw std::invalid_argument("threshold mode " + threshold_mode + " is unknown!");
    }
    static void validate(const Args& a) {
        if (a.factor >= 1.0) throw std::invalid_argument("Factor should be < 1.0.");
    }

    // torch's mode_worse: the value every metric improves on.
    static double mode_worse(Mode mode) {
        const double inf = std::numeric_limits<double>::infinity();
        return mode == Mode::min ? inf : -inf;
    }

    // torch's _is_better(a, best) for the four combinations of mode and threshold_mode.
    static bool is_better(const Args& args, double a, double best) {
        if (args.mode == Mode::min && args.threshold_mode == ThresholdMode::rel) {
            const double rel_epsilon = 1.0 - args.threshold;
            return a < rounded(best * rel_epsilon);
        }
        if (args.mode == Mode::min) return a < best - args.threshold;
        if (args.threshold_mode == ThresholdMode::rel) {
            const double rel_epsilon = args.threshold + 1.0;
            return a > rounded(best * rel_epsilon);
        }
        return a > best + args.threshold;
    }

    // The lr torch's _reduce_lr leaves in a group: reduced unless that changes it by eps or less.
    static double reduced_lr(const Args& args, double old_lr, double min_lr) {
        const double new_lr = std::max(rounded(old_lr * args.factor), min_lr);
        return (old_lr - new_lr > args.eps) ? new_lr : old_lr;
    }

    Args args;
    State state;

    explicit ReduceLROnPlateau(const Args& a) : args(a) {
        validate(args);
        reset();
    }

    // torch's _reset().
    void reset() {
        state.best = mode_worse(args.mode);
        state.cooldown_counter = 0;
        state.num_bad_epochs = 0;
    }

    bool in_cooldown() const { return state.cooldown_counter > 0; }

    // torch's step(metrics, epoch) up to the decision to reduce; epoch defaults to last_epoch + 1.
    bool observe(double metric) { return observe(metric, state.last_epoch + 1); }
    bool observe(double metric, std::int64_t epoch) {
        state.last_epoch = epoch;
        if (is_better(args, metric, state.best)) {
            state.best = metric;
            state.num_bad_epochs = 0;
        } else {
            ++state.num_bad_epochs;
        }
        if (in_cooldown()) {
            --state.cooldown_counter;
            state.num_bad_epochs = 0;  // bad epochs in the cooldown do not count
        }
        return state.num_bad_epochs > args.patience;
    }

    // torch's _reduce_lr() on n groups' lrs (in place), then the start of the cooldown.
    void reduce(double* lrs, const double* min_lrs, std::size_t n) {
        for (std::size_t i = 0; i < n; ++i) lrs[i] = reduced_lr(args, lrs[i], min_lrs[i]);
        state.cooldown_counter = args.cooldown;
        state.num_bad_epochs = 0;
    }

    // One whole torch step(metrics); true when it reduced (or tried to reduce) the lrs.
    bool step(double metric, double* lrs, const double* min_lrs, std::size_t n) {
        const bool reducing = observe(metric);
        if (reducing) reduce(lrs, min_lrs, n);
        return reducing;
    }
};

}  // namespace gradkit::schedules
