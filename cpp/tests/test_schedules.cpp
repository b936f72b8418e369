#include <gtest/gtest.h>

#include <cmath>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/schedules/constant_lr.hpp"
#include "gradkit/schedules/cosine_annealing_lr.hpp"
#include "gradkit/schedules/exponential_lr.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/multi_step_lr.hpp"
#include "gradkit/schedules/polynomial_lr.hpp"
#include "gradkit/schedules/schedule.hpp"
#include "gradkit/schedules/step_lr.hpp"

namespace gs = gradkit::schedules;

namespace {

template <class S>
std::vector<double> curve(const typename S::Args& a, std::int64_t steps, double base_lr) {
    std::vector<double> out(static_cast<std::size_t>(steps));
    gs::curve<S>(a, steps, base_lr, out.data());
    return out;
}

// The recursion and the closed form agree (to rounding) over [0, until).
template <class S>
void expect_recursion_matches_closed_form(const typename S::Args& a, std::int64_t until, double base_lr) {
    const auto c = curve<S>(a, until, base_lr);
    for (std::int64_t t = 0; t < until; ++t) {
        const double want = S::closed_form(a, t, base_lr);
        EXPECT_NEAR(c[t], want, 1e-12 * std::abs(want) + 1e-300) << S::name << " at t=" << t;
    }
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

TEST(Schedules, FloorDivIsPythons) {
    EXPECT_EQ(gs::floor_div(7, 2), 3);
    EXPECT_EQ(gs::floor_div(-7, 2), -4);
    EXPECT_EQ(gs::floor_div(7, -2), -4);
    EXPECT_EQ(gs::floor_div(-6, 3), -2);
}

TEST(StepLR, DecaysEveryStepSize) {
    gs::StepLR::Args a{3, 0.5};
    const auto c = curve<gs::StepLR>(a, 8, 1.0);
    const std::vector<double> want{1, 1, 1, 0.5, 0.5, 0.5, 0.25, 0.25};
    EXPECT_EQ(c, want);
    expect_recursion_matches_closed_form<gs::StepLR>({7, 0.9}, 100, 0.1);
}

TEST(StepLR, ZeroStepSizeFailsAtTheFirstStepLikePython) {
    gs::StepLR::Args a{0, 0.5};
    gs::StepLR::validate(a);  // torch does not check
    EXPECT_EQ(gs::StepLR::next_lr(a, 0, 1.0, 1.0, true), 1.0);
    EXPECT_THROW(gs::StepLR::next_lr(a, 1, 1.0, 1.0), gs::zero_division);
}

TEST(MultiStepLR, RepeatedMilestonesDecayByGammaToTheCount) {
    gs::MultiStepLR::Args a{{4, 2, 4}, 0.5};
    const auto c = curve<gs::MultiStepLR>(a, 6, 1.0);
    const std::vector<double> want{1, 1, 0.5, 0.5, 0.125, 0.125};
    EXPECT_EQ(c, want);
    expect_recursion_matches_closed_form<gs::MultiStepLR>(a, 20, 0.1);
}

TEST(ConstantLR, FactorUntilTotalItersThenUndone) {
    gs::ConstantLR::Args a{0.5, 3};
    const auto c = curve<gs::ConstantLR>(a, 5, 0.2);
    const std::vector<double> want{0.1, 0.1, 0.1, 0.2, 0.2};
    EXPECT_EQ(c, want);
    expect_recursion_matches_closed_form<gs::ConstantLR>({0.3, 10}, 30, 0.1);
    // total_iters=0: torch never undoes the factor; its closed form says otherwise.
    gs::ConstantLR::Args zero{0.25, 0};
    EXPECT_EQ(curve<gs::ConstantLR>(zero, 3, 1.0), (std::vector<double>{0.25, 0.25, 0.25}));
    EXPECT_EQ(gs::ConstantLR::closed_form(zero, 2, 1.0), 1.0);
}

TEST(ConstantLR, FactorOutsideZeroToOneIsRefusedWithTorchsMessage) {
    EXPECT_EQ(message_of([] { gs::ConstantLR::validate({1.5, 5}); }),
              "Constant multiplicative factor expected to be between 0 and 1.");
    EXPECT_EQ(message_of([] { gs::ConstantLR::validate({-0.1, 5}); }),
              "Constant multiplicative factor expected to be between 0 and 1.");
    gs::ConstantLR::validate({0.0, 5});
    gs::ConstantLR::validate({1.0, 5});
}

TEST(LinearLR, InterpolatesFactorsLinearly) {
    gs::LinearLR::Args a{0.25, 1.0, 3};
    const auto c = curve<gs::LinearLR>(a, 5, 1.0);
    EXPECT_DOUBLE_EQ(c[0], 0.25);
    EXPECT_DOUBLE_EQ(c[1], 0.5);
    EXPECT_DOUBLE_EQ(c[2], 0.75);
    EXPECT_DOUBLE_EQ(c[3], 1.0);
    EXPECT_EQ(c[4], c[3]);
    expect_recursion_matches_closed_form<gs::LinearLR>({0.5, 0.1, 40}, 60, 0.1);
}

TEST(LinearLR, ConstructorStepOnResumeLeavesLrAlone) {
    gs::LinearLR::Args a{0.25, 1.0, 20};
    EXPECT_EQ(gs::LinearLR::next_lr(a, 11, 1.0, 0.7, true), 0.7);
    EXPECT_NE(gs::LinearLR::next_lr(a, 11, 1.0, 0.7, false), 0.7);
}

TEST(LinearLR, FactorsAreCheckedWithTorchsMessages) {
    const std::string start = "Starting multiplicative factor expected to be greater than 0 and less or equal to 1.";
    const std::string end = "Ending multiplicative factor expected to be between 0 and 1.";
    EXPECT_EQ(message_of([] { gs::LinearLR::validate({0.0, 1.0, 5}); }), start);
    EXPECT_EQ(message_of([] { gs::LinearLR::validate({1.5, 1.0, 5}); }), start);
    EXPECT_EQ(message_of([] { gs::LinearLR::validate({0.5, 1.5, 5}); }), end);
    EXPECT_EQ(message_of([] { gs::LinearLR::validate({0.5, -0.5, 5}); }), end);
}

TEST(ExponentialLR, MultipliesByGammaAfterTheConstructorStep) {
    gs::ExponentialLR::Args a{0.5};
    EXPECT_EQ(curve<gs::ExponentialLR>(a, 4, 1.0), (std::vector<double>{1, 0.5, 0.25, 0.125}));
    expect_recursion_matches_closed_form<gs::ExponentialLR>({0.97}, 200, 0.1);
}

TEST(PolynomialLR, DecaysToZeroThenStays) {
    gs::PolynomialLR::Args a{4, 2.0};
    const auto c = curve<gs::PolynomialLR>(a, 6, 1.0);
    EXPECT_DOUBLE_EQ(c[1], 0.5625);
    EXPECT_DOUBLE_EQ(c[2], 0.25);
    EXPECT_DOUBLE_EQ(c[3], 0.0625);
    EXPECT_EQ(c[4], 0.0);
    EXPECT_EQ(c[5], 0.0);
    expect_recursion_matches_closed_form<gs::PolynomialLR>({50, 0.9}, 80, 0.1);
}

TEST(PolynomialLR, ZeroToANegativePowerIsPythonsZeroDivisionError) {
    gs::PolynomialLR::Args a{2, -1.0};
    EXPECT_THROW(gs::PolynomialLR::next_lr(a, 2, 1.0, 1.0), gs::zero_division);
}

TEST(CosineAnnealingLR, FollowsTheCosineUpToTMax) {
    expect_recursion_matches_closed_form<gs::CosineAnnealingLR>({100, 0.001}, 101, 0.1);
    const auto c = curve<gs::CosineAnnealingLR>({4, 0.0}, 5, 1.0);
    EXPECT_NEAR(c[2], 0.5, 1e-15);
    EXPECT_NEAR(c[4], 0.0, 1e-15);
}

TEST(CosineAnnealingLR, PastTMaxTorchsRecursionIsNotTheClosedForm) {
    // T_max = 1 alternates: the trough's increment (base_lr - eta_min) climbs back to base_lr.
    const auto c = curve<gs::CosineAnnealingLR>({1, 0.0}, 5, 0.1);
    EXPECT_EQ(c, (std::vector<double>{0.1, 0.0, 0.1, 0.0, 0.1}));
    // Over many periods with eta_min > 0 the recursion stays within rounding of the closed form but is
    // not it bit for bit (torch's fixtures hold the recursion's values).
    gs::CosineAnnealingLR::Args a{7, 0.01};
    const auto d = curve<gs::CosineAnnealingLR>(a, 300, 0.1);
    double worst = 0;
    for (std::int64_t t = 0; t < 300; ++t)
        worst = std::max(worst, std::abs(d[t] - gs::CosineAnnealingLR::closed_form(a, t, 0.1)));
    EXPECT_GT(worst, 0.0);
    EXPECT_LT(worst, 1e-12);
    EXPECT_THROW(gs::CosineAnnealingLR::next_lr({0, 0.0}, 1, 1.0, 1.0), gs::zero_division);
}
