#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradkit/optim/radam.hpp"

using gradkit::optim::RAdam;

TEST(RAdam, DefaultBetasRectifyFromStepSix) {
    EXPECT_LE(RAdam::rho(0.999, 5), 5.0);
    EXPECT_GT(RAdam::rho(0.999, 6), 5.0);
}

// Unrectified steps are SGD on the bias-corrected momentum; for a constant gradient that is g itself.
TEST(RAdam, EarlyStepsAreMomentumSgd) {
    std::vector<double> p{1.0, -1.0}, g{0.5, -2.0};
    RAdam::Hyper h;
    h.lr = 0.1;
    RAdam::State<double> s;
    RAdam::init(h, s, p.data(), p.size());
    for (int t = 0; t < 5; ++t) RAdam::update(h, s, p.data(), g.data(), p.size());
    EXPECT_NEAR(p[0], 1.0 - 5 * 0.1 * 0.5, 1e-12);
    EXPECT_NEAR(p[1], -1.0 + 5 * 0.1 * 2.0, 1e-12);
}

// Step 6 with a constant gradient: m_hat = g and sqrt(1-b2^t)/sqrt(v) = 1/|g|, so the move is lr * r_6.
TEST(RAdam, SixthStepIsScaledByTheRectification) {
    std::vector<double> p{0.0}, g{3.0};
    RAdam::Hyper h;
    h.lr = 0.1;
    h.eps = 0.0;
    RAdam::State<double> s;
    RAdam::init(h, s, p.data(), 1);
    for (int t = 0; t < 5; ++t) RAdam::update(h, s, p.data(), g.data(), 1);
    const double before = p[0];
    RAdam::update(h, s, p.data(), g.data(), 1);
    const double rho_inf = 2 / (1 - 0.999) - 1, rho_6 = RAdam::rho(0.999, 6);
    const double r = std::sqrt((rho_6 - 4) * (rho_6 - 2) * rho_inf / ((rho_inf - 4) * (rho_inf - 2) * rho_6));
    EXPECT_LT(r, 0.2);
    EXPECT_NEAR(before - p[0], 0.1 * r, 1e-12);
}

// rho_inf = 2/(1-b2) - 1 = 3 for b2 = 0.5: never above 5, so never rectified.
TEST(RAdam, SmallBeta2NeverRectifies) {
    std::vector<float> p{0.0f}, g{1.0f};
    RAdam::Hyper h;
    h.lr = 0.01;
    h.betas = {0.9, 0.5};
    RAdam::State<float> s;
    RAdam::init(h, s, p.data(), 1);
    for (int t = 0; t < 50; ++t) RAdam::update(h, s, p.data(), g.data(), 1);
    EXPECT_NEAR(p[0], -0.5f, 1e-5f);
}

TEST(RAdam, DecoupledDecayScalesWeightsBeforeTheStep) {
    std::vector<double> p{2.0}, g{0.0};
    RAdam::Hyper h;
    h.lr = 0.1;
    h.weight_decay = 0.5;
    h.decoupled_weight_decay = true;
    RAdam::State<double> s;
    RAdam::init(h, s, p.data(), 1);
    RAdam::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(p[0], 2.0 * (1 - 0.05));
}

TEST(RAdam, ValidationUsesTorchMessages) {
    RAdam::Hyper h;
    h.betas = {1.0, 0.999};
    try {
        RAdam::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid beta parameter at index 0: 1.0");
    }
    h.betas = {0.9, 0.999};
    h.eps = -1e-8;
    try {
        RAdam::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid epsilon value: -1e-08");
    }
}
