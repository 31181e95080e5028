"""The package layout is the data flow: stages import only from stages upstream of them.

``autocut_core`` keeps its kernel (the contracts plugin authors import) at the top level and
one sub-package per stage. This test reads every import statement (module level, inside
functions and under ``TYPE_CHECKING`` alike) and fails on

- a module at the top level of ``autocut_core`` that is not part of the kernel (put it in the
  stage it belongs to);
- an import from a stage downstream of the importer, or between two sibling stages;
- any import circle, in ``autocut_core`` or in the reference plugins.
"""

from __future__ import annotations

import ast
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]

#: The kernel: what every stage and every plugin may import.
KERNEL = {
    "__init__", "checks", "components", "contracts", "errors", "fsutil", "hookspecs", "ids",
    "inputs", "lazy", "plugins", "progress", "registry", "serde", "settings", "text", "types",
}  # fmt: skip

#: Stages in the order data flows through them; a stage may import from stages with a
#: lower rank and from the kernel (rank 0), never from a higher or an equal rank.
STAGE_RANKS = {
    "models": 1,
    "media": 1,
    "materials": 2,
    "tokens": 3,
    "editing": 4,
    "output": 5,
    "llm": 5,
    "pipelines": 6,
    "dataset": 6,
    "evaluation": 6,
    "testing": 7,
    "studio": 7,
    "cli": 8,
}


def _module_name(path: Path) -> str:
    relative = path.relative_to(ROOT).with_suffix("")
    parts = list(relative.parts)
    if parts[0] == "plugins":
        parts[0] = "autocut_plugins"
    if parts[-1] == "__init__":
        parts = parts[:-1]
    return ".".join(parts)


def _sources() -> dict[str, Path]:
    files = [*ROOT.glob("autocut_core/**/*.py"), *ROOT.glob("plugins/**/*.py")]
    return {_module_name(path): path for path in files}


def _imports(name: str, path: Path, modules: set[str]) -> set[str]:
    """The project modules ``name`` imports, resolved to modules (not names in them)."""
    package = name if path.name == "__init__.py" else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                origin = ".".join([*base, *([node.module] if node.module else [])])
            else:
                origin = node.module or ""
            # ``from package import module`` depends on the module; any other name on the
            # package (or module) it is taken from
            targets = [
                f"{origin}.{alias.name}" if f"{origin}.{alias.name}" in modules else origin
                for alias in node.names
            ]
        else:
            continue
        for target in targets:
            module = target
            while module and module not in modules:
                module = module.rpartition(".")[0]
            if module and module != name:
                found.add(module)
    return found


def _graph() -> dict[str, set[str]]:
    sources = _sources()
    modules = set(sources)
    return {name: _imports(name, path, modules) for name, path in sources.items()}


def _stage(module: str) -> str | None:
    """The stage of an ``autocut_core`` module, ``""`` for the kernel, None elsewhere."""
    parts = module.split(".")
    if parts[0] != "autocut_core":
        return None
    if len(parts) == 1 or parts[1] in KERNEL:
        return ""
    return parts[1]


def _rank(stage: str) -> int:
    return 0 if stage == "" else STAGE_RANKS[stage]


def test_every_top_level_module_is_kernel_or_a_stage():
    top = ROOT / "autocut_core"
    strays = sorted(
        path.name
        for path in top.iterdir()
        if (path.suffix == ".py" and path.stem not in KERNEL)
        or (path.is_dir() and (path / "__init__.py").exists() and path.name not in STAGE_RANKS)
    )
    assert strays == [], f"not kernel and not a stage: {strays}"


def test_no_stage_imports_from_downstream_or_a_sibling():
    wrong = []
    for module, imported in sorted(_graph().items()):
        stage = _stage(module)
        if stage is None:
            continue
        for target in sorted(imported):
            other = _stage(target)
            if other is None or other == stage:
                continue
            if _rank(other) >= _rank(stage):
                wrong.append(f"{module} ({stage or 'kernel'}) imports {target} ({other})")
    assert wrong == [], "\n".join(wrong)


def _circles(graph: dict[str, set[str]]) -> list[list[str]]:
    """Strongly connected components with more than one module (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        on_stack.add(node)
        for target in graph.get(node, ()):
            if target not in index:
                visit(target)
                low[node] = min(low[node], low[target])
            elif target in on_stack:
                low[node] = min(low[node], index[target])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def test_no_import_circles():
    circles = _circles(_graph())
    assert circles == [], "\n".join(" <-> ".join(circle) for circle in circles)


def test_the_circle_finder_finds_a_circle():
    graph = {"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}
    assert _circles(graph) == [["a", "b", "c"]]


@pytest.mark.parametrize(
    ("module", "stage"),
    [("autocut_core", ""), ("autocut_core.types", ""), ("autocut_core.media.probe", "media"),
     ("autocut_plugins.lm.backbone", None)],
)  # fmt: skip
def test_stages_are_read_from_the_module_path(module, stage):
    assert _stage(module) == stage
