// scipy's L-BFGS-B without bounds (train/lbfgsb.hpp): the line search against scipy's
// optimize/_dcsrch.py, and the solver against scipy.optimize.minimize(method="L-BFGS-B", jac=True)
// (scipy 1.17.1; the values below were printed by it); then fit_lbfgs on a network
// (train/lbfgs_solver.hpp; its numbers against scikit-learn are tests/test_mlp_lbfgs.py's).
#include <gtest/gtest.h>

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <random>
#include <vector>

#include "gradkit/nn/glorot_init.hpp"
#include "gradkit/train/lbfgs_solver.hpp"
#include "gradkit/train/lbfgsb.hpp"

namespace lbfgsb = gradkit::train::lbfgsb;
using lbfgsb::SearchTask;

namespace {

struct Search {
    std::vector<double> trials;  // the steps dcsrch asked to evaluate
    double stp = 0.0;            // the step it ended on
    SearchTask task = SearchTask::fg;
};

// Drives dcsrch as _dcsrch.py's DCSRCH._iterate is driven, from `stp`, on phi with derivative dphi.
template <class Phi, class DPhi>
Search search(Phi phi, DPhi dphi, double stp, double ftol, double gtol, double xtol, double stpmax) {
    lbfgsb::Dcsrch ls(ftol, gtol, xtol, 0.0, stpmax);
    Search s;
    s.task = ls.start(phi(0.0), dphi(0.0), stp);
    while (s.task == SearchTask::fg && s.trials.size() < 50) {
        s.trials.push_back(stp);
        s.task = ls.iterate(phi(stp), dphi(stp), stp);
    }
    s.stp = stp;
    return s;
}

void expect_trials(const Search& s, const std::vector<double>& expected) {
    ASSERT_EQ(s.trials.size(), expected.size());
    for (std::size_t i = 0; i < expected.size(); ++i) EXPECT_NEAR(s.trials[i], expected[i], 1e-13 * expected[i]) << i;
}

// Moré & Thuente (1994), function 1: phi(a) = -a / (a^2 + 2).
double phi1(double a) { return -a / (a * a + 2.0); }
double dphi1(double a) { return (a * a - 2.0) / ((a * a + 2.0) * (a * a + 2.0)); }
// Function 2: phi(a) = (a + 0.004)^5 - 2 (a + 0.004)^4.
double phi2(double a) { return std::pow(a + 0.004, 5) - 2 * std::pow(a + 0.004, 4); }
double dphi2(double a) { return 5 * std::pow(a + 0.004, 4) - 8 * std::pow(a + 0.004, 3); }

}  // namespace

TEST(Dcsrch, ExtrapolatesThenConvergesAsScipy) {
    const Search s = search(phi1, dphi1, 1e-3, 1e-3, 0.1, 0.1, 1e10);
    expect_trials(s, {0.001, 0.005, 0.021, 0.085, 0.341, 1.365});
    EXPECT_EQ(s.task, SearchTask::convergence);
    EXPECT_DOUBLE_EQ(s.stp, 1.365);
}

TEST(Dcsrch, InterpolatesInsideTheBracketAsScipy) {
    Search s = search(phi1, dphi1, 0.1, 1e-3, 0.1, 0.1, 1e10);
    expect_trials(s, {0.1, 0.5, 1.4413720790892741});
    EXPECT_EQ(s.task, SearchTask::convergence);
    s = search(phi1, dphi1, 1e3, 1e-3, 0.1, 0.1, 1e10);
    expect_trials(s, {1000.0, 332.83537094698613, 110.78382764820593, 36.88760696396662});
    EXPECT_EQ(s.task, SearchTask::convergence);
    EXPECT_NEAR(s.stp, 36.88760696396662, 1e-12);
    s = search(phi1, dphi1, 10.0, 1e-3, 0.1, 0.1, 1e10);
    expect_trials(s, {10.0});
    EXPECT_EQ(s.task, SearchTask::convergence);
}

TEST(Dcsrch, EndsOnTheXtolWarningAsScipy) {
    Search s = search(phi2, dphi2, 1e-3, 0.1, 0.1, 0.1, 1e10);
    expect_trials(s, {0.001, 0.005, 0.021, 0.085, 0.341, 1.365, 5.461, 2.1070247668786957, 1.551692634475675,
                      1.5975830448985595, 1.5975830448985595});
    EXPECT_EQ(s.task, SearchTask::warning);
    EXPECT_NEAR(s.stp, 1.5975830448985595, 1e-12);
    s = search(phi2, dphi2, 1e3, 0.1, 0.1, 0.1, 1e10);
    expect_trials(s, {1000.0, 222.29565484593803, 49.472816490427086, 11.069352144736474, 2.5433685560303143,
                      0.7201153415592905, 1.6296513166653739, 1.3512229797881472, 1.5950402760316598,
                      1.5950402760316598});
    EXPECT_EQ(s.task, SearchTask::warning);
}

TEST(Dcsrch, StopsAtStpmaxAndRefusesAnAscentDirection) {
    auto phi = [](double a) { return (a - 10.0) * (a - 10.0); };
    auto dphi = [](double a) { return 2.0 * (a - 10.0); };
    Search s = search(phi, dphi, 1.0, 1e-3, 0.1, 0.1, 1e10);
    expect_trials(s, {1.0, 5.0, 10.0});
    EXPECT_EQ(s.task, SearchTask::convergence);
    s = search(phi, dphi, 1.0, 1e-3, 0.1, 0.1, 2.0);
    expect_trials(s, {1.0, 2.0});
    EXPECT_EQ(s.task, SearchTask::warning);
    EXPECT_EQ(s.stp, 2.0);

    lbfgsb::Dcsrch ls(1e-3, 0.9, 0.1, 0.0, 1e10);
    double stp = 1.0;
    EXPECT_EQ(ls.start(0.0, 1.0, stp), SearchTask::error);  // f'(0) >= 0
    stp = 2e10;
    EXPECT_EQ(ls.start(0.0, -1.0, stp), SearchTask::error);  // beyond stpmax
}

namespace {

struct Outcome {
    lbfgsb::Result result;
    std::vector<double> x;
    std::int64_t calls = 0;
};

template <class Fn>
Outcome minimize(Fn fn, std::vector<double> x0, const lbfgsb::Options& opt) {
    Outcome run;
    run.x = std::move(x0);
    const std::size_t n = run.x.size();
    auto counted = [&](const double* x, double* g) {
        ++run.calls;
        return fn(x, g, n);
    };
    run.result = lbfgsb::minimize(counted, run.x.data(), n, opt);
    return run;
}

// 0.5 * sum_i (i + 1) (x_i - c_i)^2 with c evenly spaced on [-1, 1].
double quadratic(const double* x, double* g, std::size_t n) {
    double f = 0.0;
    for (std::size_t i = 0; i < n; ++i) {
        const double a = static_cast<double>(i + 1);
        const double c = -1.0 + 2.0 * static_cast<double>(i) / static_cast<double>(n - 1);
        f += 0.5 * a * (x[i] - c) * (x[i] - c);
        g[i] = a * (x[i] - c);
    }
    return f;
}

// scipy.optimize.rosen and rosen_der.
double rosen(const double* x, double* g, std::size_t n) {
    double f = 0.0;
    for (std::size_t i = 0; i < n; ++i) g[i] = 0.0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const double r = x[i + 1] - x[i] * x[i];
        f += 100.0 * r * r + (1.0 - x[i]) * (1.0 - x[i]);
        g[i] += -400.0 * x[i] * r - 2.0 * (1.0 - x[i]);
        g[i + 1] += 200.0 * r;
    }
    return f;
}

void expect_x(const std::vector<double>& x, const std::vector<double>& expected, double tol) {
    ASSERT_EQ(x.size(), expected.size());
    for (std::size_t i = 0; i < x.size(); ++i) EXPECT_NEAR(x[i], expected[i], tol) << i;
}

}  // namespace

TEST(Lbfgsb, ConvergesOnAQuadraticWithScipysCounts) {
    const Outcome run = minimize(quadratic, std::vector<double>(5, 0.0), lbfgsb::Options{});
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::gradient);
    EXPECT_EQ(run.result.status, 0);
    EXPECT_EQ(run.result.nit, 9);
    EXPECT_EQ(run.result.nfev, 10);
    EXPECT_EQ(run.calls, 10);
    EXPECT_NEAR(run.result.f, 3.0041877575942138e-12, 1e-18);
    expect_x(run.x, {-0.9999983266516104, -0.5000004965432251, 0.0, 0.49999917950030126, 0.9999999332297809}, 1e-12);
}

TEST(Lbfgsb, FollowsScipyOnRosenbrockToTheRelativeReductionStop) {
    const Outcome run = minimize(rosen, {-1.2, 1.0, -1.2, 1.0}, lbfgsb::Options{});
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::relative_reduction);
    EXPECT_EQ(run.result.status, 0);
    EXPECT_EQ(run.result.nit, 39);
    EXPECT_EQ(run.result.nfev, 45);
    EXPECT_NEAR(run.result.f, 8.082815186624072e-12, 1e-16);
    expect_x(run.x, {0.9999999317170106, 1.0000000864464167, 1.0000003454570203, 1.0000006915985522}, 1e-9);
}

TEST(Lbfgsb, DropsTheOldestPairWhenTheMemoryIsFull) {
    lbfgsb::Options opt;
    opt.m = 3;
    opt.gtol = 0.0;
    const Outcome run = minimize(rosen, {-1.2, 1.0, -1.2, 1.0, -1.2, 1.0}, opt);
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::relative_reduction);
    EXPECT_EQ(run.result.nit, 55);
    EXPECT_EQ(run.result.nfev, 66);
    EXPECT_NEAR(run.result.f, 1.6078940119789384e-09, 1e-14);
    expect_x(run.x,
             {0.9999979700598093, 0.9999959171993135, 0.9999913139777863, 0.9999827611691636, 0.9999655866452941,
              0.9999310806417289},
             1e-8);
}

TEST(Lbfgsb, MaxIterAndMaxFunStopWithStatusOneAfterTheIteration) {
    lbfgsb::Options opt;
    opt.maxiter = 5;
    Outcome run = minimize(rosen, {-1.2, 1.0, -1.2, 1.0}, opt);
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::max_iter);
    EXPECT_EQ(run.result.status, 1);
    EXPECT_EQ(run.result.nit, 5);
    EXPECT_EQ(run.result.nfev, 6);
    EXPECT_NEAR(run.result.f, 9.856990652671726, 1e-12);
    expect_x(run.x, {-0.04594434709921358, 0.12690760291063022, 0.004289964092257792, -0.23317420659817606}, 1e-12);

    opt = lbfgsb::Options{};
    opt.maxfun = 10;  // tested only when an iteration ends: the run stops on the first nfev > maxfun
    run = minimize(rosen, {-1.2, 1.0, -1.2, 1.0}, opt);
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::max_fun);
    EXPECT_EQ(run.result.status, 1);
    EXPECT_EQ(run.result.nit, 10);
    EXPECT_EQ(run.result.nfev, 11);
    EXPECT_NEAR(run.result.f, 2.9469655201324767, 1e-12);
    EXPECT_STREQ(lbfgsb::stop_message(run.result.stop), "STOP: TOTAL NO. OF F,G EVALUATIONS EXCEEDS LIMIT");
}

TEST(Lbfgsb, AFailedLineSearchWithAnEmptyMemoryEndsAbnormally) {
    // A gradient of the wrong sign: every step along -g raises f, the line search shrinks its step until
    // its maxls evaluations are spent. x is put back; f is the last trial's, as scipy reports it.
    auto wrong = [](const double* x, double* g, std::size_t n) {
        double f = 0.0;
        for (std::size_t i = 0; i < n; ++i) {
            f += x[i] * x[i];
            g[i] = -2.0 * x[i];
        }
        return f;
    };
    const Outcome run = minimize(wrong, {1.0, -2.0, 0.5}, lbfgsb::Options{});
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::abnormal);
    EXPECT_EQ(run.result.status, 2);
    EXPECT_EQ(run.result.nit, 0);
    EXPECT_EQ(run.result.nfev, 20);
    EXPECT_NEAR(run.result.f, 5.250000000000002, 1e-14);
    expect_x(run.x, {1.0, -2.0, 0.5}, 0.0);
    EXPECT_STREQ(lbfgsb::stop_message(run.result.stop), "ABNORMAL: ");
}

TEST(Lbfgsb, AStartingPointWithinGtolIsConvergedWithoutAnIteration) {
    lbfgsb::Options opt;
    opt.gtol = 1.0;
    const Outcome run = minimize(quadratic, {-1.0, -0.5, 0.0, 0.5, 1.2}, opt);  // largest |g| = 5 * 0.2
    EXPECT_EQ(run.result.stop, lbfgsb::Stop::gradient);
    EXPECT_EQ(run.result.nit, 0);
    EXPECT_EQ(run.result.nfev, 1);
}

namespace {

using gradkit::nn::Activation;
using gradkit::nn::MLP;

// Three classes of 4 features, one-hot targets.
struct Classes {
    std::size_t n = 45;
    std::vector<double> X, Y;
    Classes() {
        std::mt19937 gen(0);
        std::normal_distribution<double> noise(0.0, 0.3);
        X.resize(n * 4);
        Y.assign(n * 3, 0.0);
        for (std::size_t r = 0; r < n; ++r) {
            for (std::size_t j = 0; j < 4; ++j) X[r * 4 + j] = (j == r % 3 ? 2.0 : 0.0) + noise(gen);
            Y[r * 3 + r % 3] = 1.0;
        }
    }
};

template <typename T>
MLP<T> network() {
    MLP<double> net({4, 8, 3}, Activation::relu, Activation::softmax);
    gradkit::nn::LegacyRandomState rs(1);
    gradkit::nn::glorot_uniform_init(net, rs);
    MLP<T> out({4, 8, 3}, Activation::relu, Activation::softmax);
    for (std::size_t i = 0; i < net.n_params(); ++i) out.params()[i] = static_cast<T>(net.params()[i]);
    return out;
}

}  // namespace

TEST(FitLbfgs, ReportsScipysStatusAndLeavesItsPointInTheNetwork) {
    const Classes d;
    const gradkit::nn::Batch<double> all{d.X.data(), d.Y.data(), nullptr, d.n};
    gradkit::train::LbfgsOptions opt;
    opt.max_iter = 3;
    MLP<double> net = network<double>();
    gradkit::nn::Workspace<double> ws(net.layout(), d.n);
    const auto r = gradkit::train::fit_lbfgs(net, all, opt);
    EXPECT_EQ(r.n_iter, 3);
    EXPECT_EQ(r.status, 1);
    EXPECT_FALSE(r.converged);
    EXPECT_STREQ(r.message, "STOP: TOTAL NO. OF ITERATIONS REACHED LIMIT");
    EXPECT_GT(r.n_evals, r.n_iter);  // the first evaluation is at the initial weights
    // The last evaluation was at the accepted point, which the network now holds.
    EXPECT_EQ(r.loss, net.backprop(all, opt.alpha, ws));

    opt.max_iter = 200;
    opt.tol = 0.05;
    MLP<double> loose = network<double>();
    const auto c = gradkit::train::fit_lbfgs(loose, all, opt);
    EXPECT_EQ(c.status, 0);
    EXPECT_TRUE(c.converged);
    EXPECT_LT(c.n_iter, 200);
    EXPECT_STREQ(c.message, "CONVERGENCE: NORM OF PROJECTED GRADIENT <= PGTOL");
}

TEST(FitLbfgs, AFloatNetworkIsEvaluatedAtTheSolversWeightsRoundedToFloat) {
    const Classes d;
    const std::vector<float> X(d.X.begin(), d.X.end()), Y(d.Y.begin(), d.Y.end());
    const gradkit::nn::Batch<float> all{X.data(), Y.data(), nullptr, d.n};
    MLP<float> net = network<float>();
    gradkit::nn::Workspace<float> ws(net.layout(), d.n);
    const double before = net.backprop(all, 1e-4, ws);
    gradkit::train::LbfgsOptions opt;
    const auto r = gradkit::train::fit_lbfgs(net, all, opt);
    EXPECT_TRUE(r.converged);
    EXPECT_LT(r.loss, 1e-3 * before);
    EXPECT_EQ(r.loss, net.backprop(all, opt.alpha, ws));
}
