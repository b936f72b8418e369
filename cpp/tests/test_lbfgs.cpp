#include <gtest/gtest.h>

#include <Eigen/Dense>

#include <cmath>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/optim/lbfgs.hpp"

using gradkit::optim::ArrayRef;
using gradkit::optim::LBFGS;
using gradkit::optim::LBFGSHyper;
using gradkit::optim::LineSearch;

namespace {

// f(x) = sum_i a (x[i+1] - x[i]^2)^2 + (1 - x[i])^2 and its gradient.
template <typename T>
double rosenbrock(const T* x, std::size_t n, T* g, double a = 100.0) {
    double f = 0;
    for (std::size_t i = 0; i < n; ++i) g[i] = 0;
    for (std::size_t i = 0; i + 1 < n; ++i) {
        const double r = double(x[i + 1]) - double(x[i]) * double(x[i]);
        f += a * r * r + (1 - double(x[i])) * (1 - double(x[i]));
        g[i] += T(-4 * a * double(x[i]) * r - 2 * (1 - double(x[i])));
        g[i + 1] += T(2 * a * r);
    }
    return f;
}

// 0.5 x'Ax - b'x for a fixed symmetric positive definite A.
struct Quadratic {
    Eigen::MatrixXd A;
    Eigen::VectorXd b;
    explicit Quadratic(int n) : A(n, n), b(n) {
        Eigen::MatrixXd m(n, n);
        for (int i = 0; i < n; ++i)
            for (int j = 0; j < n; ++j) m(i, j) = std::sin(1.0 + i * n + j);
        A = m * m.transpose() + Eigen::MatrixXd::Identity(n, n);
        for (int i = 0; i < n; ++i) b(i) = std::cos(double(i));
    }
    template <typename T>
    double operator()(const T* x, T* g) const {
        const Eigen::VectorXd xv = Eigen::Map<const Eigen::Matrix<T, -1, 1>>(x, A.rows()).template cast<double>();
        const Eigen::VectorXd grad = A * xv - b;
        for (int i = 0; i < A.rows(); ++i) g[i] = static_cast<T>(grad(i));
        return 0.5 * xv.dot(A * xv) - b.dot(xv);
    }
};

LBFGSHyper strong_wolfe(std::int64_t max_iter = 20) {
    LBFGSHyper h;
    h.max_iter = max_iter;
    h.line_search_fn = LineSearch::strong_wolfe;
    return h;
}

}  // namespace

TEST(LBFGS, SolvesAQuadraticInFewIterations) {
    const Quadratic q(6);
    std::vector<double> x(6, 0.0);
    LBFGS<double> opt({{x.data(), x.size()}}, strong_wolfe());
    opt.step([&](double* g) { return q(x.data(), g); });
    const Eigen::VectorXd solution = q.A.ldlt().solve(q.b);
    for (int i = 0; i < 6; ++i) EXPECT_NEAR(x[i], solution(i), 1e-6);
    EXPECT_LE(opt.state().n_iter, 12);
}

TEST(LBFGS, SolvesAQuadraticInFloat32) {
    const Quadratic q(4);
    std::vector<float> x(4, 0.0f);
    LBFGS<float> opt({{x.data(), x.size()}}, strong_wolfe());
    opt.step([&](float* g) { return q(x.data(), g); });
    const Eigen::VectorXd solution = q.A.ldlt().solve(q.b);
    for (int i = 0; i < 4; ++i) EXPECT_NEAR(x[i], solution(i), 1e-4);
}

// One iteration per step(): each accepted step must satisfy both strong-Wolfe conditions
// (c1 = 1e-4, c2 = 0.9) along the direction the step used.
TEST(LBFGS, AcceptedStepsSatisfyTheStrongWolfeConditions) {
    std::vector<double> x{-1.2, 1.0, -0.5, 0.8}, g0(4), g1(4);
    LBFGSHyper h = strong_wolfe(1);
    h.max_eval = 25;
    LBFGS<double> opt({{x.data(), x.size()}}, h);
    for (int k = 0; k < 15; ++k) {
        const std::vector<double> x0 = x;
        const double f0 = rosenbrock(x.data(), 4, g0.data());
        opt.step([&](double* g) { return rosenbrock(x.data(), 4, g); });
        const std::vector<double>& d = opt.state().d;
        const double t = *opt.state().t;
        double gtd = 0;
        for (int i = 0; i < 4; ++i) {
            EXPECT_NEAR(x[i], x0[i] + t * d[i], 1e-15);
            gtd += g0[i] * d[i];
        }
        ASSERT_LT(gtd, 0) << "not a descent direction at step " << k;
        const double f1 = rosenbrock(x.data(), 4, g1.data());
        double gtd1 = 0;
        for (int i = 0; i < 4; ++i) gtd1 += g1[i] * d[i];
        EXPECT_LE(f1, f0 + 1e-4 * t * gtd) << "Armijo at step " << k;
        EXPECT_LE(std::fabs(gtd1), 0.9 * -gtd) << "curvature at step " << k;
    }
}

TEST(LBFGS, FirstFixedStepIsScaledByTheGradientsL1Norm) {
    std::vector<double> x{0.5, -0.25};
    LBFGSHyper h;
    h.lr = 0.5;
    h.max_iter = 1;
    LBFGS<double> opt({{x.data(), x.size()}}, h);
    // f = x0^2 + 2 x1^2, g = (1, -1) at the start: |g|_1 = 2, so t = min(1, 1/2) * lr = 0.25
    const double loss = opt.step([&](double* g) {
        g[0] = 2 * x[0];
        g[1] = 4 * x[1];
        return x[0] * x[0] + 2 * x[1] * x[1];
    });
    EXPECT_DOUBLE_EQ(loss, 0.375);
    EXPECT_DOUBLE_EQ(x[0], 0.5 - 0.25 * 1.0);
    EXPECT_DOUBLE_EQ(x[1], -0.25 + 0.25 * 1.0);
    EXPECT_EQ(opt.state().func_evals, 1);  // the last iteration does not re-evaluate
    EXPECT_EQ(opt.state().n_iter, 1);
    EXPECT_DOUBLE_EQ(*opt.state().t, 0.25);
}

TEST(LBFGS, CountsIterationsAndEvaluationsAcrossSteps) {
    std::vector<double> x{-1.2, 1.0, 0.3};
    LBFGSHyper h;
    h.lr = 0.01;
    h.max_iter = 3;  // max_eval = 3 * 5 // 4 = 3 stops each step after its second iteration
    LBFGS<double> opt({{x.data(), x.size()}}, h);
    auto closure = [&](double* g) { return rosenbrock(x.data(), 3, g); };
    opt.step(closure);
    EXPECT_EQ(opt.state().n_iter, 2);
    EXPECT_EQ(opt.state().func_evals, 3);
    opt.step(closure);
    EXPECT_EQ(opt.state().n_iter, 4);
    EXPECT_EQ(opt.state().func_evals, 6);
}

TEST(LBFGS, KeepsAtMostHistorySizePairs) {
    std::vector<double> x{-1.2, 1.0, -0.5, 0.8, 0.1};
    LBFGSHyper h = strong_wolfe(30);
    h.history_size = 3;
    LBFGS<double> opt({{x.data(), x.size()}}, h);
    opt.step([&](double* g) { return rosenbrock(x.data(), 5, g); });
    EXPECT_GT(opt.state().n_iter, 5);
    EXPECT_EQ(opt.state().old_dirs.size(), 3u);
    EXPECT_EQ(opt.state().old_stps.size(), 3u);
    EXPECT_EQ(opt.state().ro.size(), 3u);
    EXPECT_EQ(opt.state().al.size(), 3u);
}

TEST(LBFGS, StopsAtOnceWhenTheGradientIsBelowTolerance) {
    std::vector<double> x{1.0, 1.0};
    LBFGS<double> opt({{x.data(), x.size()}}, strong_wolfe());
    const double loss = opt.step([&](double* g) { return rosenbrock(x.data(), 2, g); });
    EXPECT_EQ(loss, 0.0);
    EXPECT_EQ(opt.state().func_evals, 1);
    EXPECT_EQ(opt.state().n_iter, 0);
    EXPECT_TRUE(opt.state().d.empty());
    EXPECT_EQ(x, (std::vector<double>{1.0, 1.0}));
}

// The arrays are one vector: splitting it differently changes nothing, bit for bit.
TEST(LBFGS, SeveralArraysActAsOneVector) {
    std::vector<double> whole{-1.2, 1.0, -0.5, 0.8, 0.1};
    std::vector<double> head{-1.2, 1.0, -0.5}, tail{0.8, 0.1};
    LBFGS<double> one({{whole.data(), 5}}, strong_wolfe(7));
    LBFGS<double> two({{head.data(), 3}, {tail.data(), 2}}, strong_wolfe(7));
    for (int k = 0; k < 3; ++k) {
        one.step([&](double* g) { return rosenbrock(whole.data(), 5, g); });
        two.step([&](double* g) {
            std::vector<double> x(head);
            x.insert(x.end(), tail.begin(), tail.end());
            return rosenbrock(x.data(), 5, g);
        });
    }
    EXPECT_EQ(std::vector<double>(whole.begin(), whole.begin() + 3), head);
    EXPECT_EQ(std::vector<double>(whole.begin() + 3, whole.end()), tail);
}

TEST(LBFGS, ClosureExceptionsPropagateAndTheOptimizerStaysUsable) {
    std::vector<double> x{-1.2, 1.0};
    LBFGS<double> opt({{x.data(), 2}}, strong_wolfe());
    int calls = 0;
    auto failing = [&](double* g) {
        if (++calls == 3) throw std::runtime_error("closure failed");
        return rosenbrock(x.data(), 2, g);
    };
    EXPECT_THROW(opt.step(failing), std::runtime_error);
    const double before = rosenbrock(x.data(), 2, std::vector<double>(2).data());
    opt.step([&](double* g) { return rosenbrock(x.data(), 2, g); });
    EXPECT_LT(rosenbrock(x.data(), 2, std::vector<double>(2).data()), before);
}

TEST(LBFGS, ValidatesHyperparametersLikeTorch) {
    std::vector<double> x{0.0};
    LBFGSHyper h;
    h.lr = -1.0;
    try {
        LBFGS<double> opt({{x.data(), 1}}, h);
        FAIL() << "negative lr accepted";
    } catch (const std::invalid_argument& e) {
        EXPECT_EQ(std::string(e.what()), "Invalid learning rate: -1.0");
    }
    h = LBFGSHyper{};
    h.history_size = 0;
    EXPECT_THROW(h.validate(), std::invalid_argument);
    h = strong_wolfe(1);
    h.max_eval = 0;
    EXPECT_THROW(h.validate(), std::invalid_argument);
    EXPECT_THROW(LBFGS<double>({{x.data(), 0}}, LBFGSHyper{}), std::invalid_argument);

    LBFGS<double> opt({{x.data(), 1}}, LBFGSHyper{});
    LBFGSHyper bad;
    bad.lr = -0.5;
    EXPECT_THROW(opt.set_hyper(bad), std::invalid_argument);
    EXPECT_EQ(opt.hyper().lr, 1.0);
}

TEST(LBFGS, DefaultMaxEvalIsPythonsFloorOfMaxIterTimesFiveQuarters) {
    LBFGSHyper h;
    EXPECT_EQ(h.eval_limit(), 25);
    h.max_iter = 7;
    EXPECT_EQ(h.eval_limit(), 8);
    h.max_iter = -1;
    EXPECT_EQ(h.eval_limit(), -2);
    h.max_eval = 3;
    EXPECT_EQ(h.eval_limit(), 3);
}

TEST(LBFGS, SetStateRefusesWrongSizesAndKeepsTheOldState) {
    std::vector<double> x{-1.2, 1.0, 0.5};
    LBFGS<double> opt({{x.data(), 3}}, strong_wolfe(4));
    opt.step([&](double* g) { return rosenbrock(x.data(), 3, g); });
    const auto saved = opt.state();

    auto bad = saved;
    bad.d.push_back(0.0);
    EXPECT_THROW(opt.set_state(bad), std::invalid_argument);
    bad = saved;
    bad.old_dirs.push_back(std::vector<double>(2));
    bad.old_stps.push_back(std::vector<double>(2));
    bad.ro.push_back(1.0);
    EXPECT_THROW(opt.set_state(bad), std::invalid_argument);
    bad = saved;
    bad.ro.pop_back();
    EXPECT_THROW(opt.set_state(bad), std::invalid_argument);
    bad = saved;
    bad.t.reset();
    EXPECT_THROW(opt.set_state(bad), std::invalid_argument);
    EXPECT_EQ(opt.state().d, saved.d);
    EXPECT_EQ(opt.state().n_iter, saved.n_iter);

    // A copied state continues exactly as the original does.
    std::vector<double> y = x;
    LBFGS<double> other({{y.data(), 3}}, strong_wolfe(4));
    other.set_state(saved);
    opt.step([&](double* g) { return rosenbrock(x.data(), 3, g); });
    other.step([&](double* g) { return rosenbrock(y.data(), 3, g); });
    EXPECT_EQ(x, y);
}
