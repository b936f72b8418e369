"""What Schedule-Free SGD and AdamW share in Python: a group added later takes the others' mode."""

from __future__ import annotations

from typing import Any

from .optimizer import Optimizer

__all__: list[str] = []

# The reference's group state, kept in each param group's dict beside the hyperparameters and
# updated by every step and every train() / eval() (the core copies them back).
GROUP_STATE = {"k": 0, "train_mode": False, "weight_sum": 0.0, "lr_max": -1.0, "scheduled_lr": 0.0}


class ScheduleFreeOptimizer(Optimizer):
    """Base class of :class:`ScheduleFreeSGD` and :class:`ScheduleFreeAdamW` (see either)."""

    def add_param_group(self, param_group: dict[str, Any]) -> None:
        """Add a group of parameters; it takes the mode (``train_mode``) the other groups are in.

        The reference gives every new group ``train_mode=False`` and checks only the first group's
        mode before a step, so a group added while training would step without ever being moved to
        its evaluation point. Here the new group, which has no state yet and so nothing to move,
        starts in the optimizer's current mode unless its dict says otherwise.
        """
        if self.param_groups and isinstance(param_group, dict) and "train_mode" not in param_group:
            param_group = {**param_group, "train_mode": self.param_groups[0]["train_mode"]}
        super().add_param_group(param_group)
