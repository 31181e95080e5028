"""Documentation that cannot drift: every hook documented with its signature and a runnable
example, and every hook tested (as datasette's test_docs.py does)."""

from __future__ import annotations

import inspect
import re
import types
from pathlib import Path

import pytest

from autocut_core import hookspecs
from autocut_core.contracts import check_component
from autocut_core.plugins import get_registry, inline_plugin

ROOT = Path(__file__).resolve().parents[1]
HOOK_DOCS = ROOT / "docs" / "plugin-hooks.md"
TESTS = ROOT / "tests"


def _signature(hook: str) -> str:
    parameters = inspect.signature(getattr(hookspecs, hook)).parameters
    return f"{hook}({', '.join(parameters)})"


def _sections() -> dict[str, str]:
    text = HOOK_DOCS.read_text(encoding="utf-8")
    parts = re.split(r"^## ", text, flags=re.MULTILINE)[1:]
    return {part.splitlines()[0].strip(): part for part in parts}


@pytest.mark.parametrize("hook", hookspecs.ALL_HOOKS)
def test_hook_is_documented_with_its_exact_signature(hook):
    assert _signature(hook) in _sections(), f"docs/plugin-hooks.md has no '## {_signature(hook)}'"


def test_every_documented_hook_exists():
    documented = {heading for heading in _sections() if re.match(r"^register_\w+\(", heading)}
    assert documented == {_signature(hook) for hook in hookspecs.ALL_HOOKS}


@pytest.mark.parametrize("hook", hookspecs.ALL_HOOKS)
def test_hook_has_a_test(hook):
    sources = "\n".join(path.read_text(encoding="utf-8") for path in TESTS.rglob("test_*.py"))
    assert f"def test_hook_{hook}(" in sources, f"no test named test_hook_{hook}"


def _example(hook: str) -> types.ModuleType:
    """The plugin module a hook's section of docs/plugin-hooks.md shows, executed."""
    section = _sections()[_signature(hook)]
    blocks = re.findall(r"```python\n(.*?)```", section, flags=re.DOTALL)
    assert len(blocks) == 1, f"'{hook}' needs exactly one ```python example, found {len(blocks)}"
    module = types.ModuleType(f"doc_example_{hook}")
    exec(compile(blocks[0], f"docs/plugin-hooks.md ({hook})", "exec"), module.__dict__)
    return module


@pytest.mark.parametrize("hook", hookspecs.ALL_HOOKS)
def test_hook_example_runs(hook):
    """Each section's python block is a complete plugin module that really registers."""
    module = _example(hook)
    if hook == "register_commands":
        from autocut_core.cli import build_app

        before = {command.name for command in build_app().registered_commands}
        with inline_plugin(module, name=f"doc-{hook}"):
            after = {command.name for command in build_app().registered_commands}
        assert after - before, "the example added no command"
        return
    kind = hookspecs.REGISTRATION_HOOKS[hook]
    before = set(get_registry().names(kind))
    with inline_plugin(module, name=f"doc-{hook}"):
        added = set(get_registry().names(kind)) - before
        assert added, f"the {hook} example registered no {kind}"
        for name in added:
            check_component(get_registry().get(kind, name))


def _documents() -> list[Path]:
    return sorted([ROOT / "README.md", *ROOT.glob("docs/*.md"), *ROOT.glob("examples/*/README.md")])


_LINK = re.compile(r"\]\(([^)#\s]+)(?:#[^)]*)?\)")
_REPO_PATH = re.compile(r"`((?:autocut_core|plugins|tests|bench|examples|scripts)/[\w/.-]+\.\w+)`")


@pytest.mark.parametrize("document", _documents(), ids=lambda path: path.name)
def test_every_path_a_document_names_exists(document):
    """Links and `repo/paths.py` in the docs follow the code when files move."""
    text = document.read_text(encoding="utf-8")
    missing = [
        target
        for target in _LINK.findall(text)
        if "://" not in target and not (document.parent / target).exists()
    ]
    missing += [path for path in _REPO_PATH.findall(text) if not (ROOT / path).exists()]
    assert missing == [], f"{document.relative_to(ROOT)} names missing files: {missing}"


def _resolve(dotted: str) -> object:
    """Import the longest module prefix of ``dotted``, then take the rest as attributes."""
    import importlib

    parts = dotted.split(".")
    for cut in range(len(parts), 0, -1):
        try:
            found: object = importlib.import_module(".".join(parts[:cut]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[cut:]:
            found = getattr(found, attribute)
        return found
    raise ModuleNotFoundError(dotted)


def test_every_core_name_the_plugin_guide_uses_is_importable_there():
    """Plugin authors import from where docs/plugin-hooks.md says; a re-laid core keeps it."""
    text = HOOK_DOCS.read_text(encoding="utf-8")
    names = sorted(set(re.findall(r"autocut_core(?:\.[A-Za-z_]\w*)+", text)))
    imports = re.findall(r"^from (autocut_core[\w.]*) import ([\w, ]+)$", text, flags=re.MULTILINE)
    names += [
        f"{module}.{name.strip()}" for module, listed in imports for name in listed.split(",")
    ]
    assert len(names) > 20
    for name in names:
        assert _resolve(name) is not None, name


_SHELL_BLOCK = re.compile(r"```(bash|sh|shell|console|text)\n(.*?)```", flags=re.DOTALL)
#: Words that call a command missing; a sentence naming an existing command must not use them.
_MISSING = re.compile(
    r"not (?:written|implemented|available) yet|coming in (?:a )?later release|is being built"
    r"|no command reads|will (?:accept|be added)",
    flags=re.IGNORECASE,
)


def _autocut_command_lines() -> list[tuple[str, str]]:
    """``(document, command line)`` for every ``autocut ...`` a doc's code block shows: every
    line of a bash block, the ``$ `` lines of a text block."""
    found = []
    for document in _documents():
        for language, block in _SHELL_BLOCK.findall(document.read_text(encoding="utf-8")):
            lines = block.replace("\\\n", " ").splitlines()
            if language == "text":
                lines = [line[2:] for line in lines if line.startswith("$ ")]
            for line in lines:
                for command in re.split(r"&&|\|\||\||;", line.split(" #")[0]):
                    words = command.split()
                    while words and re.match(r"^[A-Z_][A-Z0-9_]*=", words[0]):
                        words.pop(0)  # VARIABLE=value before the command
                    if words and words[0].rsplit("/", 1)[-1] == "autocut":
                        found.append((document.name, " ".join(words)))
    return found


def _resolve_command(root, words: list[str]):
    """The click command a command line reaches from ``root``, the sub-command path, and the
    rest of the words."""
    command = root
    path: list[str] = []
    for word in words:
        if word not in getattr(command, "commands", {}):  # a group has sub-commands
            break
        command = command.commands[word]
        path.append(word)
    return command, path, words[len(path) :]


def test_the_docs_show_autocut_commands():
    assert len(_autocut_command_lines()) > 40


def test_every_command_the_docs_show_exists_with_its_options(cli):
    """A doc cannot promise a command or an option that the CLI does not have (the plugin
    guide's `register_commands` example is installed: its command is shown in use)."""
    with inline_plugin(_example("register_commands"), name="doc-register_commands"):
        problems = _command_problems(cli)
    assert problems == [], "\n".join(problems)


def _command_problems(cli) -> list[str]:
    import shlex

    from typer.main import get_command

    from autocut_core.cli import build_app

    root = get_command(build_app())
    problems, paths = [], set()
    for document, line in _autocut_command_lines():
        command, path, rest = _resolve_command(root, shlex.split(line)[1:])
        if rest and not rest[0].startswith("-") and hasattr(command, "commands"):
            problems.append(f"{document}: `{line}`: no command `{' '.join([*path, rest[0]])}`")
            continue
        known = {option for parameter in command.params for option in parameter.opts}
        known |= {option for parameter in command.params for option in parameter.secondary_opts}
        for word in rest:
            option = word.split("=", 1)[0]
            if option.startswith("--") and option != "--" and option not in known | {"--help"}:
                problems.append(f"{document}: `{line}`: `{' '.join(path)}` has no {option}")
        paths.add(tuple(path))
    for path in sorted(paths):
        code, out, err = cli(*path, "--help")
        if code != 0 or "Usage" not in out:
            problems.append(f"`autocut {' '.join(path)} --help` failed: {err.strip()}")
    return problems


def test_no_document_calls_an_existing_command_missing():
    """A sentence that names a command the CLI has must not say it is not there yet."""
    from typer.main import get_command

    from autocut_core.cli import build_app

    commands = set(get_command(build_app()).commands)
    stale = []
    for document in _documents():
        prose = _SHELL_BLOCK.sub("", document.read_text(encoding="utf-8"))
        for sentence in re.split(r"(?<=[.!?])\s+|\n\n", prose):
            named = set(re.findall(r"autocut (\w[\w-]*)", sentence)) & commands
            named |= {word for word in commands if f"`{word}`" in sentence}
            if named and _MISSING.search(sentence):
                stale.append(f"{document.name}: {' '.join(sentence.split())[:160]}")
    assert {"run", "render", "train"} <= commands
    assert stale == [], "\n".join(stale)
