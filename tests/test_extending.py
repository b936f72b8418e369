"""The README's "Adding an optimizer or a schedule" stays true: every optimizer and closed-form schedule
is in each place that section lists (its header, its registry line, its C++ tests, its wrapper and
export, its type stub, its reference cases, its README row)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from gradkit import optim, schedules

ROOT = Path(__file__).resolve().parents[1]
OPTIM_HEADERS = ROOT / "cpp" / "include" / "gradkit" / "optim"
SCHEDULE_HEADERS = ROOT / "cpp" / "include" / "gradkit" / "schedules"
CPP_TESTS = ROOT / "cpp" / "tests"
STUBS = ROOT / "python" / "gradkit" / "_core"
README = (ROOT / "README.md").read_text()

if not (ROOT / "cpp").is_dir():  # pragma: no cover - the tests run from a checkout
    pytest.skip("needs the source tree", allow_module_level=True)


def _read(paths) -> str:
    return "\n".join(p.read_text() for p in paths)


def _registry_list(path: Path, list_name: str) -> set[str]:
    """The names in `using <list_name> = ...TypeList<...>;` of a registry header."""
    text = path.read_text()
    match = re.search(rf"using {list_name}\s*=\s*(.*?);", text, flags=re.S)
    assert match, f"{path.name} has no list {list_name}"
    return set(re.findall(r"\b([A-Z]\w*)\b", match.group(1))) - {"TypeList"}


OPTIMIZERS = {
    name: cls
    for name, cls in vars(optim).items()
    if name in optim.__all__ and isinstance(cls, type) and issubclass(cls, optim.Optimizer)
    and cls is not optim.Optimizer
}  # fmt: skip
# Optimizers outside the ParamGroup registry, and why; each has its header, C++ test, wrapper, stub, fixture
# and README row all the same. LBFGS steps with a closure and has its own binding (optim_lbfgs.cpp);
# Lookahead is a wrapper around another optimizer, its kernels (lookahead.hpp) bound by optim_lookahead.cpp.
UNREGISTERED = {"LBFGS": "steps with a closure", "Lookahead": "wraps another optimizer"}
REGISTERED_OPTIMIZERS = {n: c for n, c in OPTIMIZERS.items() if n not in UNREGISTERED}
CLOSED_FORM = _registry_list(SCHEDULE_HEADERS / "registry.hpp", "ClosedFormSchedules")
# torch has these; the others are gradkit's own and are checked against their formulas.
TORCH_CLOSED_FORM = {"StepLR", "MultiStepLR", "ConstantLR", "LinearLR", "ExponentialLR", "PolynomialLR",
                     "CosineAnnealingLR"}  # fmt: skip


@pytest.mark.parametrize("name", sorted(OPTIMIZERS))
def test_an_optimizer_is_in_every_place_the_readme_lists(name):
    cls = OPTIMIZERS[name]
    core = cls._core_algorithm.__name__
    if name in REGISTERED_OPTIMIZERS:  # a ParamGroup policy names itself
        assert f'name = "{core}"' in _read(OPTIM_HEADERS.glob("*.hpp")), f"no header names {core}"
        registry = "PublicOptimizers"
        assert core in _registry_list(OPTIM_HEADERS / "registry.hpp", registry), (
            f"{core} is not in {registry}"
        )
    assert (OPTIM_HEADERS / f"{core.lower()}.hpp").is_file(), (
        f"no cpp/include/gradkit/optim/{core.lower()}.hpp"
    )
    assert (CPP_TESTS / f"test_{core.lower()}.cpp").is_file(), f"no cpp/tests/test_{core.lower()}.cpp"
    assert cls.__module__ == f"gradkit.optim.{core.lower()}" and name in optim.__all__
    assert re.search(rf"^class {core}\b", (STUBS / "optim.pyi").read_text(), flags=re.M), (
        f"no stub for {core}"
    )
    assert (ROOT / "tests" / "fixtures" / "optim" / f"{name}.npz").is_file()
    assert f'"{name}":' in (ROOT / "tests" / "fixtures" / "make_optim_fixtures.py").read_text()
    assert re.search(rf"^\| `[^|]*\b{name}\b", README, flags=re.M), f"no README row for {name}"


@pytest.mark.parametrize("name", sorted(CLOSED_FORM))
def test_a_closed_form_schedule_is_in_every_place_the_readme_lists(name):
    assert f'name = "{name}"' in _read(SCHEDULE_HEADERS.glob("*.hpp")), f"no header names {name}"
    assert name in _read(CPP_TESTS.glob("test_schedules*.cpp")), f"no C++ test uses {name}"
    cls = getattr(schedules, name)
    assert cls._core_schedule.__name__ == name and name in schedules.__all__
    assert re.search(rf"^class {name}\b", (STUBS / "schedules.pyi").read_text(), flags=re.M)
    if name in TORCH_CLOSED_FORM:
        assert f'("{name}",' in (ROOT / "tests" / "fixtures" / "make_schedule_fixtures.py").read_text()
    else:
        assert name in (ROOT / "tests" / "test_schedules_extra.py").read_text()
    assert re.search(rf"^\| `[^|]*\b{name}\b", README, flags=re.M), f"no README row for {name}"


def test_the_readme_names_the_files_to_change():
    section = README.split("## Adding an optimizer or a schedule", 1)[1]
    for path in [
        "cpp/include/gradkit/optim/registry.hpp",
        "cpp/include/gradkit/schedules/registry.hpp",
        "python/gradkit/_core/optim.pyi",
        "python/gradkit/_core/schedules.pyi",
        "tests/fixtures/make_optim_fixtures.py",
        "tests/fixtures/make_schedule_fixtures.py",
    ]:
        assert path in section and (ROOT / path).is_file(), path
