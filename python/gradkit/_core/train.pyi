"""gradkit._core.train: the MLP trainer (cpp/include/gradkit/train), its Progress and LoopOptions, and
its errors; the estimators in gradkit.neural_network drive them."""

from collections.abc import Callable, Sequence
from typing import Any, Generic, Literal, TypeVar, type_check_only

import numpy as np
from numpy.typing import NDArray

from .nn import LegacyRandomState

_Float = TypeVar("_Float", np.float32, np.float64)
# An optimizer's hyperparameters / a schedule's arguments by torch's names; a step rule's state.
_Hyper = dict[str, Any]
_Args = dict[str, Any]
_State = dict[str, Any]

class TrainingDiverged(ValueError):
    """Raised by fit_stochastic when an epoch gives a non-finite loss or weight (the previous epoch's
    weights are kept)."""

class ScheduleStepError(ValueError):
    """Raised by fit_stochastic when the schedule refuses a step inside the loop (OneCycleLR past
    total_steps); the Progress passed in holds the epochs completed, the weights every step taken."""

def sklearn_adam_learning_rate(learning_rate_init: float, beta_1: float, beta_2: float, t: float) -> float:
    """sklearn's AdamOptimizer.learning_rate after t steps (the rate of step t, bias-corrected)."""

class Progress:
    """What the training loop has reached: sklearn's n_iter_, t_, loss_curve_ and the rest.

    fit_stochastic goes on from where it is and updates it in place, also when it raises. Picklable.
    The list fields are copies: assign a new list rather than change one in place."""

    def __init__(self) -> None: ...
    n_iter: int
    t: int
    loss: float
    loss_curve: list[float]
    best_loss: float
    validation_scores: list[float]
    best_validation_score: float
    no_improvement_count: int
    validation_loss_curve: list[float]
    best_epoch: int
    def __getstate__(self) -> dict[str, Any]:
        """Every field by its name."""

    def __setstate__(self, state: dict[str, Any], /) -> None: ...

class LoopOptions:
    """The options of one fit_stochastic (sklearn's batch_size, shuffle, max_iter, ...)."""

    def __init__(self) -> None: ...
    batch_size: int
    shuffle: bool
    max_iter: int
    alpha: float
    tol: float
    n_iter_no_change: float
    incremental: bool
    clip_grad_norm: float
    stop_on_divergence: bool
    stop_on_validation: bool
    @property
    def keep(self) -> Literal["sklearn", "best", "last"]:
        """The weights a fit ends on: 'sklearn' (the best validation score's with early stopping, else the
        last epoch's), 'best' (this fit's best epoch's, by the validation score with validation data,
        else the training loss) or 'last'."""

    @keep.setter
    def keep(self, keep: Literal["sklearn", "best", "last"], /) -> None: ...
    @property
    def score(self) -> Literal["accuracy", "r2"]:
        """What early stopping watches: 'accuracy' (classifiers) or 'r2' (regressors)."""

    @score.setter
    def score(self, score: Literal["accuracy", "r2"], /) -> None: ...

@type_check_only
class _MLPTrainer(Generic[_Float]):
    def __init__(
        self,
        layer_units: Sequence[int],
        hidden_activation: str,
        out_activation: str,
        *,
        negative_slope: float = 0.01,
        loss: str | None = None,
        huber_delta: float = 1.0,
        quantile: float = 0.5,
    ) -> None:
        """A network of these layer sizes and activations (negative_slope: leaky_relu's) and its loss:
        by default the output's (sklearn's pairs), or absolute_error, huber (huber_delta) or pinball
        (quantile) after an identity output."""

    @property
    def layer_units(self) -> list[int]: ...
    @property
    def loss(self) -> str: ...
    def set_dropout(self, rates: Sequence[float], seed: int) -> None:
        """Dropout in fit_stochastic's steps: one rate in [0, 1) per hidden layer ([] or zeros: none),
        masks drawn from seed and the step count (dropout_steps), which goes on."""

    @property
    def dropout_rates(self) -> list[float]: ...
    @property
    def dropout_steps(self) -> int:
        """The training steps whose dropout masks have been drawn (the mask stream's position)."""

    @dropout_steps.setter
    def dropout_steps(self, steps: int, /) -> None: ...
    @property
    def n_params(self) -> int: ...
    @property
    def params(self) -> NDArray[_Float]:
        """The packed weights (coefs then intercepts), a writeable view of the trainer's own buffer."""

    def set_params(self, packed: NDArray[_Float]) -> None: ...
    def glorot_init(self, random_state: LegacyRandomState) -> None:
        """sklearn's initial weights drawn from random_state (weights then biases, layer by layer)."""

    def set_step_rule(self, name: str, hyper: _Hyper, options: dict[str, Any] | None = None) -> None:
        """Uses the optimizer `name` (SklearnSGD, SklearnAdam or a gradkit.optim name) with the given
        hyperparameters over all weights, from a fresh state; options: {'inner': (name, hyper)} for
        Lookahead, {'others': AdamW's hyper, 'layers': 'hidden' or 'all'} for a hybrid."""

    @staticmethod
    def step_rules() -> list[str]:
        """The names set_step_rule accepts."""

    def clear_step_rule(self) -> None: ...
    @property
    def has_step_rule(self) -> bool: ...
    def set_rate_policy(
        self,
        name: Literal["constant", "invscaling", "adaptive"],
        learning_rate_init: float = 0.0,
        power_t: float = 0.5,
    ) -> None: ...
    def set_schedule(
        self,
        name: str,
        args: _Args,
        min_lr: float | None,
        max_lr: float | None,
        base_lr: float,
        per_step: bool,
    ) -> None:
        """Uses the gradkit schedule `name` (its arguments by torch's names) from base_lr as the rate
        policy, stepped after every optimizer step (per_step) or every epoch."""

    @staticmethod
    def schedules() -> list[str]:
        """The names set_schedule accepts."""

    @property
    def schedule_steps(self) -> int:
        """The steps the rate policy's schedule has taken (its state)."""

    @schedule_steps.setter
    def schedule_steps(self, steps: int, /) -> None: ...
    @property
    def schedule_state(self) -> list[float]:
        """A loss-driven schedule's state machine (best loss, counters) as numbers; empty for others."""

    @schedule_state.setter
    def schedule_state(self, state: Sequence[float], /) -> None: ...
    @property
    def lr(self) -> float: ...
    @lr.setter
    def lr(self, lr: float, /) -> None: ...
    def rule_state(self) -> _State | None:
        """The step rule's state ({"name", "lr", "started", "scalars", "buffers"}), None without one."""

    def set_rule_state(self, state: _State) -> None: ...
    def fit_stochastic(
        self,
        X: NDArray[_Float],
        Y: NDArray[_Float] | NDArray[np.int64],
        sample_weight: NDArray[_Float] | None,
        train_index: NDArray[np.int64] | None,
        val_index: NDArray[np.int64] | None,
        best_params: NDArray[_Float] | None,
        random_state: LegacyRandomState | None,
        progress: Progress,
        options: LoopOptions,
        hook: Callable[[dict[str, Any]], object] | None,
        *,
        X_val: NDArray[_Float] | None = None,
        Y_val: NDArray[_Float] | NDArray[np.int64] | None = None,
        sample_weight_val: NDArray[_Float] | None = None,
    ) -> str:
        """sklearn's _fit_stochastic on rows of X (read in place). Y is the targets as the network sees
        them (n, n_outputs), or for a softmax output the int64 class of each row. The validation set is
        rows of X (val_index) or X_val, Y_val, sample_weight_val (as X, Y, sample_weight). progress goes
        on from where it is and is updated in place, also when this raises. hook is called once per
        epoch with a dict (epoch, loss, validation_score, validation_loss, lr, next_lr, stalled); a true
        result stops training.
        Returns the stop reason: "max_iter", "stalled", "rate_too_small", "hook" or "incremental"."""

    def fit_lbfgs(
        self,
        X: NDArray[_Float],
        Y: NDArray[_Float],
        sample_weight: NDArray[_Float] | None,
        *,
        alpha: float,
        max_iter: int,
        max_fun: int,
        tol: float,
    ) -> tuple[float, int, int, int, str]:
        """scipy's L-BFGS-B on all rows. Returns (loss, n_iter, n_evals, status, message): scipy's fun,
        nit, nfev, status (0 converged, 1 a limit reached, 2 the line search failed) and message."""

    def predict(self, X: NDArray[_Float]) -> NDArray[_Float]:
        """The network's output for every row of X."""
    def forward(self, X: NDArray[_Float]) -> list[NDArray[_Float]]:
        """sklearn's _forward_pass on every row of X: each layer's activations (copies)."""
    def backprop(
        self, X: NDArray[_Float], Y: NDArray[_Float], sample_weight: NDArray[_Float] | None, *, alpha: float
    ) -> tuple[float, NDArray[_Float], list[NDArray[_Float]], list[NDArray[_Float]]]:
        """sklearn's _backprop on every row of X: (loss, packed gradient, each layer's activations, each
        layer's deltas)."""

class MLPTrainer_float32(_MLPTrainer[np.float32]):
    """A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP
    training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor."""

class MLPTrainer_float64(_MLPTrainer[np.float64]):
    """A network with its optimizer and rate policy, trained in place by the core (sklearn's MLP
    training loop). Used by gradkit.MLPClassifier and gradkit.MLPRegressor."""
