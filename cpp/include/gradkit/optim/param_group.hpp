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
//
// and may add, where its step needs more than one array at a time (each detected, so the others need none):
//   Algo::group_state                            names of Hyper fields that a step or a mode switch changes
//                                                (torch keeps them in the group's dict: Schedule-Free's k,
//                                                Prodigy's d); the bindings copy them back after each
//   Algo::step_group(hyper, params, states, grads, scales)
//                                                the whole group's step, replacing the per-parameter loop:
//                                                group-level quantities, or the parameters' shapes (ArrayRef)
//   Algo::step_groups(groups, grads)             every group's step at once (Prodigy's d is one estimate over
//                                                all groups); step_groups() below calls it
//   Algo::check_step(hyper)                      throws std::invalid_argument when no step may be taken now
//                                                (Schedule-Free in eval mode); called before anything changes
//   Algo::set_mode(hyper, params, states, train) train() / eval(): which point the parameters hold
//   Algo::reads_shapes = true                    its step reads rows/cols (callers then pass shaped arrays)
//   Algo::check_state(hyper, state, param)       throws std::invalid_argument when a loaded state cannot be
//                                                param's (buffer sizes that follow its shape or the hyper-
//                                                parameters: Adafactor's factors, Prodigy's sliced s)
//   Algo::refuse_param(const ArrayRef<T>&)       why the algorithm cannot take this parameter (Muon: any
//                                                but a matrix), or "" when it can; add_param throws with it,
//                                                and the bindings check every array with it before adding any
//   State<T>::visit may pass a BufferShape (buffer_shape.hpp) for buffers not shaped like their parameter.
// An algorithm with step_group or step_groups needs no update (init is still called for a state's defaults).
#pragma once

#include <cstddef>
#include <iterator>
#include <optional>
#include <stdexcept>
#include <string>
#include <type_traits>
#include <utility>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/each_stepped.hpp"

namespace gradkit::optim {

namespace detail {
template <class Algo, class = void>
struct has_step_group : std::false_type {};
template <class Algo>
struct has_step_group<Algo, std::void_t<decltype(&Algo::template step_group<float>)>> : std::true_type {};
template <class Algo, class = void>
struct has_step_groups : std::false_type {};
template <class Algo>
struct has_step_groups<Algo, std::void_t<decltype(&Algo::template step_groups<float>)>> : std::true_type {};
template <class Algo, class = void>
struct has_check_step : std::false_type {};
template <class Algo>
struct has_check_step<Algo, std::void_t<decltype(&Algo::check_step)>> : std::true_type {};
template <class Algo, class = void>
struct has_check_state : std::false_type {};
template <class Algo>
struct has_check_state<Algo, std::void_t<decltype(&Algo::template check_state<float>)>> : std::true_type {};
template <class Algo, class = void>
struct has_set_mode : std::false_type {};
template <class Algo>
struct has_set_mode<Algo, std::void_t<decltype(&Algo::template set_mode<float>)>> : std::true_type {};
template <class Algo, class = void>
struct has_refuse_param : std::false_type {};
template <class Algo>
struct has_refuse_param<Algo, std::void_t<decltype(&Algo::template refuse_param<float>)>> : std::true_type {};
template <class Algo, class = void>
struct has_group_state : std::false_type {};
template <class Algo>
struct has_group_state<Algo, std::void_t<decltype(Algo::group_state)>> : std::true_type {};
}  // namespace detail

// Whether Algo's step reads its parameters' shapes (Algo::reads_shapes = true: Adafactor, Muon), so that a
// caller holding a network in one flat buffer gives it the layers' arrays rather than one 1-D view.
template <class Algo, class = void>
inline constexpr bool reads_shapes = false;
template <class Algo>
inline constexpr bool reads_shapes<Algo, std::void_t<decltype(Algo::reads_shapes)>> = Algo::reads_shapes;

// The names of the Hyper fields a step or a mode switch changes (Algo::group_state), or none.
template <class Algo>
std::vector<std::string> group_state_names() {
    if constexpr (detail::has_group_state<Algo>::value)
        return {std::begin(Algo::group_state), std::end(Algo::group_state)};
    else
        return {};
}

// Whether Algo's parameters hold another point for evaluation than for training (Schedule-Free, Lookahead).
template <class Algo>
inline constexpr bool has_modes = detail::has_set_mode<Algo>::value;

// Whether Algo's step spans every param group at once (Prodigy's d): its groups must be stepped together.
template <class Algo>
inline constexpr bool spans_groups = detail::has_step_groups<Algo>::value;

template <class Algo, typename T>
class ParamGroup {
public:
    using Hyper = typename Algo::Hyper;
    using State = typename Algo::template State<T>;

    explicit ParamGroup(Hyper hyper) : hyper_(std::move(hyper)) { Algo::validate(hyper_); }

    // Why Algo cannot take `param` (e.g. Muon takes matrices only), or "" when it can.
    static std::string refusal(const ArrayRef<T>& param) {
        if constexpr (detail::has_refuse_param<Algo>::value)
            return Algo::refuse_param(param);
        else
            return {};
    }

    // Throws std::invalid_argument, adding nothing, when the algorithm refuses the parameter.
    void add_param(ArrayRef<T> param) {
        const std::string why = refusal(param);
        if (!why.empty())
            throw std::invalid_argument("params[" + std::to_string(params_.size()) + "] has shape " +
                                        shape_string(param) + ": " + why);
        params_.push_back(param);
        states_.emplace_back();
        if (!scales_.empty()) scales_.push_back({});
    }

    // Throws std::invalid_argument when the algorithm refuses to step now; nothing has changed then.
    void check_step() const {
        if constexpr (detail::has_check_step<Algo>::value) Algo::check_step(hyper_);
    }

    // One optimisation step. grads[i] belongs to params()[i]; a null gradient skips that parameter
    // (torch skips parameters whose .grad is None). The caller has checked sizes.
    void step(const T* const* grads) {
        check_step();
        if constexpr (detail::has_step_group<Algo>::value) {
            Algo::step_group(hyper_, params_, states_, grads, scales_);
        } else if constexpr (detail::has_step_groups<Algo>::value) {
            // An optimizer-wide step with one group.
            std::vector<ParamGroup*> self{this};
            std::vector<const T* const*> g{grads};
            Algo::step_groups(self, g);
        } else {  // an algorithm with a step_group needs no per-array update
            each_stepped(
                params_, states_, grads, scales_,
                [&](State& s, const ArrayRef<T>& p) { Algo::init(hyper_, s, p.data, p.size); },
                [&](std::size_t i, State& s, const T* scale) {
                    Algo::update(hyper_, s, params_[i].data, grads[i], params_[i].size, scale);
                });
        }
    }

    // Throws std::invalid_argument when `state` cannot be params()[i]'s under `hyper` (Algo::check_state);
    // changes nothing.
    void check_state(std::size_t i, const State& state, const Hyper& hyper) const {
        if constexpr (detail::has_check_state<Algo>::value) Algo::check_state(hyper, state, params_[i]);
    }

    // train() (true) or eval() (false): algorithms whose parameters hold another point for evaluation
    // move them there and back; for the others this does nothing.
    void set_mode(bool train) {
        if constexpr (has_modes<Algo>) Algo::set_mode(hyper_, params_, states_, train);
    }

    const Hyper& hyper() const { return hyper_; }
    // The hyperparameters including the group state a step updates, for an optimizer-wide step
    // (Algo::step_groups); anything else goes through set_hyper, which validates.
    Hyper& hyper_for_step() { return hyper_; }
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

// One step of every group, grads[g] the gradients of groups[g]: the algorithm's optimizer-wide step where it
// has one, else each group's own. Every group's check_step runs before any array changes.
template <class Algo, typename T>
void step_groups(const std::vector<ParamGroup<Algo, T>*>& groups, const std::vector<const T* const*>& grads) {
    for (const auto* g : groups) g->check_step();
    if constexpr (detail::has_step_groups<Algo>::value) {
        Algo::step_groups(groups, grads);
    } else {
        for (std::size_t i = 0; i < groups.size(); ++i) groups[i]->step(grads[i]);
    }
}

}  // namespace gradkit::optim
