"""The stub package gradkit/_core/*.pyi and the extension module gradkit._core agree, and the stubs are
installed.

Each stub file (``_core/__init__.pyi`` for the module, ``_core/<sub>.pyi`` for each submodule) is
parsed with ``ast`` and compared with the module as imported, recursively: the same public names in
the module and in each submodule, each class with the same methods, static methods, properties (with
or without a setter), attributes and nested classes (``optim.Adam.float32``), and every function and
method with the same parameters (names, positional-only, keyword-only, with or without a default),
read from the signature pybind11 writes at the top of each docstring. A binding change that forgets
the stubs fails here.

mypy's stubtest is not used: pybind11 functions have no ``__text_signature__``, so stubtest compares
only names (and reports every pybind11 class's metaclass, ``pybind11_type``, as a difference).
"""

from __future__ import annotations

import ast
import functools
import importlib.machinery
import inspect
import re
from dataclasses import dataclass, field
from pathlib import Path
from types import ModuleType

import pytest

import gradkit
from gradkit import _core

PACKAGE = Path(gradkit.__file__).resolve().parent
STUBS = PACKAGE / "_core"

# pybind11 binds methods as instancemethod objects; a class without a bound constructor (a namespace
# class such as optim.Adam) has only the slot wrapper __init__, which is no member of the bindings.
_INSTANCEMETHOD = type(vars(_core.nn.LegacyRandomState)["get_state"])


def _submodules(module: ModuleType) -> dict[str, ModuleType]:
    return {
        name: value
        for name, value in vars(module).items()
        if not name.startswith("_") and inspect.ismodule(value)
    }


# The module's dotted names below gradkit._core: "" for the module, "optim", ... for its submodules.
MODULES = {"": _core, **_submodules(_core)}


def _stub_path(module_name: str) -> Path:
    return STUBS / ("__init__.pyi" if module_name == "" else f"{module_name}.pyi")


def _label(module_name: str) -> str:
    return "gradkit._core" + (f".{module_name}" if module_name else "")


# ---------------------------------------------------------------- installation


def test_stubs_and_py_typed_are_installed():
    # PEP 561: type checkers read the installed package's py.typed and the _core stub package.
    assert (PACKAGE / "py.typed").is_file(), f"py.typed is not installed in {PACKAGE}"
    installed = {p.name for p in STUBS.glob("*.pyi")}
    expected = {_stub_path(name).name for name in MODULES}
    assert installed == expected, (
        f"{STUBS}: stub files {sorted(installed)}, expected one per (sub)module: {sorted(expected)}"
    )
    assert not (PACKAGE / "_core.pyi").exists(), "a stale _core.pyi is installed beside the _core/ stubs"


def test_the_stub_folder_does_not_shadow_the_extension():
    # A folder without __init__.py is only a namespace-package candidate: the import system takes the
    # extension module of the same name first. An __init__.py in _core/ would hide the extension.
    strays = sorted(p.name for p in STUBS.iterdir() if p.suffix != ".pyi")
    assert not strays, f"{STUBS} must hold .pyi files only, not {strays}"
    origin = _core.__spec__.origin or ""
    assert origin.endswith(tuple(importlib.machinery.EXTENSION_SUFFIXES)), (
        f"gradkit._core was imported from {origin}, not the extension module"
    )
    assert _core.__file__ == origin


# ---------------------------------------------------------------- the stubs, parsed


def _is_type_check_only(node: ast.ClassDef) -> bool:
    return any(
        (isinstance(d, ast.Name) and d.id == "type_check_only")
        or (isinstance(d, ast.Attribute) and d.attr == "type_check_only")
        for d in node.decorator_list
    )


def _base_name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Subscript):  # _ParamGroup[np.float32]
        node = node.value
    return node.id if isinstance(node, ast.Name) else None


def _decorators(node: ast.FunctionDef) -> set[str]:
    names = set()
    for d in node.decorator_list:
        if isinstance(d, ast.Name):
            names.add(d.id)
        elif isinstance(d, ast.Attribute):
            names.add(d.attr)  # lr.setter -> "setter"
    return names


class Declarations:
    """What one body (a stub module or a class) declares, by name."""

    def __init__(self, body: list[ast.stmt]) -> None:
        self.functions: dict[str, list[ast.FunctionDef]] = {}  # every @overload'ed definition
        self.setters: set[str] = set()
        self.classes: dict[str, ast.ClassDef] = {}
        self.attributes: dict[str, ast.AnnAssign] = {}
        self.assigned: set[str] = set()  # aliases and type variables
        self.reexported: set[str] = set()  # `from . import nn as nn`
        for node in body:
            if isinstance(node, ast.FunctionDef):
                if "setter" in _decorators(node):
                    self.setters.add(node.name)
                else:
                    self.functions.setdefault(node.name, []).append(node)
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
                self.attributes[node.target.id] = node
            elif isinstance(node, ast.Assign):
                self.assigned.update(t.id for t in node.targets if isinstance(t, ast.Name))
            elif isinstance(node, (ast.Import, ast.ImportFrom)):
                self.reexported.update(a.name for a in node.names if a.asname == a.name)


@dataclass
class Member:
    """A member of a class in the stub: kind is method, staticmethod, property, attribute or class."""

    kind: str
    nodes: list[ast.FunctionDef] = field(default_factory=list)
    has_setter: bool = False
    cls: ast.ClassDef | None = None


class StubModule:
    """One stub file: its module-level declarations, and each class's members (own and inherited)."""

    def __init__(self, source: str) -> None:
        self.top = Declarations(ast.parse(source).body)

    def public_names(self) -> set[str]:
        top = self.top
        classes = {n for n, c in top.classes.items() if not _is_type_check_only(c)}
        names = {*top.functions, *classes, *top.attributes, *top.reexported, *top.assigned}
        return {n for n in names if not n.startswith("_")}

    def members(self, node: ast.ClassDef) -> dict[str, Member]:
        """Methods, properties, attributes and nested classes by name, the class's own overriding those
        of its bases in the stub (bases are looked up among the module's classes)."""
        found: dict[str, Member] = {}
        for base in node.bases:
            name = _base_name(base)
            if name in self.top.classes:
                found.update(self.members(self.top.classes[name]))
        body = Declarations(node.body)
        for name, nodes in body.functions.items():
            decorators = _decorators(nodes[0])
            if "property" in decorators:
                found[name] = Member("property", nodes, has_setter=name in body.setters)
            elif "staticmethod" in decorators:
                found[name] = Member("staticmethod", nodes)
            else:
                found[name] = Member("method", nodes)
        for name in body.attributes:
            found[name] = Member("attribute")
        for name, cls in body.classes.items():
            found[name] = Member("class", cls=cls)
        return found


def _load_stub(module_name: str) -> StubModule:
    path = _stub_path(module_name)
    if not path.is_file():
        pytest.fail(f"{path.name} is not installed in {STUBS}")
    return StubModule(path.read_text())


# ---------------------------------------------------------------- the module at run time


def _runtime_public(module: ModuleType) -> set[str]:
    return {name for name in dir(module) if not name.startswith("_")}


def _runtime_members(cls: type) -> dict[str, object]:
    # pybind11 puts a class's methods, static methods, properties and nested classes in its own
    # __dict__; of the dunders, those the bindings define (__init__, pickling's __getstate__ and
    # __setstate__) are instancemethods.
    return {
        name: value
        for name, value in vars(cls).items()
        if not name.startswith("_") or (name.startswith("__") and isinstance(value, _INSTANCEMETHOD))
    }


# ---------------------------------------------------------------- signatures


def _split_top_level(text: str) -> list[str]:
    parts: list[str] = []
    current: list[str] = []
    depth = 0
    for ch in text:
        if ch in "([{":
            depth += 1
        elif ch in ")]}":
            depth -= 1
        if ch == "," and depth == 0:
            parts.append("".join(current).strip())
            current = []
        else:
            current.append(ch)
    if "".join(current).strip():
        parts.append("".join(current).strip())
    return parts


def _runtime_params(obj: object, name: str) -> list[tuple[str, str, bool]]:
    """(name, kind, has default) of each parameter but self, from pybind11's docstring signature."""
    doc = obj.__doc__ or ""
    assert "Overloaded function" not in doc, f"{name} is overloaded in the bindings; compare it by hand"
    first = doc.lstrip().splitlines()[0]
    open_at = first.index("(")
    depth = 0
    for close_at in range(open_at, len(first)):
        depth += {"(": 1, ")": -1}.get(first[close_at], 0)
        if depth == 0:
            break
    params: list[tuple[str, str, bool]] = []
    keyword_only = False
    for part in _split_top_level(first[open_at + 1 : close_at]):
        if part == "*":
            keyword_only = True
            continue
        if part == "/":  # pybind11's py::pos_only() (and pickling's __getstate__(self, /))
            params = [(n, "positional-only", d) for n, _, d in params]
            continue
        pname = part.split(":", 1)[0].split("=", 1)[0].strip()
        has_default = re.search(r"\s=\s", part) is not None
        if keyword_only:
            kind = "keyword-only"
        elif re.fullmatch(r"arg\d+", pname):  # pybind11 names unnamed arguments arg0, arg1, ...
            kind = "positional-only"
        else:
            kind = "positional-or-keyword"
        params.append((pname, kind, has_default))
    return [p for p in params if p[0] != "self"]


def _stub_params(node: ast.FunctionDef, is_method: bool) -> list[tuple[str, str, bool]]:
    args = node.args
    positional = [(a.arg, "positional-only") for a in args.posonlyargs] + [
        (a.arg, "positional-or-keyword") for a in args.args
    ]
    defaults = [False] * (len(positional) - len(args.defaults)) + [True] * len(args.defaults)
    params = [(n, k, d) for (n, k), d in zip(positional, defaults)]
    params += [(a.arg, "keyword-only", d is not None) for a, d in zip(args.kwonlyargs, args.kw_defaults)]
    assert args.vararg is None and args.kwarg is None, f"{node.name}: no *args/**kwargs in the bindings"
    if is_method and "staticmethod" not in _decorators(node):
        assert params and params[0][0] == "self", f"{node.name}: a method's first parameter is self"
        params = params[1:]
    return params


def _param_differences(stub_params, runtime_params, where: str) -> list[str]:
    if len(stub_params) != len(runtime_params):
        return [
            f"{where}: the stub has parameters {[p[0] for p in stub_params]}, "
            f"the module {[p[0] for p in runtime_params]}"
        ]
    problems = []
    for (s_name, s_kind, s_default), (r_name, r_kind, r_default) in zip(stub_params, runtime_params):
        if s_kind != r_kind:
            problems.append(f"{where}: parameter {s_name!r} is {s_kind} in the stub, {r_kind} in the module")
        if r_kind != "positional-only" and s_name != r_name:  # unnamed in the bindings: any name
            problems.append(f"{where}: the stub names a parameter {s_name!r}, the module {r_name!r}")
        if s_default != r_default:
            problems.append(
                f"{where}: parameter {s_name!r} has {'a' if r_default else 'no'} default in the module"
            )
    return problems


# ---------------------------------------------------------------- the comparison


@dataclass
class Comparison:
    """What comparing one stub file with its module found, and how much it compared."""

    problems: list[str] = field(default_factory=list)
    functions: int = 0  # module-level functions whose parameters were compared
    classes: int = 0  # classes (nested ones included) whose members were compared
    methods: int = 0  # methods and constructors whose parameters were compared
    static_methods: int = 0
    properties: int = 0  # properties and attributes

    def compare_params(self, nodes: list[ast.FunctionDef], runtime: object, where: str, is_method: bool):
        for node in nodes:  # each @overload'ed definition has the binding's parameters
            self.problems += _param_differences(
                _stub_params(node, is_method), _runtime_params(runtime, where), where
            )


def compare_module(stub: StubModule, module: ModuleType, label: str) -> Comparison:
    found = Comparison()
    runtime_names, stub_names = _runtime_public(module), stub.public_names()
    if missing := sorted(runtime_names - stub_names):
        found.problems.append(f"{label} exports names that its stub lacks: {missing}")
    if extra := sorted(stub_names - runtime_names):
        found.problems.append(f"{label}'s stub declares names that the module does not have: {extra}")
    for name in sorted(stub.top.assigned | set(stub.top.attributes)):  # aliases and type variables only
        if not name.startswith("_"):
            found.problems.append(f"{label}'s stub assigns the public name {name!r}")
    for name in sorted(stub_names & runtime_names):
        runtime, where = getattr(module, name), f"{label}.{name}"
        if name in stub.top.reexported:
            if not (inspect.ismodule(runtime) and runtime.__name__ == where):
                found.problems.append(f"{where} is a submodule in the stub, not in the module")
        elif name in stub.top.classes:
            if inspect.isclass(runtime):
                _compare_class(stub, stub.top.classes[name], runtime, where, found)
            else:
                found.problems.append(f"{where} is a class in the stub, not in the module")
        elif name in stub.top.functions:
            if callable(runtime) and not inspect.isclass(runtime):
                found.compare_params(stub.top.functions[name], runtime, where, is_method=False)
                found.functions += 1
            else:
                found.problems.append(f"{where} is a function in the stub, not in the module")
    return found


def _compare_class(stub: StubModule, node: ast.ClassDef, cls: type, where: str, found: Comparison) -> None:
    found.classes += 1
    if issubclass(cls, BaseException):
        bases = {_base_name(b) for b in node.bases}
        if bases != {b.__name__ for b in cls.__bases__}:
            found.problems.append(f"{where}'s bases differ: {sorted(map(str, bases))} in the stub")
        return
    runtime = _runtime_members(cls)
    declared = stub.members(node)
    if set(runtime) != set(declared):
        found.problems.append(
            f"{where}: in the module but not the stub {sorted(set(runtime) - set(declared))}, "
            f"in the stub but not the module {sorted(set(declared) - set(runtime))}"
        )
    for name in sorted(set(runtime) & set(declared)):
        value, member, at = runtime[name], declared[name], f"{where}.{name}"
        if isinstance(value, property):
            if member.kind not in ("property", "attribute"):
                found.problems.append(f"{at}: a property in the module, a {member.kind} in the stub")
                continue
            writable = member.kind == "attribute" or member.has_setter
            if writable != (value.fset is not None):
                state = "settable" if value.fset is not None else "read-only"
                found.problems.append(
                    f"{at}: {state} in the module, not in the stub (a stub attribute or a property "
                    "with a setter is settable)"
                )
            found.properties += 1
        elif inspect.isclass(value):
            if member.kind != "class" or member.cls is None:
                found.problems.append(f"{at}: a nested class in the module, a {member.kind} in the stub")
                continue
            _compare_class(stub, member.cls, value, at, found)
        elif isinstance(value, staticmethod):
            if member.kind != "staticmethod":
                found.problems.append(f"{at}: a static method in the module, a {member.kind} in the stub")
                continue
            found.compare_params(member.nodes, getattr(cls, name), at, is_method=True)
            found.static_methods += 1
        elif isinstance(value, _INSTANCEMETHOD):
            if member.kind != "method":
                found.problems.append(f"{at}: a method in the module, a {member.kind} in the stub")
                continue
            found.compare_params(member.nodes, getattr(cls, name), at, is_method=True)
            found.methods += 1
        elif isinstance(value, (bool, int, float, str, tuple)):
            # A constant of the class (e.g. an optimizer's group_state names): a stub attribute.
            if member.kind != "attribute":
                found.problems.append(f"{at}: a class constant in the module, a {member.kind} in the stub")
                continue
            found.properties += 1
        else:
            found.problems.append(
                f"{at}: a {type(value).__name__} in the module, which this test cannot compare"
            )


@functools.cache
def comparison(module_name: str) -> Comparison:
    return compare_module(_load_stub(module_name), MODULES[module_name], _label(module_name))


# ---------------------------------------------------------------- the tests


def test_the_module_has_the_submodules_the_stub_imports():
    assert set(MODULES) == {"", "optim", "schedules", "nn", "train"}, (
        f"gradkit._core's submodules are now {sorted(set(MODULES) - {''})}: give each a stub file "
        "and update this test"
    )


@pytest.mark.parametrize("module_name", sorted(MODULES), ids=lambda name: _label(name))
def test_stub_agrees_with_the_module(module_name):
    problems = comparison(module_name).problems
    assert not problems, "\n".join(problems)


def test_the_comparison_covers_the_module():
    # Each class, method and function was compared, not skipped. At the time of writing the bindings
    # have 8 module-level functions (2 each in _core, optim, schedules, nn), 65 classes (13 optimizers
    # with their float32 and float64 classes, 19 schedules, nn's LegacyRandomState, train's 2 trainers,
    # Progress, LoopOptions and 2 exceptions), 337 methods and constructors (12 on each of 24
    # param-group classes, 8 on each LBFGS class, 12 on each trainer, 5 on LegacyRandomState, 3 on
    # Progress with its pickling, 1 on LoopOptions), 91 static methods
    # (13 check_hyper, 4 on each of 12 closed-form schedules, 26 on the others, 2 on each trainer)
    # and 57 properties and attributes. New bindings raise these; the floors leave room below.
    total = Comparison()
    for module_name in MODULES:
        found = comparison(module_name)
        total.functions += found.functions
        total.classes += found.classes
        total.methods += found.methods
        total.static_methods += found.static_methods
        total.properties += found.properties
    assert total.functions >= 8
    assert total.classes >= 60
    assert total.methods > 300
    assert total.static_methods > 80
    assert total.properties > 50


def test_the_comparison_sees_a_forgotten_function():
    # The comparison itself: a submodule function missing from its stub is noticed.
    source = _stub_path("optim").read_text()
    assert "def clip_grad_value_(" in source
    found = compare_module(
        StubModule(source.replace("def clip_grad_value_(", "def clip_grad_value_renamed(")),
        _core.optim,
        "gradkit._core.optim",
    )
    assert any("lacks" in p and "'clip_grad_value_'" in p for p in found.problems), found.problems
    assert any("'clip_grad_value_renamed'" in p for p in found.problems), found.problems


def test_the_comparison_sees_a_forgotten_member_of_a_nested_class():
    # ... and so is a method missing from a param-group class nested in an optimizer's class (here
    # from the base that optim.Adam.float32 and every other param-group class inherit it from).
    source = _stub_path("optim").read_text()
    assert source.count("def clear_lr_scale(self)") == 1
    found = compare_module(
        StubModule(source.replace("def clear_lr_scale(self)", "def clear_lr_scales(self)")),
        _core.optim,
        "gradkit._core.optim",
    )
    assert any(
        p.startswith("gradkit._core.optim.Adam.float32: ") and "clear_lr_scale" in p for p in found.problems
    )


def test_the_comparison_sees_a_wrong_parameter_of_a_static_method():
    # ... and a static method's parameter renamed in the stub (schedules' closed-form base class).
    source = _stub_path("schedules").read_text()
    assert source.count("args: _Args, last_epoch: int, base_lr: float) -> float") == 1
    found = compare_module(
        StubModule(
            source.replace(
                "args: _Args, last_epoch: int, base_lr: float) -> float",
                "args: _Args, step: int, base_lr: float) -> float",
            )
        ),
        _core.schedules,
        "gradkit._core.schedules",
    )
    assert any("StepLR.closed_form: the stub names a parameter 'step'" in p for p in found.problems), (
        found.problems
    )
