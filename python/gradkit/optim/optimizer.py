"""The base class of every gradkit optimizer: torch.optim.Optimizer's interface over NumPy arrays."""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from typing import Any, ClassVar

import numpy as np

__all__ = ["Optimizer"]


Params = Iterable[np.ndarray] | Iterable[dict[str, Any]]
Grads = Sequence[np.ndarray | None]
LrScale = Sequence[np.ndarray | None]
Closure = Callable[[], "tuple[float, Grads]"]

# The layout of an optimizer's pickled state (__getstate__); a state of another layout is refused.
_PICKLE_FORMAT = 1


# The state's counts: never NaN. Its other numbers may be (LBFGS's prev_loss after a NaN loss, ASGD's
# eta after a NaN lr: torch keeps them), and a state the optimizer wrote must load back.
_STATE_COUNTS = ("step", "n_iter", "func_evals")


def _check_state_numbers(entry: Any, index: int) -> None:
    """Refuses a parameter's saved state whose numbers cannot be a state: a NaN count, or a step count
    ("step") that is not a non-negative whole number (a tampered or corrupted state; the core checks
    the rest: keys, types, shapes)."""
    if not isinstance(entry, dict):
        return
    for key, value in entry.items():
        if isinstance(value, (bool, np.bool_)) or not isinstance(
            value, (int, float, np.integer, np.floating)
        ):
            continue
        if key in _STATE_COUNTS and np.isnan(value):
            raise ValueError(f"state[{index}][{key!r}]: expected a count, got NaN")
        if key == "step" and not (np.isfinite(value) and value >= 0 and float(value).is_integer()):
            raise ValueError(
                f"state[{index}]['step']: expected a step count (a whole number >= 0), got {value!r}"
            )


def _group_class(algorithm: Any, first: object) -> Any:
    """The core's param-group class of ``algorithm`` for the dtype of a group's first array."""
    if isinstance(first, np.ndarray) and first.dtype == np.float32:
        return algorithm.float32
    return algorithm.float64  # the core then names what was given if it is not float64 either


def _writeable(array: Any) -> Any:
    """An unpickled parameter the optimizer can step: itself, or a copy if its buffer is read-only.

    Pickle's protocol 5 may give arrays over buffers sent out of band; over read-only ones (``bytes``)
    the array cannot be updated in place, so the optimizer steps a copy of it instead.
    """
    if isinstance(array, np.ndarray) and not (array.flags.writeable and array.flags.c_contiguous):
        return np.array(array, order="C", copy=True)
    return array


class Optimizer:
    """Base class: param groups, ``step``, ``state_dict`` and ``load_state_dict`` as in torch.

    Subclasses name their C++ algorithm in ``_core_algorithm`` (a class of ``gradkit._core.optim``,
    so a subclass of theirs steps with the same algorithm) and pass their hyperparameters as
    ``defaults``. The arithmetic is all in the C++ core (``gradkit._core``); this class checks
    arguments, holds the param-group dicts and hands each step to the core, which updates the
    caller's arrays in place.

    Examples
    --------
    >>> import numpy as np
    >>> from gradkit.optim import SGD
    >>> w = np.array([1.0, 2.0])
    >>> opt = SGD([w], lr=0.5)
    >>> opt.step([w.copy()])          # gradient of 0.5 * ||w||^2
    >>> w
    array([0.5, 1. ])
    >>> opt.param_groups[0]["lr"] = 0.1
    """

    # The core's algorithm: check_hyper, and its param groups of each dtype (.float32, .float64).
    _core_algorithm: ClassVar[Any]

    def __init__(self, params: Params, defaults: dict[str, Any]) -> None:
        self._core_algorithm.check_hyper(defaults)
        if isinstance(params, np.ndarray) or isinstance(params, dict):
            raise TypeError(
                "params argument given to the optimizer should be an iterable of arrays or dicts, "
                f"but got {type(params).__name__}; wrap a single array in a list: [w]"
            )
        self.defaults: dict[str, Any] = dict(defaults)
        self.param_groups: list[dict[str, Any]] = []
        self._cores: list[Any] = []
        self._n_params = 0
        # The multiplier arrays the core reads at every step (it holds raw pointers): kept alive here.
        self._lr_scale: list[np.ndarray | None] | None = None
        # Arrays or param-group dicts, as given: add_param_group checks every group.
        groups: list[Any] = list(params)
        if len(groups) == 0:
            raise ValueError("optimizer got an empty parameter list")
        if not isinstance(groups[0], dict):
            groups = [{"params": groups}]
        for group in groups:
            self.add_param_group(group)

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters with its own hyperparameters (defaults fill the rest).

        Parameters
        ----------
        param_group : dict
            ``{"params": [arrays...], "lr": ..., ...}``; every array must be writeable,
            C-contiguous, and of one dtype, float32 or float64.
        """
        if not isinstance(param_group, dict):
            raise TypeError(f"param_group must be a dict, got {type(param_group).__name__}")
        if "params" not in param_group:
            raise ValueError("param_group has no 'params'")
        params = param_group["params"]
        params = [params] if isinstance(params, np.ndarray) else list(params)
        if not params:
            raise ValueError("optimizer got an empty parameter list")
        seen = {id(p) for group in self.param_groups for p in group["params"]}
        if len({id(p) for p in params}) != len(params) or seen.intersection(map(id, params)):
            raise ValueError("some parameters appear more than once (in this or another parameter group)")
        group = {**self.defaults, **{k: v for k, v in param_group.items() if k != "params"}}
        core = _group_class(self._core_algorithm, params[0])(group)
        if self._cores and self._core_algorithm.spans_groups and type(core) is not type(self._cores[0]):
            raise ValueError(
                f"param group {len(self.param_groups)}: {type(self).__name__} steps all param groups at "
                "once (one estimate over all of them), so they must share one dtype: its first array is "
                f"{np.asarray(params[0]).dtype}, the first group's {self.param_groups[0]['params'][0].dtype}"
            )
        core.add_params(params, self._n_params)
        group["params"] = params
        self.param_groups.append(group)
        self._cores.append(core)
        self._n_params += len(params)
        if self._lr_scale is not None:  # the new parameters step with their group's lr
            self._lr_scale.extend([None] * len(params))

    def step(self, grads: Grads | Closure) -> float | None:
        """Update every parameter in place from its gradient.

        Parameters
        ----------
        grads : list of ndarray or None, or callable
            One gradient per parameter, in param-group order, each with its parameter's dtype
            and shape; ``None`` skips that parameter. A callable is a closure returning
            ``(loss, grads)``; its loss is returned.
        """
        loss = None
        if callable(grads):
            loss, grads = grads()
        if type(grads) is not list:
            if isinstance(grads, np.ndarray):
                raise TypeError("grads: expected a list of arrays, one per parameter, got an ndarray")
            grads = list(grads)
        if len(grads) != self._n_params:
            raise ValueError(
                f"grads: expected {self._n_params} arrays, one per parameter in param-group order, "
                f"got {len(grads)}"
            )
        cores = self._cores
        if len(cores) == 1:
            cores[0].set_hyper(self.param_groups[0])
            cores[0].step(grads, 0)
        else:
            # Several groups: every hyperparameter is checked first, then the core checks every
            # gradient before any array changes and steps all groups at once.
            for group, core in zip(self.param_groups, cores):
                core.set_hyper(group)
            step_groups = type(cores[0]).step_groups
            if all(type(core) is type(cores[0]) for core in cores):
                step_groups(cores, grads)
            else:  # groups of both dtypes: each dtype's groups are a class of their own
                self._check_grads(grads)
                start = 0
                for core in cores:
                    core.step(grads, start)
                    start += core.size
        self._copy_group_state()
        return loss

    def _check_grads(self, grads: list[Any]) -> None:
        start = 0
        for core in self._cores:
            core.check(grads, start)
            start += core.size

    def _copy_group_state(self) -> None:
        """Copy what the core's step changed in each group (e.g. Schedule-Free's ``k``) into its dict.

        A key the core holds as ``None`` is one the reference has not written yet (Prodigy's ``d_hat``
        before its first estimate of d): it stays out of the dict, as in the reference's.
        """
        keys = self._core_algorithm.group_state
        if keys:
            for group, core in zip(self.param_groups, self._cores):
                hyper = core.get_hyper()
                for key in keys:
                    if hyper[key] is not None or key in group:
                        group[key] = hyper[key]

    def train(self) -> None:
        """Put the parameters at the point gradients are taken at (the default of most optimizers).

        Schedule-Free and Lookahead keep two points: the one the gradients are evaluated at, and
        the one to evaluate the model at. Call ``train()`` before the steps and :meth:`eval` before
        evaluating, as with ``torch.nn.Module``; they move the parameters between the two in place.
        For the other optimizers both do nothing.
        """
        self._set_mode(True)

    def eval(self) -> None:
        """Put the parameters at the point to evaluate the model at; see :meth:`train`."""
        self._set_mode(False)

    def _set_mode(self, train: bool) -> None:
        if not self._core_algorithm.has_modes:
            return
        for group, core in zip(self.param_groups, self._cores):
            core.set_hyper(group)
        for core in self._cores:
            core.set_mode(train)
        self._copy_group_state()

    def set_lr_scale(self, scales: LrScale | None) -> None:
        """Give every parameter element its own learning-rate multiplier, or (``None``) remove them all.

        Element ``i`` of a parameter then steps with ``lr * scale[i]``: each coefficient of the update
        that the learning rate enters is multiplied by ``scale[i]`` (with AdamW's decoupled decay,
        ``1 - lr * scale[i] * weight_decay``). Two families read it their own way: Rprop's ``lr``
        is only its initial step size, so Rprop applies ``step_size[i] * scale[i]`` (the bounds
        ``step_sizes`` hold for the unscaled step size); ASGD multiplies its decayed rate ``eta``
        (which itself follows the group's ``lr``). LBFGS refuses multipliers.

        The arrays are read where they lie, at every :meth:`step`, and are not copied: changing
        them in place (as :class:`gradkit.schedules.RandomLR` does) changes the rates. The optimizer
        keeps a reference to them. Their values are checked now (finite, ``>= 0``), not at every
        step. They are not part of :meth:`state_dict`. Parameters of a group added later step
        with their group's ``lr``. Calling this again replaces all multipliers.

        Parameters
        ----------
        scales : list of (ndarray or None), or None
            One entry per parameter, in param-group order (as the gradients of :meth:`step`):
            an array with the parameter's dtype and shape (C-contiguous, not sharing memory with
            any parameter of its group), or ``None`` for a parameter that steps with its group's
            ``lr``. ``None`` instead of a list removes every multiplier. Every entry is checked
            before anything changes; errors name ``lr_scale[i]``.

        Examples
        --------
        >>> import numpy as np
        >>> from gradkit.optim import SGD
        >>> w = np.zeros(3)
        >>> opt = SGD([w], lr=0.1)
        >>> opt.set_lr_scale([np.array([1.0, 0.5, 0.0])])
        >>> opt.step([np.ones(3)])
        >>> w
        array([-0.1 , -0.05,  0.  ])
        >>> opt.set_lr_scale(None)              # every element steps with lr again
        """
        if scales is None:
            for core in self._cores:
                core.clear_lr_scale()
            self._lr_scale = None
            return
        checked = self._check_lr_scale(scales)
        start = 0
        for core in self._cores:
            core.set_lr_scale(checked, start)
            start += core.size
        self._lr_scale = checked

    def _check_lr_scale(self, scales: LrScale) -> list[np.ndarray | None]:
        """Check multipliers for :meth:`set_lr_scale` without installing them; returns them as a list."""
        if isinstance(scales, np.ndarray) or not isinstance(scales, Iterable):
            raise TypeError(
                "lr_scale: expected a list with one array (or None) per parameter, "
                f"got {type(scales).__name__}"
            )
        checked = list(scales)
        if len(checked) != self._n_params:
            raise ValueError(
                f"lr_scale: expected {self._n_params} entries, one per parameter in param-group order, "
                f"got {len(checked)}"
            )
        start = 0
        for core in self._cores:
            core.check_lr_scale(checked, start)
            start += core.size
        return checked

    def state_dict(self) -> dict[str, Any]:
        """A snapshot: ``{"state": {index: {...}}, "param_groups": [{..., "params": [indices]}]}``.

        Arrays in it are copies; loading it into an optimizer over the same parameters
        continues bit for bit.
        """
        state: dict[int, dict[str, Any]] = {}
        groups = []
        start = 0
        for group, core in zip(self.param_groups, self._cores):
            for i, s in enumerate(core.get_state()):
                if s is not None:
                    state[start + i] = s
            saved = {k: v for k, v in group.items() if k != "params"}
            saved["params"] = list(range(start, start + core.size))
            groups.append(saved)
            start += core.size
        return {"state": state, "param_groups": groups}

    def load_state_dict(self, state_dict: dict[str, Any]) -> None:
        """Restore a :meth:`state_dict`; one that does not fit is refused and changes nothing."""
        if not isinstance(state_dict, dict) or "param_groups" not in state_dict:
            raise ValueError("expected a dict with 'state' and 'param_groups', as state_dict() returns")
        saved_groups = state_dict["param_groups"]
        saved_state = state_dict.get("state", {})
        if len(saved_groups) != len(self.param_groups):
            raise ValueError("loaded state dict has a different number of parameter groups")
        plans = []
        start = 0
        for saved, group, core in zip(saved_groups, self.param_groups, self._cores):
            if len(saved.get("params", ())) != core.size:
                raise ValueError(
                    "loaded state dict contains a parameter group that doesn't match the size of "
                    "optimizer's group"
                )
            missing = [k for k in self.defaults if k not in saved]
            if missing:
                raise ValueError(
                    f"loaded state dict is not {type(self).__name__}'s: its groups lack {missing}"
                )
            new_group = {k: v for k, v in saved.items() if k != "params"}
            new_group["params"] = group["params"]
            self._core_algorithm.check_hyper(new_group)
            states = [saved_state.get(i) for i in saved["params"]]
            for i, entry in zip(saved["params"], states):
                _check_state_numbers(entry, i)
            core.check_state(states, start, new_group)
            plans.append((new_group, states, start))
            start += core.size
        for i, (new_group, states, begin) in enumerate(plans):
            self._cores[i].set_state(states, begin, new_group)
            self._cores[i].set_hyper(new_group)
            self.param_groups[i] = new_group

    def __getstate__(self) -> dict[str, Any]:
        """What pickle saves: the param groups with their arrays, the state, the lr multipliers.

        The core's objects do not pickle; :meth:`__setstate__` builds new ones over the unpickled
        arrays and loads :meth:`state_dict` into them, so stepping continues bit for bit. The
        parameters are saved as the arrays themselves, as torch saves its tensors: pickled together
        with the optimizer (or a scheduler of it), an array stays the optimizer's parameter.
        """
        saved = self.state_dict()
        groups = [
            {**group_saved, "params": group["params"]}
            for group_saved, group in zip(saved["param_groups"], self.param_groups)
        ]
        extra = {
            k: v
            for k, v in self.__dict__.items()
            if k not in ("defaults", "param_groups", "_cores", "_n_params", "_lr_scale")
        }
        return {
            "format": _PICKLE_FORMAT,
            "defaults": self.defaults,
            "param_groups": groups,
            "state": saved["state"],
            "lr_scale": self._lr_scale,
            "extra": extra,
        }

    def __setstate__(self, state: dict[str, Any]) -> None:
        """Rebuild from :meth:`__getstate__`'s dict (through ``add_param_group`` and ``load_state_dict``)."""
        if not isinstance(state, dict) or state.get("format") != _PICKLE_FORMAT:
            got = state.get("format") if isinstance(state, dict) else type(state).__name__
            raise ValueError(
                f"cannot unpickle {type(self).__name__}: expected a state of format {_PICKLE_FORMAT} "
                f"(this gradkit's), got {got!r}"
            )
        groups = [
            {**group, "params": [_writeable(p) for p in group["params"]]} for group in state["param_groups"]
        ]
        Optimizer.__init__(self, groups, dict(state["defaults"]))
        indices, start = [], 0
        for group in groups:
            indices.append(list(range(start, start + len(group["params"]))))
            start += len(group["params"])
        self.load_state_dict(
            {
                "state": state["state"],
                "param_groups": [
                    {**{k: v for k, v in group.items() if k != "params"}, "params": index}
                    for group, index in zip(groups, indices)
                ],
            }
        )
        if state["lr_scale"] is not None:
            self.set_lr_scale(state["lr_scale"])
        self.__dict__.update(state["extra"])

    def __repr__(self) -> str:
        lines = [f"{type(self).__name__} ("]
        for i, group in enumerate(self.param_groups):
            lines.append(f"Parameter Group {i}")
            for key in sorted(k for k in group if k != "params"):
                lines.append(f"    {key}: {group[key]}")
        lines.append(")")
        return "\n".join(lines)
