// A group of parameters sharing one optimizer's hyperparameters, with per-parameter state.
//
// An algorithm `Algo` is a policy class (as in ensmallen) providing:
//   Algo::name                                   torch's class name
//   Algo::Hyper { ...; visit(v) }                hyperparameters, visited by torch's key names
//   Algo::validate(const Hyper&)                 throws std::invalid_argument with torch's message
//   Algo::State<T> { ...; visit(v) }             per-parameter state, visited by torch's key names
//   Algo::init(hyper, state, param, n)           torch's lazy state initialisation
//   Algo::update(hyper, state, param, grad, n)   one step on one array, in place, one fused pass
#pragma once

#include <cstddef>
#include <optional>
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
            Algo::update(hyper_, *states_[i], p.data, grads[i], p.size);
        }
    }

    const Hyper& hyper() const { return hyper_; }
    // Replaces the hyperparameters only if they are valid (validate before mutating).
    void set_hyper(const Hyper& hyper) {
        Algo::validate(hyper);
        hyper_ = hyper;
    }

    const std::vector<ArrayRef<T>>& params() const { return params_; }
    std::vector<std::optional<State>>& states() { return states_; }
    const std::vector<std::optional<State>>& states() const { return states_; }

private:
    Hyper hyper_;
    std::vector<ArrayRef<T>> params_;
    std::vector<std::optional<State>> states_;
};

}  // namespace gradkit::optim
