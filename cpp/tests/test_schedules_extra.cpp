// The closed-form schedules torch lacks, and RateBounds (min_lr / max_lr) on the curves.
#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/schedules/cosine_annealing_warm_restarts.hpp"
#include "gradkit/schedules/cyclic_lr.hpp"
#include "gradkit/schedules/exponential_lr.hpp"
#include "gradkit/schedules/inv_scaling_lr.hpp"
#include "gradkit/schedules/inverse_time_lr.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/one_cycle_lr.hpp"
#include "gradkit/schedules/piecewise_constant_lr.hpp"
#include "gradkit/schedules/rate_bounds.hpp"
#include "gradkit/schedules/restart_lr.hpp"
#include "gradkit/schedules/schedule.hpp"
#include "gradkit/schedules/warmup_cosine_lr.hpp"

namespace gs = gradkit::schedules;

namespace {

constexpr double pi = 3.141592653589793;

template <class S>
std::vector<double> curve(const typename S::Args& a, std::int64_t steps, double base_lr,
                          const gs::RateBounds& bounds = {}) {
    std::vector<double> out(static_cast<std::size_t>(steps));
    gs::curve<S>(a, steps, base_lr, out.data(), bounds);
    return out;
}

// The curve follows `want(t)` to 1e-12 relative, and next_lr is the closed form whatever the current lr.
template <class S, class F>
void expect_curve(const typename S::Args& a, double base_lr, F want) {
    const auto c = curve<S>(a, 300, base_lr);
    for (std::int64_t t = 0; t < 300; ++t) {
        const double w = want(static_cast<double>(t));
        EXPECT_NEAR(c[t], w, 1e-12 * std::abs(w)) << S::name << " at t=" << t;
        EXPECT_EQ(S::next_lr(a, t, base_lr, 123.0, t == 0), S::closed_form(a, t, base_lr));
    }
}

template <class S>
std::string message_of(const typename S::Args& a) {
    try {
        S::validate(a);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no exception)";
}

std::string bounds_message(double lo, double hi) {
    try {
        gs::RateBounds{lo, hi}.validate();
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "(no exception)";
}

}  // namespace

TEST(InverseTimeLR, FollowsKerasFormula) {
    expect_curve<gs::InverseTimeLR>({0.5, 1, false}, 0.1, [](double t) { return 0.1 / (1 + 0.5 * t); });
    expect_curve<gs::InverseTimeLR>({0.3, 7, false}, 2.0, [](double t) { return 2.0 / (1 + 0.3 * (t / 7)); });
    expect_curve<gs::InverseTimeLR>({0.3, 7, true}, 2.0,
                                    [](double t) { return 2.0 / (1 + 0.3 * std::floor(t / 7)); });
    expect_curve<gs::InverseTimeLR>({0.0, 3, false}, 0.1, [](double) { return 0.1; });
}

TEST(InverseTimeLR, RefusesNegativeRateAndNonPositiveSteps) {
    EXPECT_EQ(message_of<gs::InverseTimeLR>({-0.5, 1, false}), "decay_rate must be a non-negative number, got -0.5");
    EXPECT_EQ(message_of<gs::InverseTimeLR>({std::nan(""), 1, false}),
              "decay_rate must be a non-negative number, got nan");
    EXPECT_EQ(message_of<gs::InverseTimeLR>({0.5, 0, false}), "decay_steps must be a positive integer, got 0");
    EXPECT_THROW(gs::InverseTimeLR::closed_form({0.5, 1, false}, -1, 0.1), std::invalid_argument);
}

TEST(InvScalingLR, FollowsScikitLearnFormula) {
    for (double p : {0.0, 0.25, 0.5, 1.0, 2.0})
        expect_curve<gs::InvScalingLR>({p}, 0.01, [p](double t) { return 0.01 / std::pow(t + 1, p); });
    EXPECT_EQ(message_of<gs::InvScalingLR>({-1.0}), "power_t must be a non-negative number, got -1.0");
}

TEST(RestartLR, ResetsToTheFixedRateEveryPeriod) {
    expect_curve<gs::RestartLR>({7, 0.8}, 0.1, [](double t) { return 0.1 * std::pow(0.8, std::fmod(t, 7)); });
    expect_curve<gs::RestartLR>({1, 0.5}, 0.1, [](double) { return 0.1; });
    const auto c = curve<gs::RestartLR>({3, 0.5}, 7, 1.0);
    EXPECT_EQ(c, (std::vector<double>{1, 0.5, 0.25, 1, 0.5, 0.25, 1}));
    EXPECT_EQ(message_of<gs::RestartLR>({0, 0.5}), "period must be a positive integer, got 0");
    EXPECT_EQ(message_of<gs::RestartLR>({3, -0.5}), "gamma must be a non-negative number, got -0.5");
}

TEST(PiecewiseConstantLR, ValueChangesAfterEachBoundaryAsInKeras) {
    const gs::PiecewiseConstantLR::Args a{{2, 5}, {1.0, 0.5, 0.1}};
    const auto c = curve<gs::PiecewiseConstantLR>(a, 8, 123.0);  // the base lr is not used
    EXPECT_EQ(c, (std::vector<double>{1, 1, 1, 0.5, 0.5, 0.5, 0.1, 0.1}));
    EXPECT_EQ(curve<gs::PiecewiseConstantLR>({{}, {0.3}}, 3, 1.0), (std::vector<double>{0.3, 0.3, 0.3}));
    // A fractional boundary: t = 2 is past 1.5.
    EXPECT_EQ(curve<gs::PiecewiseConstantLR>({{1.5}, {1.0, 0.5}}, 3, 1.0), (std::vector<double>{1, 1, 0.5}));
}

TEST(PiecewiseConstantLR, RefusesMismatchedUnsortedOrNegative) {
    using P = gs::PiecewiseConstantLR;
    EXPECT_EQ(message_of<P>({{2, 5}, {1.0, 0.5}}),
              "values must have one more entry than boundaries, got 2 boundaries and 2 values");
    EXPECT_EQ(message_of<P>({{5, 5}, {1.0, 0.5, 0.1}}),
              "boundaries must be strictly increasing, got boundaries[1] = 5.0 after 5.0");
    EXPECT_EQ(message_of<P>({{5, 2}, {1.0, 0.5, 0.1}}),
              "boundaries must be strictly increasing, got boundaries[1] = 2.0 after 5.0");
    EXPECT_EQ(message_of<P>({{std::numeric_limits<double>::infinity()}, {1.0, 0.5}}),
              "boundaries must be finite numbers, got boundaries[0] = inf");
    EXPECT_EQ(message_of<P>({{2}, {1.0, -0.5}}), "values must be non-negative rates, got values[1] = -0.5");
}

TEST(WarmupCosineLR, LinearWarmupThenCosineToEtaMin) {
    const gs::WarmupCosineLR::Args a{10, 110, 0.1, 0.001};
    expect_curve<gs::WarmupCosineLR>(a, 0.5, [](double t) {
        if (t < 10) return 0.5 * (0.1 + (1 - 0.1) * t / 10);
        if (t >= 110) return 0.001;
        return 0.001 + (0.5 - 0.001) * (1 + std::cos(pi * (t - 10) / 100)) / 2;
    });
    const auto c = curve<gs::WarmupCosineLR>({2, 4, 0.0, 0.01}, 6, 0.1);
    EXPECT_EQ(c[0], 0.0);
    EXPECT_EQ(c[2], 0.1);  // the warmup ends at lr0 exactly
    EXPECT_EQ(c[4], 0.01);
    EXPECT_EQ(c[5], 0.01);
    // No warmup: cosine from lr0 at t = 0.
    EXPECT_EQ(curve<gs::WarmupCosineLR>({0, 4, 0.0, 0.0}, 1, 0.1)[0], 0.1);
}

TEST(WarmupCosineLR, RefusesBadArguments) {
    using W = gs::WarmupCosineLR;
    EXPECT_EQ(message_of<W>({-1, 10, 0.0, 0.0}), "warmup_steps must be a non-negative integer, got -1");
    EXPECT_EQ(message_of<W>({10, 10, 0.0, 0.0}),
              "total_steps must be greater than warmup_steps, got total_steps=10 and warmup_steps=10");
    EXPECT_EQ(message_of<W>({1, 10, 1.5, 0.0}), "warmup_start_factor must be between 0 and 1, got 1.5");
    EXPECT_EQ(message_of<W>({1, 10, 0.0, -0.1}), "eta_min must be a finite non-negative number, got -0.1");
}

TEST(RateBounds, DefaultLeavesEveryValueAsItIs) {
    const gs::RateBounds none;
    for (double x : {0.0, -0.0, 1e-300, 0.1, 1e300, -2.0, std::numeric_limits<double>::infinity()})
        EXPECT_EQ(none.clip(x), x);
    EXPECT_TRUE(std::isnan(none.clip(std::nan(""))));
    EXPECT_TRUE(std::signbit(none.clip(-0.0)));
    EXPECT_FALSE(none.bounds_below());
    EXPECT_FALSE(none.bounds_above());
}

TEST(RateBounds, ClipsToTheBoundsExactly) {
    const gs::RateBounds b{0.01, 0.5};
    EXPECT_EQ(b.clip(0.001), 0.01);
    EXPECT_EQ(b.clip(0.7), 0.5);
    EXPECT_EQ(b.clip(0.2), 0.2);
    EXPECT_TRUE(std::isnan(b.clip(std::nan(""))));
}

TEST(RateBounds, RefusesInvertedNegativeOrNaNBounds) {
    EXPECT_EQ(bounds_message(0.5, 0.1), "min_lr (0.5) must not be greater than max_lr (0.1)");
    EXPECT_EQ(bounds_message(-0.1, 1.0), "min_lr must be a finite non-negative number, got -0.1");
    EXPECT_EQ(bounds_message(std::nan(""), 1.0), "min_lr must be a finite non-negative number, got nan");
    EXPECT_EQ(bounds_message(0.0, -1.0), "max_lr must be a non-negative number, got -1.0");
    EXPECT_EQ(bounds_message(0.1, 0.1), "(no exception)");
}

TEST(RateBounds, RecursiveCurveContinuesFromTheClippedValue) {
    // ExponentialLR is torch's recursion lr * gamma: after a cap the decay starts from the cap.
    const auto c = curve<gs::ExponentialLR>({0.5}, 5, 1.0, {-std::numeric_limits<double>::infinity(), 0.3});
    EXPECT_EQ(c, (std::vector<double>{0.3, 0.15, 0.075, 0.0375, 0.01875}));
    const auto d = curve<gs::ExponentialLR>({0.5}, 5, 1.0, {0.2, std::numeric_limits<double>::infinity()});
    EXPECT_EQ(d, (std::vector<double>{1.0, 0.5, 0.25, 0.2, 0.2}));
    // LinearLR's recursion multiplies the current (clipped) lr by ratios of factors.
    const auto unbounded = curve<gs::LinearLR>({0.25, 1.0, 3}, 5, 1.0);
    const auto floored = curve<gs::LinearLR>({0.25, 1.0, 3}, 5, 1.0, {0.4, std::numeric_limits<double>::infinity()});
    EXPECT_EQ(floored[0], 0.4);
    EXPECT_NEAR(floored[1], 0.4 * unbounded[1] / unbounded[0], 1e-15);
    EXPECT_THROW((curve<gs::ExponentialLR>({0.5}, 3, 1.0, {0.5, 0.1})), std::invalid_argument);
}

TEST(RateBounds, ClosedFormCurvesAreClippedPointwise) {
    const gs::RateBounds b{0.02, 0.08};
    const gs::WarmupCosineLR::Args w{10, 60, 0.0, 0.0};
    const auto bounded = curve<gs::WarmupCosineLR>(w, 70, 0.1, b);
    const auto free = curve<gs::WarmupCosineLR>(w, 70, 0.1);
    for (std::size_t k = 0; k < free.size(); ++k) EXPECT_EQ(bounded[k], b.clip(free[k])) << k;

    std::vector<double> warm(30), warm_free(30);
    gs::curve_warm_restarts({5, 2, 0.0}, 30, 0.1, warm.data(), b);
    gs::curve_warm_restarts({5, 2, 0.0}, 30, 0.1, warm_free.data());
    for (std::size_t k = 0; k < 30; ++k) EXPECT_EQ(warm[k], b.clip(warm_free[k])) << k;

    const gs::RateBounds floor{0.03, std::numeric_limits<double>::infinity()};
    std::vector<double> cyc(30), cyc_free(30);
    gs::curve_cyclic({8.0, 0.5, gs::CyclicLR::triangular, 1.0}, 30, 0.01, 0.05, cyc.data(), floor);
    gs::curve_cyclic({8.0, 0.5, gs::CyclicLR::triangular, 1.0}, 30, 0.01, 0.05, cyc_free.data());
    for (std::size_t k = 0; k < 30; ++k) EXPECT_EQ(cyc[k], floor.clip(cyc_free[k])) << k;

    std::vector<double> one(20), one_free(20);
    gs::curve_one_cycle({20, 0.3, false, false}, 20, 1.0, 25.0, 1e4, one.data(), floor);
    gs::curve_one_cycle({20, 0.3, false, false}, 20, 1.0, 25.0, 1e4, one_free.data());
    for (std::size_t k = 0; k < 20; ++k) EXPECT_EQ(one[k], floor.clip(one_free[k])) << k;
}
