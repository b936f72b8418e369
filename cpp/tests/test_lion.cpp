#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/lion.hpp"

using gradkit::optim::Lion;

// The step is lr times the sign of beta1 m + (1 - beta1) g, whatever the gradient's size.
TEST(Lion, EveryElementMovesByTheLearningRate) {
    std::vector<double> p{1.0, -2.0, 0.5}, g{3.0, -0.001, 0.0};
    Lion::Hyper h;
    h.lr = 0.1;
    Lion::State<double> s;
    Lion::init(h, s, p.data(), p.size());
    Lion::update(h, s, p.data(), g.data(), p.size());
    EXPECT_EQ(p[0], 1.0 - 0.1);
    EXPECT_EQ(p[1], -2.0 + 0.1);
    EXPECT_EQ(p[2], 0.5);  // sign(0) = 0: no move
    EXPECT_EQ(s.exp_avg[0], (1.0 - 0.99) * 3.0);
}

// The momentum decays by beta2, but the sign comes from the beta1 interpolation: after a large positive
// gradient, a small negative one still steps down (m dominates), not up.
TEST(Lion, TheSignFollowsTheInterpolatedMomentum) {
    std::vector<double> p{0.0}, big{10.0}, small{-0.5};
    Lion::Hyper h;
    h.lr = 1.0;
    Lion::State<double> s;
    Lion::init(h, s, p.data(), 1);
    Lion::update(h, s, p.data(), big.data(), 1);
    EXPECT_EQ(p[0], -1.0);
    // m = 0.1; 0.9 * 0.1 + 0.1 * (-0.5) = 0.04 > 0: still a step down.
    Lion::update(h, s, p.data(), small.data(), 1);
    EXPECT_EQ(p[0], -2.0);
}

TEST(Lion, WeightDecayIsDecoupledAndScaledByTheRate) {
    std::vector<float> p{2.0f}, g{0.0f};
    Lion::Hyper h;
    h.lr = 0.1;
    h.weight_decay = 0.5;
    Lion::State<float> s;
    Lion::init(h, s, p.data(), 1);
    Lion::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(p[0], 2.0f * static_cast<float>(1.0 - 0.1 * 0.5));
}

// Per-element rates: element i steps by lr * scale[i], its decay by lr * scale[i] * wd.
TEST(Lion, PerElementRatesScaleTheStepAndTheDecay) {
    std::vector<double> p{1.0, 1.0}, g{1.0, 1.0}, scale{1.0, 0.5};
    Lion::Hyper h;
    h.lr = 0.2;
    h.weight_decay = 1.0;
    Lion::State<double> s;
    Lion::init(h, s, p.data(), 2);
    Lion::update(h, s, p.data(), g.data(), 2, scale.data());
    EXPECT_DOUBLE_EQ(p[0], 1.0 * 0.8 - 0.2);
    EXPECT_DOUBLE_EQ(p[1], 1.0 * 0.9 - 0.1);
}

TEST(Lion, ValidationNamesTheArgument) {
    Lion::Hyper h;
    h.lr = -1e-4;
    EXPECT_THROW(Lion::validate(h), std::invalid_argument);
    h = Lion::Hyper{};
    h.betas = {0.9, 1.5};
    try {
        Lion::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid beta parameter at index 1: 1.5");
    }
    h.betas = {1.0, 1.0};  // the reference allows beta = 1
    EXPECT_NO_THROW(Lion::validate(h));
    h.weight_decay = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(Lion::validate(h), std::invalid_argument);
}
