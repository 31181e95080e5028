"""Which settings hold credentials, and settings with those values hidden.

`autocut config show` is what users paste into bug reports, so a key typed into autocut.toml
must not leak through it. Masking every name that merely contains "key" or "token" hid the
tokenizers (``tokenizer``, ``audio_tokenizer``) and options like ``max_tokens``, so a setting is
a credential only when it is named in :data:`CREDENTIAL_NAMES` or its component declares it
one by typing it :class:`pydantic.SecretStr`.
"""

from __future__ import annotations

import types
import typing
from collections.abc import Mapping
from typing import Any

#: Setting names that hold a credential wherever they appear (API keys, endpoint tokens).
CREDENTIAL_NAMES = frozenset(
    {
        "api_key",
        "api_token",
        "access_token",
        "auth_token",
        "bearer_token",
        "hf_token",
        "password",
        "secret_key",
        "client_secret",
    }
)

MASK = "***"


def declared_credentials(settings_class: type) -> frozenset[str]:
    """Fields of a pydantic settings class typed ``SecretStr`` (or ``SecretStr | None``)."""
    from pydantic import SecretStr

    fields = getattr(settings_class, "model_fields", {})
    return frozenset(
        name for name, field in fields.items() if SecretStr in _types_in(field.annotation)
    )


def _types_in(annotation: Any) -> set[Any]:
    origin = typing.get_origin(annotation)
    if origin in (typing.Union, types.UnionType):
        return {inner for argument in typing.get_args(annotation) for inner in _types_in(argument)}
    return {annotation}


def redacted(data: Any, tables: Mapping[str, str], registry: Any = None) -> Any:
    """``data`` (merged settings as plain data) with every credential value replaced by
    :data:`MASK`. ``tables`` maps option tables to kinds (``"backbones": "backbone"``): a
    component's table also hides what its registered class declares as a credential."""
    if not isinstance(data, dict):
        return data
    shown = {}
    for key, value in data.items():
        kind = tables.get(key)
        if kind is not None and isinstance(value, dict):
            shown[key] = {
                name: _mask(options, _component_credentials(registry, kind, name))
                for name, options in value.items()
            }
        else:
            shown[key] = _mask(value, frozenset())
    return shown


def _component_credentials(registry: Any, kind: str, name: str) -> frozenset[str]:
    from autocut_core.errors import AutocutError

    if registry is None:
        return frozenset()
    try:
        return declared_credentials(registry.get(kind, name).cls.Settings)
    except AutocutError:  # not installed: only the names everyone knows are hidden
        return frozenset()


def _mask(value: Any, declared: frozenset[str]) -> Any:
    if isinstance(value, dict):
        return {
            key: MASK if _is_credential(str(key), declared) and item not in (None, "") else
            _mask(item, frozenset())
            for key, item in value.items()
        }  # fmt: skip
    if isinstance(value, list):
        return [_mask(item, frozenset()) for item in value]
    return value


def _is_credential(name: str, declared: frozenset[str]) -> bool:
    return name.lower() in CREDENTIAL_NAMES or name in declared
