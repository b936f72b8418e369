#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/lookahead.hpp"

using gradkit::optim::Lookahead;

// torch-optimizer's fast.mul_(alpha).add_(slow, alpha=1-alpha): the product rounded, then one multiply-add.
TEST(Lookahead, SyncRoundsAsTheReference) {
    std::vector<float> fast{0.1f, -3.7f, 12.5f, 1e-3f}, slow{0.7f, 2.2f, -0.3f, 5.0f};
    const std::vector<float> f0 = fast, s0 = slow;
    const double alpha = 0.3;
    Lookahead::sync(fast.data(), slow.data(), fast.size(), alpha);
    for (std::size_t i = 0; i < fast.size(); ++i) {
        const float expected = std::fma(static_cast<float>(1.0 - alpha), s0[i], f0[i] * static_cast<float>(alpha));
        EXPECT_EQ(fast[i], expected) << i;
        EXPECT_EQ(slow[i], expected) << i;
    }
}

TEST(Lookahead, AlphaOneKeepsTheFastWeightsAndZeroTheSlowOnes) {
    std::vector<double> fast{1.5, -2.0}, slow{0.5, 4.0};
    Lookahead::sync(fast.data(), slow.data(), 2, 1.0);
    EXPECT_EQ(fast, (std::vector<double>{1.5, -2.0}));
    EXPECT_EQ(slow, fast);
    std::vector<double> fast0{1.5, -2.0}, slow0{0.5, 4.0};
    Lookahead::sync(fast0.data(), slow0.data(), 2, 0.0);
    EXPECT_EQ(fast0, (std::vector<double>{0.5, 4.0}));
}

TEST(Lookahead, SwapExchangesInPlace) {
    std::vector<double> a{1.0, 2.0, 3.0}, b{4.0, 5.0, 6.0};
    Lookahead::swap(a.data(), b.data(), 3);
    EXPECT_EQ(a, (std::vector<double>{4.0, 5.0, 6.0}));
    EXPECT_EQ(b, (std::vector<double>{1.0, 2.0, 3.0}));
}

TEST(Lookahead, ValidationUsesTheReferencesMessages) {
    auto message = [](std::int64_t k, double alpha) {
        try {
            Lookahead::validate(k, alpha);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    EXPECT_EQ(message(5, 0.5), "no error");
    EXPECT_EQ(message(1, 1.0), "no error");
    EXPECT_EQ(message(0, 0.5), "Invalid number of lookahead steps: 0");
    EXPECT_EQ(message(-3, 0.5), "Invalid number of lookahead steps: -3");
    EXPECT_EQ(message(5, -0.5), "Invalid linear interpolation factor: -0.5");
    EXPECT_EQ(message(5, 1.5), "Invalid linear interpolation factor: 1.5");
    EXPECT_EQ(message(5, std::numeric_limits<double>::quiet_NaN()), "Invalid linear interpolation factor: nan");
}
