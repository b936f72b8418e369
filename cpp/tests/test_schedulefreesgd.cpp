#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/schedulefreesgd.hpp"

using gradkit::optim::ParamGroup;
using gradkit::optim::ScheduleFreeSGD;

namespace {

ScheduleFreeSGD::Hyper training(double lr, double momentum) {
    ScheduleFreeSGD::Hyper h;
    h.lr = lr;
    h.momentum = momentum;
    h.train_mode = true;
    return h;
}

}  // namespace

// Two steps worked by hand (every number exact in binary): y holds (1 - momentum) z + momentum x, x is the
// average of the z's (equal weights: lr is constant, r = 0), and eval() / train() move between y and x.
TEST(ScheduleFreeSGD, TwoStepsByHandAndTheEvaluationPoint) {
    std::vector<double> y{1.0}, g{1.0};
    ParamGroup<ScheduleFreeSGD, double> group(training(0.5, 0.5));
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);  // ckp1 = 1: z = 1 - 0.5, x = z, y = z
    EXPECT_EQ(y[0], 0.5);
    EXPECT_EQ(group.states()[0]->z[0], 0.5);
    group.step(grads);  // ckp1 = 1/2: z = 0, x = (0.5 + 0) / 2, y = x / 2
    EXPECT_EQ(y[0], 0.125);
    EXPECT_EQ(group.states()[0]->z[0], 0.0);
    const auto& h = group.hyper();
    EXPECT_EQ(h.k, 2);
    EXPECT_EQ(h.weight_sum, 0.5);  // 2 * lr_max^2
    EXPECT_EQ(h.lr_max, 0.5);
    EXPECT_EQ(h.scheduled_lr, 0.5);
    group.set_mode(false);
    EXPECT_EQ(y[0], 0.25);  // x
    EXPECT_FALSE(group.hyper().train_mode);
    group.set_mode(false);  // already there: nothing moves
    EXPECT_EQ(y[0], 0.25);
    group.set_mode(true);
    EXPECT_EQ(y[0], 0.125);  // y again
    EXPECT_TRUE(group.hyper().train_mode);
}

// The reference starts in eval mode and refuses to step there; nothing changes.
TEST(ScheduleFreeSGD, RefusesToStepInEvalModeBeforeAnythingChanges) {
    std::vector<double> y{1.0, 2.0}, g{1.0, 1.0};
    ScheduleFreeSGD::Hyper h;
    EXPECT_FALSE(h.train_mode);
    ParamGroup<ScheduleFreeSGD, double> group(h);
    group.add_param({y.data(), 2});
    const double* grads[] = {g.data()};
    try {
        group.step(grads);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_NE(std::string(e.what()).find("call opt.train() before step()"), std::string::npos) << e.what();
    }
    EXPECT_EQ(y, (std::vector<double>{1.0, 2.0}));
    EXPECT_FALSE(group.states()[0].has_value());
    EXPECT_EQ(group.hyper().k, 0);
}

// Weight decay is taken at y and added to a copy of the gradient: the caller's gradient is not written.
TEST(ScheduleFreeSGD, WeightDecayAtYLeavesTheCallersGradient) {
    std::vector<double> y{2.0}, g{0.0};
    auto h = training(0.25, 0.9);
    h.weight_decay = 1.0;
    ParamGroup<ScheduleFreeSGD, double> group(h);
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);  // g' = 0 + 1 * 2; ckp1 = 1: y = 2 - 0.25 * 2, z likewise
    EXPECT_EQ(y[0], 1.5);
    EXPECT_EQ(group.states()[0]->z[0], 1.5);
    EXPECT_EQ(g[0], 0.0);
}

// lr = 0 makes every averaging weight 0: the reference's weight / weight_sum raises ZeroDivisionError, which it
// catches as ckp1 = 0. Nothing moves, and k still counts.
TEST(ScheduleFreeSGD, ZeroWeightSumGivesZeroCkp1) {
    std::vector<double> y{1.0}, g{3.0};
    ParamGroup<ScheduleFreeSGD, double> group(training(0.0, 0.9));
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    group.step(grads);
    group.step(grads);
    EXPECT_EQ(y[0], 1.0);
    EXPECT_EQ(group.states()[0]->z[0], 1.0);
    EXPECT_EQ(group.hyper().weight_sum, 0.0);
    EXPECT_EQ(group.hyper().lr_max, 0.0);
    EXPECT_EQ(group.hyper().k, 2);
}

TEST(ScheduleFreeSGD, WarmupScalesTheRateLinearly) {
    std::vector<double> y{1.0}, g{1.0};
    auto h = training(1.0, 0.9);
    h.warmup_steps = 4;
    ParamGroup<ScheduleFreeSGD, double> group(h);
    group.add_param({y.data(), 1});
    const double* grads[] = {g.data()};
    const double expected[] = {0.25, 0.5, 0.75, 1.0, 1.0};
    for (double lr : expected) {
        group.step(grads);
        EXPECT_EQ(group.hyper().scheduled_lr, lr);
        EXPECT_EQ(group.hyper().lr_max, lr);
    }
}

// Multipliers of 1 give the unscaled numbers bit for bit; a multiplier of 0 leaves z where it started.
TEST(ScheduleFreeSGD, PerElementRatesScaleWhereTheRateEnters) {
    std::vector<float> a{0.3f, -0.7f}, b{0.3f, -0.7f}, g{0.9f, -0.2f}, ones{1.0f, 1.0f}, half{1.0f, 0.0f};
    auto h = training(0.1, 0.9);
    h.weight_decay = 0.01;
    ParamGroup<ScheduleFreeSGD, float> plain(h), scaled(h);
    plain.add_param({a.data(), 2});
    scaled.add_param({b.data(), 2});
    scaled.set_lr_scales({{ones.data(), 2}});
    const float* ga[] = {g.data()};
    for (int i = 0; i < 5; ++i) {
        plain.step(ga);
        scaled.step(ga);
    }
    EXPECT_EQ(a, b);
    std::vector<float> c{0.3f, -0.7f};
    ParamGroup<ScheduleFreeSGD, float> frozen(h);
    frozen.add_param({c.data(), 2});
    frozen.set_lr_scales({{half.data(), 2}});
    for (int i = 0; i < 5; ++i) frozen.step(ga);
    EXPECT_EQ(frozen.states()[0]->z[1], -0.7f);
    EXPECT_EQ(frozen.states()[0]->z[0], plain.states()[0]->z[0]);
}

TEST(ScheduleFreeSGD, ValidationUsesTheReferencesMessages) {
    auto message = [](ScheduleFreeSGD::Hyper h) {
        try {
            ScheduleFreeSGD::validate(h);
        } catch (const std::invalid_argument& e) {
            return std::string(e.what());
        }
        return std::string("no error");
    };
    ScheduleFreeSGD::Hyper h;
    EXPECT_EQ(message(h), "no error");
    h.lr = -0.5;
    EXPECT_EQ(message(h), "Invalid learning rate: -0.5");
    h = {};
    h.weight_decay = -1.0;
    EXPECT_EQ(message(h), "Invalid weight_decay value: -1.0");
    for (double m : {0.0, 1.0, std::numeric_limits<double>::quiet_NaN()}) {
        h = {};
        h.momentum = m;
        EXPECT_EQ(message(h).rfind("Momentum must be between 0 and 1 exclusive: ", 0), 0u) << m;
    }
    h = {};
    h.warmup_steps = -1;
    EXPECT_EQ(message(h), "Invalid warmup_steps value: -1");
    h = {};
    h.weight_lr_power = -2.0;
    EXPECT_EQ(message(h), "Invalid weight_lr_power value: -2.0");
    h = {};
    h.r = std::numeric_limits<double>::infinity();
    EXPECT_EQ(message(h), "Invalid r value: inf");
}
