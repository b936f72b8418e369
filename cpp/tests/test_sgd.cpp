#include <gtest/gtest.h>

#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/sgd.hpp"

using gradkit::optim::ParamGroup;
using gradkit::optim::SGD;

TEST(SGD, PlainStepIsMinusLrTimesGradient) {
    std::vector<double> p{1.0, -2.0}, g{0.5, 0.25};
    SGD::Hyper h;
    h.lr = 0.1;
    SGD::State<double> s;
    SGD::update(h, s, p.data(), g.data(), p.size());
    EXPECT_DOUBLE_EQ(p[0], 0.95);
    EXPECT_DOUBLE_EQ(p[1], -2.025);
    EXPECT_TRUE(s.momentum_buffer.empty());
}

TEST(SGD, FirstMomentumStepClonesGradientThenDampens) {
    std::vector<double> p{0.0}, g{1.0};
    SGD::Hyper h;
    h.lr = 1.0;
    h.momentum = 0.9;
    h.dampening = 0.5;
    SGD::State<double> s;
    SGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(s.momentum_buffer[0], 1.0);  // no dampening on the first step
    SGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_DOUBLE_EQ(s.momentum_buffer[0], 0.9 + 0.5);
    EXPECT_DOUBLE_EQ(p[0], -1.0 - 1.4);
}

TEST(SGD, NesterovLooksAhead) {
    std::vector<float> p{0.0f}, g{1.0f};
    SGD::Hyper h;
    h.lr = 1.0;
    h.momentum = 0.5;
    h.nesterov = true;
    SGD::State<float> s;
    SGD::update(h, s, p.data(), g.data(), 1);
    EXPECT_FLOAT_EQ(p[0], -1.5f);  // g + mu * buf with buf = g
}

TEST(SGD, ValidationUsesTorchMessages) {
    SGD::Hyper h;
    h.lr = -0.1;
    EXPECT_THROW(SGD::validate(h), std::invalid_argument);
    h.lr = 0.1;
    h.nesterov = true;
    try {
        SGD::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Nesterov momentum requires a momentum and zero dampening");
    }
}

TEST(ParamGroup, NullGradientSkipsParameterAndLeavesStateUnset) {
    std::vector<double> a{1.0}, b{1.0}, ga{1.0};
    SGD::Hyper h;
    h.lr = 0.5;
    h.momentum = 0.9;
    ParamGroup<SGD, double> group(h);
    group.add_param({a.data(), 1});
    group.add_param({b.data(), 1});
    const double* grads[] = {ga.data(), nullptr};
    group.step(grads);
    EXPECT_DOUBLE_EQ(a[0], 0.5);
    EXPECT_DOUBLE_EQ(b[0], 1.0);
    EXPECT_TRUE(group.states()[0].has_value());
    EXPECT_FALSE(group.states()[1].has_value());
}

TEST(ParamGroup, RejectsInvalidHyperparametersWithoutChangingThem) {
    SGD::Hyper h;
    h.lr = 0.5;
    ParamGroup<SGD, double> group(h);
    SGD::Hyper bad = h;
    bad.momentum = -1;
    EXPECT_THROW(group.set_hyper(bad), std::invalid_argument);
    EXPECT_EQ(group.hyper().momentum, 0.0);
}
