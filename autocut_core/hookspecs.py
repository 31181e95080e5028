"""The hooks a plugin can implement: one registration hook per component kind.

Each ``register_<kind>s`` hook receives a ``register`` callback; the plugin calls it once per
component class it provides::

    from autocut_core import hookimpl

    @hookimpl
    def register_encoders(register):
        register(MyEncoder)

Every hook is documented, with a runnable example, in ``docs/plugin-hooks.md``; a test fails
when a hook here is missing from that page or has no ``test_hook_<name>`` test.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TYPE_CHECKING

import pluggy

if TYPE_CHECKING:
    import typer

PROJECT = "autocut"

hookspec = pluggy.HookspecMarker(PROJECT)
hookimpl = pluggy.HookimplMarker(PROJECT)

#: ``register(component_class, aliases=())`` as passed to every ``register_*`` hook.
Register = Callable[..., None]


# --- media understanding -------------------------------------------------------------------


@hookspec
def register_encoders(register: Register) -> None:
    """Register :class:`~autocut_core.components.Encoder` subclasses (image, audio or text).

    :param register: call ``register(EncoderClass, aliases=("other-name",))`` per encoder.

    .. versionadded:: 0.1
    """


@hookspec
def register_tokenizers(register: Register) -> None:
    """Register :class:`~autocut_core.components.Tokenizer` subclasses (vectors <-> codes).

    :param register: call ``register(TokenizerClass)`` per tokenizer.

    .. versionadded:: 0.1
    """


# --- deciding ------------------------------------------------------------------------------


@hookspec
def register_backbones(register: Register) -> None:
    """Register :class:`~autocut_core.components.Backbone` subclasses (the editing models).

    :param register: call ``register(BackboneClass)`` per backbone.

    .. versionadded:: 0.1
    """


@hookspec
def register_retrievers(register: Register) -> None:
    """Register :class:`~autocut_core.components.Retriever` subclasses (nearest-neighbour search).

    :param register: call ``register(RetrieverClass)`` per retriever.

    .. versionadded:: 0.1
    """


# --- producing and judging -----------------------------------------------------------------


@hookspec
def register_renderers(register: Register) -> None:
    """Register :class:`~autocut_core.components.Renderer` subclasses (EditPlan -> video).

    :param register: call ``register(RendererClass)`` per renderer.

    .. versionadded:: 0.1
    """


@hookspec
def register_evaluators(register: Register) -> None:
    """Register :class:`~autocut_core.components.Evaluator` subclasses (metrics).

    :param register: call ``register(EvaluatorClass)`` per evaluator.

    .. versionadded:: 0.1
    """


@hookspec
def register_voices(register: Register) -> None:
    """Register :class:`~autocut_core.components.Voice` subclasses (text-to-speech).

    :param register: call ``register(VoiceClass)`` per voice.

    .. versionadded:: 0.1
    """


@hookspec
def register_captioners(register: Register) -> None:
    """Register :class:`~autocut_core.components.Captioner` subclasses (clip frames -> caption).

    :param register: call ``register(CaptionerClass)`` per captioner.

    .. versionadded:: 0.2
    """


@hookspec
def register_transcribers(register: Register) -> None:
    """Register :class:`~autocut_core.components.Transcriber` subclasses (speech -> timed words).

    :param register: call ``register(TranscriberClass)`` per transcriber.

    .. versionadded:: 0.2
    """


@hookspec
def register_separators(register: Register) -> None:
    """Register :class:`~autocut_core.components.Separator` subclasses (a mix -> voice and
    music stems).

    :param register: call ``register(SeparatorClass)`` per separator.

    .. versionadded:: 0.2
    """


@hookspec
def register_pipelines(register: Register) -> None:
    """Register :class:`~autocut_core.components.Pipeline` subclasses (``autocut run --pipeline``).

    :param register: call ``register(PipelineClass)`` per pipeline.

    .. versionadded:: 0.1
    """


# --- command line --------------------------------------------------------------------------


@hookspec
def register_commands(app: typer.Typer) -> None:
    """Add commands to the ``autocut`` command line.

    :param app: the root Typer application; call ``app.command()`` or ``app.add_typer()``.

    .. versionadded:: 0.1
    """


#: hook name -> component kind, for the registration hooks.
REGISTRATION_HOOKS: dict[str, str] = {
    "register_encoders": "encoder",
    "register_tokenizers": "tokenizer",
    "register_backbones": "backbone",
    "register_retrievers": "retriever",
    "register_renderers": "renderer",
    "register_evaluators": "evaluator",
    "register_voices": "voice",
    "register_captioners": "captioner",
    "register_transcribers": "transcriber",
    "register_separators": "separator",
    "register_pipelines": "pipeline",
}

ALL_HOOKS: tuple[str, ...] = (*REGISTRATION_HOOKS, "register_commands")
