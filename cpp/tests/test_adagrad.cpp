#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/adagrad.hpp"

using gradkit::optim::Adagrad;

// With a zero accumulator the first step is lr * g / (|g| + eps): about lr, whatever |g| is.
TEST(Adagrad, FirstStepMovesByLearningRate) {
    std::vector<double> p{1.0, -1.0}, g{4.0, -0.25};
    Adagrad::Hyper h;
    h.lr = 0.1;
    Adagrad::State<double> s;
    Adagrad::init(h, s, p.data(), p.size());
    Adagrad::update(h, s, p.data(), g.data(), p.size());
    EXPECT_DOUBLE_EQ(p[0], 1.0 - 0.1 * 4.0 / (4.0 + 1e-10));
    EXPECT_DOUBLE_EQ(p[1], -1.0 + 0.1 * 0.25 / (0.25 + 1e-10));
    EXPECT_EQ(s.sum, (std::vector<double>{16.0, 0.0625}));
    EXPECT_EQ(s.step, 1.0);
}

TEST(Adagrad, InitialAccumulatorAndLearningRateDecay) {
    std::vector<double> p{0.0}, g{1.0};
    Adagrad::Hyper h;
    h.lr = 1.0;
    h.lr_decay = 1.0;
    h.initial_accumulator_value = 3.0;
    h.eps = 0.0;
    Adagrad::State<double> s;
    Adagrad::init(h, s, p.data(), 1);
    EXPECT_EQ(s.sum[0], 3.0);
    Adagrad::update(h, s, p.data(), g.data(), 1);  // sum 4, lr 1: step 1/2
    EXPECT_DOUBLE_EQ(p[0], -0.5);
    Adagrad::update(h, s, p.data(), g.data(), 1);  // sum 5, lr 1 / (1 + 1 * 1)
    EXPECT_DOUBLE_EQ(p[0], -0.5 - 0.5 / std::sqrt(5.0));
}

// Maximize negates the gradient before the decay term is added: -1 + 0.5 * 2 = 0, no move.
TEST(Adagrad, MaximizeNegatesGradientBeforeWeightDecay) {
    std::vector<float> p{2.0f}, g{1.0f};
    Adagrad::Hyper h;
    h.maximize = true;
    h.weight_decay = 0.5;
    Adagrad::State<float> s;
    Adagrad::init(h, s, p.data(), 1);
    Adagrad::update(h, s, p.data(), g.data(), 1);
    EXPECT_EQ(p[0], 2.0f);
    EXPECT_EQ(s.sum[0], 0.0f);
}

TEST(Adagrad, ValidationUsesTorchMessages) {
    Adagrad::Hyper h;
    h.initial_accumulator_value = -1.0;
    try {
        Adagrad::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid initial_accumulator_value value: -1.0");
    }
    h = Adagrad::Hyper{};
    h.lr = std::numeric_limits<double>::quiet_NaN();
    try {
        Adagrad::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid learning rate: nan");
    }
}
