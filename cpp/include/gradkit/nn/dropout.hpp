// Inverted dropout on the hidden layers' outputs during training steps: each unit of each row is
// dropped (set to 0) with its layer's rate p, and kept units are scaled by 1 / (1 - p), so that a
// layer's expected output is unchanged and prediction uses the network as it is.
//
// The masks come from a counter-based generator: whether unit j of row r of hidden layer l is dropped
// at training step s is a hash (splitmix64's mixing function, chained) of (seed, s, l, r, j), where r
// is the row's position in the minibatch. A mask therefore depends neither on how backprop splits a
// batch among threads nor on the order rows are computed in, and a step's masks can be recomputed in
// the backward pass instead of being stored.
#pragma once

#include <cmath>
#include <cstddef>
#include <cstdint>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradkit::nn {

namespace detail {

// splitmix64's output function: a bijection of 64-bit words whose every output bit depends on every
// input bit.
inline std::uint64_t mix64(std::uint64_t z) {
    z += 0x9e3779b97f4a7c15ULL;
    z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9ULL;
    z = (z ^ (z >> 27)) * 0x94d049bb133111ebULL;
    return z ^ (z >> 31);
}

}  // namespace detail

// The dropout of a network: one rate per hidden layer (0: none), and the seed of its masks.
class Dropout {
public:
    Dropout() = default;
    Dropout(std::vector<double> rates, std::uint64_t seed) : rates_(std::move(rates)), seed_(seed) {
        for (std::size_t l = 0; l < rates_.size(); ++l)
            if (!(rates_[l] >= 0.0 && rates_[l] < 1.0))
                throw std::invalid_argument("dropout rate of hidden layer " + std::to_string(l) +
                                            " must be in [0, 1), got " + std::to_string(rates_[l]));
    }

    const std::vector<double>& rates() const { return rates_; }
    std::uint64_t seed() const { return seed_; }
    // Whether hidden layer l drops anything.
    bool on(std::size_t l) const { return l < rates_.size() && rates_[l] > 0.0; }
    bool any() const {
        for (std::size_t l = 0; l < rates_.size(); ++l)
            if (on(l)) return true;
        return false;
    }

    // Applies step `step`'s mask of hidden layer l to rows [rb, re) of a (rows × cols, row-major):
    // out = a · mask / (1 - p). With out == a, in place (the backward pass's delta).
    template <typename T>
    void apply(std::size_t l, std::uint64_t step, const T* a, T* out, std::size_t cols, std::size_t rb,
               std::size_t re) const {
        const double p = rates_[l];
        // u = (hash >> 11) / 2^53 is uniform in [0, 1); dropped iff u < p, i.e. hash >> 11 < ceil(p · 2^53).
        const auto cut = static_cast<std::uint64_t>(std::ceil(p * 9007199254740992.0));
        const T scale = static_cast<T>(1.0 / (1.0 - p));
        const std::uint64_t layer_key = detail::mix64(detail::mix64(detail::mix64(seed_) ^ step) ^ l);
        for (std::size_t r = rb; r < re; ++r) {
            const std::uint64_t row_key = detail::mix64(layer_key ^ r);
            const T* in = a + r * cols;  // may be out itself
            T* o = out + r * cols;
            for (std::size_t j = 0; j < cols; ++j) {
                const bool dropped = (detail::mix64(row_key ^ j) >> 11) < cut;
                o[j] = dropped ? T(0) : in[j] * scale;
            }
        }
    }

private:
    std::vector<double> rates_;
    std::uint64_t seed_ = 0;
};

// The masks of one training step: none (`dropout` null, or dropping nothing) or step `step` of `dropout`.
struct DropoutStep {
    const Dropout* dropout = nullptr;
    std::uint64_t step = 0;
    bool on(std::size_t l) const { return dropout && dropout->on(l); }
};

// A dropout and the count of steps whose masks it has drawn: each training step takes the next.
struct DropoutStream {
    Dropout dropout;
    std::uint64_t steps = 0;
    DropoutStep next() { return dropout.any() ? DropoutStep{&dropout, steps++} : DropoutStep{}; }
};

}  // namespace gradkit::nn
