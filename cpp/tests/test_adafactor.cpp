#include <gtest/gtest.h>

#include <cmath>
#include <limits>
#include <stdexcept>
#include <vector>

#include "gradkit/optim/adafactor.hpp"
#include "gradkit/optim/param_group.hpp"

using gradkit::optim::Adafactor;
using gradkit::optim::ArrayRef;
using gradkit::optim::ParamGroup;

namespace {

template <typename T>
ArrayRef<T> matrix(std::vector<T>& v, std::size_t rows, std::size_t cols, int ndim = 2) {
    ArrayRef<T> r{v.data(), v.size()};
    r.ndim = ndim;
    r.rows = rows;
    r.cols = cols;
    return r;
}

}  // namespace

// Step 1: beta2_t = 0, so R and C are the row and column means of g^2; with a rank-one g^2 the factored
// estimate is g^2 itself, U = sign(g), and every element moves by max(eps2, RMS(p)) * lr.
TEST(Adafactor, TheFirstStepOfARankOneGradientMovesEveryElementByAlpha) {
    std::vector<double> p(6, 2.0), g{1.0, 2.0, 2.0, 4.0, 3.0, 6.0};  // rows (1, 2) times (1, 2, 3)
    ParamGroup<Adafactor, double> group(Adafactor::Hyper{});
    group.add_param(matrix(p, 3, 2));
    const double* grads[] = {g.data()};
    group.step(grads);
    const auto& s = *group.states()[0];
    EXPECT_EQ(s.step, 1.0);
    ASSERT_EQ(s.row_var.size(), 3u);
    ASSERT_EQ(s.col_var.size(), 2u);
    EXPECT_TRUE(s.variance.empty());
    EXPECT_DOUBLE_EQ(s.row_var[0], 2.5);   // (1 + 4) / 2
    EXPECT_DOUBLE_EQ(s.col_var[1], 56.0 / 3);  // (4 + 16 + 36) / 3
    for (double x : p) EXPECT_NEAR(x, 2.0 - 2.0 * 1e-2, 1e-15);
}

// A 3-D array is a stack of matrices, each with its own factors (and its own mean of R).
TEST(Adafactor, AStackOfMatricesIsFactoredMatrixByMatrix) {
    std::vector<float> p(2 * 2 * 3, 1.0f), g(12);
    for (std::size_t i = 0; i < g.size(); ++i) g[i] = static_cast<float>(i + 1);
    ParamGroup<Adafactor, float> group(Adafactor::Hyper{});
    group.add_param(matrix(p, 2, 3, 3));
    const float* grads[] = {g.data()};
    group.step(grads);
    const auto& s = *group.states()[0];
    ASSERT_EQ(s.row_var.size(), 4u);  // 2 matrices x 2 rows
    ASSERT_EQ(s.col_var.size(), 6u);  // 2 matrices x 3 columns
    EXPECT_FLOAT_EQ(s.col_var[0], (1.0f + 16.0f) / 2);      // first matrix, column 0: g = 1, 4
    EXPECT_FLOAT_EQ(s.col_var[3], (49.0f + 100.0f) / 2);    // second matrix, column 0: g = 7, 10
}

// 1-D (and 0-D) parameters keep the whole second moment.
TEST(Adafactor, VectorsKeepTheWholeVariance) {
    std::vector<double> p{1.0, -1.0}, g{0.5, 2.0};
    ParamGroup<Adafactor, double> group(Adafactor::Hyper{});
    group.add_param({p.data(), p.size()});
    const double* grads[] = {g.data()};
    group.step(grads);
    const auto& s = *group.states()[0];
    EXPECT_EQ(s.variance, (std::vector<double>{0.25, 4.0}));
    EXPECT_TRUE(s.row_var.empty());
}

// torch's messages.
TEST(Adafactor, ReferenceChecks) {
    Adafactor::Hyper h;
    h.lr = -1.0;
    EXPECT_THROW(Adafactor::validate(h), std::invalid_argument);
    h = Adafactor::Hyper{};
    h.beta2_decay = 0.5;
    EXPECT_THROW(Adafactor::validate(h), std::invalid_argument);
    h = Adafactor::Hyper{};
    h.eps.first = -1.0;
    EXPECT_THROW(Adafactor::validate(h), std::invalid_argument);
    h = Adafactor::Hyper{};
    h.eps.second = -1.0;
    EXPECT_THROW(Adafactor::validate(h), std::invalid_argument);
    h = Adafactor::Hyper{};
    h.d = 0.5;
    try {
        Adafactor::validate(h);
        FAIL();
    } catch (const std::invalid_argument& e) {
        EXPECT_STREQ(e.what(), "Clipping threshold d should be >= 1 but is: 0.5");
    }
}

// A state of the wrong kind for the parameter's shape is refused before anything changes.
TEST(Adafactor, AStateOfTheWrongShapeIsRefused) {
    std::vector<double> p(4, 1.0), g(4, 1.0);
    ParamGroup<Adafactor, double> group(Adafactor::Hyper{});
    group.add_param(matrix(p, 2, 2));
    Adafactor::State<double> wrong;
    wrong.variance.assign(4, 0.0);
    EXPECT_THROW(group.check_state(0, wrong, group.hyper()), std::invalid_argument);
    group.states()[0] = wrong;
    const double* grads[] = {g.data()};
    EXPECT_THROW(group.step(grads), std::invalid_argument);
    EXPECT_EQ(p, std::vector<double>(4, 1.0));
}
