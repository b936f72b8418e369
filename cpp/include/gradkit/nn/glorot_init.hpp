// scikit-learn's initial weights (`_init_coef`): Glorot uniform for coefficients *and* intercepts,
// bound sqrt(factor / (fan_in + fan_out)) with factor 6, or 2 when the hidden activation is logistic.
#pragma once

#include <cmath>
#include <cstddef>

#include "gradkit/nn/activation.hpp"
#include "gradkit/nn/legacy_random_state.hpp"
#include "gradkit/nn/mlp.hpp"

namespace gradkit::nn {

// np.sqrt(factor / (fan_in + fan_out)).
inline double glorot_bound(std::size_t fan_in, std::size_t fan_out, Activation hidden) {
    const double factor = hidden == Activation::logistic ? 2.0 : 6.0;
    return std::sqrt(factor / static_cast<double>(fan_in + fan_out));
}

// For each layer in order: coefs_[l] = rs.uniform(-b, b, (fan_in, fan_out)), then
// intercepts_[l] = rs.uniform(-b, b, fan_out), drawn in double and rounded to T as sklearn's
// astype(dtype) does. The same numbers sklearn's `_initialize` draws from the same RandomState.
template <typename T>
void glorot_uniform_init(MLP<T>& net, LegacyRandomState& rs) {
    const Layout& layout = net.layout();
    for (std::size_t l = 0; l < layout.n_weight_layers(); ++l) {
        const double b = glorot_bound(layout.fan_in(l), layout.fan_out(l), net.hidden_activation());
        T* w = net.coef(l);
        for (std::size_t i = 0; i < layout.coef_size(l); ++i) w[i] = static_cast<T>(rs.uniform(-b, b));
        T* c = net.intercept(l);
        for (std::size_t i = 0; i < layout.fan_out(l); ++i) c[i] = static_cast<T>(rs.uniform(-b, b));
    }
}

}  // namespace gradkit::nn
