#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/adadelta.hpp"

using gradkit::optim::Adadelta;

// The first step is sqrt(eps) / sqrt((1 - rho) g^2 + eps) * g: about sqrt(eps / (1 - rho)),
// the same for gradients of very different size (Adadelta's steps carry no gradient units).
TEST(Adadelta, FirstStepIsUnitFree) {
    std::vector<double> p{0.0, 0.0}, g{1.0, 1000.0};
    Adadelta::Hyper h;
    Adadelta::State<double> s;
    Adadelta::init(h, s, p.data(), p.size());
    Adadelta::update(h, s, p.data(), g.data(), p.size());
    const double expected = std::sqrt(1e-6 / 0.1);
    EXPECT_NEAR(p[0], -expected, 1e-5 * expected);
    EXPECT_NEAR(p[1], -expected, 1e-5 * expected);
    EXPECT_DOUBLE_EQ(s.acc_delta[0], 0.1 * p[0] * p[0]);
}

TEST(Adadelta, StepFollowsBothRunningAveragesAndScalesWithLr) {
    std::vector<double> p{1.0}, g{4.0};
    Adadelta::Hyper h;
    h.lr = 0.5;
    h.rho = 0.75;
    h.eps = 5.0;
    Adadelta::State<double> s;
    Adadelta::init(h, s, p.data(), 1);
    Adadelta::update(h, s, p.data(), g.data(), 1);
    // square_avg = 0.25 * 16 = 4; delta = sqrt(0 + 5) / sqrt(4 + 5) * 4
    const double delta = std::sqrt(5.0) / 3.0 * 4.0;
    EXPECT_EQ(s.square_avg[0], 4.0);
    EXPECT_DOUBLE_EQ(s.acc_delta[0], 0.25 * delta * delta);
    EXPECT_DOUBLE_EQ(p[0], 1.0 - 0.5 * delta);
}

TEST(Adadelta, RhoMustLieInTheClosedUnitInterval) {
    Adadelta::Hyper h;
    h.rho = 1.0;
    EXPECT_NO_THROW(Adadelta::validate(h));
    h.rho = 1.5;
    try {
        Adadelta::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Invalid rho value: 1.5");
    }
    h.rho = std::numeric_limits<double>::quiet_NaN();
    EXPECT_THROW(Adadelta::validate(h), std::invalid_argument);
}
