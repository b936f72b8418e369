"""``python -m gradkit --version`` and ``gradkit.__version__`` give the installed distribution's version."""

from __future__ import annotations

import importlib.metadata
import subprocess
import sys

import gradkit


def _run(*args: str, cwd) -> subprocess.CompletedProcess:
    # From an empty folder, so that the installed package is the one imported.
    return subprocess.run(
        [sys.executable, "-m", "gradkit", *args], capture_output=True, text=True, timeout=120, cwd=cwd
    )


def test_version_attribute_is_the_installed_distributions():
    assert gradkit.__version__ == importlib.metadata.version("gradkit")
    assert gradkit.__version__ != "0.0.0+unknown"


def test_python_m_gradkit_version_prints_the_installed_version(tmp_path):
    result = _run("--version", cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == importlib.metadata.version("gradkit") + "\n"
    assert result.stdout.strip() == gradkit.__version__
    assert result.stderr == ""


def test_python_m_gradkit_without_arguments_names_the_version_and_threads(tmp_path):
    result = _run(cwd=tmp_path)
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"gradkit {gradkit.__version__} ({gradkit.get_num_threads()} threads)\n"


def test_python_m_gradkit_refuses_an_unknown_option(tmp_path):
    result = _run("--versoin", cwd=tmp_path)
    assert result.returncode == 2
    assert "unrecognized arguments: --versoin" in result.stderr
