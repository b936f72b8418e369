#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gradkit/nn/activation.hpp"

using gradkit::nn::Activation;
using gradkit::nn::activation_from_name;
using gradkit::nn::add_bias_and_activate;
using gradkit::nn::multiply_by_derivative;

TEST(Activation, NamesRoundTripAndUnknownNamesAreRefused) {
    for (const char* n : {"identity", "logistic", "tanh", "relu", "softmax", "exp"})
        EXPECT_STREQ(gradkit::nn::activation_name(activation_from_name(n)), n);
    EXPECT_THROW(activation_from_name("sigmoid"), std::invalid_argument);
    EXPECT_TRUE(gradkit::nn::is_hidden_activation(Activation::relu));
    EXPECT_FALSE(gradkit::nn::is_hidden_activation(Activation::softmax));
}

TEST(Activation, AddsTheInterceptThenActivatesEachElement) {
    const std::vector<double> b{0.5, -1.0};
    std::vector<double> z{0.0, 1.0, -2.0, 3.0};  // 2 rows x 2 cols
    add_bias_and_activate(Activation::relu, z.data(), b.data(), 2, 2);
    EXPECT_EQ(z, (std::vector<double>{0.5, 0.0, 0.0, 2.0}));

    z = {0.0, 1.0, -2.0, 3.0};
    add_bias_and_activate(Activation::logistic, z.data(), b.data(), 2, 2);
    EXPECT_EQ(z[0], 1.0 / (1.0 + std::exp(-0.5)));  // scipy's expit
    EXPECT_EQ(z[1], 0.5);

    z = {0.0, 1.0, -2.0, 3.0};
    add_bias_and_activate(Activation::tanh, z.data(), b.data(), 2, 2);
    EXPECT_EQ(z[3], std::tanh(2.0));

    z = {0.0, 1.0, -2.0, 3.0};
    add_bias_and_activate(Activation::exp, z.data(), b.data(), 2, 2);
    EXPECT_EQ(z[2], std::exp(-1.5));

    z = {0.0, 1.0, -2.0, 3.0};
    add_bias_and_activate(Activation::identity, z.data(), b.data(), 2, 2);
    EXPECT_EQ(z, (std::vector<double>{0.5, 0.0, -1.5, 2.0}));
}

// sklearn subtracts each row's maximum before exp, so large logits do not overflow.
TEST(Activation, SoftmaxIsRowWiseAndStableForLargeLogits) {
    const std::vector<double> b{0.0, 0.0, 0.0};
    std::vector<double> z{1.0, 2.0, 3.0, 1000.0, 1000.0, -1000.0};
    add_bias_and_activate(Activation::softmax, z.data(), b.data(), 2, 3);
    const double s = std::exp(-2.0) + std::exp(-1.0) + 1.0;
    EXPECT_DOUBLE_EQ(z[0], std::exp(-2.0) / s);
    EXPECT_DOUBLE_EQ(z[2], 1.0 / s);
    EXPECT_EQ(z[3], 0.5);
    EXPECT_EQ(z[4], 0.5);
    EXPECT_EQ(z[5], 0.0);
}

TEST(Activation, SoftmaxRowsSumToOneInFloat32) {
    const std::vector<float> b{0.1f, -0.2f, 0.3f, 0.0f};
    std::vector<float> z{0.3f, -1.2f, 4.0f, 2.5f};
    add_bias_and_activate(Activation::softmax, z.data(), b.data(), 1, 4);
    EXPECT_NEAR(z[0] + z[1] + z[2] + z[3], 1.0f, 1e-6f);
}

// sklearn's inplace_*_derivative take the activation's output Z.
TEST(Activation, DerivativesTakeTheActivationOutput) {
    const std::vector<double> Z{0.25, 0.0, -0.5};
    std::vector<double> d{2.0, 3.0, 4.0};
    multiply_by_derivative(Activation::logistic, Z.data(), d.data(), 3);
    EXPECT_EQ(d, (std::vector<double>{2.0 * 0.25 * 0.75, 0.0, 4.0 * -0.5 * 1.5}));

    d = {2.0, 3.0, 4.0};
    multiply_by_derivative(Activation::tanh, Z.data(), d.data(), 3);
    EXPECT_EQ(d, (std::vector<double>{2.0 * (1 - 0.0625), 3.0, 4.0 * 0.75}));

    d = {2.0, 3.0, 4.0};
    multiply_by_derivative(Activation::relu, Z.data(), d.data(), 3);  // 0 exactly where Z == 0
    EXPECT_EQ(d, (std::vector<double>{2.0, 0.0, 4.0}));

    d = {2.0, 3.0, 4.0};
    multiply_by_derivative(Activation::identity, Z.data(), d.data(), 3);
    EXPECT_EQ(d, (std::vector<double>{2.0, 3.0, 4.0}));

    EXPECT_THROW(multiply_by_derivative(Activation::softmax, Z.data(), d.data(), 3), std::invalid_argument);
}

TEST(Activation, ReluKeepsNaN) {
    const std::vector<double> b{0.0};
    std::vector<double> z{std::numeric_limits<double>::quiet_NaN()};
    add_bias_and_activate(Activation::relu, z.data(), b.data(), 1, 1);
    EXPECT_TRUE(std::isnan(z[0]));
}

// Row-wise work split across threads gives the same numbers as one thread.
TEST(Activation, LargeBlocksSplitAcrossThreadsGiveTheSameNumbers) {
    const std::size_t rows = 3000, cols = 70;
    std::vector<double> b(cols), z(rows * cols);
    for (std::size_t j = 0; j < cols; ++j) b[j] = 0.01 * static_cast<double>(j);
    for (std::size_t i = 0; i < z.size(); ++i) z[i] = std::sin(static_cast<double>(i));
    std::vector<double> expected = z;
    add_bias_and_activate(Activation::softmax, z.data(), b.data(), rows, cols);
    gradkit::nn::detail::bias_softmax_kernel(expected.data(), b.data(), cols, 0, rows);
    EXPECT_EQ(z, expected);
}
