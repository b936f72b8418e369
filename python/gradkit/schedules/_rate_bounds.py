"""``min_lr`` / ``max_lr``: gradkit's optional bounds on the learning rate every scheduler sets.

torch has no such bounds (except ReduceLROnPlateau's ``min_lr``). A bound is ``None`` (no bound,
torch's numbers unchanged), one number for every param group, or a list with one number (or
``None``) per group. The lr a step computes is clipped into the bounds by the C++ core
(``gradkit::schedules::RateBounds``) before it is stored in the group, so a recursive schedule
continues from the clipped value.
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any

from .. import _core

Bound = float | Sequence[float | None] | None


def per_group(name: str, bound: Bound, n_groups: int) -> list[float | None]:
    """One bound per param group: ``bound`` itself if a list or tuple of length ``n_groups``."""
    if isinstance(bound, (list, tuple)):
        if len(bound) != n_groups:
            raise ValueError(
                f"{name} has {len(bound)} values but the optimizer has {n_groups} param groups; "
                "give one number for all groups or one per group"
            )
        values: list[Any] = list(bound)
    else:
        values = [bound] * n_groups
    for value in values:
        if value is not None and (isinstance(value, bool) or not isinstance(value, numbers.Real)):
            raise TypeError(
                f"{name} must be a number, a list of numbers (one per param group) or None, got {value!r}"
            )
    return [None if value is None else float(value) for value in values]


def check_rate_bounds(n_groups: int, min_lr: Bound, max_lr: Bound) -> None:
    """Raise TypeError/ValueError unless the bounds fit ``n_groups`` groups and each pair is valid."""
    lows = per_group("min_lr", min_lr, n_groups)
    highs = per_group("max_lr", max_lr, n_groups)
    per_group_lists = isinstance(min_lr, (list, tuple)) or isinstance(max_lr, (list, tuple))
    for index, (low, high) in enumerate(zip(lows, highs)):
        try:
            _core.schedules.rate_bounds_check(low, high)
        except ValueError as error:
            if per_group_lists:
                raise ValueError(f"param group {index}: {error}") from None
            raise


def clip_lrs(lrs: Sequence[Any], min_lr: Bound, max_lr: Bound) -> list[Any]:
    """The lrs clipped into the bounds (by the core); without bounds, ``lrs`` unchanged."""
    if min_lr is None and max_lr is None:
        return list(lrs)
    n = len(lrs)
    return _core.schedules.clip_lrs(
        [float(lr) for lr in lrs], per_group("min_lr", min_lr, n), per_group("max_lr", max_lr, n)
    )


def single_group(min_lr: Bound, max_lr: Bound) -> tuple[float | None, float | None]:
    """The bounds of a one-group curve (``lr_curve``), checked."""
    check_rate_bounds(1, min_lr, max_lr)
    return per_group("min_lr", min_lr, 1)[0], per_group("max_lr", max_lr, 1)[0]
