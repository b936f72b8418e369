#include <gtest/gtest.h>

#include <cstdint>
#include <numeric>
#include <random>
#include <vector>

#include "gradkit/nn/legacy_random_state.hpp"

using gradkit::nn::LegacyRandomState;

// NumPy's MT19937 seeded with an int is the reference generator (init_genrand): std::mt19937 draws the
// same 32-bit words, across the regeneration of the key every 624 draws.
TEST(LegacyRandomState, Draws32BitWordsOfTheReferenceMersenneTwister) {
    for (std::uint32_t seed : {0u, 1u, 42u, 4294967295u}) {
        LegacyRandomState rs(seed);
        std::mt19937 ref(seed);
        for (int i = 0; i < 2000; ++i) ASSERT_EQ(rs.next_uint32(), ref()) << "seed " << seed << " draw " << i;
    }
}

// np.random.RandomState(0).random_sample(3)
TEST(LegacyRandomState, RandomSampleMatchesNumPy) {
    LegacyRandomState rs(0);
    EXPECT_EQ(rs.random_sample(), 0.5488135039273248);
    EXPECT_EQ(rs.random_sample(), 0.7151893663724195);
    EXPECT_EQ(rs.random_sample(), 0.6027633760716439);
}

// np.random.RandomState(12345).uniform(-0.5, 0.5, 2)
TEST(LegacyRandomState, UniformMatchesNumPy) {
    LegacyRandomState rs(12345);
    EXPECT_EQ(rs.uniform(-0.5, 0.5), 0.42961609281714785);
    EXPECT_EQ(rs.uniform(-0.5, 0.5), -0.1836244454182141);
}

// a = np.arange(10); np.random.RandomState(0).shuffle(a)
TEST(LegacyRandomState, ShuffleMatchesNumPy) {
    LegacyRandomState rs(0);
    std::vector<std::int64_t> a(10);
    std::iota(a.begin(), a.end(), 0);
    rs.shuffle(a.data(), a.size());
    EXPECT_EQ(a, (std::vector<std::int64_t>{2, 8, 4, 9, 1, 6, 7, 3, 0, 5}));
}

TEST(LegacyRandomState, StateRoundTripsAndContinuesTheStream) {
    LegacyRandomState a(7);
    for (int i = 0; i < 700; ++i) a.next_uint32();
    LegacyRandomState b(0);
    b.set_state(a.key(), a.pos());
    for (int i = 0; i < 1000; ++i) ASSERT_EQ(a.next_uint32(), b.next_uint32());
    EXPECT_THROW(b.set_state(a.key(), 625), std::invalid_argument);
    EXPECT_THROW(b.set_state(a.key(), -1), std::invalid_argument);
}

TEST(LegacyRandomState, IntervalStaysInRange) {
    LegacyRandomState rs(3);
    EXPECT_EQ(rs.interval(0), 0u);
    for (std::uint64_t max : {1ull, 2ull, 5ull, 1000ull, 4294967295ull, 4294967296ull, 1ull << 40})
        for (int i = 0; i < 200; ++i) ASSERT_LE(rs.interval(max), max);
}
