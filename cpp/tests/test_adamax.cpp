#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/adamax.hpp"

using gradkit::optim::Adamax;

// After one step m / (1 - beta1) = g and u = |g| + eps: the move is lr * g / (|g| + eps).
TEST(Adamax, FirstStepMovesByLearningRate) {
    std::vector<double> p{1.0, -2.0}, g{2.0, -4.0};
    Adamax::Hyper h;
    h.lr = 0.1;
    Adamax::State<double> s;
    Adamax::init(h, s, p.data(), p.size());
    Adamax::update(h, s, p.data(), g.data(), p.size());
    EXPECT_NEAR(p[0], 0.9, 1e-9);
    EXPECT_NEAR(p[1], -1.9, 1e-9);
    EXPECT_EQ(s.exp_inf[1], 4.0 + 1e-8);
}

TEST(Adamax, ExpInfIsTheDecayedMaximumOfAbsoluteGradients) {
    std::vector<double> p{0.0}, big{-10.0}, small{0.1};
    Adamax::Hyper h;
    Adamax::State<double> s;
    Adamax::init(h, s, p.data(), 1);
    Adamax::update(h, s, p.data(), big.data(), 1);
    EXPECT_EQ(s.exp_inf[0], 10.0 + 1e-8);
    Adamax::update(h, s, p.data(), small.data(), 1);
    EXPECT_EQ(s.exp_inf[0], (10.0 + 1e-8) * 0.999);
}

// eps sits inside the maximum: a zero gradient still leaves u = eps, and m = 0 means no move.
TEST(Adamax, EpsilonSitsInsideTheMaximum) {
    std::vector<float> p{3.0f}, g{0.0f};
    Adamax::Hyper h;
    h.eps = 0.5;
    Adamax::State<float> s;
    Adamax::init(h, s, p.data(), 1);
    Adamax::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.exp_inf[0], 0.5f);
    EXPECT_EQ(p[0], 3.0f);
}

// beta1 = 0.25: m moves three quarters of the way to g (torch computes it as g - (g - m) * 0.25).
TEST(Adamax, SmallBeta1MovesMostOfTheWayToTheGradient) {
    std::vector<double> p{0.0}, g{2.0};
    Adamax::Hyper h;
    h.betas = {0.25, 0.5};
    Adamax::State<double> s;
    Adamax::init(h, s, p.data(), 1);
    s.exp_avg[0] = 1.0;
    Adamax::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.exp_avg[0], 1.75);
}

TEST(Adamax, NanGradientPropagatesIntoExpInfAsTorchMaximumDoes) {
    std::vector<double> p{0.0}, g{1.0}, bad{std::numeric_limits<double>::quiet_NaN()};
    Adamax::Hyper h;
    Adamax::State<double> s;
    Adamax::init(h, s, p.data(), 1);
    Adamax::update(h, s, p.data(), g.data(), 1);
    Adamax::update(h, s, p.data(), bad.data(), 1);
    EXPECT_TRUE(std::isnan(s.exp_inf[0]));
}

TEST(Adamax, ValidationUsesTorchMessages) {
    Adamax::Hyper h;
    h.betas = {std::numeric_limits<double>::quiet_NaN(), 0.999};
    try {
        Adamax::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid beta parameter at index 0: nan");
    }
    h = Adamax::Hyper{};
    h.eps = -1e-8;
    try {
        Adamax::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid epsilon value: -1e-08");
    }
}
