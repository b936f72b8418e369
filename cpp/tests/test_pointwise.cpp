#include <gtest/gtest.h>

#include <cmath>
#include <limits>

#include "gradkit/optim/check.hpp"
#include "gradkit/optim/pointwise.hpp"

using namespace gradkit::optim;

namespace {
// Keeps the compiler from folding the arithmetic at compile time.
double opaque(double x) {
    volatile double v = x;
    return v;
}
}  // namespace

// (1 + 2^-30)(1 - 2^-30) = 1 - 2^-60 rounds to 1, so a rounded product plus -1 is 0; fused it is -2^-60.
TEST(Pointwise, PlusKeepsTheProductRounded) {
    const double a = opaque(1 + std::ldexp(1.0, -30)), b = opaque(1 - std::ldexp(1.0, -30));
    const double product = a * b;
    EXPECT_EQ(plus(product, opaque(-1.0)), 0.0);
    EXPECT_EQ(fmadd(a, b, opaque(-1.0)), -std::ldexp(1.0, -60));
}

TEST(Pointwise, LerpUsesTorchsTwoFormulas) {
    const double start = opaque(0.1), end = opaque(0.7);
    EXPECT_EQ(lerp(start, end, 0.25), std::fma(0.25, end - start, start));
    EXPECT_EQ(lerp(start, end, 0.75), std::fma(0.75 - 1, end - start, end));
    EXPECT_EQ(lerp(start, end, 1.0), end);  // exact at the end point, unlike start + w * (end - start)
    // |weight| = 0.5 already takes the second formula, on both sides.
    EXPECT_EQ(lerp(start, end, 0.5), std::fma(0.5 - 1, end - start, end));
    EXPECT_EQ(lerp(start, end, -0.5), std::fma(-0.5 - 1, end - start, end));
    EXPECT_EQ(lerp(start, end, -0.25), std::fma(-0.25, end - start, start));
    EXPECT_TRUE(std::isnan(lerp(start, end, std::numeric_limits<double>::quiet_NaN())));
}

TEST(Pointwise, SignIsZeroForNan) {
    EXPECT_EQ(sgn(-3.0f), -1.0f);
    EXPECT_EQ(sgn(0.0), 0.0);
    EXPECT_EQ(sgn(std::numeric_limits<double>::quiet_NaN()), 0.0);
    EXPECT_EQ(isgn(-0.0f), 0);
    EXPECT_EQ(isgn(std::numeric_limits<float>::infinity()), 1);
    EXPECT_EQ(isgn(std::numeric_limits<float>::quiet_NaN()), 0);
}

TEST(Pointwise, ClampLikeTorch) {
    EXPECT_EQ(clamp(5.0, 1.0, 2.0), 2.0);
    EXPECT_EQ(clamp(-5.0, 1.0, 2.0), 1.0);
    EXPECT_EQ(clamp(1.5, 2.0, 1.0), 1.0);  // lo > hi: hi wins
    EXPECT_TRUE(std::isnan(clamp(std::numeric_limits<double>::quiet_NaN(), 1.0, 2.0)));
}

// Messages quote numbers as torch's f-strings do (Python's repr).
TEST(Check, ReprWritesNumbersAsPython) {
    using gradkit::optim::repr;
    EXPECT_EQ(repr(-1e-4), "-0.0001");
    EXPECT_EQ(repr(1e-5), "1e-05");
    EXPECT_EQ(repr(1.5e-7), "1.5e-07");
    EXPECT_EQ(repr(0.1), "0.1");
    EXPECT_EQ(repr(2.0), "2.0");
    EXPECT_EQ(repr(123.25), "123.25");
    EXPECT_EQ(repr(1e15), "1000000000000000.0");
    EXPECT_EQ(repr(1e16), "1e+16");
    EXPECT_EQ(repr(-0.0), "-0.0");
    EXPECT_EQ(repr(1e300), "1e+300");
    EXPECT_EQ(repr(std::nan("")), "nan");
    EXPECT_EQ(repr(-HUGE_VAL), "-inf");
}
