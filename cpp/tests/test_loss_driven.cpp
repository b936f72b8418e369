#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"

namespace gs = gradkit::schedules;
using Adaptive = gs::AdaptiveLR;
using BoldDriver = gs::BoldDriverLR;

namespace {

const double kInf = std::numeric_limits<double>::infinity();
const double kNaN = std::numeric_limits<double>::quiet_NaN();

Adaptive::Args adaptive_args(std::int64_t patience, double tol, double factor = 0.2) {
    Adaptive::Args a;
    a.patience = patience;
    a.tol = tol;
    a.factor = factor;
    return a;
}

BoldDriver::Args bold_args(double increase, double decrease) {
    BoldDriver::Args a;
    a.increase = increase;
    a.decrease = decrease;
    return a;
}

// One group without bounds.
struct OneGroup {
    std::vector<double> lrs;
    std::vector<double> lo{-kInf};
    std::vector<double> hi{kInf};
    explicit OneGroup(double lr) : lrs{lr} {}
};

}  // namespace

// --- AdaptiveLR -------------------------------------------------------------------------------

TEST(AdaptiveLR, DefaultsAreTheIssues) {
    const Adaptive::Args a;
    EXPECT_EQ(a.factor, 0.2);
    EXPECT_EQ(a.patience, 2);
    EXPECT_EQ(a.tol, 1e-4);
    EXPECT_EQ(Adaptive::stop_lr, 1e-6);
    const Adaptive s(a);
    EXPECT_EQ(s.state.best_loss, kInf);
    EXPECT_EQ(s.state.no_improvement_count, 0);
    EXPECT_FALSE(s.state.stopped);
}

TEST(AdaptiveLR, RejectsBadArguments) {
    EXPECT_THROW(Adaptive(adaptive_args(2, 1e-4, 1.0)), std::invalid_argument);
    EXPECT_THROW(Adaptive(adaptive_args(2, 1e-4, 0.0)), std::invalid_argument);
    EXPECT_THROW(Adaptive(adaptive_args(2, 1e-4, kNaN)), std::invalid_argument);
    EXPECT_THROW(Adaptive(adaptive_args(-1, 1e-4)), std::invalid_argument);
    EXPECT_THROW(Adaptive(adaptive_args(2, -1e-4)), std::invalid_argument);
    EXPECT_THROW(Adaptive(adaptive_args(2, kInf)), std::invalid_argument);
    try {
        Adaptive(adaptive_args(2, 1e-4, 1.5));
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "AdaptiveLR: factor must be in (0, 1), got 1.5");
    }
}

TEST(AdaptiveLR, DividesByFiveExactlyAsSklearn) {
    // lr / 5.0 and lr * 0.2 differ in the last bit for many lrs; sklearn divides.
    for (double lr : {0.1, 0.3, 0.7, 1e-3, 0.123456789}) {
        EXPECT_EQ(Adaptive::reduced_lr(Adaptive::Args{}, lr, -kInf, kInf), lr / 5.0);
    }
    EXPECT_EQ(Adaptive::reduced_lr(Adaptive::Args{}, 0.1, 0.05, kInf), 0.05);
    EXPECT_EQ(Adaptive::reduced_lr(Adaptive::Args{}, 1.0, 0.0, 0.1), 0.1);
}

TEST(AdaptiveLR, CountsLikeSklearnsUpdateNoImprovementCount) {
    Adaptive s(adaptive_args(10, 0.5));
    s.observe(1.0);  // from inf: an improvement
    EXPECT_EQ(s.state.no_improvement_count, 0);
    EXPECT_EQ(s.state.best_loss, 1.0);
    s.observe(0.75);  // lower, but by less than tol: no improvement, yet best_loss follows
    EXPECT_EQ(s.state.no_improvement_count, 1);
    EXPECT_EQ(s.state.best_loss, 0.75);
    s.observe(0.25);  // exactly tol below: an improvement ("loss > best - tol" is false)
    EXPECT_EQ(s.state.no_improvement_count, 0);
    s.observe(2.0);  // a rise: best_loss stays
    EXPECT_EQ(s.state.no_improvement_count, 1);
    EXPECT_EQ(s.state.best_loss, 0.25);
    s.observe(kNaN);  // NaN: no improvement
    EXPECT_EQ(s.state.no_improvement_count, 2);
    EXPECT_EQ(s.state.best_loss, 0.25);
    EXPECT_EQ(s.state.last_epoch, 5);
}

TEST(AdaptiveLR, DividesAfterMoreThanPatienceEpochsThenStops) {
    Adaptive s(adaptive_args(1, 1e-4));
    OneGroup g(4e-6);
    const auto step = [&](double loss) { return s.step(loss, g.lrs.data(), g.lo.data(), g.hi.data(), 1); };
    EXPECT_FALSE(step(1.0));
    EXPECT_FALSE(step(1.0));  // count 1
    EXPECT_TRUE(step(1.0));   // count 2 > 1: divide
    EXPECT_EQ(g.lrs[0], 4e-6 / 5.0);
    EXPECT_EQ(s.state.no_improvement_count, 0);
    EXPECT_FALSE(step(1.0));
    EXPECT_TRUE(step(1.0));  // 8e-7 <= 1e-6: stop, lr and count kept
    EXPECT_TRUE(s.state.stopped);
    EXPECT_EQ(g.lrs[0], 4e-6 / 5.0);
    EXPECT_EQ(s.state.no_improvement_count, 2);
    // Stopped is final: even an lr raised by hand is left alone.
    g.lrs[0] = 0.1;
    for (int k = 0; k < 5; ++k) EXPECT_FALSE(step(1.0));
    EXPECT_EQ(g.lrs[0], 0.1);
    EXPECT_EQ(s.state.last_epoch, 10);
}

TEST(AdaptiveLR, DividesEachGroupAboveStopLrAndStopsWhenNoneIs) {
    Adaptive s(adaptive_args(0, 1e-4));
    std::vector<double> lrs{0.0, 4e-6, 0.01};
    const std::vector<double> lo{-kInf, -kInf, 1e-3}, hi{kInf, kInf, kInf};
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 3);
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 3);  // count 1 > 0
    EXPECT_EQ(lrs, (std::vector<double>{0.0, 4e-6 / 5.0, 0.01 / 5.0}));
    EXPECT_FALSE(s.state.stopped);
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 3);
    // Group 1 is at or below stop_lr now; group 2 is held at its min_lr.
    EXPECT_EQ(lrs, (std::vector<double>{0.0, 4e-6 / 5.0, 1e-3}));
    EXPECT_FALSE(s.state.stopped);
    // Group 2 rests at min_lr = 1e-3 > stop_lr, so the rule goes on and never stops.
    for (int k = 0; k < 5; ++k) s.step(1.0, lrs.data(), lo.data(), hi.data(), 3);
    EXPECT_FALSE(s.state.stopped);
    EXPECT_EQ(lrs, (std::vector<double>{0.0, 4e-6 / 5.0, 1e-3}));
}

TEST(AdaptiveLR, StopsWhenEveryGroupIsAtOrBelowStopLr) {
    Adaptive s(adaptive_args(0, 1e-4));
    std::vector<double> lrs{0.0, 1e-6};
    const std::vector<double> lo{-kInf, -kInf}, hi{kInf, kInf};
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 2);
    EXPECT_FALSE(s.state.stopped);
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 2);
    EXPECT_TRUE(s.state.stopped);
    EXPECT_EQ(lrs, (std::vector<double>{0.0, 1e-6}));
}

// --- BoldDriverLR -----------------------------------------------------------------------------

TEST(BoldDriverLR, DefaultsAndChecks) {
    const BoldDriver::Args a;
    EXPECT_EQ(a.increase, 1.05);
    EXPECT_EQ(a.decrease, 0.5);
    EXPECT_NO_THROW(BoldDriver(bold_args(1.0, 1.0)));
    EXPECT_THROW(BoldDriver(bold_args(0.99, 0.5)), std::invalid_argument);
    EXPECT_THROW(BoldDriver(bold_args(kInf, 0.5)), std::invalid_argument);
    EXPECT_THROW(BoldDriver(bold_args(kNaN, 0.5)), std::invalid_argument);
    EXPECT_THROW(BoldDriver(bold_args(1.05, 0.0)), std::invalid_argument);
    EXPECT_THROW(BoldDriver(bold_args(1.05, 1.01)), std::invalid_argument);
    EXPECT_THROW(BoldDriver(bold_args(1.05, kNaN)), std::invalid_argument);
    try {
        BoldDriver(bold_args(0.5, 0.5));
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "BoldDriverLR: increase must be a finite number >= 1, got 0.5");
    }
}

TEST(BoldDriverLR, FollowsTheSignOfTheChange) {
    BoldDriver s(bold_args(1.25, 0.5));
    OneGroup g(1.0);
    const auto step = [&](double loss) { return s.step(loss, g.lrs.data(), g.lo.data(), g.hi.data(), 1); };
    EXPECT_EQ(step(2.0), BoldDriver::Change::none);  // nothing to compare with
    EXPECT_EQ(g.lrs[0], 1.0);
    EXPECT_EQ(step(1.0), BoldDriver::Change::increase);
    EXPECT_EQ(g.lrs[0], 1.25);
    EXPECT_EQ(step(1.0), BoldDriver::Change::none);  // equal
    EXPECT_EQ(step(1.5), BoldDriver::Change::decrease);
    EXPECT_EQ(g.lrs[0], 0.625);
    EXPECT_EQ(s.state.previous_loss, 1.5);
    EXPECT_EQ(s.state.last_epoch, 4);
}

TEST(BoldDriverLR, NonFiniteLossIsARiseAndIsForgotten) {
    for (double bad : {kNaN, kInf, -kInf}) {
        BoldDriver s(bold_args(2.0, 0.5));
        OneGroup g(1.0);
        const auto step = [&](double loss) { return s.step(loss, g.lrs.data(), g.lo.data(), g.hi.data(), 1); };
        EXPECT_EQ(step(bad), BoldDriver::Change::decrease);  // even on the first step
        EXPECT_EQ(g.lrs[0], 0.5);
        EXPECT_FALSE(s.state.previous_loss.has_value());
        EXPECT_EQ(step(1.0), BoldDriver::Change::none);  // nothing to compare with
        EXPECT_EQ(step(bad), BoldDriver::Change::decrease);
        EXPECT_EQ(step(3.0), BoldDriver::Change::none);
        EXPECT_EQ(step(2.0), BoldDriver::Change::increase);
        EXPECT_EQ(g.lrs[0], 0.5);
    }
}

TEST(BoldDriverLR, ClampsEveryGroupIntoItsBounds) {
    BoldDriver s(bold_args(2.0, 0.25));
    std::vector<double> lrs{1.0, 0.1};
    const std::vector<double> lo{0.5, 0.0}, hi{1.5, kInf};
    s.step(2.0, lrs.data(), lo.data(), hi.data(), 2);
    s.step(1.0, lrs.data(), lo.data(), hi.data(), 2);
    EXPECT_EQ(lrs, (std::vector<double>{1.5, 0.2}));
    s.step(3.0, lrs.data(), lo.data(), hi.data(), 2);
    EXPECT_EQ(lrs, (std::vector<double>{0.5, 0.05}));
}
