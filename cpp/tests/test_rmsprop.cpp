#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/rmsprop.hpp"

using gradkit::optim::ParamGroup;
using gradkit::optim::RMSprop;

// v = (1 - alpha) g^2 after one step, so the move is lr / sqrt(1 - alpha) for any gradient size.
TEST(RMSprop, FirstStepIsLrOverSqrtOfOneMinusAlpha) {
    std::vector<double> p{0.0, 0.0}, g{3.0, -1e-3};
    RMSprop::Hyper h;
    h.lr = 0.01;
    h.eps = 0.0;
    RMSprop::State<double> s;
    RMSprop::init(h, s, p.data(), p.size());
    RMSprop::update(h, s, p.data(), g.data(), p.size());
    EXPECT_NEAR(p[0], -0.1, 1e-15);
    EXPECT_NEAR(p[1], 0.1, 1e-15);
}

// Centered: the denominator is sqrt(v - mean(g)^2) + eps. With alpha = 0.5 and g = 2:
// v = 2, mean = 1 (lerp with weight 0.5 takes torch's second branch), sqrt(2 - 1) = 1.
TEST(RMSprop, CenteredDenominatorSubtractsSquaredMeanGradient) {
    std::vector<double> p{0.0}, g{2.0};
    RMSprop::Hyper h;
    h.lr = 1.0;
    h.alpha = 0.5;
    h.eps = 0.25;
    h.centered = true;
    RMSprop::State<double> s;
    RMSprop::init(h, s, p.data(), 1);
    RMSprop::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.square_avg[0], 2.0);
    EXPECT_EQ(s.grad_avg[0], 1.0);
    EXPECT_DOUBLE_EQ(p[0], -2.0 / 1.25);
}

TEST(RMSprop, BuffersExistOnlyWithTheirFlags) {
    std::vector<float> p{0.0f};
    RMSprop::Hyper h;
    RMSprop::State<float> s;
    RMSprop::init(h, s, p.data(), 1);
    EXPECT_EQ(s.square_avg.size(), 1u);
    EXPECT_TRUE(s.momentum_buffer.empty());
    EXPECT_TRUE(s.grad_avg.empty());
    h.momentum = 0.9;
    h.centered = true;
    RMSprop::State<float> t;
    RMSprop::init(h, t, p.data(), 1);
    EXPECT_EQ(t.momentum_buffer.size(), 1u);
    EXPECT_EQ(t.grad_avg.size(), 1u);
}

// Momentum switched on after the first step: the buffer starts from zeros, b = g / avg.
TEST(RMSprop, MomentumTurnedOnLaterStartsFromZeroBuffer) {
    std::vector<double> p{0.0}, g{1.0};
    RMSprop::Hyper h;
    h.lr = 0.5;
    h.alpha = 0.75;
    h.eps = 0.0;
    ParamGroup<RMSprop, double> group(h);
    group.add_param({p.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);  // v = 0.25, step 0.5 * 1 / 0.5
    EXPECT_DOUBLE_EQ(p[0], -1.0);
    h.momentum = 0.9;
    group.set_hyper(h);
    group.step(grads);  // v = 0.4375; buffer = 0 * 0.9 + 1 / sqrt(v)
    const auto& s = *group.states()[0];
    ASSERT_EQ(s.momentum_buffer.size(), 1u);
    EXPECT_DOUBLE_EQ(s.momentum_buffer[0], 1.0 / std::sqrt(0.4375));
    EXPECT_DOUBLE_EQ(p[0], -1.0 - 0.5 / std::sqrt(0.4375));
    EXPECT_TRUE(s.grad_avg.empty());
}

TEST(RMSprop, ValidationUsesTorchMessages) {
    RMSprop::Hyper h;
    h.alpha = -0.1;
    try {
        RMSprop::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid alpha value: -0.1");
    }
    h = RMSprop::Hyper{};
    h.momentum = std::numeric_limits<double>::quiet_NaN();
    try {
        RMSprop::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid momentum value: nan");
    }
}
