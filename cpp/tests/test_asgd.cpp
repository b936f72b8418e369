#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradkit/optim/asgd.hpp"

using gradkit::optim::ASGD;

// lambd = 0 keeps eta = lr; the gradient p with lr = 0.5 halves p each step.
TEST(ASGD, AveragingStartsAfterT0) {
    std::vector<double> p{4.0};
    ASGD::Hyper h;
    h.lr = 0.5;
    h.lambd = 0.0;
    h.t0 = 3;
    ASGD::State<double> s;
    ASGD::init(h, s, p.data(), 1);
    auto step = [&] {
        std::vector<double> g = p;
        ASGD::update(h, s, p.data(), g.data(), 1);
    };
    for (int t = 1; t <= 5; ++t) {
        step();
        EXPECT_EQ(s.ax[0], p[0]) << "step " << t;  // mu = 1: a copy
    }
    EXPECT_DOUBLE_EQ(p[0], 0.125);
    EXPECT_DOUBLE_EQ(s.mu, 0.5);  // 1 / (5 - t0)
    step();
    EXPECT_DOUBLE_EQ(s.ax[0], (0.125 + 0.0625) / 2);
    step();
    EXPECT_DOUBLE_EQ(s.ax[0], (0.125 + 0.0625 + 0.03125) / 3);
}

TEST(ASGD, EtaStartsAtLrThenDecays) {
    std::vector<double> p{1.0}, g{0.2};
    ASGD::Hyper h;
    h.lr = 0.5;
    h.lambd = 0.1;
    ASGD::State<double> s;
    ASGD::init(h, s, p.data(), 1);
    EXPECT_EQ(s.eta, 0.5);
    ASGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(p[0], 1.0 * (1 - 0.1 * 0.5) - 0.5 * 0.2);
    const double eta1 = 0.5 / std::pow(1 + 0.1 * 0.5 * 1, 0.75);
    EXPECT_DOUBLE_EQ(s.eta, eta1);
    const double p1 = p[0];
    ASGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(p[0], p1 * (1 - 0.1 * eta1) - eta1 * 0.2);
}

TEST(ASGD, WeightDecayAndMaximize) {
    std::vector<float> p{2.0f}, g{1.0f};
    ASGD::Hyper h;
    h.lr = 0.1;
    h.lambd = 0.0;
    h.weight_decay = 0.5;
    h.maximize = true;
    ASGD::State<float> s;
    ASGD::init(h, s, p.data(), 1);
    ASGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_FLOAT_EQ(p[0], 2.0f - 0.1f * (-1.0f + 0.5f * 2.0f));  // -g + wd * p = 0
}

TEST(ASGD, ValidationUsesTorchMessages) {
    ASGD::Hyper h;
    h.weight_decay = -0.1;
    try {
        ASGD::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid weight_decay value: -0.1");
    }
    h.weight_decay = 0.0;
    h.lambd = -1.0;  // torch does not check lambd, alpha or t0
    EXPECT_NO_THROW(ASGD::validate(h));
}
