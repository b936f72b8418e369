// Step-driven learning-rate schedules: torch.optim.lr_scheduler's numbers for one param group.
//
// A schedule `S` is a policy struct (as the optimizers are) providing:
//   S::name                                    torch's class name
//   S::Args { ...; visit(v) }                  torch's constructor arguments, visited by their names
//   S::validate(const Args&)                   throws std::invalid_argument with torch's message, where
//                                              torch checks at construction (most schedules check nothing)
//   S::next_lr(args, last_epoch, base_lr, current_lr, initial)
//                                              torch's get_lr() for one group: the recursive ("chainable")
//                                              form that torch's step() uses. last_epoch is already
//                                              advanced; current_lr is the group's lr before this step;
//                                              initial is torch's _is_initial (the step the constructor
//                                              takes), which some schedules treat specially.
//   S::closed_form(args, last_epoch, base_lr)  torch's _get_closed_form_lr() for one group
//
// Schedules torch lacks (inverse_time_lr.hpp, inv_scaling_lr.hpp, restart_lr.hpp,
// piecewise_constant_lr.hpp, warmup_cosine_lr.hpp) have the same members under gradkit's names; with
// no torch recursion to reproduce, their next_lr is their closed_form.
//
// All are pure functions of their arguments and never allocate, so the trainer can call them per step.
// Where Python would raise ZeroDivisionError (e.g. step_size=0, which torch does not check), they throw
// zero_division with Python's message.
//
// Every scheduler may also be given RateBounds (gradkit's min_lr / max_lr, which torch lacks): the lr a
// step sets is clipped into them before it is stored, so a recursive form continues from the clipped
// value. The default bounds are infinite and leave torch's numbers bit for bit.
#pragma once

#include <cstdint>
#include <stdexcept>
#include <string>

#include "gradkit/optim/check.hpp"
#include "gradkit/schedules/rate_bounds.hpp"

namespace gradkit::schedules {

// Python's ZeroDivisionError; the bindings translate it.
struct zero_division : std::domain_error {
    using std::domain_error::domain_error;
};

// Python's a // b (rounds toward minus infinity); b != 0.
inline std::int64_t floor_div(std::int64_t a, std::int64_t b) {
    std::int64_t q = a / b;
    if ((a % b != 0) && ((a < 0) != (b < 0))) --q;
    return q;
}

// Python's a / b for two numbers, raising where Python does.
inline double py_div(double a, double b, const char* message = "float division by zero") {
    if (b == 0.0) throw zero_division(message);
    return a / b;
}

// A decay factor (StepLR, MultiStepLR, ExponentialLR, RestartLR's gamma). torch does not check it, but
// a negative or NaN one makes negative or NaN rates, which every optimizer refuses at its next step:
// refusing it at construction names the argument that is wrong.
inline void require_decay_factor(double gamma) {
    if (!(gamma >= 0)) optim::invalid("gamma must be a non-negative number, got " + optim::repr(gamma));
}

// A product rounded to double before anything is added to it, as Python computes. Without this GCC may
// fuse a*b + c into one FMA (it contracts by default in C++, and -march=native has FMA), which moves
// the last bit away from torch's value.
inline double rounded(double product) {
    volatile double v = product;
    return v;
}

// The schedules gradkit adds are defined from step 0 on; step(epoch) could ask for an earlier one.
inline void require_nonnegative_step(std::int64_t last_epoch) {
    if (last_epoch < 0) throw std::invalid_argument("the step must be non-negative, got " + std::to_string(last_epoch));
}

// torch's lr after 0, 1, ..., steps-1 calls of step() on a fresh scheduler whose optimizer's lr is
// base_lr and is changed by nothing else: out[0] is the lr the constructor's initial step sets. With
// bounds, each value is clipped before the next step reads it, as the Python schedulers do.
template <class S>
void curve(const typename S::Args& args, std::int64_t steps, double base_lr, double* out,
           const RateBounds& bounds = {}) {
    S::validate(args);
    bounds.validate();
    double lr = base_lr;
    for (std::int64_t k = 0; k < steps; ++k) {
        lr = bounds.clip(S::next_lr(args, k, base_lr, lr, k == 0));
        out[k] = lr;
    }
}

}  // namespace gradkit::schedules
