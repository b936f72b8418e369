"""What gradkit's objects share to cross process boundaries: a clear error for a callable that cannot.

Plain :mod:`pickle` saves a function by reference (its module and name), so a lambda or a function
defined inside another cannot be saved; cloudpickle (which dask, joblib's loky and Ray use) saves
them by value. gradkit's objects put each user-given callable in their pickled state wrapped in
:class:`_Callable`: under cloudpickle and :mod:`copy` it unpickles to the callable itself, and under
plain pickle it raises a :class:`pickle.PicklingError` that names the attribute holding it
(``LambdaLR.lr_lambdas[0]``, ``MLPClassifier.callbacks[1]``) and how to make it picklable,
instead of pickle's ``attribute lookup <lambda> on __main__ failed``.
"""

from __future__ import annotations

import importlib
import pickle
import sys
import types
from typing import Any

__all__: list[str] = []

# Modules on the stack that save functions by value (cloudpickle, also vendored by joblib and used by
# dask) or that do not serialise at all (copy.deepcopy, and so sklearn.base.clone).
_BY_VALUE_MODULES = ("cloudpickle", "dill", "copy")


def _identity(obj: Any) -> Any:
    return obj


def _by_reference(fn: Any) -> bool:
    """Whether plain pickle can save ``fn``: not a function, or one importable by its qualified name."""
    if not isinstance(fn, types.FunctionType):
        return True
    try:
        obj: Any = importlib.import_module(fn.__module__)
        for part in fn.__qualname__.split("."):
            obj = getattr(obj, part)
    except (ImportError, AttributeError, TypeError):
        return False
    return obj is fn


def _saving_by_value() -> bool:
    frame = sys._getframe(2)
    while frame is not None:
        name = frame.f_globals.get("__name__", "")
        if any(name == m or name.startswith(m + ".") or f".{m}" in name for m in _BY_VALUE_MODULES):
            return True
        frame = frame.f_back  # type: ignore[assignment]
    return False


class _Callable:
    """A user's callable in a pickled state; unpickles to the callable itself (see the module)."""

    __slots__ = ("fn", "where")

    def __init__(self, fn: Any, where: str) -> None:
        self.fn = fn
        self.where = where

    def __reduce_ex__(self, protocol: Any) -> tuple[Any, tuple[Any]]:
        if not _by_reference(self.fn) and not _saving_by_value():
            raise pickle.PicklingError(
                f"cannot pickle {self.where} = {self.fn!r}: plain pickle saves a function by its module "
                "and name, and a lambda or a function defined inside another has none to import. "
                "Define it with def at the top level of a module, or pickle with cloudpickle "
                "(cloudpickle.dumps; dask and joblib use it), which saves it by value."
            )
        return _identity, (self.fn,)


def wrap(fn: Any, where: str) -> Any:
    """``fn`` wrapped for a pickled state (``None`` stays ``None``)."""
    return None if fn is None else _Callable(fn, where)


def unwrap(obj: Any) -> Any:
    """What :func:`wrap` wrapped, when the state was not pickled (``copy.copy``)."""
    return obj.fn if isinstance(obj, _Callable) else obj
