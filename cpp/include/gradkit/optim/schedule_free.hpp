// What Schedule-Free SGD and AdamW (Defazio et al. 2024; schedulefree 1.4.1's sgd_schedulefree.py and
// adamw_schedulefree.py) share: the group-level averaging weights, the refusal to step in eval mode, and
// train() / eval(), which move the parameters between the two points the method keeps.
//
// Schedule-Free keeps z (the SGD / Adam iterate) and x (the average of the z's, the point to evaluate at)
// and takes gradients at y = (1 - beta1) z + beta1 x. The parameters hold y while training and x for
// evaluation; x itself is never stored. Each step, with ckp1 the new point's weight in the average:
//   y <- lerp(y, z, ckp1) + lr (beta1 (1 - ckp1) - 1) g;  z <- z - lr g
// (with weight decay at y folded into g). The group's scalars (k, lr_max, weight_sum, scheduled_lr,
// train_mode) live in its Hyper, as the reference keeps them in the group's dict (param_group.hpp's
// group_state).
#pragma once

#include <algorithm>
#include <cmath>
#include <cstddef>
#include <cstdint>
#include <optional>
#include <string>
#include <vector>

#include "gradkit/optim/array_ref.hpp"
#include "gradkit/optim/check.hpp"
#include "gradkit/optim/pointwise.hpp"
#include "gradkit/parallel.hpp"

namespace gradkit::optim::schedule_free {

// The averaging's arguments and the group state, which both algorithms' Hyper inherit (after their own
// fields, in the reference's order), so that each visits them once, by the reference's keys.
struct Averaging {
    std::int64_t warmup_steps = 0;
    double r = 0.0;
    double weight_lr_power = 2.0;
    // The group's state, kept with its hyperparameters as in the reference's group dict.
    std::int64_t k = 0;
    bool train_mode = false;
    double weight_sum = 0.0;
    double lr_max = -1.0;
    double scheduled_lr = 0.0;

    template <class V>
    void visit_averaging(V&& v) {
        v("warmup_steps", warmup_steps);
        v("r", r);
        v("weight_lr_power", weight_lr_power);
        v("k", k);
        v("train_mode", train_mode);
        v("weight_sum", weight_sum);
        v("lr_max", lr_max);
        v("scheduled_lr", scheduled_lr);
    }
};

// The Hyper fields a step or a mode switch changes, in the reference's group dict.
inline constexpr const char* kGroupState[] = {"k", "train_mode", "weight_sum", "lr_max", "scheduled_lr"};

// y's step coefficient lr (beta1 (1 - ckp1) - 1), rounded as Python's floats are (plus() keeps GCC from
// fusing the product into the subtraction, which would change the last bit of the scalar).
inline double y_rate(double lr, double beta1, double ckp1) { return lr * plus(beta1 * (1 - ckp1), -1.0); }

// One step's group-level scalars.
struct StepScalars {
    double lr;    // the scheduled lr: lr * min(1, (k + 1) / warmup_steps)
    double ckp1;  // the new point's weight in the average x
};

// The reference's per-group preamble, in double as its Python floats: the warm-up, lr_max, the weight
// (k+1)^r lr_max^weight_lr_power and its running sum. Updates the group state except k (advanced after the
// arrays). ckp1 is 0 where the reference's weight / weight_sum raises ZeroDivisionError (weight_sum 0:
// every lr so far was 0).
template <class Hyper>
StepScalars begin_step(Hyper& h) {
    const double sched =
        h.k < h.warmup_steps ? static_cast<double>(h.k + 1) / static_cast<double>(h.warmup_steps) : 1.0;
    const double lr = h.lr * sched;
    h.scheduled_lr = lr;
    h.lr_max = h.lr_max < lr ? lr : h.lr_max;  // Python's max(lr, lr_max)
    const double weight = std::pow(static_cast<double>(h.k + 1), h.r) * std::pow(h.lr_max, h.weight_lr_power);
    h.weight_sum = plus(h.weight_sum, weight);  // not fused with the product: Python rounds each
    const double ckp1 = h.weight_sum == 0.0 ? 0.0 : weight / h.weight_sum;
    return {lr, ckp1};
}

// What both algorithms check of the scalars they share (the reference checks none of these; each fails
// there later, or silently: a negative warm-up never warms up, a negative weight_lr_power raises
// ZeroDivisionError on 0 ** -p, k < 0 gives 0 ** r).
template <class Hyper>
void validate_shared(const Hyper& h) {
    if (h.warmup_steps < 0) invalid("Invalid warmup_steps value: " + std::to_string(h.warmup_steps));
    if (!std::isfinite(h.r)) invalid("Invalid r value: " + repr(h.r));
    if (!(0.0 <= h.weight_lr_power && std::isfinite(h.weight_lr_power)))
        invalid("Invalid weight_lr_power value: " + repr(h.weight_lr_power));
    if (h.k < 0) invalid("Invalid k (the group's step count): " + std::to_string(h.k));
    require_nonnegative(h.weight_sum, "weight_sum (the group's sum of averaging weights)");
}

// step() in eval mode: the parameters hold x, not the point y gradients are taken at. The reference raises
// a bare Exception with its first sentence; a std::invalid_argument becomes Python's ValueError.
inline void refuse_eval_mode(const char* name) {
    invalid(std::string(name) +
            ": Optimizer was not in train mode when step is called. The parameters hold the evaluation point "
            "x; call opt.train() before step() (and opt.eval() before evaluating the model or saving a "
            "checkpoint).");
}

// p <- lerp(p, z, weight) for every parameter that has a state (the reference's `if 'z' in state`).
template <typename T, class States>
void lerp_to_z(const std::vector<ArrayRef<T>>& params, const States& states, double weight) {
    const T w = static_cast<T>(weight);
    for (std::size_t i = 0; i < params.size(); ++i) {
        if (!states[i]) continue;
        T* p = params[i].data;
        const T* z = states[i]->z.data();
        parallel_chunks(params[i].size, [=](std::size_t b, std::size_t e) {
            for (std::size_t j = b; j < e; ++j) p[j] = lerp(p[j], z[j], w);
        });
    }
}

// train() / eval(): eval moves y to x = lerp(y, z, 1 - 1/beta1), train moves x back to y = lerp(x, z, 1 - beta1)
// (torch.lerp's rounding); either does nothing when the group is already in that mode.
template <class Hyper, typename T, class States>
void set_mode(Hyper& h, double beta1, const std::vector<ArrayRef<T>>& params, const States& states, bool train) {
    if (h.train_mode == train) return;
    lerp_to_z(params, states, train ? 1.0 - beta1 : 1.0 - 1.0 / beta1);
    h.train_mode = train;
}

}  // namespace gradkit::optim::schedule_free
