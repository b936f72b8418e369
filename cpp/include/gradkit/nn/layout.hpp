// Where an MLP's weights lie in one flat buffer: every layer's coefficients, then every layer's
// intercepts, each coefficient block a row-major (fan_in, fan_out) matrix.
//
// This is the order of sklearn's `_pack(coefs_, intercepts_)`, the vector its L-BFGS solver works on,
// and each block is what NumPy sees as coefs_[i] / intercepts_[i], so Python can view the blocks in
// place. Gradients use the same layout, so an optimizer updates the whole network in one flat pass.
#pragma once

#include <cstddef>
#include <limits>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

namespace gradkit::nn {

class Layout {
public:
    // layer_units = [n_features, hidden..., n_outputs], as sklearn's `layer_units`.
    explicit Layout(std::vector<std::size_t> layer_units) : units_(std::move(layer_units)) {
        if (units_.size() < 2)
            throw std::invalid_argument("layer_units needs at least 2 entries (inputs and outputs), got " +
                                        std::to_string(units_.size()));
        for (std::size_t i = 0; i < units_.size(); ++i)
            if (units_[i] == 0)
                throw std::invalid_argument("layer_units[" + std::to_string(i) + "] must be at least 1, got 0");
        const std::size_t layers = units_.size() - 1;
        coef_offset_.resize(layers);
        intercept_offset_.resize(layers);
        std::size_t at = 0;
        for (std::size_t l = 0; l < layers; ++l) {
            coef_offset_[l] = at;
            at = checked_add(at, checked_mul(units_[l], units_[l + 1]));
        }
        for (std::size_t l = 0; l < layers; ++l) {
            intercept_offset_[l] = at;
            at = checked_add(at, units_[l + 1]);
        }
        size_ = at;
    }

    const std::vector<std::size_t>& layer_units() const { return units_; }
    // Weight layers (sklearn's n_layers_ - 1); layer l maps units[l] inputs to units[l + 1] outputs.
    std::size_t n_weight_layers() const { return units_.size() - 1; }
    std::size_t n_features() const { return units_.front(); }
    std::size_t n_outputs() const { return units_.back(); }
    std::size_t fan_in(std::size_t l) const { return units_[l]; }
    std::size_t fan_out(std::size_t l) const { return units_[l + 1]; }

    std::size_t coef_offset(std::size_t l) const { return coef_offset_[l]; }
    std::size_t coef_size(std::size_t l) const { return units_[l] * units_[l + 1]; }
    std::size_t intercept_offset(std::size_t l) const { return intercept_offset_[l]; }
    // Coefficients of all layers come first: [0, n_coefs()) is what the L2 penalty covers.
    std::size_t n_coefs() const { return intercept_offset_.front(); }
    // Total number of parameters.
    std::size_t size() const { return size_; }

    bool operator==(const Layout& other) const { return units_ == other.units_; }
    bool operator!=(const Layout& other) const { return !(*this == other); }

private:
    static std::size_t checked_mul(std::size_t a, std::size_t b) {
        if (b != 0 && a > std::numeric_limits<std::size_t>::max() / b)
            throw std::length_error("layer_units: the network has too many parameters");
        return a * b;
    }
    static std::size_t checked_add(std::size_t a, std::size_t b) {
        if (a > std::numeric_limits<std::size_t>::max() - b)
            throw std::length_error("layer_units: the network has too many parameters");
        return a + b;
    }

    std::vector<std::size_t> units_;
    std::vector<std::size_t> coef_offset_, intercept_offset_;
    std::size_t size_ = 0;
};

}  // namespace gradkit::nn
