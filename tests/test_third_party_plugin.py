"""A real third-party package, pip-installed and found through its entry point.

The packages are installed with pip into a directory that is put on the ``autocut``
subprocess's path (``pip install --target``), so the install and uninstall are real but never
disturb the virtual environment other tests run in at the same time.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
HELLO = ROOT / "examples" / "autocut-hello-plugin"
BROKEN = ROOT / "tests" / "data" / "autocut-broken-plugin"

pytestmark = pytest.mark.slow


def _pip_install(package: Path, target: Path) -> None:
    """Install ``package`` into ``target``, building from a copy: setuptools writes build/
    and *.egg-info next to the sources it builds, and the source tree must stay clean."""
    import shutil
    import tempfile

    ignore = shutil.ignore_patterns("build", "*.egg-info", "__pycache__")
    copy = Path(tempfile.mkdtemp(prefix="sources-", dir=target.parent)) / package.name
    sources = shutil.copytree(package, copy, ignore=ignore)
    command = [
        sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
        "--no-index", "--target", str(target), str(sources),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True, cwd=target.parent)


def _autocut(site: Path, *args: str, **env: str) -> subprocess.CompletedProcess[str]:
    environment = {k: v for k, v in os.environ.items() if not k.startswith("AUTOCUT_")}
    environment["PYTHONPATH"] = os.pathsep.join(
        filter(None, [str(site), environment.get("PYTHONPATH")])
    )
    environment.update(env)
    command = [sys.executable, "-c", "from autocut_core.cli import main; main()", *args]
    return subprocess.run(command, capture_output=True, text=True, env=environment, check=False)


@pytest.fixture(scope="module")
def site(tmp_path_factory: pytest.TempPathFactory) -> Path:
    target = tmp_path_factory.mktemp("site") / "packages"
    target.mkdir()
    _pip_install(HELLO, target)
    _pip_install(BROKEN, target)
    return target


def test_installed_plugin_is_listed_with_its_package(site):
    result = _autocut(site, "plugins", "--json")
    assert result.returncode == 0, result.stderr
    encoders = {e["name"]: e for e in json.loads(result.stdout)["components"]["encoder"]}
    assert encoders["hello"]["package"] == "autocut-hello"
    assert encoders["hello"]["package_version"] == "0.1.0"
    assert encoders["hello"]["builtin"] is False
    assert "histogram" in encoders


def test_installed_plugin_is_usable_by_name(site):
    code = (
        "import numpy as np;"
        "from autocut_core.plugins import get_registry;"
        "from autocut_core.contracts import check_component;"
        "registration = get_registry().get('encoder', 'hello');"
        "check_component(registration);"
        "encoder = get_registry().create('encoder', 'hello', {'centre': 'false'});"
        "frame = np.zeros((8, 8, 3), np.uint8); frame[:4] = 255;"
        "print([round(float(x), 3) for x in encoder.encode([frame])[0]])"
    )
    environment = {**os.environ, "PYTHONPATH": str(site)}
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, env=environment, check=False
    )
    assert result.returncode == 0, result.stderr
    vector = json.loads(result.stdout)
    assert len(vector) == 12
    assert vector[:6] == [0.408] * 6 and vector[6:] == [0.0] * 6  # top half white, bottom black


def test_disable_removes_the_plugin(site):
    result = _autocut(site, "plugins", "--all", "--json", AUTOCUT_DISABLE_PLUGINS="hello")
    report = json.loads(result.stdout)
    assert "hello" not in {e["name"] for e in report["components"]["encoder"]}
    assert {
        "name": "hello",
        "package": "autocut-hello",
        "reason": "listed in AUTOCUT_DISABLE_PLUGINS",
    } in report["blocked"]
    by_package = _autocut(site, "plugins", "--json", AUTOCUT_DISABLE_PLUGINS="autocut-hello")
    assert "hello" not in {
        e["name"] for e in json.loads(by_package.stdout)["components"]["encoder"]
    }


def test_broken_plugin_is_reported_and_everything_else_works(site):
    result = _autocut(site, "plugins", "--json")
    assert result.returncode == 0
    report = json.loads(result.stdout)
    (failure,) = report["failures"]
    assert failure["package"] == "autocut-broken" and failure["version"] == "9.9.9"
    assert (
        "ModuleNotFoundError: No module named 'autocut_dependency_that_is_not_installed'"
        in failure["error"]
    )
    assert (
        "plugin 'broken' from autocut-broken 9.9.9 failed to load and was skipped" in result.stderr
    )
    shown = _autocut(site, "plugins", "show", "encoder", "hello")
    assert shown.returncode == 0 and "autocut-hello" in shown.stdout
    doctor = _autocut(site, "doctor")
    assert doctor.returncode == 1
    assert "FAIL  plugin broken: autocut-broken 9.9.9: ModuleNotFoundError" in doctor.stdout


def test_unknown_name_exits_2_from_the_console(site):
    result = _autocut(site, "plugins", "show", "encoder", "helo")
    assert result.returncode == 2
    assert "Available: " in result.stderr and "hello, histogram" in result.stderr
    assert result.stderr.rstrip().endswith("Did you mean 'hello'?")


def test_uninstall_removes_it_again(site, tmp_path):
    target = tmp_path / "packages"
    target.mkdir()
    _pip_install(HELLO, target)
    assert "hello" in _autocut(target, "plugins").stdout
    for entry in target.iterdir():
        if entry.name.startswith(("autocut_hello", "autocut-hello")):
            subprocess.run(["rm", "-rf", str(entry)], check=True)
    assert "hello" not in _autocut(target, "plugins").stdout
