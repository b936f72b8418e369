#include <gtest/gtest.h>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/schedulefreeadamw.hpp"

using gradkit::optim::ParamGroup;
using gradkit::optim::ScheduleFreeAdamW;

namespace {

ScheduleFreeAdamW::Hyper training(double lr, double beta1, double beta2, double eps) {
    ScheduleFreeAdamW::Hyper h;
    h.lr = lr;
    h.betas = {beta1, beta2};
    h.eps = eps;
    h.train_mode = true;
    return h;
}

}  // namespace

// With beta2 = 0.75 and a constant gradient 2, the bias-corrected second moment is 4 at every step: the
// normalised step is exactly 1 (eps = 0), so y and z follow Schedule-Free's interpolation by hand.
TEST(ScheduleFreeAdamW, TheDenominatorIsBiasCorrected) {
    std::vector<double> y{1.0}, g{2.0};
    ParamGroup<ScheduleFreeAdamW, double> group(training(0.125, 0.5, 0.75, 0.0));
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);  // v = 0.25 * 4 = 1, / (1 - 0.75) = 4; d = 2 / 2 = 1; ckp1 = 1
    EXPECT_EQ(group.states()[0]->exp_avg_sq[0], 1.0);
    EXPECT_EQ(y[0], 0.875);
    EXPECT_EQ(group.states()[0]->z[0], 0.875);
    group.step(grads);  // v = 0.75 + 1 = 1.75, / (1 - 0.5625) = 4; d = 1; ckp1 = 1/2
    EXPECT_EQ(group.states()[0]->exp_avg_sq[0], 1.75);
    EXPECT_EQ(group.states()[0]->z[0], 0.75);
    EXPECT_EQ(y[0], 0.875 - 0.125 * 0.75);
    group.set_mode(false);  // x = (z1 + z2) / 2
    EXPECT_EQ(y[0], (0.875 + 0.75) / 2);
    group.set_mode(true);
    EXPECT_EQ(y[0], 0.875 - 0.125 * 0.75);
}

// The decay is added to the normalised step, not divided by the denominator: with a zero gradient, the step is
// lr * wd * y whatever v is.
TEST(ScheduleFreeAdamW, WeightDecayIsTakenAtYAndNotPreconditioned) {
    std::vector<double> y{2.0}, g{0.0};
    auto h = training(0.125, 0.9, 0.999, 1e-8);
    h.weight_decay = 0.5;
    ParamGroup<ScheduleFreeAdamW, double> group(h);
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);
    EXPECT_EQ(y[0], 2.0 - 0.125 * 0.5 * 2.0);
    EXPECT_EQ(g[0], 0.0);  // the caller's gradient is read only
}

TEST(ScheduleFreeAdamW, RefusesToStepInEvalMode) {
    std::vector<float> y{1.0f}, g{1.0f};
    ParamGroup<ScheduleFreeAdamW, float> group(ScheduleFreeAdamW::Hyper{});
    group.add_param({y.data(), 1});
    const float* grads[] = {g.data()};
    EXPECT_THROW(group.step(grads), std::invalid_argument);
    EXPECT_EQ(y[0], 1.0f);
    EXPECT_FALSE(group.states()[0].has_value());
}

TEST(ScheduleFreeAdamW, ValidationUsesTorchsMessagesAndNeedsAPositiveBeta1) {
    auto message = [](ScheduleFreeAdamW::Hyper h) {
        try {
            ScheduleFreeAdamW::validate(h);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    ScheduleFreeAdamW::Hyper h;
    EXPECT_EQ(message(h), "no error");
    h.eps = -1e-8;
    EXPECT_EQ(message(h), "Invalid epsilon value: -1e-08");
    h = {};
    h.betas = {0.9, 1.0};
    EXPECT_EQ(message(h), "Invalid beta parameter at index 1: 1.0");
    h = {};
    h.betas = {0.0, 0.999};
    EXPECT_EQ(message(h).rfind("Invalid beta parameter at index 0: 0.0 (Schedule-Free needs beta1 > 0", 0), 0u);
    h = {};
    h.k = -1;
    EXPECT_EQ(message(h).rfind("Invalid k", 0), 0u);
}
