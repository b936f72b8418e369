// Every closed-form schedule of the core (lr = f(step), schedule.hpp says what each provides), in one
// list: what the bindings register (gradkit._core.schedules) and what the MLP trainer's lr_schedule=
// accepts (train/registry.hpp adds the cyclic and loss-driven ones). Adding a closed-form schedule is
// its header and one line here.
#pragma once

#include "gradkit/schedules/adaptive_lr.hpp"
#include "gradkit/schedules/bold_driver_lr.hpp"
#include "gradkit/schedules/constant_lr.hpp"
#include "gradkit/schedules/cosine_annealing_lr.hpp"
#include "gradkit/schedules/exponential_lr.hpp"
#include "gradkit/schedules/inv_scaling_lr.hpp"
#include "gradkit/schedules/inverse_time_lr.hpp"
#include "gradkit/schedules/linear_lr.hpp"
#include "gradkit/schedules/multi_step_lr.hpp"
#include "gradkit/schedules/piecewise_constant_lr.hpp"
#include "gradkit/schedules/polynomial_lr.hpp"
#include "gradkit/schedules/reduce_lr_on_plateau.hpp"
#include "gradkit/schedules/restart_lr.hpp"
#include "gradkit/schedules/step_lr.hpp"
#include "gradkit/schedules/warmup_cosine_lr.hpp"
#include "gradkit/type_list.hpp"

namespace gradkit::schedules {

// torch.optim.lr_scheduler's closed-form schedules, then gradkit's own (torch lacks them).
using ClosedFormSchedules =
    TypeList<StepLR, MultiStepLR, ConstantLR, LinearLR, ExponentialLR, PolynomialLR, CosineAnnealingLR,
             InverseTimeLR, InvScalingLR, RestartLR, PiecewiseConstantLR, WarmupCosineLR>;

// The state machines stepped once per epoch on the loss: torch's ReduceLROnPlateau, then scikit-learn's
// adaptive rule and the bold driver.
using LossDrivenSchedules = TypeList<ReduceLROnPlateau, AdaptiveLR, BoldDriverLR>;

}  // namespace gradkit::schedules
