// A group of parameters sharing one optimizer's hyperparameters, with per-parameter state.
//
// An algorithm `Algo` is a policy class (as in ensmallen) providing:
//   Algo::name                                   torch's class name
//   Algo::Hyper { ...; visit(v) }                hyperparameters, visited by torch's key names
//   Algo::validate(const Hyper&)                 throws std::invalid_argument with torch's message
//   Algo::State<T> { ...; visit(v) }             per-parameter state, visited by torch's key names
//   Algo::init(hyper, state, param, n)           torch's lazy state initialisation
//   Algo::update(hyper, state, param, grad, n, scale)
//                                                one step on one array, in place, one fused pass; scale is
//                                                null, or n per-element lr multipliers: element i steps with
//                                                lr * scale[i] (lr_scale.hpp says how the kernels apply it)
#pragma once

#include <cstddef>
#include <optional>
#include <stdexcept>
#include <string>
#include <utility>
#include <vector>

#include "gradkit/optim/array_ref.hpp"

namespace gradkit::optim {

template <class Algo, typename T>
class ParamGroup {
public:
    using Hyper = typename Algo::Hyper;
    using State = typename Algo::template State<T>;

    explicit ParamGroup(Hyper hyper) : hyper_(std::move(hyper)) { Algo::validate(hyper_); }

    void add_param(ArrayRef<T> param) {
        params_.push_back(param);
        states_.emplace_back();
        if (!scales_.empty()) scales_.push_back({});
    }

    // One optimisation step. grads[i] belongs to params()[i]; a null gradient skips that parameter
    // (torch skips parameters whose .grad is None). The caller has checked sizes.
    void step(const T* const* grads) {
        for (std::size_t i = 0; i < params_.size(); ++i) {
            if (grads[i] == nullptr) continue;
            ArrayRef<T> p = params_[i];
            if (!states_[i]) {
                states_[i].emplace();
                Algo::init(hyper_, *states_[i], p.data, p.size);
            }
            const T* scale = scales_.empty() ? nullptr : scales_[i].data;
            Algo::update(hyper_, *states_[i], p.data, grads[i], p.size, scale);
        }
    }

    const Hyper& hyper() const { return hyper_; }
    // Replaces the hyperparameters only if they are valid (validate before mutating).
    void set_hyper(const Hyper& hyper) {
        Algo::validate(hyper);
        hyper_ = hyper;
    }

    // Per-element lr multipliers: scales[i] belongs to params()[i], with its size, or has null data (that
    // parameter steps with lr itself). The group reads the caller's buffers at every step, and does not own
    // them: they must outlive the group or be cleared. Their values are the caller's to check
    // (require_valid_lr_scale). Parameters added later step unscaled.
    void set_lr_scales(std::vector<ArrayRef<const T>> scales) {
        if (scales.size() != params_.size())
            throw std::invalid_argument("expected " + std::to_string(params_.size()) + " lr_scale arrays, got " +
                                        std::to_string(scales.size()));
        for (std::size_t i = 0; i < scales.size(); ++i)
            if (scales[i].data != nullptr && scales[i].size != params_[i].size)
                throw std::invalid_argument("lr_scale[" + std::to_string(i) + "] has " + std::to_string(scales[i].size) +
                                            " elements, its parameter " + std::to_string(params_[i].size));
        scales_ = std::move(scales);
    }
    void clear_lr_scales() { scales_.clear(); }
    // Empty when the group has none.
    const std::vector<ArrayRef<const T>>& lr_scales() const { return scales_; }

    const std::vector<ArrayRef<T>>& params() const { return params_; }
    std::vector<std::optional<State>>& states() { return states_; }
    const std::vector<std::optional<State>>& states() const { return states_; }

private:
    Hyper hyper_;
    std::vector<ArrayRef<T>> params_;
    std::vector<std::optional<State>> states_;
    std::vector<ArrayRef<const T>> scales_;
};

}  // namespace gradkit::optim
