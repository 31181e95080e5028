"""Finding, loading and registering plugins.

Every plugin, the reference ones included, is found through the ``autocut`` entry-point group
and registered into one pluggy manager; nothing registers itself as an import side effect.
A plugin that fails to import, implements a misspelt hook or raises while registering is
recorded as a :class:`PluginFailure` and left out; the others keep working.

Environment controls (comma-separated entry-point or distribution names):

- ``AUTOCUT_LOAD_PLUGINS``: load only these (set it empty to load none);
- ``AUTOCUT_DISABLE_PLUGINS``: never load these.
"""

from __future__ import annotations

import contextlib
import difflib
import os
from collections.abc import Iterator
from dataclasses import dataclass, field
from importlib import metadata
from typing import Any

import pluggy

from autocut_core import hookspecs
from autocut_core.errors import AutocutError, DuplicateComponentError
from autocut_core.registry import PluginInfo, Registry

ENTRY_POINT_GROUP = "autocut"
CORE_DISTRIBUTION = "autocut"
LOAD_ENV = "AUTOCUT_LOAD_PLUGINS"
DISABLE_ENV = "AUTOCUT_DISABLE_PLUGINS"


@dataclass(frozen=True)
class PluginFailure:
    """A plugin that could not be used, and why."""

    name: str
    package: str
    version: str
    error: str


@dataclass(frozen=True)
class BlockedPlugin:
    """A plugin that was found but not loaded because the environment said so."""

    name: str
    package: str
    reason: str


@dataclass
class PluginHost:
    """The plugin manager plus what loading found: plugins, failures, blocked entries."""

    manager: pluggy.PluginManager
    plugins: dict[str, PluginInfo] = field(default_factory=dict)
    failures: list[PluginFailure] = field(default_factory=list)
    blocked: list[BlockedPlugin] = field(default_factory=list)
    _registry: Registry | None = None

    def add(self, plugin: Any, info: PluginInfo) -> bool:
        """Register one plugin object; on a validation error record a failure and return False."""
        try:
            self.manager.register(plugin, name=info.name)
            self.manager.check_pending()
        except (pluggy.PluginValidationError, ValueError) as error:
            if self.manager.is_registered(plugin):
                self.manager.unregister(plugin)
            self.failures.append(_failure(info, _explain_validation(plugin, error)))
            return False
        self.plugins[info.name] = info
        self._registry = None
        return True

    def fail(self, name: str, error: str) -> None:
        """Record that loaded plugin ``name`` failed after loading (e.g. adding commands)."""
        info = self.plugins.get(name) or PluginInfo(name, "unknown", "", "")
        self.failures.append(_failure(info, error))

    def remove(self, name: str) -> None:
        plugin = self.manager.get_plugin(name)
        if plugin is not None:
            self.manager.unregister(plugin)
        self.plugins.pop(name, None)
        self._registry = None

    @property
    def registry(self) -> Registry:
        """The registry built from the loaded plugins (rebuilt after a plugin is added)."""
        if self._registry is None:
            self._registry = self._build_registry()
        return self._registry

    def _build_registry(self) -> Registry:
        # A plugin whose registration raises is dropped whole and the build starts over, so no
        # plugin is ever half-registered. Duplicates are the user's to resolve: they raise.
        while True:
            registry = Registry()
            current = ""
            try:
                for current, info in self.plugins.items():
                    plugin = self.manager.get_plugin(current)
                    _register_components(self.manager, plugin, info, registry)
            except DuplicateComponentError:
                raise
            except Exception as error:  # a third party's bug must not stop the others
                text = str(error) if isinstance(error, AutocutError) else _describe(error)
                self.failures.append(_failure(self.plugins.pop(current), text))
                self.manager.unregister(name=current)
                continue
            return registry


def _register_components(
    manager: pluggy.PluginManager, plugin: Any, info: PluginInfo, registry: Registry
) -> None:
    for hook_name, kind in hookspecs.REGISTRATION_HOOKS.items():
        for impl in getattr(manager.hook, hook_name).get_hookimpls():
            if impl.plugin is not plugin:
                continue

            def register(
                cls: Any, aliases: tuple[str, ...] | list[str] = (), _kind: str = kind
            ) -> None:
                registry.add(_kind, cls, info, tuple(aliases))

            impl.function(**({"register": register} if "register" in impl.argnames else {}))


def _describe(error: BaseException) -> str:
    return f"{type(error).__name__}: {error}"


def _failure(info: PluginInfo, error: str) -> PluginFailure:
    return PluginFailure(info.name, info.package, info.version, error)


def _explain_validation(plugin: Any, error: Exception) -> str:
    unknown = [
        attr
        for attr in dir(plugin)
        if getattr(getattr(plugin, attr, None), f"{hookspecs.PROJECT}_impl", None) is not None
        and attr not in hookspecs.ALL_HOOKS
    ]
    if not unknown:
        return _describe(error)
    parts = []
    for hook in unknown:
        close = difflib.get_close_matches(hook, hookspecs.ALL_HOOKS, n=1)
        hint = f"; did you mean '{close[0]}'?" if close else ""
        parts.append(f"'{hook}' is not an AutoCut hook{hint}")
    return "; ".join(parts)


def new_manager() -> pluggy.PluginManager:
    manager = pluggy.PluginManager(hookspecs.PROJECT)
    manager.add_hookspecs(hookspecs)
    return manager


def _env_names(variable: str) -> set[str] | None:
    value = os.environ.get(variable)
    if value is None:
        return None
    return {part.strip() for part in value.split(",") if part.strip()}


def _distribution(
    entry_point: metadata.EntryPoint, known: dict[Any, tuple[str, str]]
) -> tuple[str, str]:
    """The (name, version) of the distribution that provides ``entry_point``.

    Reading them parses the distribution's whole metadata file, so ``known`` remembers the
    answer for each distribution object (the entry points of one distribution share it).
    """
    dist = entry_point.dist
    if dist is None:
        return "unknown", ""
    if dist not in known:
        meta = dist.metadata
        known[dist] = (meta["Name"] or dist.name, meta["Version"] or dist.version)
    return known[dist]


def _entry_points() -> list[tuple[metadata.EntryPoint, str, str]]:
    """The ``autocut`` entry points, each with its distribution's name and version.

    One entry per (distribution, name), even when a distribution is on ``sys.path`` twice;
    the core distribution's come first, then the rest by name.
    """
    known: dict[Any, tuple[str, str]] = {}
    seen: set[tuple[str, str]] = set()
    unique = []
    for entry_point in metadata.entry_points(group=ENTRY_POINT_GROUP):
        package, version = _distribution(entry_point, known)
        key = (package.lower(), entry_point.name)
        if key not in seen:  # the same distribution seen twice on sys.path
            seen.add(key)
            unique.append((entry_point, package, version))
    return sorted(unique, key=lambda found: (found[1] != CORE_DISTRIBUTION, found[0].name))


def load_host(entrypoints: bool = True) -> PluginHost:
    """Build a host and load every plugin the entry points and the environment allow."""
    host = PluginHost(new_manager())
    if not entrypoints:
        return host
    allowed = _env_names(LOAD_ENV)
    disabled = _env_names(DISABLE_ENV) or set()
    for entry_point, package, version in _entry_points():
        labels = {entry_point.name, package}
        if labels & disabled:
            host.blocked.append(
                BlockedPlugin(entry_point.name, package, f"listed in {DISABLE_ENV}")
            )
            continue
        if allowed is not None and not labels & allowed:
            host.blocked.append(BlockedPlugin(entry_point.name, package, f"not in {LOAD_ENV}"))
            continue
        info = PluginInfo(
            name=entry_point.name,
            package=package,
            version=version,
            module=entry_point.value,
            builtin=package == CORE_DISTRIBUTION,
        )
        try:
            plugin = entry_point.load()
        except Exception as error:  # a broken plugin is reported, never fatal
            host.failures.append(_failure(info, _describe(error)))
            continue
        host.add(plugin, info)
    return host


_host: PluginHost | None = None


def get_host() -> PluginHost:
    """The process-wide plugin host, loaded on first use."""
    global _host
    if _host is None:
        _host = load_host()
    return _host


def get_registry() -> Registry:
    """The process-wide component registry."""
    return get_host().registry


def reset() -> None:
    """Forget the loaded plugins; the next :func:`get_host` loads them again."""
    global _host
    _host = None


@contextlib.contextmanager
def inline_plugin(
    plugin: Any, name: str = "inline", package: str = "inline"
) -> Iterator[PluginInfo]:
    """Register ``plugin`` (a module, class or object with hook implementations) for a block.

    The plugin is visible through :func:`get_registry` inside the block and removed after it,
    even when the block raises. Use it in tests of your own plugin.
    """
    host = get_host()
    info = PluginInfo(name=name, package=package, version="", module=repr(plugin))
    if name in host.plugins:
        raise ValueError(f"a plugin named '{name}' is already registered")
    if not host.add(plugin, info):
        failure = host.failures.pop()
        raise AutocutError(f"inline plugin '{name}' is invalid: {failure.error}")
    try:
        yield info
    finally:
        host.remove(name)
        host.failures = [failure for failure in host.failures if failure.name != name]
