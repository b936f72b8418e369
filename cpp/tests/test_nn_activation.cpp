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

// ---------------------------------------------------------------- beyond sklearn: torch's activations

namespace {

#include "fixtures/torch_activations.inc"

using gradkit::nn::ActivationParams;

// f(x) for one element, through the layer kernel (intercept 0).
template <typename T>
T forward_one(Activation a, T x, double slope) {
    const T b[1] = {T(0)};
    T z[1] = {x}, pre[1] = {T(0)};
    add_bias_and_activate(a, z, b, 1, 1, ActivationParams{slope}, pre);
    return z[0];
}

// f'(x) for one element, through the backward kernel (from Z, and x where it is needed).
template <typename T>
T derivative_one(Activation a, T x, double slope) {
    const T b[1] = {T(0)};
    T z[1] = {x}, pre[1] = {T(0)};
    add_bias_and_activate(a, z, b, 1, 1, ActivationParams{slope}, pre);
    T d[1] = {T(1)};
    multiply_by_derivative(a, z, d, 1, ActivationParams{slope}, pre);
    return d[0];
}

}  // namespace

TEST(Activation, NewActivationsAreHiddenActivationsAndNamed) {
    for (const char* n : {"leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"}) {
        const Activation a = activation_from_name(n);
        EXPECT_STREQ(gradkit::nn::activation_name(a), n);
        EXPECT_TRUE(gradkit::nn::is_hidden_activation(a));
    }
    EXPECT_TRUE(gradkit::nn::needs_preactivation(Activation::gelu));
    EXPECT_TRUE(gradkit::nn::needs_preactivation(Activation::gelu_tanh));
    EXPECT_TRUE(gradkit::nn::needs_preactivation(Activation::silu));
    EXPECT_FALSE(gradkit::nn::needs_preactivation(Activation::softplus));
    EXPECT_FALSE(gradkit::nn::needs_preactivation(Activation::relu));
    EXPECT_THROW(activation_from_name("swish"), std::invalid_argument);
}

// Values within a few ulps of torch.nn.functional's, ulps of the larger of |f(x)| and |x|: gelu's
// 1 + erf(x/√2) cancels for negative x, and libm's erf and torch's vectorised float32 erf round
// differently there (at x = -3 in float32 gradkit's value is the closer to the true -0.0040497).
TEST(Activation, NewActivationsGiveTorchsValuesInFloat64AndFloat32) {
    for (const TorchActivation& c : kTorchActivations) {
        const Activation a = activation_from_name(c.name);
        for (std::size_t i = 0; i < kTorchInputCount; ++i) {
            const double x = kTorchInputs[i];
            const double v64 = forward_one<double>(a, x, c.negative_slope);
            EXPECT_NEAR(v64, c.value64[i], 4e-16 * (std::abs(c.value64[i]) + std::abs(x))) << c.name << " at " << x;
            const float v32 = forward_one<float>(a, static_cast<float>(x), c.negative_slope);
            EXPECT_NEAR(v32, c.value32[i], 4e-7f * (std::abs(c.value32[i]) + std::abs(static_cast<float>(x))))
                << c.name << " at " << x << " (float32)";
        }
    }
}

// The derivatives (from Z, or from x for gelu and silu) against torch's autograd, within a few ulps
// plus one machine epsilon: elu's Z + 1 = exp(x) cancels far below 0 (at x = -30 it is 9.3592e-14
// where exp(-30) = 9.3576e-14; torch's elu backward from its result does the same), and torch's float32
// gelu derivative is 0 at x = -8 where the true one is -4e-14. softplus at its threshold (x = 20,
// where torch's derivative is sigmoid(20) = 1 - 2e-9) reads Z = 20.000000002 > 20: the linear part's 1.
TEST(Activation, NewActivationsDerivativesMatchTorchsAutograd) {
    for (const TorchActivation& c : kTorchActivations) {
        const Activation a = activation_from_name(c.name);
        for (std::size_t i = 0; i < kTorchInputCount; ++i) {
            const double x = kTorchInputs[i];
            const double eps64 = std::numeric_limits<double>::epsilon();
            const double tol64 = (a == Activation::softplus && x == 20.0) ? 3e-9 : 2e-15 * std::abs(c.grad64[i]) + eps64;
            EXPECT_NEAR(derivative_one<double>(a, x, c.negative_slope), c.grad64[i], tol64) << c.name << " at " << x;
            EXPECT_NEAR(derivative_one<float>(a, static_cast<float>(x), c.negative_slope), c.grad32[i],
                        4e-6f * std::abs(c.grad32[i]) + std::numeric_limits<float>::epsilon())
                << c.name << " at " << x << " (float32)";
        }
    }
}

// Central finite differences in float64 away from the kinks (x = 0 for leaky_relu and elu).
TEST(Activation, NewActivationsDerivativesMatchCentralFiniteDifferences) {
    const double h = 1e-6;
    for (const char* name : {"leaky_relu", "elu", "gelu", "gelu_tanh", "silu", "softplus"}) {
        const Activation a = activation_from_name(name);
        for (double x = -6.0; x <= 6.0; x += 0.37) {
            const double fd = (forward_one<double>(a, x + h, 0.2) - forward_one<double>(a, x - h, 0.2)) / (2 * h);
            EXPECT_NEAR(derivative_one<double>(a, x, 0.2), fd, 1e-8) << name << " at " << x;
        }
    }
}

TEST(Activation, LeakyReluUsesItsSlopeAndGeluNeedsItsPreactivation) {
    const std::vector<double> b{0.0, 0.0};
    std::vector<double> z{-2.0, 3.0};
    add_bias_and_activate(Activation::leaky_relu, z.data(), b.data(), 1, 2, ActivationParams{0.25});
    EXPECT_EQ(z, (std::vector<double>{-0.5, 3.0}));
    std::vector<double> d{1.0, 1.0};
    EXPECT_THROW(multiply_by_derivative(Activation::gelu, z.data(), d.data(), 2), std::invalid_argument);
    // Forward-only (no pre buffer) gives the same outputs as a training pass that keeps x.
    std::vector<double> z1{-0.7, 1.3}, z2 = z1, pre(2);
    add_bias_and_activate(Activation::gelu, z1.data(), b.data(), 1, 2);
    add_bias_and_activate(Activation::gelu, z2.data(), b.data(), 1, 2, ActivationParams{}, pre.data());
    EXPECT_EQ(z1, z2);
    EXPECT_EQ(pre, (std::vector<double>{-0.7, 1.3}));
}
