#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/schedules/reduce_lr_on_plateau.hpp"

namespace gs = gradkit::schedules;
using Plateau = gs::ReduceLROnPlateau;

namespace {

Plateau::Args args(Plateau::Mode mode, Plateau::ThresholdMode tm, double threshold, std::int64_t patience,
                   std::int64_t cooldown = 0, double factor = 0.5, double eps = 1e-8) {
    Plateau::Args a;
    a.mode = mode;
    a.threshold_mode = tm;
    a.threshold = threshold;
    a.patience = patience;
    a.cooldown = cooldown;
    a.factor = factor;
    a.eps = eps;
    return a;
}

std::string message_of(void (*f)()) {
    try {
        f();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST(ReduceLROnPlateau, ChecksWithTorchsMessages) {
    EXPECT_EQ(message_of([] { Plateau p(args(Plateau::Mode::min, Plateau::ThresholdMode::rel, 1e-4, 1, 0, 1.0)); }),
              "Factor should be < 1.0.");
    EXPECT_EQ(message_of([] { Plateau::parse_mode("maximum"); }), "mode maximum is unknown!");
    EXPECT_EQ(message_of([] { Plateau::parse_threshold_mode("relative"); }), "threshold mode relative is unknown!");
    EXPECT_EQ(Plateau::parse_mode("max"), Plateau::Mode::max);
    EXPECT_EQ(Plateau::parse_threshold_mode("abs"), Plateau::ThresholdMode::abs);
}

TEST(ReduceLROnPlateau, StartsAtTheWorstValueForTheMode) {
    const double inf = std::numeric_limits<double>::infinity();
    EXPECT_EQ(Plateau(args(Plateau::Mode::min, Plateau::ThresholdMode::rel, 1e-4, 1)).state.best, inf);
    EXPECT_EQ(Plateau(args(Plateau::Mode::max, Plateau::ThresholdMode::abs, 1e-4, 1)).state.best, -inf);
}

TEST(ReduceLROnPlateau, IsBetterForEachModeAndThresholdMode) {
    const auto min_rel = args(Plateau::Mode::min, Plateau::ThresholdMode::rel, 0.1, 1);
    EXPECT_TRUE(Plateau::is_better(min_rel, 0.89, 1.0));
    EXPECT_FALSE(Plateau::is_better(min_rel, 0.9, 1.0));  // needs < best * (1 - threshold)
    const auto min_abs = args(Plateau::Mode::min, Plateau::ThresholdMode::abs, 0.1, 1);
    EXPECT_TRUE(Plateau::is_better(min_abs, 0.5, 0.75));
    EXPECT_FALSE(Plateau::is_better(min_abs, 0.7, 0.75));
    const auto max_rel = args(Plateau::Mode::max, Plateau::ThresholdMode::rel, 0.1, 1);
    EXPECT_TRUE(Plateau::is_better(max_rel, 1.2, 1.0));
    EXPECT_FALSE(Plateau::is_better(max_rel, 1.05, 1.0));
    const auto max_abs = args(Plateau::Mode::max, Plateau::ThresholdMode::abs, 0.1, 1);
    EXPECT_TRUE(Plateau::is_better(max_abs, 1.25, 1.0));
    EXPECT_FALSE(Plateau::is_better(max_abs, 1.05, 1.0));
    // Any finite metric improves on the starting value.
    EXPECT_TRUE(Plateau::is_better(min_rel, 1e300, std::numeric_limits<double>::infinity()));
    EXPECT_TRUE(Plateau::is_better(max_abs, -1e300, -std::numeric_limits<double>::infinity()));
}

TEST(ReduceLROnPlateau, ReducesAfterMoreThanPatienceBadSteps) {
    Plateau p(args(Plateau::Mode::min, Plateau::ThresholdMode::rel, 1e-4, 2));
    std::vector<double> lrs{0.1, 0.01};
    const std::vector<double> min_lrs{0.0, 0.004};
    EXPECT_FALSE(p.step(1.0, lrs.data(), min_lrs.data(), 2));  // baseline
    EXPECT_FALSE(p.step(1.0, lrs.data(), min_lrs.data(), 2));  // bad 1
    EXPECT_FALSE(p.step(1.0, lrs.data(), min_lrs.data(), 2));  // bad 2
    EXPECT_EQ(p.state.num_bad_epochs, 2);
    EXPECT_TRUE(p.step(1.0, lrs.data(), min_lrs.data(), 2));  // bad 3 > patience
    EXPECT_EQ(lrs[0], 0.05);
    EXPECT_EQ(lrs[1], 0.005);
    EXPECT_EQ(p.state.num_bad_epochs, 0);
    EXPECT_EQ(p.state.last_epoch, 4);
    EXPECT_EQ(p.state.best, 1.0);
    for (int i = 0; i < 2; ++i) EXPECT_FALSE(p.step(1.0, lrs.data(), min_lrs.data(), 2));
    EXPECT_TRUE(p.step(1.0, lrs.data(), min_lrs.data(), 2));
    EXPECT_EQ(lrs[1], 0.004);  // clipped at min_lr
    EXPECT_FALSE(p.step(0.5, lrs.data(), min_lrs.data(), 2));  // an improvement resets the count
    EXPECT_EQ(p.state.best, 0.5);
    EXPECT_EQ(p.state.num_bad_epochs, 0);
}

TEST(ReduceLROnPlateau, CooldownIgnoresBadSteps) {
    Plateau p(args(Plateau::Mode::max, Plateau::ThresholdMode::abs, 0.0, 0, 2));
    std::vector<double> lrs{1.0};
    const std::vector<double> min_lrs{0.0};
    p.step(1.0, lrs.data(), min_lrs.data(), 1);
    EXPECT_TRUE(p.step(0.0, lrs.data(), min_lrs.data(), 1));
    EXPECT_EQ(lrs[0], 0.5);
    EXPECT_EQ(p.state.cooldown_counter, 2);
    EXPECT_TRUE(p.in_cooldown());
    EXPECT_FALSE(p.step(0.0, lrs.data(), min_lrs.data(), 1));
    EXPECT_EQ(p.state.cooldown_counter, 1);
    EXPECT_FALSE(p.step(0.0, lrs.data(), min_lrs.data(), 1));
    EXPECT_EQ(p.state.cooldown_counter, 0);
    EXPECT_EQ(p.state.num_bad_epochs, 0);
    EXPECT_TRUE(p.step(0.0, lrs.data(), min_lrs.data(), 1));
    EXPECT_EQ(lrs[0], 0.25);
}

TEST(ReduceLROnPlateau, EpsSkipsTinyReductions) {
    const auto a = args(Plateau::Mode::min, Plateau::ThresholdMode::rel, 1e-4, 0, 0, 0.9, 1e-3);
    EXPECT_EQ(Plateau::reduced_lr(a, 0.1, 0.0), 0.1 * 0.9);
    EXPECT_EQ(Plateau::reduced_lr(a, 0.005, 0.0), 0.005);  // 0.0005 <= eps
    EXPECT_EQ(Plateau::reduced_lr(a, 0.1, 0.0995), 0.1);   // min_lr makes the change too small
}

TEST(ReduceLROnPlateau, ObserveTakesAnExplicitEpoch) {
    Plateau p(args(Plateau::Mode::min, Plateau::ThresholdMode::abs, 0.0, 5));
    p.observe(3.0, 17);
    EXPECT_EQ(p.state.last_epoch, 17);
    p.observe(2.0);
    EXPECT_EQ(p.state.last_epoch, 18);
    EXPECT_EQ(p.state.best, 2.0);
}
