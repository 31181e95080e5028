"""Name -> component class, with who provided it.

The registry is built once from the loaded plugins by calling each plugin's registration hooks
one plugin at a time, so every name is tied to the distribution that registered it. Two
providers of one name are an error at build time, never a silent override.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, overload

from autocut_core.components import (
    COMPONENT_KINDS,
    Backbone,
    Captioner,
    Component,
    Encoder,
    Evaluator,
    Pipeline,
    Renderer,
    Retriever,
    Separator,
    Tokenizer,
    Transcriber,
    Voice,
)
from autocut_core.errors import (
    DuplicateComponentError,
    RegistrationError,
    UnknownComponentError,
    UnknownKindError,
)

_NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")


@dataclass(frozen=True)
class PluginInfo:
    """A loaded plugin: the entry point (or inline name) and the distribution behind it."""

    name: str
    package: str
    version: str
    module: str
    builtin: bool = False

    @property
    def provider(self) -> str:
        return f"{self.package} {self.version}".strip()


@dataclass(frozen=True)
class Registration:
    """One registered component class and its provenance."""

    kind: str
    name: str
    cls: type[Component]
    plugin: PluginInfo
    aliases: tuple[str, ...] = ()


class Registry:
    """Components by kind and name (aliases resolve to the same registration)."""

    def __init__(self) -> None:
        self._entries: dict[str, dict[str, Registration]] = {kind: {} for kind in COMPONENT_KINDS}
        self._aliases: dict[str, dict[str, str]] = {kind: {} for kind in COMPONENT_KINDS}

    def add(
        self,
        kind: str,
        cls: Any,
        plugin: PluginInfo,
        aliases: Sequence[str] = (),
    ) -> Registration:
        """Register ``cls`` as a component of ``kind``; raises on a bad class or a duplicate."""
        base = COMPONENT_KINDS[kind]
        if not (isinstance(cls, type) and issubclass(cls, base)):
            raise RegistrationError(
                f"plugin '{plugin.name}' ({plugin.provider}) registered {cls!r} as a {kind}, "
                f"but it is not a subclass of autocut_core.components.{base.__name__}"
            )
        if getattr(cls, "__abstractmethods__", None):
            missing = ", ".join(sorted(cls.__abstractmethods__))
            raise RegistrationError(
                f"plugin '{plugin.name}' ({plugin.provider}) registered {kind} {cls.__name__} "
                f"which does not implement: {missing}"
            )
        problems = cls.class_problems()
        if problems:
            raise RegistrationError(
                f"plugin '{plugin.name}' ({plugin.provider}) registered {kind} {cls.__name__}: "
                + "; ".join(problems)
            )
        name = getattr(cls, "name", None)
        for label in (name, *aliases):
            if not isinstance(label, str) or not _NAME.match(label):
                raise RegistrationError(
                    f"plugin '{plugin.name}' ({plugin.provider}) registered {kind} {cls.__name__} "
                    f"with name {label!r}: names are lower-case letters, digits, '-', '_' or '.'"
                )
            self._check_free(kind, label, plugin)
        assert isinstance(name, str)
        registration = Registration(kind, name, cls, plugin, tuple(aliases))
        self._entries[kind][name] = registration
        for alias in aliases:
            self._aliases[kind][alias] = name
        return registration

    def _check_free(self, kind: str, label: str, plugin: PluginInfo) -> None:
        holder = self._entries[kind].get(label)
        if holder is None and label in self._aliases[kind]:
            holder = self._entries[kind][self._aliases[kind][label]]
        if holder is not None:
            raise DuplicateComponentError(
                f"{kind} '{label}' is provided twice: by plugin '{holder.plugin.name}' "
                f"({holder.plugin.provider}) and by plugin '{plugin.name}' ({plugin.provider}). "
                f"Disable one: AUTOCUT_DISABLE_PLUGINS={plugin.name} or "
                f"AUTOCUT_DISABLE_PLUGINS={holder.plugin.name}"
            )

    def kinds(self) -> list[str]:
        return list(self._entries)

    def _kind(self, kind: str) -> dict[str, Registration]:
        try:
            return self._entries[kind]
        except KeyError:
            raise UnknownKindError(kind, self._entries) from None

    def names(self, kind: str) -> list[str]:
        return sorted(self._kind(kind))

    def get(self, kind: str, name: str) -> Registration:
        """The registration for ``name`` (or an alias); raises a did-you-mean error."""
        entries = self._kind(kind)
        resolved = self._aliases[kind].get(name, name)
        if resolved not in entries:
            raise UnknownComponentError(kind, name, [*entries, *self._aliases[kind]])
        return entries[resolved]

    # One overload per kind: ``create("retriever", ...)`` is a ``Retriever`` to the type checker
    # (``Registry.add`` has checked that the class subclasses the kind's base class).
    @overload
    def create(
        self, kind: Literal["encoder"], name: str, options: Mapping[str, Any] | None = None
    ) -> Encoder: ...
    @overload
    def create(
        self, kind: Literal["tokenizer"], name: str, options: Mapping[str, Any] | None = None
    ) -> Tokenizer: ...
    @overload
    def create(
        self, kind: Literal["backbone"], name: str, options: Mapping[str, Any] | None = None
    ) -> Backbone: ...
    @overload
    def create(
        self, kind: Literal["retriever"], name: str, options: Mapping[str, Any] | None = None
    ) -> Retriever: ...
    @overload
    def create(
        self, kind: Literal["renderer"], name: str, options: Mapping[str, Any] | None = None
    ) -> Renderer: ...
    @overload
    def create(
        self, kind: Literal["evaluator"], name: str, options: Mapping[str, Any] | None = None
    ) -> Evaluator: ...
    @overload
    def create(
        self, kind: Literal["voice"], name: str, options: Mapping[str, Any] | None = None
    ) -> Voice: ...
    @overload
    def create(
        self, kind: Literal["captioner"], name: str, options: Mapping[str, Any] | None = None
    ) -> Captioner: ...
    @overload
    def create(
        self, kind: Literal["transcriber"], name: str, options: Mapping[str, Any] | None = None
    ) -> Transcriber: ...
    @overload
    def create(
        self, kind: Literal["separator"], name: str, options: Mapping[str, Any] | None = None
    ) -> Separator: ...
    @overload
    def create(
        self, kind: Literal["pipeline"], name: str, options: Mapping[str, Any] | None = None
    ) -> Pipeline: ...
    @overload
    def create(
        self, kind: str, name: str, options: Mapping[str, Any] | None = None
    ) -> Component: ...
    def create(
        self, kind: str, name: str, options: Mapping[str, Any] | None = None
    ) -> Component[Any]:
        """Instantiate ``name`` with validated ``options``."""
        return self.get(kind, name).cls.from_options(options)

    def __iter__(self) -> Iterator[Registration]:
        for entries in self._entries.values():
            yield from sorted(entries.values(), key=lambda r: r.name)

    def __len__(self) -> int:
        return sum(len(entries) for entries in self._entries.values())
