#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gradkit/nn/loss.hpp"

using gradkit::nn::Activation;
using gradkit::nn::Loss;
using gradkit::nn::loss_value;

// sklearn: 0.5 * np.average((y - p)**2, axis=0).mean()
TEST(Loss, SquaredErrorHalvesTheMeanOverRowsAndOutputs) {
    const std::vector<double> y{1.0, 2.0, 3.0, 4.0}, p{0.0, 2.0, 1.0, 4.0};  // 2 x 2
    EXPECT_DOUBLE_EQ(loss_value(Loss::squared_error, y.data(), p.data(), static_cast<double*>(nullptr), 2, 2),
                     0.5 * (1.0 + 4.0) / 4.0);
}

TEST(Loss, SampleWeightsAverageRows) {
    const std::vector<double> y{1.0, 0.0}, p{0.0, 0.0}, w{3.0, 1.0};
    EXPECT_DOUBLE_EQ(loss_value(Loss::squared_error, y.data(), p.data(), w.data(), 2, 1), 0.5 * 3.0 / 4.0);
    const std::vector<double> zero{0.0, 0.0};
    EXPECT_THROW(loss_value(Loss::squared_error, y.data(), p.data(), zero.data(), 2, 1), std::domain_error);
}

// Probabilities are clipped to [eps, 1 - eps] with eps = np.finfo(dtype).eps, so log(0) never appears.
TEST(Loss, LogLossClipsProbabilities) {
    const std::vector<double> y{1.0, 0.0, 0.0}, p{0.0, 1.0, 0.0};
    const double eps = std::numeric_limits<double>::epsilon();
    EXPECT_DOUBLE_EQ(loss_value(Loss::log_loss, y.data(), p.data(), static_cast<double*>(nullptr), 1, 3), -std::log(eps));
    const std::vector<float> yf{1.0f, 0.0f}, pf{0.0f, 1.0f};
    EXPECT_NEAR(loss_value(Loss::log_loss, yf.data(), pf.data(), static_cast<float*>(nullptr), 1, 2),
                -std::log(static_cast<double>(std::numeric_limits<float>::epsilon())), 1e-6);
}

// -(y log p + (1 - y) log(1 - p)), summed over outputs, averaged over rows.
TEST(Loss, BinaryLogLossSumsOverOutputs) {
    const std::vector<double> y{1.0, 0.0, 0.0, 1.0}, p{0.8, 0.3, 0.1, 0.6};
    const double expected = -(std::log(0.8) + std::log(0.7) + std::log(0.9) + std::log(0.6)) / 2.0;
    EXPECT_NEAR(loss_value(Loss::binary_log_loss, y.data(), p.data(), static_cast<double*>(nullptr), 2, 2), expected,
                1e-15);
    // log_loss on a single column is the binary loss (sklearn appends the complementary column).
    EXPECT_NEAR(loss_value(Loss::log_loss, y.data(), p.data(), static_cast<double*>(nullptr), 4, 1),
                loss_value(Loss::binary_log_loss, y.data(), p.data(), static_cast<double*>(nullptr), 4, 1), 1e-15);
}

// xlogy(y, y / p) - y + p, summed over outputs; 0 log 0 = 0.
TEST(Loss, PoissonIsHalfTheDeviance) {
    const std::vector<double> y{0.0, 2.0}, p{0.5, 1.0};
    EXPECT_DOUBLE_EQ(loss_value(Loss::poisson, y.data(), p.data(), static_cast<double*>(nullptr), 1, 2),
                     0.5 + (2.0 * std::log(2.0) - 2.0 + 1.0));
}

TEST(Loss, EachOutputActivationHasSklearnsLoss) {
    EXPECT_EQ(gradkit::nn::loss_for_output(Activation::identity), Loss::squared_error);
    EXPECT_EQ(gradkit::nn::loss_for_output(Activation::exp), Loss::poisson);
    EXPECT_EQ(gradkit::nn::loss_for_output(Activation::softmax), Loss::log_loss);
    EXPECT_EQ(gradkit::nn::loss_for_output(Activation::logistic), Loss::binary_log_loss);
    EXPECT_THROW(gradkit::nn::loss_for_output(Activation::relu), std::invalid_argument);
}

// ---------------------------------------------------------------- beyond sklearn: regression losses

using gradkit::nn::LossFunction;

// Weighted mean over rows of the mean over outputs (2 x 2, weights 1 and 3; r = y - p).
TEST(Loss, RegressionLossesAreWeightedMeansOverRowsOfMeansOverOutputs) {
    const std::vector<double> y{1.0, 2.0, 3.0, 4.0}, p{0.0, 2.5, 3.0, 7.0}, w{1.0, 3.0};
    // r = 1, -0.5, 0, -3
    const double absolute = (1.0 * (1.0 + 0.5) / 2 + 3.0 * (0.0 + 3.0) / 2) / 4.0;
    EXPECT_DOUBLE_EQ(loss_value(LossFunction{Loss::absolute_error}, y.data(), p.data(), w.data(), 2, 2), absolute);
    const double huber = (1.0 * (0.5 + 0.125) / 2 + 3.0 * (0.0 + 1.0 * (3.0 - 0.5)) / 2) / 4.0;  // delta 1
    EXPECT_DOUBLE_EQ(loss_value(LossFunction{Loss::huber, 1.0}, y.data(), p.data(), w.data(), 2, 2), huber);
    const double q = 0.9;
    const double pinball = (1.0 * (q * 1.0 + (1 - q) * 0.5) / 2 + 3.0 * (0.0 + (1 - q) * 3.0) / 2) / 4.0;
    EXPECT_DOUBLE_EQ(loss_value(LossFunction{Loss::pinball, 1.0, q}, y.data(), p.data(), w.data(), 2, 2), pinball);
    EXPECT_EQ(gradkit::nn::loss_from_name("huber"), Loss::huber);
    EXPECT_THROW(gradkit::nn::loss_from_name("quantile"), std::invalid_argument);
}

// The output delta before division by the weight sum: sw · dloss/dp · (1/k), 0 at the kinks; p - y
// (times sw) for sklearn's pairs, as before.
TEST(Loss, OutputDeltaIsTheLossGradientAndZeroAtTheKinks) {
    const std::vector<float> y{1.0f, 2.0f, 3.0f, 4.0f}, p{0.0f, 2.5f, 3.0f, 7.0f}, w{1.0f, 3.0f};
    std::vector<float> d(4);
    gradkit::nn::output_delta(LossFunction{Loss::absolute_error}, p.data(), y.data(), w.data(), d.data(), 2, 0, 2);
    EXPECT_EQ(d, (std::vector<float>{-0.5f, 0.5f, 0.0f, 1.5f}));
    gradkit::nn::output_delta(LossFunction{Loss::huber, 1.0}, p.data(), y.data(), w.data(), d.data(), 2, 0, 2);
    EXPECT_EQ(d, (std::vector<float>{-0.5f, 0.25f, 0.0f, 1.5f}));
    gradkit::nn::output_delta(LossFunction{Loss::pinball, 1.0, 0.25}, p.data(), y.data(), static_cast<const float*>(nullptr),
                              d.data(), 2, 0, 2);
    EXPECT_EQ(d, (std::vector<float>{-0.125f, 0.375f, 0.0f, 0.375f}));
    gradkit::nn::output_delta(LossFunction{Loss::squared_error}, p.data(), y.data(), w.data(), d.data(), 2, 0, 2);
    EXPECT_EQ(d, (std::vector<float>{-1.0f, 0.5f, 0.0f, 9.0f}));
}
