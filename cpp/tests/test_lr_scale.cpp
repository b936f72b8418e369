// Per-element learning-rate multipliers in every optimizer family's kernel (optim/lr_scale.hpp).
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/adadelta.hpp"
#include "gradkit/optim/adagrad.hpp"
#include "gradkit/optim/adam.hpp"
#include "gradkit/optim/adamax.hpp"
#include "gradkit/optim/asgd.hpp"
#include "gradkit/optim/lr_scale.hpp"
#include "gradkit/optim/nadam.hpp"
#include "gradkit/optim/param_group.hpp"
#include "gradkit/optim/radam.hpp"
#include "gradkit/optim/rmsprop.hpp"
#include "gradkit/optim/rprop.hpp"
#include "gradkit/optim/sgd.hpp"

namespace {

using namespace gradkit::optim;

// A gradient that depends on the parameter, element by element, so trajectories that differ drift apart.
template <typename T>
std::vector<T> gradient(const std::vector<T>& p) {
    std::vector<T> g(p.size());
    for (std::size_t i = 0; i < p.size(); ++i) g[i] = T(0.5) * (p[i] - T(0.5)) + T(0.3) * std::sin(T(3) * p[i]);
    return g;
}

template <class Algo, typename T>
std::vector<T> run(const typename Algo::Hyper& h, std::vector<T> p, const std::vector<T>* scale, int steps = 25) {
    typename Algo::template State<T> s;
    Algo::init(h, s, p.data(), p.size());
    for (int t = 0; t < steps; ++t) {
        const std::vector<T> g = gradient(p);
        Algo::update(h, s, p.data(), g.data(), p.size(), scale ? scale->data() : nullptr);
    }
    return p;
}

template <class Algo>
typename Algo::Hyper with_lr(typename Algo::Hyper h, double lr) {
    h.lr = lr;
    return h;
}

const std::vector<double> kStart{0.7, -1.3, 0.2, 2.5, -0.4, 1.1, -2.2, 0.05, 0.9};

void expect_close(const std::vector<double>& a, const std::vector<double>& b, double rtol, const std::string& what) {
    ASSERT_EQ(a.size(), b.size());
    for (std::size_t i = 0; i < a.size(); ++i)
        EXPECT_NEAR(a[i], b[i], rtol * std::abs(b[i]) + 1e-300) << what << " element " << i;
}

// The three properties every family must have, for one configuration.
template <class Algo>
void check_family(const typename Algo::Hyper& h, const std::string& what) {
    // All ones: the unscaled numbers, bit for bit (float64 and float32).
    const std::vector<double> ones(kStart.size(), 1.0);
    const std::vector<double> plain = run<Algo, double>(h, kStart, nullptr);
    EXPECT_EQ((run<Algo, double>(h, kStart, &ones)), plain) << what;
    const std::vector<float> start32(kStart.begin(), kStart.end());
    const std::vector<float> ones32(kStart.size(), 1.0f);
    const std::vector<float> plain32 = run<Algo, float>(h, start32, nullptr);
    EXPECT_EQ((run<Algo, float>(h, start32, &ones32)), plain32) << what << " float32";

    // A uniform multiplier c is lr * c.
    for (double c : {0.3, 1.7}) {
        const std::vector<double> uniform(kStart.size(), c);
        const std::vector<double> reference = run<Algo, double>(with_lr<Algo>(h, h.lr * c), kStart, nullptr);
        expect_close(run<Algo, double>(h, kStart, &uniform), reference, 1e-12, what + " uniform " + std::to_string(c));
    }

    // Per element: element i steps as if alone with lr * scale[i].
    std::vector<double> scale(kStart.size());
    for (std::size_t i = 0; i < scale.size(); ++i) scale[i] = 0.25 + 0.2 * static_cast<double>(i);
    const std::vector<double> together = run<Algo, double>(h, kStart, &scale);
    for (std::size_t i = 0; i < kStart.size(); ++i) {
        const std::vector<double> alone = run<Algo, double>(with_lr<Algo>(h, h.lr * scale[i]), {kStart[i]}, nullptr);
        EXPECT_NEAR(together[i], alone[0], 1e-12 * std::abs(alone[0])) << what << " element " << i;
    }
}

}  // namespace

TEST(LrScale, SGD) {
    SGD::Hyper h;
    h.lr = 0.05;
    check_family<SGD>(h, "plain");
    h.momentum = 0.9;
    h.dampening = 0.2;
    h.weight_decay = 0.1;
    check_family<SGD>(h, "momentum");
    h.dampening = 0.0;
    h.nesterov = true;
    h.maximize = true;
    check_family<SGD>(h, "nesterov, maximize");
}

TEST(LrScale, AdamAndAdamW) {
    Adam::Hyper h;
    h.lr = 0.01;
    check_family<Adam>(h, "adam");
    h.weight_decay = 0.1;
    h.amsgrad = true;
    check_family<Adam>(h, "amsgrad, coupled decay");
    h.decoupled_weight_decay = true;
    check_family<Adam>(h, "adamw amsgrad");
    h.amsgrad = false;
    h.weight_decay = 0.5;
    check_family<Adam>(h, "adamw");
}

TEST(LrScale, Adagrad) {
    Adagrad::Hyper h;
    h.lr = 0.1;
    check_family<Adagrad>(h, "plain");
    h.lr_decay = 0.05;
    h.weight_decay = 0.1;
    h.initial_accumulator_value = 0.2;
    check_family<Adagrad>(h, "lr_decay");
}

TEST(LrScale, RMSprop) {
    RMSprop::Hyper h;
    h.lr = 0.01;
    check_family<RMSprop>(h, "plain");
    h.centered = true;
    check_family<RMSprop>(h, "centered");
    h.momentum = 0.8;
    h.weight_decay = 0.1;
    check_family<RMSprop>(h, "centered momentum");
    h.centered = false;
    check_family<RMSprop>(h, "momentum");
}

TEST(LrScale, Adadelta) {
    Adadelta::Hyper h;
    h.lr = 0.9;
    h.weight_decay = 0.1;
    check_family<Adadelta>(h, "adadelta");
}

TEST(LrScale, Adamax) {
    Adamax::Hyper h;
    h.lr = 0.02;
    h.weight_decay = 0.1;
    check_family<Adamax>(h, "adamax");
}

TEST(LrScale, NAdam) {
    NAdam::Hyper h;
    h.lr = 0.02;
    check_family<NAdam>(h, "plain");
    h.weight_decay = 0.1;
    check_family<NAdam>(h, "coupled decay");
    h.decoupled_weight_decay = true;
    check_family<NAdam>(h, "decoupled decay");
}

TEST(LrScale, RAdamBothBranches) {
    RAdam::Hyper h;
    h.lr = 0.01;
    check_family<RAdam>(h, "plain");  // 25 steps: unrectified for the first 5, rectified after
    h.weight_decay = 0.1;
    check_family<RAdam>(h, "coupled decay");
    h.decoupled_weight_decay = true;
    check_family<RAdam>(h, "decoupled decay");
}

// Rprop's lr is its initial step size: the applied step is step_size[i] * scale[i]. That is lr * c for a
// uniform c as long as the step sizes stay inside their bounds (which apply to the unscaled size).
TEST(LrScale, RpropScalesTheAppliedStep) {
    Rprop::Hyper h;
    h.lr = 0.01;
    h.step_sizes = {1e-12, 1e3};
    check_family<Rprop>(h, "wide bounds");

    Rprop::Hyper tight = h;
    tight.step_sizes = {1e-6, 0.02};
    const std::vector<double> half(kStart.size(), 0.5);
    std::vector<double> p = kStart;
    Rprop::State<double> s;
    Rprop::init(tight, s, p.data(), p.size());
    for (int t = 0; t < 10; ++t) {
        const std::vector<double> before = p, g = gradient(p);
        Rprop::update(tight, s, p.data(), g.data(), p.size(), half.data());
        for (std::size_t i = 0; i < p.size(); ++i) {
            EXPECT_LE(s.step_size[i], 0.02);  // the bound holds for the kept, unscaled size
            EXPECT_LE(std::abs(p[i] - before[i]), 0.5 * s.step_size[i] + 1e-12);
        }
    }
}

// ASGD multiplies its step's rate eta (decay and gradient term); eta's own decay follows the group's lr.
// So a multiplier c equals lr * c when lambd = 0, and otherwise equals eta * c at every step.
TEST(LrScale, ASGDScalesEta) {
    ASGD::Hyper h;
    h.lr = 0.05;
    h.lambd = 0.0;
    h.t0 = 5;
    h.weight_decay = 0.1;
    check_family<ASGD>(h, "lambd 0");

    h.lambd = 0.3;
    const double c = 1.7;
    const std::vector<double> uniform(kStart.size(), c);
    std::vector<double> scaled = kStart, manual = kStart;
    ASGD::State<double> s1, s2;
    ASGD::init(h, s1, scaled.data(), scaled.size());
    ASGD::init(h, s2, manual.data(), manual.size());
    for (int t = 0; t < 20; ++t) {
        const std::vector<double> g1 = gradient(scaled), g2 = gradient(manual);
        ASGD::update(h, s1, scaled.data(), g1.data(), scaled.size(), uniform.data());
        s2.eta *= c;
        ASGD::update(h, s2, manual.data(), g2.data(), manual.size());
    }
    expect_close(scaled, manual, 1e-12, "eta * c");
    expect_close(s1.ax, s2.ax, 1e-12, "average");
    EXPECT_EQ(s1.eta, s2.eta);  // the next eta does not depend on the multipliers
}

TEST(LrScale, DecayFactorIsRebuiltExactly) {
    for (double lr_wd : {1e-5, 3e-3, 0.1, 0.37, 0.5}) {
        const double decay = 1 - lr_wd;
        const float decay32 = static_cast<float>(decay);
        const double one = 1.0;
        const float one32 = 1.0f;
        EXPECT_EQ(scaled_decay<true>(decay, 1.0 - decay, &one, 0), decay) << lr_wd;
        EXPECT_EQ(scaled_decay<true>(decay32, 1.0f - decay32, &one32, 0), decay32) << lr_wd;
    }
}

TEST(LrScale, ParamGroupPassesEachParameterItsOwnScale) {
    SGD::Hyper h;
    h.lr = 0.5;
    std::vector<double> a{1.0, 1.0}, b{1.0}, ga{1.0, 1.0}, gb{1.0};
    const std::vector<double> sa{2.0, 0.0};
    ParamGroup<SGD, double> group(h);
    group.add_param({a.data(), a.size()});
    group.add_param({b.data(), b.size()});
    group.set_lr_scales({{sa.data(), sa.size()}, {}});  // b: no multipliers
    const double* grads[] = {ga.data(), gb.data()};
    group.step(grads);
    EXPECT_EQ(a, (std::vector<double>{0.0, 1.0}));
    EXPECT_EQ(b, (std::vector<double>{0.5}));
    group.clear_lr_scales();
    EXPECT_TRUE(group.lr_scales().empty());
    group.step(grads);
    EXPECT_EQ(a, (std::vector<double>{-0.5, 0.5}));
}

TEST(LrScale, ParamGroupRefusesScalesThatDoNotFitAndKeepsTheOldOnes) {
    SGD::Hyper h;
    std::vector<double> a{1.0, 1.0};
    const std::vector<double> good{1.0, 1.0}, short_one{1.0};
    ParamGroup<SGD, double> group(h);
    group.add_param({a.data(), a.size()});
    group.set_lr_scales({{good.data(), good.size()}});
    EXPECT_THROW(group.set_lr_scales({{short_one.data(), short_one.size()}}), std::invalid_argument);
    EXPECT_THROW(group.set_lr_scales({}), std::invalid_argument);
    ASSERT_EQ(group.lr_scales().size(), 1u);
    EXPECT_EQ(group.lr_scales()[0].data, good.data());
}

TEST(LrScale, ValuesMustBeFiniteAndNotNegative) {
    const std::vector<double> ok{0.0, 1.0, 1e300};
    EXPECT_NO_THROW(require_valid_lr_scale(ok.data(), ok.size(), "lr_scale[0]"));
    for (double bad : {-1e-300, std::numeric_limits<double>::infinity(), std::nan("")}) {
        const std::vector<double> s{1.0, bad};
        try {
            require_valid_lr_scale(s.data(), s.size(), "lr_scale[3]");
            FAIL() << bad;
        } catch (const std::invalid_argument& e) {
            EXPECT_NE(std::string(e.what()).find("lr_scale[3]"), std::string::npos) << e.what();
            EXPECT_NE(std::string(e.what()).find("flat index 1"), std::string::npos) << e.what();
        }
    }
}
