"""gradkit/_core.pyi and the extension module gradkit._core agree, and the stub is installed.

The stub is parsed with ``ast`` and compared with the module as imported: the same public classes and
functions, each class with the same methods and properties, and every function and method with the
same parameters (names, positional-only, keyword-only, with or without a default), read from the
signature pybind11 writes at the top of each docstring. A binding change that forgets the stub fails
here.

mypy's stubtest is not used: pybind11 functions have no ``__text_signature__``, so stubtest compares
only names (and reports every pybind11 class's metaclass, ``pybind11_type``, as a difference).
"""

from __future__ import annotations

import ast
import inspect
import re
from pathlib import Path

import pytest

import gradkit
from gradkit import _core

PACKAGE = Path(gradkit.__file__).resolve().parent
STUB = PACKAGE / "_core.pyi"


def test_stub_and_py_typed_are_installed():
    # PEP 561: type checkers read the installed package's py.typed and _core.pyi.
    assert (PACKAGE / "py.typed").is_file(), f"py.typed is not installed in {PACKAGE}"
    assert STUB.is_file(), f"_core.pyi is not installed in {PACKAGE}"


# ---------------------------------------------------------------- the stub, parsed


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


class Stub:
    """What _core.pyi declares: module functions, and classes with their members (own and inherited)."""

    def __init__(self, source: str) -> None:
        tree = ast.parse(source)
        self.functions: dict[str, ast.FunctionDef] = {}
        self.classes: dict[str, ast.ClassDef] = {}
        self.other: set[str] = set()
        for node in tree.body:
            if isinstance(node, ast.FunctionDef):
                self.functions.setdefault(node.name, node)  # the first of @overload'ed definitions
            elif isinstance(node, ast.ClassDef):
                self.classes[node.name] = node
            elif isinstance(node, (ast.Assign, ast.AnnAssign)):
                targets = node.targets if isinstance(node, ast.Assign) else [node.target]
                self.other.update(t.id for t in targets if isinstance(t, ast.Name))

    def public_names(self) -> set[str]:
        classes = {n for n, c in self.classes.items() if not _is_type_check_only(c)}
        return {n for n in {*self.functions, *classes, *self.other} if not n.startswith("_")}

    def members(self, class_name: str) -> dict[str, ast.FunctionDef]:
        """Methods and properties by name, the class's own overriding those of its bases in the stub."""
        node = self.classes[class_name]
        found: dict[str, ast.FunctionDef] = {}
        for base in node.bases:
            name = _base_name(base)
            if name in self.classes:
                found.update(self.members(name))
        for item in node.body:
            if isinstance(item, ast.FunctionDef) and "setter" not in _decorators(item):
                found[item.name] = item
        return found


STUB_DECL = Stub(STUB.read_text()) if STUB.is_file() else None


@pytest.fixture()
def stub() -> Stub:
    if STUB_DECL is None:
        pytest.fail(f"_core.pyi is not installed in {PACKAGE}")
    return STUB_DECL


def _runtime_public() -> set[str]:
    return {name for name in dir(_core) if not name.startswith("_")}


def _runtime_members(cls: type) -> set[str]:
    # pybind11 puts a class's methods, static methods and properties in its own __dict__.
    return {name for name in vars(cls) if not name.startswith("_") or name == "__init__"}


# ---------------------------------------------------------------- signatures


def _split_top_level(text: str) -> list[str]:
    parts, depth, current = [], 0, []
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
    params = []
    keyword_only = False
    for part in _split_top_level(first[open_at + 1 : close_at]):
        if part == "*":
            keyword_only = True
            continue
        pname = part.split(":", 1)[0].split("=", 1)[0].strip()
        if pname == "self":
            continue
        has_default = re.search(r"\s=\s", part) is not None
        if keyword_only:
            kind = "keyword-only"
        elif re.fullmatch(r"arg\d+", pname):  # pybind11 names unnamed arguments arg0, arg1, ...
            kind = "positional-only"
        else:
            kind = "positional-or-keyword"
        params.append((pname, kind, has_default))
    return params


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


def _assert_same_params(stub_params, runtime_params, where: str) -> None:
    assert len(stub_params) == len(runtime_params), (
        f"{where}: the stub has parameters {[p[0] for p in stub_params]}, "
        f"the module {[p[0] for p in runtime_params]}"
    )
    for (s_name, s_kind, s_default), (r_name, r_kind, r_default) in zip(stub_params, runtime_params):
        assert s_kind == r_kind, (
            f"{where}: parameter {s_name!r} is {s_kind} in the stub, {r_kind} in the module"
        )
        if r_kind != "positional-only":  # unnamed in the bindings: any name in the stub
            assert s_name == r_name, f"{where}: the stub names a parameter {s_name!r}, the module {r_name!r}"
        assert s_default == r_default, (
            f"{where}: parameter {s_name!r} has {'a' if r_default else 'no'} default in the module"
        )


# ---------------------------------------------------------------- the tests


def test_stub_names_every_public_name_of_the_module(stub):
    missing = sorted(_runtime_public() - stub.public_names())
    assert not missing, f"gradkit._core exports names that _core.pyi lacks: {missing}"


def test_every_name_in_the_stub_exists_in_the_module(stub):
    extra = sorted(stub.public_names() - _runtime_public())
    assert not extra, f"_core.pyi declares names that gradkit._core does not have: {extra}"
    for name in stub.other:  # private aliases and type variables only
        assert name.startswith("_"), f"_core.pyi assigns the public name {name!r}"


def test_classes_are_classes_and_functions_functions(stub):
    for name in stub.public_names() & _runtime_public():
        runtime = getattr(_core, name)
        if name in stub.classes:
            assert inspect.isclass(runtime), f"{name} is a class in the stub, not in the module"
        else:
            assert callable(runtime) and not inspect.isclass(runtime), f"{name} is a function in the stub"


def test_exceptions_have_the_stubs_bases(stub):
    for name, node in stub.classes.items():
        runtime = getattr(_core, name, None)
        if inspect.isclass(runtime) and issubclass(runtime, BaseException):
            bases = {_base_name(b) for b in node.bases}
            assert bases == {b.__name__ for b in runtime.__bases__}, f"{name}'s bases differ"


def test_each_class_has_the_stubs_methods_and_properties(stub):
    for name in sorted(stub.public_names() & set(stub.classes) & _runtime_public()):
        cls = getattr(_core, name)
        if issubclass(cls, BaseException):
            continue
        runtime = _runtime_members(cls)
        declared = set(stub.members(name))
        assert runtime == declared, (
            f"{name}: in the module but not the stub {sorted(runtime - declared)}, "
            f"in the stub but not the module {sorted(declared - runtime)}"
        )


def test_each_method_has_the_modules_parameters(stub):
    checked = 0
    for class_name in sorted(stub.public_names() & set(stub.classes) & _runtime_public()):
        cls = getattr(_core, class_name)
        if issubclass(cls, BaseException):
            continue
        for member, node in stub.members(class_name).items():
            if member not in vars(cls):  # reported by test_each_class_has_the_stubs_methods_and_properties
                continue
            runtime = vars(cls)[member]
            is_property = isinstance(runtime, property)
            assert is_property == ("property" in _decorators(node)), (
                f"{class_name}.{member}: a property in one of the stub and the module only"
            )
            if is_property:
                continue
            is_static = isinstance(runtime, staticmethod)
            assert is_static == ("staticmethod" in _decorators(node)), (
                f"{class_name}.{member}: a static method in one of the stub and the module only"
            )
            function = getattr(cls, member)
            _assert_same_params(
                _stub_params(node, is_method=True),
                _runtime_params(function, f"{class_name}.{member}"),
                f"{class_name}.{member}",
            )
            checked += 1
    assert checked > 100


def test_each_function_has_the_modules_parameters(stub):
    names = sorted(stub.public_names() & set(stub.functions) & _runtime_public())
    for name in names:
        _assert_same_params(
            _stub_params(stub.functions[name], is_method=False),
            _runtime_params(getattr(_core, name), name),
            name,
        )
    assert len(names) > 80


def test_stub_parser_sees_a_forgotten_function(stub):
    # The comparison itself: a module function removed from the stub is noticed.
    source = STUB.read_text().replace("def clip_grad_value_(", "def clip_grad_value_renamed(")
    assert "clip_grad_value_" in _runtime_public() - Stub(source).public_names()
