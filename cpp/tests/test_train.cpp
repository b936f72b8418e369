#include <gtest/gtest.h>

#include <algorithm>
#include <cmath>
#include <cstdint>
#include <limits>
#include <random>
#include <utility>
#include <vector>

#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/parallel.hpp"
#include "gradkit/optim/adagrad.hpp"
#include "gradkit/optim/adam.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/optim/schedulefreesgd.hpp"
#include "gradkit/optim/sklearn_sgd.hpp"
#include "gradkit/train/hybrid_rule.hpp"
#include "gradkit/train/lookahead_rule.hpp"
#include "gradkit/train/cyclic_rates.hpp"
#include "gradkit/train/loss_driven_rates.hpp"
#include "gradkit/train/epoch_loop.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/step_lr.hpp"
#include "gradkit/train/lbfgs_solver.hpp"
#include "gradkit/train/schedule_rate.hpp"

using gradkit::nn::Activation;
using gradkit::nn::LegacyRandomState;
using gradkit::nn::MLP;
using gradkit::optim::SklearnAdam;
using gradkit::optim::SklearnSGD;
namespace train = gradkit::train;

namespace {

// Three separable classes in 4 features, one-hot targets.
struct Data {
    std::size_t n, nf = 4, k = 3;
    std::vector<double> X, Y, sw;
    std::vector<std::int64_t> labels;  // each row's class: Y's one-hot rows as labels
    explicit Data(std::size_t rows, unsigned seed = 0) : n(rows) {
        std::mt19937 gen(seed);
        std::normal_distribution<double> noise(0.0, 0.3);
        X.resize(n * nf);
        Y.assign(n * k, 0.0);
        sw.resize(n);
        for (std::size_t r = 0; r < n; ++r) {
            const std::size_t c = r % k;
            for (std::size_t j = 0; j < nf; ++j) X[r * nf + j] = (j == c ? 2.0 : 0.0) + noise(gen);
            Y[r * k + c] = 1.0;
            labels.push_back(static_cast<std::int64_t>(c));
            sw[r] = 0.5 + static_cast<double>(r % 4);
        }
    }
    train::Rows<double> rows(const std::int64_t* index = nullptr, std::size_t size = 0, bool weighted = false) const {
        return {X.data(), Y.data(), weighted ? sw.data() : nullptr, index, index ? size : n};
    }
};

MLP<double> network(std::uint32_t seed = 1) {
    MLP<double> net({4, 8, 3}, Activation::relu, Activation::softmax);
    LegacyRandomState rs(seed);
    gradkit::nn::glorot_uniform_init(net, rs);
    return net;
}

std::vector<double> params_of(const MLP<double>& net) { return {net.params(), net.params() + net.n_params()}; }

}  // namespace

TEST(StepRule, ReadsAndSetsTheRateOfAnyParamGroup) {
    std::vector<double> p(5, 1.0), g(5, 1.0);
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.1, 0.0, false}, p.data(), p.size());
    EXPECT_DOUBLE_EQ(rule->lr(), 0.1);
    rule->step(g.data());
    EXPECT_DOUBLE_EQ(p[0], 0.9);
    rule->set_lr(0.5);
    rule->step(g.data());
    EXPECT_DOUBLE_EQ(p[0], 0.4);
    EXPECT_THROW(rule->set_lr(-1.0), std::invalid_argument);
    EXPECT_DOUBLE_EQ(rule->lr(), 0.5);
}

TEST(StepRule, StateRoundTripContinuesTheSameTrajectory) {
    std::vector<double> p1(4, 1.0), p2, g{0.1, -0.2, 0.3, 0.4};
    auto a = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{}, p1.data(), p1.size());
    EXPECT_FALSE(a->state().params.at(0).started);
    a->step(g.data());
    a->step(g.data());
    p2 = p1;
    auto b = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{}, p2.data(), p2.size());
    b->set_state(a->state());
    a->step(g.data());
    b->step(g.data());
    EXPECT_EQ(p1, p2);

    train::RuleState<double> wrong = a->state();
    wrong.params.at(0).buffers[0].second.resize(3);
    EXPECT_THROW(b->set_state(wrong), std::invalid_argument);
    auto sgd_state = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{}, p1.data(), p1.size());
    sgd_state->step(g.data());
    EXPECT_THROW(b->set_state(sgd_state->state()), std::invalid_argument);
}

TEST(RatePolicy, SklearnModes) {
    double lr = 0.1;
    train::InvScalingRate inv(0.1, 0.5);
    inv.after_epoch({1, 99, 0.0}, lr);
    EXPECT_DOUBLE_EQ(lr, 0.1 / 10.0);
    train::AdaptiveRate adaptive;
    lr = 0.1;
    EXPECT_EQ(adaptive.on_plateau(lr), train::PlateauAction::rate_reduced);
    EXPECT_DOUBLE_EQ(lr, 0.02);
    lr = 1e-6;
    EXPECT_EQ(adaptive.on_plateau(lr), train::PlateauAction::stop_rate_too_small);
    train::ConstantRate constant;
    EXPECT_EQ(constant.on_plateau(lr), train::PlateauAction::stop);
}

TEST(ScheduleRate, PerEpochAndPerStepFollowTheSchedulesCurve) {
    namespace sch = gradkit::schedules;
    const sch::LinearLR::Args args{0.25, 1.0, 4};
    const sch::RateBounds bounds{-std::numeric_limits<double>::infinity(), 0.08};
    std::vector<double> curve(8);
    sch::curve<sch::LinearLR>(args, 8, 0.1, curve.data(), bounds);
    train::ScheduleRate<sch::LinearLR> per_epoch(args, bounds, 0.1, false), per_step(args, bounds, 0.1, true);
    EXPECT_EQ(per_epoch.initial_lr(), curve[0]);
    double a = per_epoch.initial_lr(), b = per_step.initial_lr();
    for (std::int64_t k = 1; k < 8; ++k) {
        per_epoch.after_step(k, a);  // ignored: it steps per epoch
        per_epoch.after_epoch({k, 0, 0.0}, a);
        per_step.after_step(k, b);
        per_step.after_epoch({k, 0, 0.0}, b);  // ignored: it steps per optimizer step
        EXPECT_EQ(a, curve[static_cast<std::size_t>(k)]);
        EXPECT_EQ(b, curve[static_cast<std::size_t>(k)]);
    }
    EXPECT_EQ(per_step.steps_taken(), 7);
    per_step.set_steps_taken(2);  // a restored state continues from its step count
    b = curve[2];
    per_step.after_step(0, b);
    EXPECT_EQ(b, curve[3]);
    EXPECT_THROW(train::ScheduleRate<sch::StepLR>(sch::StepLR::Args{2, -1.0}, {}, 0.1, false), std::invalid_argument);
}

TEST(ScheduleRate, OneCycleFollowsItsCurveAndRefusesAStepPastTotalSteps) {
    namespace sch = gradkit::schedules;
    train::OneCycleRate::Args args;
    args.cycle.total_steps = 6;
    args.cycle.pct_start = 0.4;
    args.max_lr = 0.5;
    args.div_factor = 10.0;
    args.final_div_factor = 100.0;
    std::vector<double> curve(7);
    sch::curve_one_cycle(args.cycle, 7, 0.5, 10.0, 100.0, curve.data());
    // base_lr (learning_rate_init) is ignored: the cycle starts at max_lr / div_factor.
    train::ScheduleRate<train::OneCycleRate> rate(args, {}, 123.0, true);
    EXPECT_EQ(rate.initial_lr(), curve[0]);
    EXPECT_DOUBLE_EQ(curve[0], 0.05);
    double lr = rate.initial_lr();
    for (std::int64_t k = 1; k <= 6; ++k) {
        rate.after_step(k, lr);
        EXPECT_EQ(lr, curve[static_cast<std::size_t>(k)]);
    }
    // torch's ValueError past total_steps; the refused step leaves the state as it was.
    try {
        rate.after_step(7, lr);
        FAIL() << "expected ScheduleStepError";
    } catch (const train::ScheduleStepError& e) {
        EXPECT_EQ(e.step, 7);
        EXPECT_STREQ(e.what(), "Tried to step 7 times. The specified number of total steps is 6");
    }
    EXPECT_EQ(rate.steps_taken(), 6);
    EXPECT_EQ(lr, curve[6]);
    args.div_factor = 0.0;
    EXPECT_THROW(train::ScheduleRate<train::OneCycleRate>(args, {}, 0.1, true), sch::zero_division);
}

// torch's rule for what cycle_momentum moves: betas[0] where the algorithm has betas, else momentum
// (sklearn's Adam: beta_1); an algorithm with neither has no momentum to set.
TEST(StepRule, MomentumIsBeta1OrMomentum) {
    std::vector<double> p(3, 1.0);
    auto sgd = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.1, 0.9, false}, p.data(), p.size());
    auto adam = train::make_step_rule<gradkit::optim::Adam>(gradkit::optim::Adam::Hyper{}, p.data(), p.size());
    auto sk_adam = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{}, p.data(), p.size());
    auto adagrad = train::make_step_rule<gradkit::optim::Adagrad>(gradkit::optim::Adagrad::Hyper{}, p.data(), p.size());
    EXPECT_EQ(sgd->momentum(), 0.9);
    EXPECT_EQ(adam->momentum(), 0.9);
    EXPECT_EQ(sk_adam->momentum(), 0.9);
    for (auto* rule : {sgd.get(), adam.get(), sk_adam.get()}) {
        rule->set_momentum(0.85);
        EXPECT_EQ(rule->momentum(), 0.85) << rule->name();
    }
    EXPECT_TRUE(std::isnan(adagrad->momentum()));
    EXPECT_THROW(adagrad->set_momentum(0.9), std::invalid_argument);
    EXPECT_THROW(adam->set_momentum(1.5), std::invalid_argument);  // Adam refuses beta1 >= 1
    EXPECT_EQ(adam->momentum(), 0.85);
}

// With cycle_momentum the loop sets the rule's momentum to the schedule's after every step (and at the
// start of a fit, where the count stands); without it the momentum is left alone.
TEST(EpochLoop, CyclicScheduleSetsTheMomentumOfEveryStep) {
    namespace sch = gradkit::schedules;
    Data d(40);
    train::OneCycleRate::Args args;
    args.cycle.total_steps = 20;
    args.max_lr = 0.05;
    args.momentum = {true, 0.5, 0.9};
    for (bool cycle : {true, false}) {
        args.momentum.cycle_momentum = cycle;
        MLP<double> net = network();
        auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.01, 0.7, false}, net.params(), net.n_params());
        train::ScheduleRate<train::OneCycleRate> rate(args, {}, 0.01, true);
        train::LoopOptions opt;
        opt.batch_size = 10;  // 4 steps an epoch
        opt.max_iter = 3;
        opt.shuffle = false;
        train::Progress pr;
        std::vector<double> seen;
        train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, nullptr, opt, pr,
                                                       [&](const train::EpochReport&) {
                                                           seen.push_back(rule->momentum());
                                                           return false;
                                                       });
        ASSERT_EQ(seen.size(), 3u);
        for (std::size_t e = 0; e < 3; ++e) {
            const double expected = cycle ? sch::OneCycleLR::momentum(args.cycle, 4 * (e + 1), 0.5, 0.9) : 0.7;
            EXPECT_EQ(seen[e], expected) << e;
        }
    }
}

TEST(ScheduleRate, CyclicFollowsItsCurveAndRefusesACustomScaleFn) {
    namespace sch = gradkit::schedules;
    train::CyclicRate::Args args;
    const auto sizes = sch::CyclicLR::sizes(2.0, 3.0);
    args.cycle.total_size = sizes.total_size;
    args.cycle.step_ratio = sizes.step_ratio;
    args.cycle.mode = sch::CyclicLR::exp_range;
    args.cycle.gamma = 0.9;
    args.base_lr = 0.01;
    args.max_lr = 0.05;
    std::vector<double> curve(12);
    sch::curve_cyclic(args.cycle, 12, 0.01, 0.05, curve.data(), {0.02, std::numeric_limits<double>::infinity()});
    train::ScheduleRate<train::CyclicRate> rate(args, {0.02, std::numeric_limits<double>::infinity()}, 0.5, false);
    double lr = rate.initial_lr();
    EXPECT_EQ(lr, curve[0]);
    for (std::int64_t k = 1; k < 12; ++k) {
        rate.after_epoch({k, 0, 0.0}, lr);
        EXPECT_EQ(lr, curve[static_cast<std::size_t>(k)]);
    }
    rate.set_steps_taken(1);  // a restored state continues from its step count
    rate.after_epoch({0, 0, 0.0}, lr);
    EXPECT_EQ(lr, curve[2]);
    args.cycle.mode = sch::CyclicLR::custom;
    EXPECT_THROW(train::ScheduleRate<train::CyclicRate>(args, {}, 0.1, false), std::invalid_argument);
}

TEST(ScheduleRate, WarmRestartsFollowTorchsRecursionStepForStep) {
    namespace sch = gradkit::schedules;
    for (std::int64_t mult : {1, 2, 3}) {
        sch::CosineAnnealingWarmRestarts::Args args;
        args.T_0 = 3;
        args.T_mult = mult;
        args.eta_min = 0.01;
        std::vector<double> curve(60);
        sch::curve_warm_restarts(args, 60, 0.2, curve.data());  // steps the recursion
        train::ScheduleRate<train::WarmRestartsRate> rate(args, {}, 0.2, true);
        double lr = rate.initial_lr();
        EXPECT_EQ(lr, curve[0]);
        for (std::int64_t k = 1; k < 60; ++k) {
            rate.after_step(k, lr);
            ASSERT_EQ(lr, curve[static_cast<std::size_t>(k)]) << "T_mult " << mult << ", step " << k;
        }
    }
    sch::CosineAnnealingWarmRestarts::Args bad;
    bad.T_0 = 0;
    EXPECT_THROW(train::ScheduleRate<train::WarmRestartsRate>(bad, {}, 0.1, true), std::invalid_argument);
}

TEST(LossDrivenRate, PlateauAndBoldDriverActOnEachEpochsLoss) {
    namespace sch = gradkit::schedules;
    sch::ReduceLROnPlateau::Args plateau;
    plateau.factor = 0.5;
    plateau.patience = 0;
    train::PlateauRate reduce(plateau, 0.02, 0.08);
    EXPECT_EQ(reduce.initial_lr(0.1), 0.08);  // max_lr clips from the start
    double lr = 0.08;
    const double losses[] = {1.0, 0.5, 0.6, 0.7, 0.7, 0.1};
    const double expected[] = {0.08, 0.08, 0.04, 0.02, 0.02, 0.02};  // floored at torch's min_lr
    for (int e = 0; e < 6; ++e) {
        reduce.after_epoch({e + 1, 0, losses[e]}, lr);
        EXPECT_EQ(lr, expected[e]) << e;
    }
    reduce.after_step(1, lr);  // nothing happens between epochs
    EXPECT_EQ(lr, 0.02);

    train::LossRuleRate<sch::BoldDriverLR> bold(sch::BoldDriverLR::Args{2.0, 0.5}, {0.01, 0.3});
    EXPECT_EQ(bold.initial_lr(0.1), 0.1);
    lr = 0.1;
    bold.after_epoch({1, 0, 1.0}, lr);  // the first loss only sets the reference
    EXPECT_EQ(lr, 0.1);
    bold.after_epoch({2, 0, 0.5}, lr);
    EXPECT_EQ(lr, 0.2);
    bold.after_epoch({3, 0, 0.4}, lr);
    EXPECT_EQ(lr, 0.3);  // clamped into the bounds
    bold.after_epoch({4, 0, 0.9}, lr);
    EXPECT_EQ(lr, 0.15);
}

TEST(EpochLoop, LearnsAndKeepsSklearnsBookkeeping) {
    Data d(60);
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.1, 0.9, true}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 16;
    opt.max_iter = 30;
    opt.n_iter_no_change = std::numeric_limits<double>::infinity();
    train::Progress pr;
    LegacyRandomState rs(0);
    train::EpochLoop<double> loop(net, *rule, rate);
    const auto reason = loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr);
    EXPECT_EQ(reason, train::StopReason::max_iter);
    EXPECT_EQ(pr.n_iter, 30);
    EXPECT_EQ(pr.t, 30 * 60);
    ASSERT_EQ(pr.loss_curve.size(), 30u);
    EXPECT_LT(pr.loss_curve.back(), 0.5 * pr.loss_curve.front());
    EXPECT_EQ(pr.loss, pr.loss_curve.back());
    EXPECT_LE(pr.best_loss, pr.loss);
}

TEST(EpochLoop, AScheduleRefusingAStepLeavesTheProgressOfTheStepsTaken) {
    Data d(60);
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.1, 0.9, true}, net.params(), net.n_params());
    train::OneCycleRate::Args args;
    args.cycle.total_steps = 2;
    train::ScheduleRate<train::OneCycleRate> rate(args, {}, 0.1, false);
    rule->set_lr(rate.initial_lr());
    train::LoopOptions opt;
    opt.batch_size = 16;
    opt.max_iter = 5;
    opt.n_iter_no_change = std::numeric_limits<double>::infinity();
    train::Progress pr;
    LegacyRandomState rs(0);
    train::EpochLoop<double> loop(net, *rule, rate);
    // Epochs 1 and 2 end with steps 1 and 2; the end of epoch 3 would be step 3 of total_steps = 2.
    EXPECT_THROW(loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr), train::ScheduleStepError);
    EXPECT_EQ(pr.n_iter, 3);
    EXPECT_EQ(pr.loss_curve.size(), 3u);
    EXPECT_EQ(rate.steps_taken(), 2);
}

TEST(EpochLoop, SameSeedSameWeightsAndUnshuffledNeedsNoRandomState) {
    Data d(50);
    std::vector<std::vector<double>> out;
    for (int run = 0; run < 2; ++run) {
        MLP<double> net = network();
        auto rule = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{0.01}, net.params(), net.n_params());
        train::ConstantRate rate;
        train::LoopOptions opt;
        opt.batch_size = 7;
        opt.max_iter = 3;
        opt.shuffle = run == 0;
        train::Progress pr;
        LegacyRandomState rs(3);
        train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, run == 0 ? &rs : nullptr, opt, pr);
        out.push_back(params_of(net));
    }
    EXPECT_NE(out[0], out[1]);  // the order matters
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{0.01}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 7;
    opt.max_iter = 3;
    train::Progress pr;
    LegacyRandomState rs(3);
    train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, &rs, opt, pr);
    EXPECT_EQ(params_of(net), out[0]);
    opt.shuffle = true;
    EXPECT_THROW(train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, nullptr, opt, pr),
                 std::invalid_argument);
}

// Batches with enough work for two threads (the threaded backprop inside the loop, which `make test-tsan`
// runs under ThreadSanitizer): the weights of one thread, up to the order of the parts' gradient sums.
TEST(EpochLoop, TwoThreadsTrainAsOne) {
    Data d(2400);
    std::vector<std::vector<double>> out;
    for (int threads : {1, 2}) {
        const gradkit::ScopedThreads scoped(threads);
        MLP<double> net({4, 256, 3}, Activation::relu, Activation::softmax);
        LegacyRandomState init(1);
        gradkit::nn::glorot_uniform_init(net, init);
        auto rule = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{0.01}, net.params(), net.n_params());
        train::ConstantRate rate;
        train::LoopOptions opt;
        opt.batch_size = 800;
        opt.max_iter = 2;
        opt.n_iter_no_change = std::numeric_limits<double>::infinity();
        train::Progress pr;
        LegacyRandomState rs(0);
        train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, &rs, opt, pr);
        out.push_back(params_of(net));
    }
    ASSERT_EQ(out[0].size(), out[1].size());
    for (std::size_t i = 0; i < out[0].size(); ++i) EXPECT_NEAR(out[0][i], out[1][i], 1e-12) << i;
}

TEST(EpochLoop, IndexedRowsGiveTheSameNumbersAsACopy) {
    Data d(40);
    std::vector<std::int64_t> index;
    for (std::int64_t i = 39; i >= 0; i -= 2) index.push_back(i);
    Data copy(index.size());
    for (std::size_t i = 0; i < index.size(); ++i) {
        const auto r = static_cast<std::size_t>(index[i]);
        std::copy(d.X.begin() + r * 4, d.X.begin() + r * 4 + 4, copy.X.begin() + i * 4);
        std::copy(d.Y.begin() + r * 3, d.Y.begin() + r * 3 + 3, copy.Y.begin() + i * 3);
    }
    std::vector<std::vector<double>> out;
    for (int run = 0; run < 2; ++run) {
        MLP<double> net = network();
        auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.05}, net.params(), net.n_params());
        train::ConstantRate rate;
        train::LoopOptions opt;
        opt.batch_size = 6;
        opt.max_iter = 4;
        train::Progress pr;
        LegacyRandomState rs(9);
        train::EpochLoop<double> loop(net, *rule, rate);
        if (run == 0) loop.fit(d.rows(index.data(), index.size()), nullptr, nullptr, &rs, opt, pr);
        else loop.fit(copy.rows(), nullptr, nullptr, &rs, opt, pr);
        out.push_back(params_of(net));
    }
    EXPECT_EQ(out[0], out[1]);
}

// Class labels instead of the one-hot matrix (the estimator's way for multiclass data, n_outputs times
// less memory): the same bits whether rows are shuffled, read in place, or indexed with early stopping.
TEST(EpochLoop, ClassLabelsTrainAsTheirOneHotRows) {
    Data d(45);
    std::vector<std::int64_t> tr, va;
    for (std::int64_t i = 0; i < 45; ++i) (i % 4 == 0 ? va : tr).push_back(i);
    for (int mode = 0; mode < 3; ++mode) {
        std::vector<std::vector<double>> out;
        std::vector<double> scores;
        for (int labelled = 0; labelled < 2; ++labelled) {
            MLP<double> net = network();
            auto rule = train::make_step_rule<SklearnAdam>(SklearnAdam::Hyper{0.01}, net.params(), net.n_params());
            train::ConstantRate rate;
            train::LoopOptions opt;
            opt.batch_size = 8;
            opt.max_iter = 3;
            opt.shuffle = mode != 1;
            train::Progress pr;
            LegacyRandomState rs(5);
            auto rows = mode == 2 ? d.rows(tr.data(), tr.size(), true) : d.rows(nullptr, 0, true);
            auto val = d.rows(va.data(), va.size(), true);
            if (labelled) rows.Y = val.Y = nullptr, rows.labels = val.labels = d.labels.data();
            std::vector<double> best = params_of(net);
            train::EpochLoop<double>(net, *rule, rate)
                .fit(rows, mode == 2 ? &val : nullptr, best.data(), opt.shuffle ? &rs : nullptr, opt, pr);
            out.push_back(params_of(net));
            scores.insert(scores.end(), pr.validation_scores.begin(), pr.validation_scores.end());
            scores.insert(scores.end(), pr.loss_curve.begin(), pr.loss_curve.end());
        }
        EXPECT_EQ(out[0], out[1]) << "mode " << mode;
        EXPECT_EQ(std::vector<double>(scores.begin(), scores.begin() + scores.size() / 2),
                  std::vector<double>(scores.begin() + scores.size() / 2, scores.end()));
    }
    // Labels need a softmax output; R² needs a matrix.
    MLP<double> logistic({4, 8, 3}, Activation::relu, Activation::logistic);
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.05}, logistic.params(), logistic.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.shuffle = false;
    opt.batch_size = 8;
    train::Progress pr;
    auto rows = d.rows();
    rows.Y = nullptr;
    rows.labels = d.labels.data();
    EXPECT_THROW(train::EpochLoop<double>(logistic, *rule, rate).fit(rows, nullptr, nullptr, nullptr, opt, pr),
                 std::invalid_argument);
    rows.labels = nullptr;
    EXPECT_THROW(train::EpochLoop<double>(logistic, *rule, rate).fit(rows, nullptr, nullptr, nullptr, opt, pr),
                 std::invalid_argument);
    EXPECT_EQ(pr.n_iter, 0);
}

TEST(EpochLoop, AdaptiveRateDividesWhenTheLossStalls) {
    Data d(30);
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.01, 0.9, true}, net.params(), net.n_params());
    train::AdaptiveRate rate;
    train::LoopOptions opt;
    opt.batch_size = 30;
    opt.max_iter = 12;
    opt.tol = 1e9;  // no epoch improves by that much
    opt.n_iter_no_change = 2;
    train::Progress pr;
    LegacyRandomState rs(0);
    std::vector<train::EpochReport> reports;
    train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, &rs, opt, pr, [&](const train::EpochReport& r) {
        reports.push_back(r);
        return false;
    });
    ASSERT_EQ(reports.size(), 12u);
    // The first epoch improves on best_loss = inf; each later one counts, and a count above 2 is a
    // stall: epochs 4, 7 and 10, each dividing the rate by 5 and restarting the count.
    EXPECT_FALSE(reports[2].stalled);
    EXPECT_TRUE(reports[3].stalled);
    EXPECT_EQ(reports[3].action, train::PlateauAction::rate_reduced);
    EXPECT_DOUBLE_EQ(reports[3].lr, 0.01);
    EXPECT_DOUBLE_EQ(reports[3].next_lr, 0.002);
    EXPECT_FALSE(reports[4].stalled);
    EXPECT_TRUE(reports[9].stalled);
    EXPECT_DOUBLE_EQ(rule->lr(), 0.01 / 125);
}

TEST(EpochLoop, ConstantRateStopsWhenStalledAndHookCanStop) {
    Data d(30);
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.01}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 10;
    opt.tol = 1e9;
    opt.n_iter_no_change = 1;
    train::Progress pr;
    LegacyRandomState rs(0);
    train::EpochLoop<double> loop(net, *rule, rate);
    EXPECT_EQ(loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr), train::StopReason::stalled);
    EXPECT_EQ(pr.n_iter, 3);  // epoch 1 improves on inf; epochs 2 and 3 do not: 2 > n_iter_no_change
    opt.tol = 0;
    EXPECT_EQ(loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr, [](const train::EpochReport& r) { return r.epoch == 4; }),
              train::StopReason::hook);
    EXPECT_EQ(pr.n_iter, 4);
    EXPECT_EQ(pr.t, 7 * 30);
    opt.incremental = true;
    EXPECT_EQ(loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr), train::StopReason::incremental);
    EXPECT_EQ(pr.n_iter, 1);
}

TEST(EpochLoop, ClipGradNormBoundsEveryStep) {
    Data d(60);
    MLP<double> net = network();
    const std::vector<double> start = params_of(net);
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.5, 0.0, false}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 60;  // one plain SGD step per epoch: it moves the weights by lr * |clipped gradient|
    opt.shuffle = false;
    opt.max_iter = 1;
    opt.clip_grad_norm = 1e-3;
    train::Progress pr;
    train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, nullptr, opt, pr);
    double moved = 0.0;
    for (std::size_t i = 0; i < start.size(); ++i) moved += (net.params()[i] - start[i]) * (net.params()[i] - start[i]);
    EXPECT_NEAR(std::sqrt(moved), 0.5 * 1e-3, 1e-7);  // torch's 1e-6 in the factor: a hair below
    opt.clip_grad_norm = -1.0;
    EXPECT_THROW(train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, nullptr, opt, pr),
                 std::invalid_argument);
}

TEST(EpochLoop, EarlyStoppingKeepsAndRestoresTheBestWeights) {
    Data d(60);
    std::vector<std::int64_t> tr, va;
    for (std::int64_t i = 0; i < 60; ++i) (i % 5 == 0 ? va : tr).push_back(i);
    MLP<double> net = network();
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.05}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 12;
    opt.max_iter = 15;
    train::Progress pr;
    LegacyRandomState rs(0);
    std::vector<double> best = params_of(net);
    std::vector<std::vector<double>> after;
    const auto val = d.rows(va.data(), va.size(), true);
    train::EpochLoop<double>(net, *rule, rate)
        .fit(d.rows(tr.data(), tr.size(), true), &val, best.data(), &rs, opt, pr, [&](const train::EpochReport&) {
            after.push_back(params_of(net));
            return false;
        });
    ASSERT_EQ(pr.validation_scores.size(), after.size());
    std::size_t best_epoch = 0;
    for (std::size_t e = 0; e < after.size(); ++e)
        if (pr.validation_scores[e] > pr.validation_scores[best_epoch]) best_epoch = e;
    EXPECT_EQ(pr.best_validation_score, pr.validation_scores[best_epoch]);
    EXPECT_EQ(params_of(net), after[best_epoch]);
    EXPECT_EQ(best, after[best_epoch]);
    EXPECT_GT(pr.best_validation_score, 0.9);
}

namespace {

// The loss and the accuracy of the whole set, computed directly from the network's outputs.
std::pair<double, double> loss_and_accuracy(const MLP<double>& net, const Data& d, bool weighted) {
    std::vector<double> p(d.n * d.k);
    net.predict(d.X.data(), d.n, p.data());
    const double* sw = weighted ? d.sw.data() : nullptr;
    const double loss = gradkit::nn::loss_value(net.loss(), d.Y.data(), p.data(), sw, d.n, d.k);
    double hits = 0.0, total = 0.0;
    for (std::size_t r = 0; r < d.n; ++r) {
        std::size_t best = 0;
        for (std::size_t j = 1; j < d.k; ++j)
            if (p[r * d.k + j] > p[r * d.k + best]) best = j;
        const double w = weighted ? d.sw[r] : 1.0;
        hits += best == static_cast<std::size_t>(d.labels[r]) ? w : 0.0;
        total += w;
    }
    return {loss, hits / total};
}

// A loop over d with a validation set of its own (v), the weights after every epoch kept.
struct ValidatedFit {
    std::vector<std::vector<double>> after;
    std::vector<train::EpochReport> reports;
    train::Progress pr;
    std::vector<double> final_params;
    ValidatedFit(const Data& d, const Data* v, train::LoopOptions opt) {
        MLP<double> net = network();
        auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.3, 0.9, true}, net.params(), net.n_params());
        train::ConstantRate rate;
        LegacyRandomState rs(0);
        std::vector<double> best(net.n_params());
        const train::Rows<double> val = v ? v->rows(nullptr, 0, true) : train::Rows<double>{};
        train::EpochLoop<double>(net, *rule, rate)
            .fit(d.rows(), v ? &val : nullptr, best.data(), &rs, opt, pr, [&](const train::EpochReport& r) {
                after.push_back(params_of(net));
                reports.push_back(r);
                return false;
            });
        final_params = params_of(net);
    }
};

}  // namespace

TEST(EvaluateValidation, GivesTheScoreAndTheDataLossOfOnePass) {
    Data d(45, 3);
    MLP<double> net = network(4);
    gradkit::nn::Workspace<double> ws(net.layout(), 16);  // three batches, the last one short
    for (const bool weighted : {false, true}) {
        const train::ValidationResult v = train::evaluate(train::Score::accuracy, net, d.rows(nullptr, 0, weighted), ws);
        const auto [loss, accuracy] = loss_and_accuracy(net, d, weighted);
        EXPECT_NEAR(v.loss, loss, 1e-12 * loss);
        EXPECT_DOUBLE_EQ(v.score, accuracy);
        EXPECT_DOUBLE_EQ(v.score, train::accuracy(net, d.rows(nullptr, 0, weighted), ws));
    }
    std::vector<double> zero(d.n, 0.0);
    train::Rows<double> weightless = d.rows();
    weightless.sample_weight = zero.data();
    EXPECT_TRUE(std::isnan(train::evaluate(train::Score::accuracy, net, weightless, ws).loss));
}

TEST(EpochLoop, ScoresValidationDataWithoutStoppingOnIt) {
    Data d(60), v(30, 7);
    train::LoopOptions opt;
    opt.batch_size = 16;
    opt.max_iter = 40;
    opt.tol = 1e-3;
    const ValidatedFit plain(d, nullptr, opt);
    opt.stop_on_validation = false;
    const ValidatedFit scored(d, &v, opt);
    // The same epochs and weights: stopping stays on the training loss.
    EXPECT_EQ(scored.pr.loss_curve, plain.pr.loss_curve);
    EXPECT_EQ(scored.final_params, plain.final_params);
    EXPECT_EQ(scored.pr.best_loss, plain.pr.best_loss);
    ASSERT_EQ(scored.pr.validation_scores.size(), scored.pr.loss_curve.size());
    ASSERT_EQ(scored.pr.validation_loss_curve.size(), scored.pr.loss_curve.size());
    for (std::size_t e = 0; e < scored.reports.size(); ++e) {
        EXPECT_EQ(scored.reports[e].validation_loss, scored.pr.validation_loss_curve[e]);
        EXPECT_TRUE(std::isnan(plain.reports[e].validation_loss));
    }
    // The loss is the data loss of each epoch's weights (no L2 term).
    MLP<double> net = network();
    std::copy(scored.after[2].begin(), scored.after[2].end(), net.params());
    EXPECT_NEAR(scored.pr.validation_loss_curve[2], loss_and_accuracy(net, v, true).first, 1e-12);
}

TEST(EpochLoop, KeepWeightsChoosesTheEpochTheFitEndsOn) {
    Data d(60), v(30, 7);
    train::LoopOptions opt;
    opt.batch_size = 16;
    opt.max_iter = 25;
    opt.n_iter_no_change = std::numeric_limits<double>::infinity();
    opt.stop_on_validation = false;
    opt.keep = train::KeepWeights::best;
    const ValidatedFit by_score(d, &v, opt);
    const auto& scores = by_score.pr.validation_scores;
    const auto best = static_cast<std::size_t>(std::max_element(scores.begin(), scores.end()) - scores.begin());
    ASSERT_LT(best + 1, by_score.after.size());  // restored: not the last epoch's
    EXPECT_EQ(by_score.final_params, by_score.after[best]);
    EXPECT_EQ(by_score.pr.best_epoch, static_cast<std::int64_t>(best + 1));

    const ValidatedFit by_loss(d, nullptr, opt);
    const auto& losses = by_loss.pr.loss_curve;
    const auto lowest = static_cast<std::size_t>(std::min_element(losses.begin(), losses.end()) - losses.begin());
    ASSERT_LT(lowest + 1, by_loss.after.size());
    EXPECT_EQ(by_loss.final_params, by_loss.after[lowest]);
    EXPECT_EQ(by_loss.pr.best_epoch, static_cast<std::int64_t>(lowest + 1));

    opt.stop_on_validation = true;  // early stopping, ending on the last epoch all the same
    opt.keep = train::KeepWeights::last;
    const ValidatedFit last(d, &v, opt);
    EXPECT_EQ(last.final_params, last.after.back());
    opt.keep = train::KeepWeights::sklearn;
    const ValidatedFit sklearn(d, &v, opt);
    EXPECT_EQ(sklearn.final_params, by_score.final_params);  // the same epochs, the best score's weights
}

TEST(EpochLoop, DivergenceKeepsThePreviousEpochsWeights) {
    Data d(30);
    for (double& x : d.X) x *= 1e3;
    MLP<double> net({4, 8, 3}, Activation::identity, Activation::identity);
    LegacyRandomState init(0);
    gradkit::nn::glorot_uniform_init(net, init);
    auto rule = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{10.0, 0.9, true}, net.params(), net.n_params());
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 5;
    opt.max_iter = 50;
    train::Progress pr;
    LegacyRandomState rs(0);
    std::vector<std::vector<double>> after;
    train::EpochLoop<double> loop(net, *rule, rate);
    try {
        loop.fit(d.rows(), nullptr, nullptr, &rs, opt, pr, [&](const train::EpochReport&) {
            after.push_back(params_of(net));
            return false;
        });
        FAIL() << "expected divergence";
    } catch (const train::DivergedError& e) {
        EXPECT_EQ(e.epoch(), static_cast<std::int64_t>(after.size()) + 1);
        EXPECT_EQ(pr.n_iter, e.epoch() - 1);
        const std::vector<double> kept = params_of(net);
        EXPECT_TRUE(train::detail::all_finite(kept.data(), kept.size()));
        if (!after.empty()) {
            EXPECT_EQ(kept, after.back());
        }
    }
}

TEST(Lbfgs, FullBatchReducesTheLossWithinItsLimits) {
    Data d(45);
    MLP<double> net = network();
    gradkit::nn::Workspace<double> ws(net.layout(), d.n);
    const gradkit::nn::Batch<double> all{d.X.data(), d.Y.data(), nullptr, d.n};
    const double before = net.backprop(all, 1e-4, ws);
    train::LbfgsOptions opt;
    opt.max_iter = 50;
    const auto r = train::fit_lbfgs(net, all, opt);
    EXPECT_LT(r.loss, 0.1 * before);
    EXPECT_LE(r.n_iter, 50);
    EXPECT_GE(r.n_evals, r.n_iter);
    opt.max_iter = 3;
    MLP<double> short_run = network();
    const auto s = train::fit_lbfgs(short_run, all, opt);
    EXPECT_EQ(s.n_iter, 3);
    EXPECT_FALSE(s.converged);
}

TEST(EpochLoop, AnyGradkitOptimizerPlugsIn) {
    Data d(60);
    MLP<double> net = network();
    gradkit::optim::Adam::Hyper h;
    h.lr = 0.02;
    auto rule = train::make_step_rule<gradkit::optim::Adam>(h, net.params(), net.n_params());
    EXPECT_STREQ(rule->name(), "Adam");
    train::ConstantRate rate;
    train::LoopOptions opt;
    opt.batch_size = 20;
    opt.max_iter = 20;
    train::Progress pr;
    LegacyRandomState rs(0);
    train::EpochLoop<double>(net, *rule, rate).fit(d.rows(), nullptr, nullptr, &rs, opt, pr);
    EXPECT_LT(pr.loss_curve.back(), 0.5 * pr.loss_curve.front());
    EXPECT_TRUE(rule->state().params.at(0).started);
}

// The rule of an algorithm with two points: its group state (Schedule-Free's k, weight_sum, ...) is part
// of the rule's state, so a restored rule continues bit for bit; another algorithm's state is refused.
TEST(StepRule, GroupStateTravelsWithTheRuleState) {
    using gradkit::optim::ScheduleFreeSGD;
    std::vector<double> p1{0.5, -1.0, 2.0}, g{0.1, -0.2, 0.3};
    ScheduleFreeSGD::Hyper h;
    h.lr = 0.1;
    auto a = train::make_step_rule<ScheduleFreeSGD>(h, p1.data(), p1.size());
    a->set_mode(true);
    for (int i = 0; i < 3; ++i) a->step(g.data());
    a->set_mode(false);
    const train::RuleState<double> saved = a->state();
    ASSERT_FALSE(saved.group.empty());
    EXPECT_EQ(saved.group[0].first, "k");
    EXPECT_EQ(saved.group[0].second, 3.0);
    std::vector<double> p2 = p1;
    auto b = train::make_step_rule<ScheduleFreeSGD>(h, p2.data(), p2.size());
    b->set_state(saved);
    for (auto* rule : {a.get(), b.get()}) {
        rule->set_mode(true);
        rule->step(g.data());
        rule->set_mode(false);
    }
    EXPECT_EQ(p1, p2);
    auto adam = train::make_step_rule<gradkit::optim::Adam>(gradkit::optim::Adam::Hyper{}, p2.data(), p2.size());
    EXPECT_THROW(adam->set_state(saved), std::invalid_argument);
    EXPECT_THROW(b->set_state(adam->state()), std::invalid_argument);
    EXPECT_EQ(b->group_values(), a->group_values());
}

// Lookahead around a rule: the slow weights are the fast ones after the first step, synced every k
// steps after it; eval() puts them in the parameters and train() takes the fast ones back.
TEST(LookaheadRule, SyncsEveryKStepsAndSwapsForEvaluation) {
    std::vector<double> p{1.0, 2.0}, g{1.0, 1.0};
    auto inner = train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{0.1, 0.0, false}, p.data(), p.size());
    train::LookaheadRule<double> rule(std::move(inner), 2, 0.5, p.data(), p.size());
    rule.set_mode(true);
    rule.step(g.data());  // step 1: slow = fast = 0.9, 1.9
    rule.step(g.data());  // 0.8, 1.8
    rule.step(g.data());  // step 3 syncs: 0.7 -> 0.5 * 0.7 + 0.5 * 0.9 = 0.8
    EXPECT_DOUBLE_EQ(p[0], 0.8);
    rule.step(g.data());  // fast 0.7, slow 0.8
    rule.set_mode(false);
    EXPECT_DOUBLE_EQ(p[0], 0.8);
    const train::RuleState<double> saved = rule.state();
    EXPECT_EQ(saved.params.back().buffers.at(0).first, "fast_param");
    EXPECT_DOUBLE_EQ(saved.params.back().buffers.at(0).second[0], 0.7);
    rule.set_mode(true);
    EXPECT_DOUBLE_EQ(p[0], 0.7);
    EXPECT_THROW(train::LookaheadRule<double>(
                     train::make_step_rule<SklearnSGD>(SklearnSGD::Hyper{}, p.data(), p.size()), 0, 0.5, p.data(), 2),
                 std::invalid_argument);
}

// A hybrid's primary takes only the chosen matrices, and the secondary's rate follows the primary's.
TEST(HybridRule, SplitsTheNetworkAndKeepsTheRateRatio) {
    MLP<double> net({3, 4, 5, 2}, Activation::relu, Activation::identity);
    const auto& layout = net.layout();
    std::vector<double> grad(net.n_params(), 1.0);
    std::vector<double> before(net.params(), net.params() + net.n_params());
    SklearnSGD::Hyper zero{0.0, 0.0, false};
    SklearnSGD::Hyper others{0.2, 0.0, false};
    auto rule = train::make_hybrid_rule<SklearnSGD, SklearnSGD, double>(zero, others, train::MatrixLayers::hidden,
                                                                        net.params(), layout);
    rule->step(grad.data());
    // The hidden matrix (layer 1: 4 x 5) took lr 0, everything else lr 0.2.
    for (std::size_t i = 0; i < net.n_params(); ++i) {
        const bool hidden = i >= layout.coef_offset(1) && i < layout.coef_offset(1) + layout.coef_size(1);
        EXPECT_DOUBLE_EQ(net.params()[i], before[i] - (hidden ? 0.0 : 0.2)) << i;
    }
    SklearnSGD::Hyper one{0.1, 0.0, false};
    auto scaled = train::make_hybrid_rule<SklearnSGD, SklearnSGD, double>(one, others, train::MatrixLayers::all,
                                                                          net.params(), layout);
    scaled->set_lr(0.05);
    EXPECT_DOUBLE_EQ(scaled->lr(), 0.05);
    EXPECT_EQ(scaled->state().params.size(), 6u);  // 3 matrices, then 3 intercept vectors
}
