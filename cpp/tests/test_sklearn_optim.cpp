#include <gtest/gtest.h>

#include <cmath>
#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/optim/sklearn_sgd.hpp"

using gradkit::optim::SklearnAdam;
using gradkit::optim::SklearnSGD;

// sklearn's velocity holds the step: v = mu v - lr g, p += v.
TEST(SklearnSGD, VelocityHoldsTheStep) {
    SklearnSGD::Hyper h;
    h.lr = 0.5;
    h.momentum = 0.5;
    h.nesterov = false;
    std::vector<double> p{1.0}, g{2.0};
    SklearnSGD::State<double> s;
    SklearnSGD::init(h, s, p.data(), 1);
    SklearnSGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.velocity[0], -1.0);
    EXPECT_EQ(p[0], 0.0);
    SklearnSGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.velocity[0], -1.5);  // 0.5 * -1 - 0.5 * 2
    EXPECT_EQ(p[0], -1.5);
}

// Nesterov applies the new velocity again: p += mu v_new - lr g.
TEST(SklearnSGD, NesterovAppliesTheNewVelocityAgain) {
    SklearnSGD::Hyper h;
    h.lr = 0.5;
    h.momentum = 0.5;
    std::vector<double> p{1.0}, g{2.0};
    SklearnSGD::State<double> s;
    SklearnSGD::init(h, s, p.data(), 1);
    SklearnSGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(s.velocity[0], -1.0);
    EXPECT_EQ(p[0], 1.0 + (0.5 * -1.0 - 1.0));
}

TEST(SklearnSGD, ValidatesLikeSklearn) {
    SklearnSGD::Hyper h;
    h.momentum = 1.5;
    EXPECT_THROW(SklearnSGD::validate(h), std::invalid_argument);
    h.momentum = 1.0;
    EXPECT_NO_THROW(SklearnSGD::validate(h));
    h.lr = -0.1;
    EXPECT_THROW(SklearnSGD::validate(h), std::invalid_argument);
}

// sklearn adds epsilon to the uncorrected sqrt(v) and corrects the rate instead.
TEST(SklearnAdam, FirstStepCorrectsTheRateAndAddsEpsilonToSqrtV) {
    SklearnAdam::Hyper h;
    h.lr = 0.1;
    h.epsilon = 1e-3;
    std::vector<double> p{1.0}, g{0.01};
    SklearnAdam::State<double> s;
    SklearnAdam::init(h, s, p.data(), 1);
    SklearnAdam::update(h, s, p.data(), g.data(), 1);
    const double m = (1 - 0.9) * 0.01, v = (1 - 0.999) * (0.01 * 0.01);
    const double lr_t = 0.1 * std::sqrt(1 - 0.999) / (1 - 0.9);
    EXPECT_EQ(s.t, 1.0);
    EXPECT_EQ(s.m[0], m);
    EXPECT_EQ(s.v[0], v);
    EXPECT_EQ(p[0], 1.0 + (-lr_t * m) / (std::sqrt(v) + 1e-3));
    // torch's placement would give lr * m_hat / (sqrt(v_hat) + eps) = 0.1 * 0.01 / (0.01 + 1e-3).
    EXPECT_GT(std::abs(p[0] - (1.0 - 0.1 * 0.01 / (0.01 + 1e-3))), 1e-4);
}

TEST(SklearnAdam, ValidatesLikeSklearn) {
    SklearnAdam::Hyper h;
    h.beta_1 = 1.0;
    EXPECT_THROW(SklearnAdam::validate(h), std::invalid_argument);
    h.beta_1 = 0.9;
    h.epsilon = 0.0;
    EXPECT_THROW(SklearnAdam::validate(h), std::invalid_argument);
}

// Through the ParamGroup concept, as the trainer and the bindings hold every optimizer.
TEST(SklearnAdam, WorksAsAParamGroupOverOneFlatArray) {
    std::vector<float> p(1000, 1.0f), g(1000, 0.5f);
    gradkit::optim::ParamGroup<SklearnAdam, float> group(SklearnAdam::Hyper{});
    group.add_param({p.data(), p.size()});
    const float* grads[] = {g.data()};
    group.step(grads);
    group.step(grads);
    EXPECT_EQ(group.states()[0]->t, 2.0);
    for (float x : p) EXPECT_NEAR(x, 1.0f - 2 * 0.001f, 1e-6f);
}

// Large arrays are split across threads; every element is computed alike.
TEST(SklearnSGD, LargeArraysSplitAcrossThreadsGiveTheSameNumbers) {
    const std::size_t n = 300000;
    std::vector<double> p(n), g(n);
    for (std::size_t i = 0; i < n; ++i) {
        p[i] = std::sin(static_cast<double>(i % 1000));
        g[i] = std::cos(static_cast<double>(i % 1000));
    }
    SklearnSGD::Hyper h;
    SklearnSGD::State<double> s;
    SklearnSGD::init(h, s, p.data(), n);
    for (int k = 0; k < 3; ++k) SklearnSGD::update(h, s, p.data(), g.data(), n);
    for (std::size_t i = 1000; i < n; ++i) ASSERT_EQ(p[i], p[i % 1000]);
}

// Per-element rates: a multiplier c on an element steps it as lr * c would; multipliers of 1 change
// nothing.
template <class Rule>
void expect_scale_acts_as_lr(typename Rule::Hyper h, bool exact) {
    const std::vector<double> start{0.3, -1.2, 2.0};
    const std::vector<double> g{0.5, -0.25, 1.5};
    const std::vector<double> c{1.0, 0.5, 2.0};
    std::vector<double> scaled_p = start;
    typename Rule::template State<double> s;
    Rule::init(h, s, scaled_p.data(), 3);
    for (int k = 0; k < 4; ++k) Rule::update(h, s, scaled_p.data(), g.data(), 3, c.data());
    for (std::size_t i = 0; i < 3; ++i) {
        typename Rule::Hyper hi = h;
        hi.lr = h.lr * c[i];
        std::vector<double> one{start[i]};
        typename Rule::template State<double> si;
        Rule::init(hi, si, one.data(), 1);
        for (int k = 0; k < 4; ++k) Rule::update(hi, si, one.data(), &g[i], 1);
        if (exact)
            EXPECT_EQ(scaled_p[i], one[0]) << "element " << i;
        else
            EXPECT_NEAR(scaled_p[i], one[0], 1e-15 * std::abs(one[0]) + 1e-17) << "element " << i;
    }
}

TEST(SklearnSGD, PerElementRatesActAsTheirLearningRates) {
    SklearnSGD::Hyper h;
    h.lr = 0.1;
    h.momentum = 0.9;
    h.nesterov = true;
    expect_scale_acts_as_lr<SklearnSGD>(h, true);
    h.nesterov = false;
    expect_scale_acts_as_lr<SklearnSGD>(h, true);
}

TEST(SklearnAdam, PerElementRatesActAsTheirLearningRates) {
    SklearnAdam::Hyper h;
    h.lr = 0.01;
    // lr_t * c vs (lr * c) * sqrt(..)/(..): the products are associated differently.
    expect_scale_acts_as_lr<SklearnAdam>(h, false);
}
