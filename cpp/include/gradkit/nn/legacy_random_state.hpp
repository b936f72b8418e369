// NumPy's legacy np.random.RandomState (MT19937), draw for draw: the generator scikit-learn's MLP uses
// for its initial weights (`uniform`) and its per-epoch minibatch order (`shuffle`).
//
// The state is NumPy's own: the 624-word key and the position that RandomState.get_state() returns and
// set_state() accepts. The Python layer hands the state of the estimator's RandomState (an int seed,
// None's global generator or an instance) to the core and takes it back, so the draws continue in
// Python exactly where the core left them. Seeding from an int is `RandomState(seed)` (mt19937_seed).
// Sources: numpy/random/src/mt19937/mt19937.{h,c}, numpy/random/src/legacy, numpy/random/mtrand.pyx.
#pragma once

#include <array>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>

#include "gradkit/optim/pointwise.hpp"

namespace gradkit::nn {

class LegacyRandomState {
public:
    static constexpr int kStateLength = 624;
    using Key = std::array<std::uint32_t, kStateLength>;

    // RandomState(seed) for an integer seed in [0, 2**32).
    explicit LegacyRandomState(std::uint32_t seed = 0) { this->seed(seed); }

    void seed(std::uint32_t s) {
        for (int i = 0; i < kStateLength; ++i) {
            key_[i] = s;
            s = 1812433253u * (s ^ (s >> 30)) + static_cast<std::uint32_t>(i) + 1u;
        }
        pos_ = kStateLength;
    }

    // RandomState.set_state(('MT19937', key, pos, ...)); pos is in [0, 624].
    void set_state(const Key& key, int pos) {
        if (pos < 0 || pos > kStateLength)
            throw std::invalid_argument("MT19937 state position must be in [0, 624], got " + std::to_string(pos));
        key_ = key;
        pos_ = pos;
    }
    const Key& key() const { return key_; }
    int pos() const { return pos_; }

    // mt19937_next32: the next 32 random bits.
    std::uint32_t next_uint32() {
        if (pos_ == kStateLength) generate();
        std::uint32_t y = key_[pos_++];
        y ^= y >> 11;
        y ^= (y << 7) & 0x9d2c5680u;
        y ^= (y << 15) & 0xefc60000u;
        y ^= y >> 18;
        return y;
    }

    std::uint64_t next_uint64() {
        const std::uint64_t hi = next_uint32();
        return (hi << 32) | next_uint32();
    }

    // RandomState.random_sample(): 53 random bits in [0, 1), from two 32-bit draws.
    double random_sample() {
        const std::int32_t a = static_cast<std::int32_t>(next_uint32() >> 5);
        const std::int32_t b = static_cast<std::int32_t>(next_uint32() >> 6);
        return (a * 67108864.0 + b) / 9007199254740992.0;
    }

    // RandomState.uniform(low, high): low + (high - low) * random_sample(), each operation rounded
    // (no fused multiply-add), as NumPy's random_uniform computes it.
    double uniform(double low, double high) {
        const double range = high - low;
        return optim::plus(low, range * random_sample());
    }

    // random_interval(max): uniform on [0, max] by masked rejection, as the legacy shuffle draws.
    std::uint64_t interval(std::uint64_t max) {
        if (max == 0) return 0;
        std::uint64_t mask = max;
        mask |= mask >> 1;
        mask |= mask >> 2;
        mask |= mask >> 4;
        mask |= mask >> 8;
        mask |= mask >> 16;
        mask |= mask >> 32;
        std::uint64_t value;
        if (max <= 0xffffffffull) {
            while ((value = (next_uint32() & mask)) > max) {
            }
        } else {
            while ((value = (next_uint64() & mask)) > max) {
            }
        }
        return value;
    }

    // RandomState.shuffle(x) on a 1-d array: Fisher-Yates from the end. sklearn's
    // `shuffle(sample_idx, random_state=rs)` shuffles np.arange(n) this way and indexes sample_idx with
    // it, which is the same as shuffling sample_idx itself.
    template <typename I>
    void shuffle(I* x, std::size_t n) {
        for (std::size_t i = n; i-- > 1;) {
            const auto j = static_cast<std::size_t>(interval(i));
            const I t = x[j];
            x[j] = x[i];
            x[i] = t;
        }
    }

private:
    // mt19937_gen: the next 624 words of the key.
    void generate() {
        constexpr int N = kStateLength, M = 397;
        constexpr std::uint32_t matrix_a = 0x9908b0dfu, upper = 0x80000000u, lower = 0x7fffffffu;
        auto twist = [&](int i, int next, int far) {
            const std::uint32_t y = (key_[i] & upper) | (key_[next] & lower);
            key_[i] = key_[far] ^ (y >> 1) ^ ((0u - (y & 1u)) & matrix_a);
        };
        int i = 0;
        for (; i < N - M; ++i) twist(i, i + 1, i + M);
        for (; i < N - 1; ++i) twist(i, i + 1, i + M - N);
        twist(N - 1, 0, M - 1);
        pos_ = 0;
    }

    Key key_{};
    int pos_ = kStateLength;
};

}  // namespace gradkit::nn
