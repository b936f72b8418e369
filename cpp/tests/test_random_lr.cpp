#include <gtest/gtest.h>

#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <vector>

#include "gradkit/parallel.hpp"
#include "gradkit/schedules/random_lr.hpp"

using gradkit::schedules::RandomLR;

namespace {

RandomLR::Args args(double low, double high, std::int64_t every = 1) {
    RandomLR::Args a;
    a.low = low;
    a.high = high;
    a.resample_every = every;
    return a;
}

template <typename T>
std::vector<T> draw(const RandomLR::Args& a, std::uint64_t seed, std::int64_t d, std::uint64_t stream, std::size_t n) {
    std::vector<T> out(n);
    RandomLR::draw(a, seed, d, stream, out.data(), n);
    return out;
}

std::string message_of(const RandomLR::Args& a) {
    try {
        RandomLR::validate(a);
    } catch (const std::invalid_argument& e) {
        return e.what();
    }
    return "";
}

}  // namespace

TEST(RandomLR, DrawsInRangeWithTheMeanOfTheRange) {
    const auto m = draw<double>(args(0.5, 2.0), 7, 0, 0, 100000);
    double sum = 0;
    for (double x : m) {
        ASSERT_GE(x, 0.5);
        ASSERT_LE(x, 2.0);
        sum += x;
    }
    EXPECT_NEAR(sum / m.size(), 1.25, 0.01);  // the standard error is 0.0014
}

TEST(RandomLR, SameSeedDrawAndStreamGiveTheSameNumbersAndAnyChangeGivesOthers) {
    const auto a = args(0.0, 1.0);
    const auto base = draw<double>(a, 42, 3, 1, 1000);
    EXPECT_EQ(draw<double>(a, 42, 3, 1, 1000), base);
    EXPECT_NE(draw<double>(a, 43, 3, 1, 1000), base);
    EXPECT_NE(draw<double>(a, 42, 4, 1, 1000), base);
    EXPECT_NE(draw<double>(a, 42, 3, 2, 1000), base);
    // Element i does not depend on the array's length: a longer array starts with the same numbers.
    const auto longer = draw<double>(a, 42, 3, 1, 1500);
    EXPECT_EQ(std::vector<double>(longer.begin(), longer.begin() + 1000), base);
}

TEST(RandomLR, Float32IsTheFloat64DrawRounded) {
    const auto a = args(0.1, 3.0);
    const auto d = draw<double>(a, 5, 0, 0, 5000);
    const auto f = draw<float>(a, 5, 0, 0, 5000);
    for (std::size_t i = 0; i < d.size(); ++i) EXPECT_EQ(f[i], static_cast<float>(d[i]));
}

TEST(RandomLR, NumbersDoNotDependOnTheThreadCount) {
    const std::size_t n = std::size_t{1} << 18;  // large enough to be split between threads
    const int before = gradkit::max_threads();
    gradkit::set_max_threads(1);
    const auto one = draw<double>(args(0.0, 1.0), 9, 2, 0, n);
    gradkit::set_max_threads(2);
    const auto two = draw<double>(args(0.0, 1.0), 9, 2, 0, n);
    gradkit::set_max_threads(before);
    EXPECT_EQ(one, two);
}

TEST(RandomLR, AnEmptyRangeDrawsItsOnlyValue) {
    for (double x : draw<double>(args(0.75, 0.75), 1, 0, 0, 100)) EXPECT_EQ(x, 0.75);
}

TEST(RandomLR, DrawIndexChangesEveryResampleEverySteps) {
    const auto a = args(0.0, 1.0, 3);
    const std::int64_t expected[] = {0, 0, 0, 1, 1, 1, 2};
    for (std::int64_t t = 0; t < 7; ++t) EXPECT_EQ(RandomLR::draw_index(a, t), expected[t]);
    EXPECT_EQ(RandomLR::draw_index(a, -1), -1);
}

TEST(RandomLR, ValidationNamesTheBadArgument) {
    EXPECT_EQ(message_of(args(0.0, 0.0)), "");
    EXPECT_EQ(message_of(args(2.0, 1.0)), "Invalid low, high: 2.0, 1.0 (need low <= high)");
    EXPECT_EQ(message_of(args(-0.5, 1.0)), "Invalid low: -0.5 (multipliers must be finite and >= 0)");
    EXPECT_EQ(message_of(args(0.0, 1.0 / 0.0)), "Invalid high: inf (multipliers must be finite)");
    EXPECT_EQ(message_of(args(0.0, 1.0, 0)), "Invalid resample_every: 0 (must be at least 1)");
    std::vector<double> out(3, -1.0);
    EXPECT_THROW(RandomLR::draw(args(1.0, 0.0), 0, 0, 0, out.data(), out.size()), std::invalid_argument);
    EXPECT_EQ(out, std::vector<double>(3, -1.0));
}
