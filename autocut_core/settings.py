"""Settings: defaults < ``autocut.toml`` < ``AUTOCUT_*`` environment < command-line flags.

Which component to use is a plain name (``encoder = "clip"``); each component's own options
live in a table keyed by its kind and name, so several components can be configured at once::

    encoder = "clip"
    [encoders.clip]
    model = "ViT-B-32"
    checkpoint = "~/models/open_clip_vit_b32.safetensors"

The same from the environment: ``AUTOCUT_ENCODER=clip AUTOCUT_ENCODERS__CLIP__MODEL=ViT-B-32``;
from flags: ``--encoder clip --encoder-opt model=ViT-B-32``.
"""

from __future__ import annotations

import difflib
import json
import os
import tomllib
from collections.abc import Iterable
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, overload

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from pydantic_settings import (
    BaseSettings,
    PydanticBaseSettingsSource,
    SettingsConfigDict,
    TomlConfigSettingsSource,
)

from autocut_core.errors import SettingsError
from autocut_core.serde import describe_validation_error
from autocut_core.types import RenderSettings

if TYPE_CHECKING:
    from autocut_core.components import (
        Backbone,
        Captioner,
        Component,
        Encoder,
        Pipeline,
        Renderer,
        Retriever,
        Separator,
        Tokenizer,
        Transcriber,
        Voice,
    )

CONFIG_FILE_NAME = "autocut.toml"
CONFIG_ENV = "AUTOCUT_CONFIG"

#: settings field holding the chosen name -> (kind, field holding that kind's option tables)
COMPONENT_CHOICES: dict[str, tuple[str, str]] = {
    "encoder": ("encoder", "encoders"),
    "audio_encoder": ("encoder", "encoders"),
    "text_encoder": ("encoder", "encoders"),
    "tokenizer": ("tokenizer", "tokenizers"),
    "audio_tokenizer": ("tokenizer", "tokenizers"),
    "backbone": ("backbone", "backbones"),
    "retriever": ("retriever", "retrievers"),
    "renderer": ("renderer", "renderers"),
    "voice": ("voice", "voices"),
    "captioner": ("captioner", "captioners"),
    "transcriber": ("transcriber", "transcribers"),
    "separator": ("separator", "separators"),
    "pipeline": ("pipeline", "pipelines"),
}
OPTION_TABLES = {kind: table for kind, table in COMPONENT_CHOICES.values()} | {
    "evaluator": "evaluators"
}

Options = dict[str, dict[str, Any]]


class IndexConfig(BaseModel):
    """How `autocut index` decodes and cuts footage (``[index]`` in autocut.toml)."""

    model_config = ConfigDict(extra="forbid")

    dense_fps: float = Field(10.0, gt=0, le=60, description="Decode rate for cut detection")
    max_side: int = Field(256, ge=32, le=4096, description="Longest side of decoded frames")
    cut_encoder: str = Field("histogram", description="Encoder run on every dense frame")
    cut_method: Literal["threshold", "adaptive"] = "threshold"
    cut_threshold: float = Field(0.85, gt=0, lt=1, description="Cut below this similarity")
    adaptive_drop: float = Field(0.12, gt=0, lt=1, description="Adaptive: drop below window mean")
    min_clip: float = Field(1.0, ge=1.0, description="Shortest clip in seconds")
    max_clip: float = Field(30.0, ge=2.0, le=999, description="Longer shots are split")
    max_track_seconds: float = Field(600.0, gt=0, description="Music analysed per track")


class RunConfig(BaseModel):
    """How `autocut run` turns a backbone's answers into clips (``[run]`` in autocut.toml)."""

    model_config = ConfigDict(extra="forbid")

    #: ``index``: a chosen clip is the pool clip the backbone answered with. ``tokens``: that
    #: clip's video tokens are decoded and searched in the material database, and the clip
    #: the nearest frames vote for is used (paper §3.6, §7.2).
    grounding: Literal["index", "tokens"] = "index"


class AutocutSettings(BaseSettings):
    """Every setting AutoCut reads. Unknown keys are errors (a typo must not pass silently)."""

    model_config = SettingsConfigDict(
        env_prefix="AUTOCUT_",
        env_nested_delimiter="__",
        extra="forbid",
        validate_default=True,
    )

    # Which component does each job; None where no component is configured yet.
    encoder: str = "histogram"
    audio_encoder: str | None = "logmel"
    text_encoder: str | None = None
    tokenizer: str | None = "rqvae"
    audio_tokenizer: str | None = "rqvae-audio"
    backbone: str | None = "similarity"
    retriever: str = "exact"
    renderer: str | None = "ffmpeg"
    voice: str = "espeak"
    #: Who writes clip captions (`autocut caption`): a local VLM by default.
    captioner: str = "transformers"
    #: Who turns speech into timed words (`autocut transcribe`, `dataset build` without a
    #: transcript sidecar, subtitles timed from the voice-over): faster-whisper by default.
    transcriber: str = "faster-whisper"
    #: Who splits an ad's soundtrack into voice and music (`dataset build` embeds the music
    #: stem of an ad without a `.bgm.` sidecar, `autocut separate`): `repet`, the weightless
    #: one every install has, by default; "none" embeds the mix.
    separator: str = "repet"
    pipeline: str | None = "script-driven"

    db: Path = Path("autocut-db")
    jobs: int = Field(0, ge=0, description="Worker processes for indexing; 0 = automatic")
    index: IndexConfig = IndexConfig()
    run: RunConfig = RunConfig()
    #: How ads are rendered (``[render]`` in autocut.toml; `autocut run` flags override).
    render: RenderSettings = Field(default_factory=RenderSettings)

    # Options of each component, keyed by its name.
    encoders: Options = {}
    tokenizers: Options = {}
    backbones: Options = {}
    retrievers: Options = {}
    renderers: Options = {}
    evaluators: Options = {}
    voices: Options = {}
    captioners: Options = {}
    transcribers: Options = {}
    separators: Options = {}
    pipelines: Options = {}

    # Where this configuration came from (set by load_settings, shown by `config show`).
    config_file: Path | None = None

    @classmethod
    def settings_customise_sources(
        cls,
        settings_cls: type[BaseSettings],
        init_settings: PydanticBaseSettingsSource,
        env_settings: PydanticBaseSettingsSource,
        dotenv_settings: PydanticBaseSettingsSource,
        file_secret_settings: PydanticBaseSettingsSource,
    ) -> tuple[PydanticBaseSettingsSource, ...]:
        # First wins: flags (init) > environment > autocut.toml > field defaults.
        toml_file = _active_config_file
        sources: list[PydanticBaseSettingsSource] = [init_settings, env_settings]
        if toml_file is not None:
            sources.append(TomlConfigSettingsSource(settings_cls, toml_file=toml_file))
        return tuple(sources)

    def options_for(self, kind: str, name: str) -> dict[str, Any]:
        """The option table of component ``name`` of ``kind`` (empty when none is set)."""
        table: Options = getattr(self, OPTION_TABLES[kind])
        return dict(table.get(name, {}))

    # One overload per kind, so ``settings.create("encoder")`` is an ``Encoder`` to the type
    # checker and callers need no cast.
    @overload
    def create(
        self,
        choice: Literal["encoder", "audio_encoder", "text_encoder"],
        name: str | None = None,
    ) -> Encoder: ...
    @overload
    def create(
        self, choice: Literal["tokenizer", "audio_tokenizer"], name: str | None = None
    ) -> Tokenizer: ...
    @overload
    def create(self, choice: Literal["backbone"], name: str | None = None) -> Backbone: ...
    @overload
    def create(self, choice: Literal["retriever"], name: str | None = None) -> Retriever: ...
    @overload
    def create(self, choice: Literal["renderer"], name: str | None = None) -> Renderer: ...
    @overload
    def create(self, choice: Literal["voice"], name: str | None = None) -> Voice: ...
    @overload
    def create(self, choice: Literal["captioner"], name: str | None = None) -> Captioner: ...
    @overload
    def create(self, choice: Literal["transcriber"], name: str | None = None) -> Transcriber: ...
    @overload
    def create(self, choice: Literal["separator"], name: str | None = None) -> Separator: ...
    @overload
    def create(self, choice: Literal["pipeline"], name: str | None = None) -> Pipeline: ...
    @overload
    def create(self, choice: str, name: str | None = None) -> Component: ...
    def create(self, choice: str, name: str | None = None) -> Component[Any]:
        """Instantiate the component chosen by field ``choice`` (e.g. ``"encoder"``)."""
        from autocut_core.plugins import get_registry

        kind, _ = COMPONENT_CHOICES[choice]
        chosen = name or getattr(self, choice)
        if chosen is None:
            raise SettingsError(
                f"No {choice.replace('_', ' ')} is configured: pass --{choice.replace('_', '-')} "
                f"NAME or set {choice} in {CONFIG_FILE_NAME}"
            )
        return get_registry().create(kind, chosen, self.options_for(kind, chosen))


_active_config_file: Path | None = None


def find_config_file(explicit: Path | None = None) -> Path | None:
    """The config file to read: ``--config``, else ``$AUTOCUT_CONFIG``, else ``./autocut.toml``."""
    if explicit is not None:
        path = Path(explicit).expanduser()
        if not path.is_file():
            raise SettingsError(f"{path}: config file not found")
        return path
    from_env = os.environ.get(CONFIG_ENV)
    if from_env:
        path = Path(from_env).expanduser()
        if not path.is_file():
            raise SettingsError(f"{path}: config file named by {CONFIG_ENV} not found")
        return path
    default = Path(CONFIG_FILE_NAME)
    return default.resolve() if default.is_file() else None


#: AUTOCUT_* variables that are not settings fields but are read elsewhere.
OTHER_ENV = {CONFIG_ENV, "AUTOCUT_LOAD_PLUGINS", "AUTOCUT_DISABLE_PLUGINS"}


def check_environment() -> None:
    """A misspelt ``AUTOCUT_*`` variable is an error, not a silently ignored setting."""
    fields = [name for name in AutocutSettings.model_fields if name != "config_file"]
    known = {f"AUTOCUT_{name.upper()}" for name in fields} | OTHER_ENV
    for variable in os.environ:
        upper = variable.upper()
        if not upper.startswith("AUTOCUT_") or upper in known:
            continue
        if any(upper.startswith(f"AUTOCUT_{name.upper()}__") for name in fields):
            continue
        close = difflib.get_close_matches(upper, sorted(known), n=1)
        hint = f" Did you mean {close[0]}?" if close else ""
        raise SettingsError(f"environment variable {variable} is not an AutoCut setting.{hint}")


def load_settings(config: Path | None = None, **overrides: Any) -> AutocutSettings:
    """Merge every layer into validated settings; errors name the file and the field."""
    global _active_config_file
    check_environment()
    path = find_config_file(config)
    if path is not None:
        _check_toml(path)
    flags = {key: value for key, value in overrides.items() if value is not None}
    _active_config_file = path
    try:
        settings = AutocutSettings(**flags)
    except ValidationError as error:
        where = (
            f"{path}, AUTOCUT_* environment or flags" if path else "AUTOCUT_* environment or flags"
        )
        raise SettingsError(describe_validation_error(error, where, "settings")) from None
    finally:
        _active_config_file = None
    return settings.model_copy(update={"config_file": path})


def _check_toml(path: Path) -> None:
    try:
        tomllib.loads(path.read_text(encoding="utf-8"))
    except tomllib.TOMLDecodeError as error:
        raise SettingsError(f"{path}: not valid TOML ({error})") from None
    except UnicodeDecodeError as error:
        raise SettingsError(f"{path}: not UTF-8 text (byte {error.start})") from None


def parse_option_flags(pairs: Iterable[str], flag: str = "--opt") -> dict[str, Any]:
    """``["model=ViT-B-32", "dims=[1,2]"]`` -> ``{"model": "ViT-B-32", "dims": [1, 2]}``.

    Values stay strings (the component's settings model converts them) except JSON arrays and
    objects, which are parsed so list- and table-valued options can be given on one line.
    """
    options: dict[str, Any] = {}
    for pair in pairs:
        key, sep, value = pair.partition("=")
        key = key.strip()
        if not sep or not key:
            raise SettingsError(f"{flag} {pair!r}: expected KEY=VALUE")
        if value[:1] in "[{":
            try:
                options[key] = json.loads(value)
                continue
            except json.JSONDecodeError as error:
                raise SettingsError(
                    f"{flag} {pair!r}: value is not valid JSON ({error.msg})"
                ) from None
        options[key] = value
    return options


def with_component_options(
    settings: AutocutSettings, kind: str, name: str, options: dict[str, Any]
) -> AutocutSettings:
    """A copy of ``settings`` whose option table for ``name`` also has ``options`` (flags win)."""
    field = OPTION_TABLES[kind]
    tables: Options = {k: dict(v) for k, v in getattr(settings, field).items()}
    tables[name] = {**tables.get(name, {}), **options}
    return settings.model_copy(update={field: tables})
