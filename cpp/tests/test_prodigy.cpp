#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/prodigy.hpp"

using gradkit::optim::ArrayRef;
using gradkit::optim::ParamGroup;
using gradkit::optim::Prodigy;

namespace {

template <typename T>
ArrayRef<T> ref(std::vector<T>& v) {
    return {v.data(), v.size()};
}

}  // namespace

// The first step: p0 = p, so the numerator is 0 and d stays d0; the step is then Adam's with m = d(1-b1)g,
// v = d^2(1-b2)g^2 and the step size d lr: p -= d0 * m / (sqrt(v) + d0 eps).
TEST(Prodigy, TheFirstStepKeepsD0AndTakesAnAdamStepOfSizeD0) {
    std::vector<double> p{1.0, -2.0}, g{0.5, -1.0};
    ParamGroup<Prodigy, double> group(Prodigy::Hyper{});
    group.add_param(ref(p));
    const double* grads[] = {g.data()};
    group.step(grads);
    const Prodigy::Hyper& h = group.hyper();
    EXPECT_EQ(h.d, 1e-6);
    EXPECT_EQ(h.d_max, 1e-6);
    EXPECT_EQ(h.k, 1);
    ASSERT_TRUE(h.d_hat.has_value());
    EXPECT_EQ(*h.d_hat, 0.0);
    const auto& s = *group.states()[0];
    EXPECT_EQ(s.step, 1);
    EXPECT_EQ(s.p0, (std::vector<double>{1.0, -2.0}));
    const double m = 1e-6 * 0.1 * 0.5, v = 1e-6 * 1e-6 * 0.001 * 0.25;
    EXPECT_NEAR(p[0], 1.0 - 1e-6 * m / (std::sqrt(v) + 1e-6 * 1e-8), 1e-18);
}

// Zero gradients: no progress, the reference returns before touching the parameters or the group state;
// the state is created all the same.
TEST(Prodigy, NoProgressLeavesParametersAndGroupStateAlone) {
    std::vector<float> p{1.0f, 2.0f}, g{0.0f, 0.0f};
    ParamGroup<Prodigy, float> group(Prodigy::Hyper{});
    group.add_param(ref(p));
    const float* grads[] = {g.data()};
    group.step(grads);
    EXPECT_EQ(p, (std::vector<float>{1.0f, 2.0f}));
    EXPECT_EQ(group.hyper().k, 0);
    EXPECT_FALSE(group.hyper().d_denom.has_value());
    ASSERT_TRUE(group.states()[0].has_value());
    EXPECT_EQ(group.states()[0]->step, 0);
}

// An all-zero parameter keeps a one-element p0 of 0 (the reference's 0-d zero); slice_p slices s and p0.
TEST(Prodigy, SlicedStatisticsAndTheZeroParameter) {
    std::vector<double> a{0.0, 0.0, 0.0, 0.0, 0.0}, b{1.0, 2.0, 3.0, 4.0, 5.0}, g{1.0, 1.0, 1.0, 1.0, 1.0};
    Prodigy::Hyper h;
    h.slice_p = 2;
    ParamGroup<Prodigy, double> group(h);
    group.add_param(ref(a));
    group.add_param(ref(b));
    const double* grads[] = {g.data(), g.data()};
    group.step(grads);
    EXPECT_EQ(group.states()[0]->p0, std::vector<double>{0.0});
    EXPECT_EQ(group.states()[0]->s.size(), 3u);
    EXPECT_EQ(group.states()[1]->p0, (std::vector<double>{1.0, 3.0, 5.0}));
}

// d is one estimate for all groups: stepping two groups at once writes the same d into both, and a group
// with another non-zero lr is refused before anything changes.
TEST(Prodigy, GroupsShareTheEstimateAndRefuseDifferentRates) {
    std::vector<double> a{1.0, -1.0}, b{0.5}, ga{0.3, -0.2}, gb{0.1};
    ParamGroup<Prodigy, double> g1(Prodigy::Hyper{}), g2(Prodigy::Hyper{});
    g1.add_param(ref(a));
    g2.add_param(ref(b));
    std::vector<ParamGroup<Prodigy, double>*> groups{&g1, &g2};
    std::vector<const double* const*> grads;
    const double* pa[] = {ga.data()};
    const double* pb[] = {gb.data()};
    grads.push_back(pa);
    grads.push_back(pb);
    for (int i = 0; i < 5; ++i) gradkit::optim::step_groups(groups, grads);
    EXPECT_EQ(g1.hyper().d, g2.hyper().d);
    EXPECT_GT(g1.hyper().d, 1e-6);
    EXPECT_EQ(g1.hyper().k, 5);

    Prodigy::Hyper other = g2.hyper();
    other.lr = 0.5;
    g2.set_hyper(other);
    const std::vector<double> before_a = a, before_b = b;
    const auto state_before = *g1.states()[0];
    EXPECT_THROW(gradkit::optim::step_groups(groups, grads), std::invalid_argument);
    EXPECT_EQ(a, before_a);
    EXPECT_EQ(b, before_b);
    EXPECT_EQ(g1.states()[0]->s, state_before.s);
    EXPECT_EQ(g1.hyper().k, 5);

    other.lr = 0.0;  // lr 0 is allowed: that group's gradients leave the estimate alone
    g2.set_hyper(other);
    EXPECT_NO_THROW(gradkit::optim::step_groups(groups, grads));
}

TEST(Prodigy, ReferenceChecks) {
    Prodigy::Hyper h;
    h.d0 = 0.0;
    EXPECT_THROW(Prodigy::validate(h), std::invalid_argument);
    h = Prodigy::Hyper{};
    h.eps = 0.0;
    EXPECT_THROW(Prodigy::validate(h), std::invalid_argument);
    h = Prodigy::Hyper{};
    h.betas = {0.9, 1.0};
    EXPECT_THROW(Prodigy::validate(h), std::invalid_argument);
    h = Prodigy::Hyper{};
    h.slice_p = 0;
    EXPECT_THROW(Prodigy::validate(h), std::invalid_argument);
    h = Prodigy::Hyper{};
    h.fsdp_in_use = true;
    EXPECT_THROW(Prodigy::validate(h), std::invalid_argument);
    h = Prodigy::Hyper{};
    h.lr = 0.0;  // a param group's lr may be 0
    EXPECT_NO_THROW(Prodigy::validate(h));
}

// A state whose s does not fit slice_p (changed after the first step) is refused before anything moves.
TEST(Prodigy, ChangingSlicePAfterTheFirstStepIsRefused) {
    std::vector<double> p{1.0, 2.0, 3.0, 4.0}, g{0.1, 0.2, 0.3, 0.4};
    ParamGroup<Prodigy, double> group(Prodigy::Hyper{});
    group.add_param(ref(p));
    const double* grads[] = {g.data()};
    group.step(grads);
    Prodigy::Hyper h = group.hyper();
    h.slice_p = 3;
    group.set_hyper(h);
    const auto before = p;
    EXPECT_THROW(group.step(grads), std::invalid_argument);
    EXPECT_EQ(p, before);
}
