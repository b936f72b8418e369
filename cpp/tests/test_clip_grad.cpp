// Gradient clipping by value: torch's clamp semantics, NaN bounds included.
#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <vector>

#include "gradkit/optim/clip_grad.hpp"

using gradkit::optim::ArrayRef;
using gradkit::optim::clamp_in_place;

TEST(ClipGradValue, ClampsIntoTheSymmetricInterval) {
    std::vector<double> g{-3.0, 0.5, 2.0};
    clamp_in_place(ArrayRef<double>{g.data(), g.size()}, 1.0);
    EXPECT_EQ(g, (std::vector<double>{-1.0, 0.5, 1.0}));
}

TEST(ClipGradValue, ANegativeBoundGivesTheBoundEverywhereAsTorch) {
    std::vector<float> g{-3.0f, 0.0f, 2.0f};
    clamp_in_place(ArrayRef<float>{g.data(), g.size()}, -1.0);
    EXPECT_EQ(g, (std::vector<float>{-1.0f, -1.0f, -1.0f}));
}

TEST(ClipGradValue, ANaNBoundMakesEveryElementNaNAsTorch) {
    std::vector<double> g{-3.0, 0.5, 2.0};
    clamp_in_place(ArrayRef<double>{g.data(), g.size()}, std::numeric_limits<double>::quiet_NaN());
    for (double v : g) EXPECT_TRUE(std::isnan(v));
}

TEST(ClipGradValue, ANaNGradientStaysNaN) {
    std::vector<double> g{std::numeric_limits<double>::quiet_NaN(), 5.0};
    clamp_in_place(ArrayRef<double>{g.data(), g.size()}, 1.0);
    EXPECT_TRUE(std::isnan(g[0]));
    EXPECT_EQ(g[1], 1.0);
}
