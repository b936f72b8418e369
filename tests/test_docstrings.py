"""Every public class and function has a NumPy-style docstring with a runnable example.

The public API is what each public module's ``__all__`` names, plus ``gradkit.MLPClassifier`` and
``gradkit.MLPRegressor`` (loaded lazily, so not in ``gradkit.__all__``). The examples themselves are
run by ``pytest --doctest-modules`` over the installed package (``make test-python``); this test
makes sure none is missing, so that a new public name without an example fails here.
"""

from __future__ import annotations

import doctest
import importlib
import inspect
import re

import pytest

import gradkit

PUBLIC_MODULES = ["gradkit", "gradkit.optim", "gradkit.schedules", "gradkit.neural_network"]
LAZY = {"gradkit": ["MLPClassifier", "MLPRegressor"]}


def _public_objects():
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in [*module.__all__, *LAZY.get(module_name, [])]:
            obj = getattr(module, name)
            if inspect.isclass(obj) or callable(obj):
                yield f"{module_name}.{name}", obj


PUBLIC = dict(_public_objects())


def _examples_section(doc: str) -> str | None:
    """The text of the docstring's ``Examples`` section (NumPy style: a title underlined by dashes)."""
    heading = r"^[ \t]*Examples[ \t]*\n[ \t]*-{8,}[ \t]*\n"
    next_heading = r"^[ \t]*\w[\w ]*\n[ \t]*-{3,}\s*$"
    match = re.search(heading + r"(.*?)(?=" + next_heading + r"|\Z)", doc, re.M | re.S)
    return match.group(1) if match else None


def test_the_public_api_is_walked():
    # A sample of names from each area, so that a broken walk cannot pass vacuously.
    for name in [
        "gradkit.get_num_threads",
        "gradkit.set_num_threads",
        "gradkit.MLPClassifier",
        "gradkit.optim.Adam",
        "gradkit.optim.clip_grad_norm_",
        "gradkit.schedules.lr_curve",
        "gradkit.schedules.BoldDriverLR",
        "gradkit.schedules.LRScheduler",
    ]:
        assert name in PUBLIC
    assert len(PUBLIC) > 40


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_object_has_a_docstring_with_examples(name):
    obj = PUBLIC[name]
    doc = inspect.getdoc(obj)
    assert doc, f"{name} has no docstring"
    assert doc.splitlines()[0].strip(), f"{name}'s docstring does not start with a summary line"
    section = _examples_section(doc)
    assert section is not None, f"{name}'s docstring has no NumPy-style 'Examples' section"
    examples = doctest.DocTestParser().get_examples(section)
    assert examples, f"{name}'s Examples section has no '>>>' example"


@pytest.mark.parametrize("name", sorted(PUBLIC))
def test_public_object_examples_are_collected_as_doctests(name):
    # --doctest-modules finds examples through the defining module's __dict__: an object whose
    # docstring lives elsewhere (a C++ function re-exported as is) would have its examples skipped.
    obj = PUBLIC[name]
    module = inspect.getmodule(obj)
    assert module is not None and module.__name__.startswith("gradkit")
    tests = doctest.DocTestFinder().find(module)
    assert any(t.examples and t.docstring == obj.__doc__ for t in tests), (
        f"{name}'s examples are not found by doctest in {module.__name__}"
    )


def test_version_is_a_string():
    assert isinstance(gradkit.__version__, str) and gradkit.__version__
