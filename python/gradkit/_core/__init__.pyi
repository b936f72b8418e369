"""Type stubs for gradkit._core, the C++ extension module (pybind11), maintained by hand.

gradkit's C++ core: optimizers that update NumPy arrays in place, learning-rate schedules, and the MLP
trainer, one submodule per folder of the core (cpp/include/gradkit): ``optim``, ``schedules``, ``nn``
and ``train``; the thread count is here at the top. The module is internal: gradkit.optim,
gradkit.schedules and the estimators are its public face.

Conventions of these stubs: arguments that the bindings leave unnamed (``arg0``, ...) are
positional-only here, as they are at run time; a class the bindings use as a namespace (an optimizer
of ``optim``, a schedule of ``schedules``) has no constructor. The package is a folder of .pyi files
only, without an ``__init__.py``, so at run time ``import gradkit._core`` still finds the extension
module beside it. tests/test_typing.py checks that these files and the module name the same
submodules, classes (nested ones included), methods, properties and functions with the same
parameters.
"""

from . import nn as nn
from . import optim as optim
from . import schedules as schedules
from . import train as train

def get_num_threads() -> int:
    """Threads the core's parallel loops may use."""

def set_num_threads(n: int) -> None:
    """Sets the threads the core's parallel loops may use (OpenMP)."""
