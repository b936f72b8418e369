// The loop of every per-parameter step: each parameter with a gradient, its state created lazily first
// (torch creates state at a parameter's first step, and skips a parameter whose .grad is None). ParamGroup's
// step and the algorithms' own step_group hooks (param_group.hpp) share it.
#pragma once

#include <cstddef>
#include <optional>
#include <vector>

#include "gradkit/optim/array_ref.hpp"

namespace gradkit::optim {

// Calls step(i, state, scale) for every i with grads[i] not null, in order, after make(state, params[i])
// where params[i] has no state yet. scale is params[i]'s lr multipliers, or null (none, or no scales).
template <typename T, class State, class Make, class Step>
void each_stepped(const std::vector<ArrayRef<T>>& params, std::vector<std::optional<State>>& states,
                  const T* const* grads, const std::vector<ArrayRef<const T>>& scales, Make&& make, Step&& step) {
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (grads[i] == nullptr) continue;
        if (!states[i]) {
            states[i].emplace();
            make(*states[i], params[i]);
        }
        step(i, *states[i], scales.empty() ? nullptr : scales[i].data);
    }
}

}  // namespace gradkit::optim
