#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gradkit/optim/nadam.hpp"

using gradkit::optim::NAdam;

namespace {
double schedule(double beta1, double psi, double t) { return beta1 * (1 - 0.5 * std::pow(0.96, t * psi)); }
}  // namespace

// Step 1: m = (1-b1) g and v_hat = g^2, so the move is lr * sign(g) * (1 + mu_2 (1-b1) / (1 - mu_1 mu_2)).
TEST(NAdam, FirstStepFollowsTheMomentumSchedule) {
    std::vector<double> p{1.0, -1.0}, g{2.0, -0.5};
    NAdam::Hyper h;
    h.lr = 0.1;
    NAdam::State<double> s;
    NAdam::init(h, s, p.data(), p.size());
    NAdam::update(h, s, p.data(), g.data(), p.size());
    const double mu1 = schedule(0.9, 4e-3, 1), mu2 = schedule(0.9, 4e-3, 2);
    const double move = 0.1 * (1 + mu2 * 0.1 / (1 - mu1 * mu2));
    EXPECT_NEAR(p[0], 1.0 - move, 1e-7);  // eps = 1e-8 against |g| >= 0.5
    EXPECT_NEAR(p[1], -1.0 + move, 1e-7);
    EXPECT_DOUBLE_EQ(s.mu_product, mu1);
    EXPECT_EQ(s.step, 1.0);
}

// With momentum_decay = 0 every mu_t is beta1 / 2, so mu_product is (beta1 / 2)^t.
TEST(NAdam, MuProductMultipliesTheSchedule) {
    std::vector<double> p{0.0}, g{1.0};
    NAdam::Hyper h;
    h.momentum_decay = 0.0;
    NAdam::State<double> s;
    NAdam::init(h, s, p.data(), 1);
    for (int t = 0; t < 3; ++t) NAdam::update(h, s, p.data(), g.data(), 1);
    EXPECT_NEAR(s.mu_product, 0.45 * 0.45 * 0.45, 1e-16);
}

TEST(NAdam, DecoupledDecayScalesWeightsAndLeavesTheMomentsAlone) {
    std::vector<double> p{2.0}, g{0.0};
    NAdam::Hyper h;
    h.lr = 0.1;
    h.weight_decay = 0.5;
    h.decoupled_weight_decay = true;
    NAdam::State<double> s;
    NAdam::init(h, s, p.data(), 1);
    NAdam::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(p[0], 2.0 * (1 - 0.05));
    EXPECT_EQ(s.exp_avg[0], 0.0);
    EXPECT_EQ(s.exp_avg_sq[0], 0.0);
}

TEST(NAdam, CoupledDecayEntersTheMoments) {
    std::vector<float> p{2.0f}, g{0.0f};
    NAdam::Hyper h;
    h.weight_decay = 0.5;
    NAdam::State<float> s;
    NAdam::init(h, s, p.data(), 1);
    NAdam::update(h, s, p.data(), g.data(), 1);
    EXPECT_FLOAT_EQ(s.exp_avg[0], 0.1f * 1.0f);  // (1 - beta1) * (g + wd * p)
    EXPECT_LT(p[0], 2.0f);
}

TEST(NAdam, LargeArraysSplitAcrossThreadsGiveTheSameNumbers) {
    const std::size_t n = (std::size_t{1} << 18) + 7;
    std::vector<double> p1(n), p2, g(n);
    for (std::size_t i = 0; i < n; ++i) {
        p1[i] = std::sin(double(i));
        g[i] = std::cos(double(i) * 0.5);
    }
    p2 = p1;
    NAdam::Hyper h;
    h.weight_decay = 0.1;
    NAdam::State<double> s1, s2;
    NAdam::init(h, s1, p1.data(), n);
    NAdam::init(h, s2, p2.data(), n);
    NAdam::update(h, s1, p1.data(), g.data(), n);
    gradkit::set_max_threads(1);
    NAdam::update(h, s2, p2.data(), g.data(), n);
    gradkit::set_max_threads(2);
    EXPECT_EQ(p1, p2);
}

TEST(NAdam, ValidationUsesTorchMessages) {
    NAdam::Hyper h;
    h.momentum_decay = -1.0;
    try {
        NAdam::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid momentum_decay value: -1.0");
    }
    h.momentum_decay = 4e-3;
    h.lr = std::numeric_limits<double>::quiet_NaN();  // torch's `not 0.0 <= lr` rejects NaN
    try {
        NAdam::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid learning rate: nan");
    }
}
