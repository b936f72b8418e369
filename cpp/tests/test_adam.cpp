#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradkit/optim/adam.hpp"
#include "gradkit/optim/pointwise.hpp"

using gradkit::optim::Adam;

// After one step, bias correction makes m_hat = g and v_hat = g^2: the move is lr * g / (|g| + eps).
TEST(Adam, FirstStepMovesByLearningRate) {
    std::vector<double> p{1.0, -1.0}, g{4.0, -0.25};
    Adam::Hyper h;
    h.lr = 0.1;
    Adam::State<double> s;
    Adam::init(h, s, p.data(), p.size());
    Adam::update(h, s, p.data(), g.data(), p.size());
    EXPECT_NEAR(p[0], 1.0 - 0.1 * 4.0 / (4.0 + 1e-8), 1e-15);
    EXPECT_NEAR(p[1], -1.0 + 0.1 * 0.25 / (0.25 + 1e-8), 1e-15);
    EXPECT_EQ(s.step, 1.0);
}

TEST(Adam, EpsilonSitsAfterTheBiasCorrectionOfV) {
    std::vector<double> p{0.0}, g{1e-6};
    Adam::Hyper h;
    h.lr = 1.0;
    h.eps = 1e-6;
    Adam::State<double> s;
    Adam::init(h, s, p.data(), 1);
    Adam::update(h, s, p.data(), g.data(), 1);
    // torch: m_hat / (sqrt(v)/sqrt(1-b2) + eps) = 1e-6 / (1e-6 + 1e-6)
    EXPECT_NEAR(p[0], -0.5, 1e-12);
}

TEST(Adam, AmsgradKeepsRunningMaximum) {
    std::vector<double> p{0.0}, big{10.0}, small{0.1};
    Adam::Hyper h;
    h.amsgrad = true;
    Adam::State<double> s;
    Adam::init(h, s, p.data(), 1);
    Adam::update(h, s, p.data(), big.data(), 1);
    const double after_big = s.max_exp_avg_sq[0];
    Adam::update(h, s, p.data(), small.data(), 1);
    EXPECT_EQ(s.max_exp_avg_sq[0], after_big);
    EXPECT_LT(s.exp_avg_sq[0], after_big);
}

TEST(Adam, DecoupledDecayScalesWeightsBeforeTheStep) {
    std::vector<double> p{2.0}, g{0.0};
    Adam::Hyper h;
    h.lr = 0.1;
    h.weight_decay = 0.5;
    h.decoupled_weight_decay = true;
    Adam::State<double> s;
    Adam::init(h, s, p.data(), 1);
    Adam::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(p[0], 2.0 * (1 - 0.05));
}

TEST(Adam, LargeArraysSplitAcrossThreadsGiveTheSameNumbers) {
    const std::size_t n = (std::size_t{1} << 18) + 7;
    std::vector<float> p1(n), p2, g(n);
    for (std::size_t i = 0; i < n; ++i) {
        p1[i] = std::sin(float(i));
        g[i] = std::cos(float(i) * 0.5f);
    }
    p2 = p1;
    Adam::Hyper h;
    Adam::State<float> s1, s2;
    Adam::init(h, s1, p1.data(), n);
    Adam::init(h, s2, p2.data(), n);
    Adam::update(h, s1, p1.data(), g.data(), n);
    gradkit::set_max_threads(1);
    Adam::update(h, s2, p2.data(), g.data(), n);
    gradkit::set_max_threads(2);
    EXPECT_EQ(p1, p2);
}

// exp_avg.lerp_(grad, 1 - beta1), as torch: for beta1 < 0.5 the weight is above 0.5, where torch's lerp takes
// g + (w - 1)(g - m), which rounds differently from m + w (g - m) in many elements.
TEST(Adam, FirstMomentIsTorchsLerpOnBothSidesOfHalf) {
    const std::size_t n = 1000;
    for (const double beta1 : {0.9, 0.3}) {
        std::vector<double> p(n, 1.0), g(n), m0(n);
        for (std::size_t i = 0; i < n; ++i) {
            g[i] = std::sin(double(i));
            m0[i] = std::cos(double(i) * 0.7);
        }
        Adam::Hyper h;
        h.betas = {beta1, 0.999};
        Adam::State<double> s;
        Adam::init(h, s, p.data(), n);
        s.exp_avg = m0;
        Adam::update(h, s, p.data(), g.data(), n);
        const double w = 1 - beta1;
        std::size_t differs_from_one_formula = 0;
        for (std::size_t i = 0; i < n; ++i) {
            EXPECT_EQ(s.exp_avg[i], gradkit::optim::lerp(m0[i], g[i], w)) << "beta1 " << beta1 << ", element " << i;
            differs_from_one_formula += s.exp_avg[i] != std::fma(w, g[i] - m0[i], m0[i]);
        }
        if (beta1 < 0.5) EXPECT_GT(differs_from_one_formula, 0u);  // the case tells the two formulas apart
    }
}

TEST(Adam, RejectsBetaOutsideUnitInterval) {
    Adam::Hyper h;
    h.betas = {0.9, 1.0};
    try {
        Adam::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid beta parameter at index 1: 1.0");
    }
}
