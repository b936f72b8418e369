// Every optimizer of the core, in one list each family: what the bindings register (gradkit._core.optim)
// and what the MLP trainer's step-rule factory accepts. Adding a ParamGroup optimizer (param_group.hpp
// says what it provides) is its header and one line here; the bindings and the trainer follow.
#pragma once

#include "gradkit/optim/adadelta.hpp"
#include "gradkit/optim/adafactor.hpp"
#include "gradkit/optim/adagrad.hpp"
#include "gradkit/optim/adam.hpp"
#include "gradkit/optim/adamax.hpp"
#include "gradkit/optim/asgd.hpp"
#include "gradkit/optim/lion.hpp"
#include "gradkit/optim/muon.hpp"
#include "gradkit/optim/nadam.hpp"
#include "gradkit/optim/prodigy.hpp"
#include "gradkit/optim/radam.hpp"
#include "gradkit/optim/rmsprop.hpp"
#include "gradkit/optim/rprop.hpp"
#include "gradkit/optim/schedulefreeadamw.hpp"
#include "gradkit/optim/schedulefreesgd.hpp"
#include "gradkit/optim/sgd.hpp"
#include "gradkit/optim/sklearn_adam.hpp"
#include "gradkit/optim/sklearn_sgd.hpp"
#include "gradkit/type_list.hpp"

namespace gradkit::optim {

// The optimizers of gradkit.optim, each a ParamGroup policy with its reference's numbers: torch.optim's
// algorithms (AdamW is Adam with decoupled_weight_decay), then those torch lacks. LBFGS is not here: it
// steps with a closure over the whole problem, not from one gradient (lbfgs.hpp), and has its own
// binding and the trainer's full-batch solver.
// Schedule-Free's parameters hold another point for evaluation than for training (param_group.hpp's
// set_mode, Python's train() / eval()); the trainer switches them around each epoch's steps. Prodigy's d
// is one estimate over every group (step_groups); Adafactor and Muon read their parameters' shapes (the
// trainer gives them each layer's arrays; Muon only the matrices, train/hybrid_rule.hpp).
using PublicOptimizers = TypeList<SGD, Adam, Adagrad, RMSprop, Adadelta, Adamax, NAdam, RAdam, Rprop, ASGD, Lion,
                                  ScheduleFreeSGD, ScheduleFreeAdamW, Prodigy, Adafactor, Muon>;

// scikit-learn's MLP update rules (its numbers, not torch's): the estimators' 'sgd' and 'adam' solvers.
using SklearnRules = TypeList<SklearnSGD, SklearnAdam>;

// Every ParamGroup optimizer: the bindings register each, and the trainer can step with each
// (train/registry.hpp's StepRules).
using ParamGroupOptimizers = concat_t<SklearnRules, PublicOptimizers>;

}  // namespace gradkit::optim
