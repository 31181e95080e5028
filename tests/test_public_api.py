"""The declared public API: reference plugins and the plugin guide use nothing else.

"Public" is defined once, in ``autocut_core/__init__.py``: the names of ``autocut_core.__all__``
and the modules of ``autocut_core.PUBLIC_MODULES``. This file checks the definition holds
together and that every core import of the reference plugins, the example plugin package and
the guide's examples is public.
"""

from __future__ import annotations

import ast
import importlib
import importlib.util
import re
import subprocess
import sys
from pathlib import Path
from types import ModuleType

import pytest

import autocut_core

ROOT = Path(__file__).resolve().parents[1]
PLUGIN_SOURCES = sorted(
    [*(ROOT / "plugins").rglob("*.py"), *(ROOT / "examples" / "autocut-hello-plugin").rglob("*.py")]
)


def _is_submodule(module: str, name: str) -> bool:
    """Whether ``from module import name`` imports a module (``autocut_core.media.probe`` the
    function is a name; ``autocut_core.editing.assignment`` is a module)."""
    value = getattr(importlib.import_module(module), name, None)
    if value is not None:
        return isinstance(value, ModuleType)
    try:
        return importlib.util.find_spec(f"{module}.{name}") is not None
    except ModuleNotFoundError:
        return False


def private_imports(source: str) -> list[str]:
    """Each core import of ``source`` that is not public, as ``module`` or ``module.name``."""
    problems = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("autocut_core.") and not _public(alias.name):
                    problems.append(alias.name)
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module:
            module = node.module
            if module != "autocut_core" and not module.startswith("autocut_core."):
                continue
            for alias in node.names:
                submodule = f"{module}.{alias.name}"
                if _is_submodule(module, alias.name):  # from autocut_core.editing import assignment
                    if not _public(submodule):
                        problems.append(submodule)
                elif not _public_name(module, alias.name):
                    problems.append(f"{module}.{alias.name}")
    return problems


def _public_name(module: str, name: str) -> bool:
    if module == "autocut_core":
        return name in autocut_core.__all__
    return _public(module) and not name.startswith("_")


def _public(module: str) -> bool:
    return module == "autocut_core" or module in autocut_core.PUBLIC_MODULES


@pytest.mark.parametrize("path", PLUGIN_SOURCES, ids=lambda p: str(p.relative_to(ROOT)))
def test_plugins_import_only_the_public_api(path):
    assert private_imports(path.read_text(encoding="utf-8")) == []


def test_the_guide_teaches_only_the_public_api():
    guide = (ROOT / "docs" / "plugin-hooks.md").read_text(encoding="utf-8")
    blocks = re.findall(r"```(?:python)?\n(.*?)```", guide, flags=re.DOTALL)
    imports = [
        line.strip()
        for block in blocks
        for line in block.splitlines()
        if re.match(r"\s*(from|import) autocut_core", line)
    ]
    assert imports  # the guide does show imports
    assert private_imports("\n".join(imports)) == []


def test_a_private_import_is_caught():
    assert private_imports("from autocut_core.media.errors import display_path") == [
        "autocut_core.media.errors.display_path"
    ]
    assert private_imports("from autocut_core.cli import run") == ["autocut_core.cli.run"]
    assert private_imports("import autocut_core.testing.chat_server") == [
        "autocut_core.testing.chat_server"
    ]
    assert private_imports("from autocut_core import registry") == ["autocut_core.registry"]
    assert private_imports("from autocut_core.editing.prompts import _LABELS") == [
        "autocut_core.editing.prompts._LABELS"
    ]
    assert private_imports("from autocut_core import Encoder, hookimpl") == []


def test_every_public_name_and_module_exists():
    for name in autocut_core.__all__:
        assert getattr(autocut_core, name) is not None, name
    for module in sorted(autocut_core.PUBLIC_MODULES):
        importlib.import_module(module)


def test_the_three_lists_of_public_names_agree():
    """``__all__``, the lazy map and the type checkers' imports name the same things."""
    source = (ROOT / "autocut_core" / "__init__.py").read_text(encoding="utf-8")
    checked = {
        alias.asname or alias.name
        for node in ast.walk(ast.parse(source))
        if isinstance(node, ast.If) and getattr(node.test, "id", "") == "TYPE_CHECKING"
        for statement in node.body
        if isinstance(statement, ast.ImportFrom)
        for alias in statement.names
    }
    lazy = set(autocut_core._EXPORTS)
    assert checked == lazy
    assert set(autocut_core.__all__) == lazy | {
        "PUBLIC_MODULES",
        "__version__",
        "hookimpl",
        "lazy_exports",
    }
    for name, module in autocut_core._EXPORTS.items():
        assert getattr(importlib.import_module(module), name) is getattr(autocut_core, name)


def test_importing_the_package_imports_none_of_the_exports():
    code = (
        "import sys, autocut_core\n"
        "loaded = sorted(m for m in sys.modules if m.startswith('autocut_core'))\n"
        "print(' '.join(loaded))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=ROOT
    )
    assert result.stdout.split() == ["autocut_core", "autocut_core.hookspecs", "autocut_core.lazy"]
