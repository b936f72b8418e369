#include <gtest/gtest.h>

#include <limits>
#include <vector>

#include "gradkit/optim/rprop.hpp"

using gradkit::optim::Rprop;

namespace {
struct Trial {
    Rprop::Hyper h;
    Rprop::State<double> s;
    std::vector<double> p;
    Trial(Rprop::Hyper hyper, std::vector<double> start) : h(hyper), p(std::move(start)) {
        Rprop::init(h, s, p.data(), p.size());
    }
    void step(std::vector<double> g) { Rprop::update(h, s, p.data(), g.data(), p.size()); }
};
Rprop::Hyper with_lr(double lr) {
    Rprop::Hyper h;
    h.lr = lr;
    return h;
}
}  // namespace

// The first step has no previous gradient (product 0): the step size stays lr. Same signs then grow it.
TEST(Rprop, StepSizeGrowsWhileTheSignHolds) {
    Trial r(with_lr(0.1), {1.0});
    r.step({3.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.1);
    r.step({0.5});
    r.step({7.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.1 * 1.2 * 1.2);
    EXPECT_DOUBLE_EQ(r.p[0], 1.0 - 0.1 - 0.12 - 0.144);  // only the sign of g matters
    EXPECT_EQ(r.s.step, 3.0);
}

// A flip shrinks the step size, skips the move and stores 0, so the next step neither grows nor shrinks.
TEST(Rprop, SignFlipShrinksAndZeroesTheGradient) {
    Trial r(with_lr(0.1), {1.0});
    r.step({1.0});
    r.step({-1.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.05);
    EXPECT_DOUBLE_EQ(r.p[0], 0.9);
    EXPECT_EQ(r.s.prev[0], 0.0);
    r.step({-1.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.05);
    EXPECT_DOUBLE_EQ(r.p[0], 0.95);
    EXPECT_EQ(r.s.prev[0], -1.0);
}

TEST(Rprop, StepSizesAreClampedIncludingTheFirst) {
    Rprop::Hyper h = with_lr(0.1);
    h.step_sizes = {0.03, 0.05};
    Trial r(h, {0.0});
    r.step({1.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.05);  // lr above the maximum
    r.step({-1.0});
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.03);  // 0.025 below the minimum
}

TEST(Rprop, MaximizeClimbs) {
    Rprop::Hyper h = with_lr(0.1);
    h.maximize = true;
    Trial r(h, {0.0, 0.0});
    r.step({2.0, -2.0});
    EXPECT_DOUBLE_EQ(r.p[0], 0.1);
    EXPECT_DOUBLE_EQ(r.p[1], -0.1);
    EXPECT_EQ(r.s.prev[0], -2.0);  // prev holds the negated gradient, as in torch
}

// torch.sign(NaN) is 0: the element neither moves nor changes its step size.
TEST(Rprop, NanGradientLeavesTheElementAlone) {
    Trial r(with_lr(0.1), {1.0});
    r.step({1.0});
    r.step({std::numeric_limits<double>::quiet_NaN()});
    EXPECT_DOUBLE_EQ(r.p[0], 0.9);
    EXPECT_DOUBLE_EQ(r.s.step_size[0], 0.1);
}

// In float32 an eta can round to 0 or 1; torch's masks, applied in order, then give these results.
TEST(Rprop, Float32EtaRoundingToZeroOrOne) {
    Rprop::Hyper h = with_lr(0.1);
    h.etas = {1e-50, 1.2};  // etaminus is 0 in float32: a flip's factor 0 becomes 1, and the gradient is kept
    Rprop::State<float> s;
    std::vector<float> p{1.0f};
    Rprop::init(h, s, p.data(), 1);
    float g = 1.0f;
    Rprop::update(h, s, p.data(), &g, 1);
    g = -1.0f;
    Rprop::update(h, s, p.data(), &g, 1);
    EXPECT_FLOAT_EQ(s.step_size[0], 0.1f);
    EXPECT_FLOAT_EQ(p[0], 1.0f);  // moved back up by the full step
    EXPECT_EQ(s.prev[0], -1.0f);

    h.etas = {0.5, 1 + 1e-10};  // etaplus is 1 in float32: the step size holds while the sign does
    Rprop::State<float> t;
    Rprop::init(h, t, p.data(), 1);
    g = 1.0f;
    Rprop::update(h, t, p.data(), &g, 1);
    Rprop::update(h, t, p.data(), &g, 1);
    EXPECT_FLOAT_EQ(t.step_size[0], 0.1f);
    g = -1.0f;
    Rprop::update(h, t, p.data(), &g, 1);
    EXPECT_FLOAT_EQ(t.step_size[0], 0.05f);
    EXPECT_EQ(t.prev[0], 0.0f);
}

TEST(Rprop, ValidationUsesTorchMessages) {
    Rprop::Hyper h;
    h.etas = {1.0, 1.2};
    try {
        Rprop::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid eta values: 1.0, 1.2");
    }
    h.etas = {0.5, std::numeric_limits<double>::quiet_NaN()};
    EXPECT_THROW(Rprop::validate(h), std::invalid_argument);
    h.etas = {0.5, 1.2};
    h.step_sizes = {1.0, 0.5};  // torch does not check step_sizes
    EXPECT_NO_THROW(Rprop::validate(h));
}
