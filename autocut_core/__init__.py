"""AutoCut core: the contracts, registry, data model, settings and CLI.

The public API, what docs/plugin-hooks.md teaches plugin authors, is defined here and only
here:

* every name in ``__all__``, imported from this package (``from autocut_core import
  Encoder, hookimpl``), and
* the modules in :data:`PUBLIC_MODULES`, whose names without a leading underscore plugins
  may import (``from autocut_core.editing.prompts import build_prompt``).

Every other module is private: it may change in any release, and ``tests/test_public_api.py``
fails when a reference plugin imports one. A module inside a public package is not public
by being there (``autocut_core.media`` is public, ``autocut_core.media.errors`` is not).

Importing this package loads no torch, faiss or ffmpeg, nor any of the exported modules:
each name is imported on first use (:func:`autocut_core.lazy.lazy_exports`), so
``from autocut_core import hookimpl`` costs what it did when it was the only export.
"""

from typing import TYPE_CHECKING

from autocut_core.hookspecs import hookimpl
from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:  # the names of _EXPORTS, for type checkers
    from autocut_core.checks import Check
    from autocut_core.components import (
        Backbone,
        Captioner,
        CaptionerSettings,
        Component,
        ComponentSettings,
        Encoder,
        Evaluator,
        Hit,
        Pipeline,
        Renderer,
        RenderResult,
        Retriever,
        Separator,
        SeparatorSettings,
        Stems,
        Tokenizer,
        TrainableTokenizer,
        Transcriber,
        TranscriberSettings,
        Voice,
    )
    from autocut_core.contracts import check_component
    from autocut_core.errors import (
        AutocutError,
        BackboneAnswerError,
        CapabilityError,
        CaptionError,
        InputError,
        MissingWeightsError,
        SeparationError,
        TranscriptionError,
    )
    from autocut_core.fsutil import atomic_path, atomic_write_bytes, atomic_write_text
    from autocut_core.plugins import get_registry
    from autocut_core.types import (
        Candidate,
        Clip,
        EditPlan,
        MusicCandidate,
        MusicChoice,
        MusicCue,
        Ordering,
        Product,
        RenderSettings,
        Script,
        Selection,
        Slot,
        SpeechLine,
        SubtitleStyle,
        Track,
        Transcript,
        TranscriptSegment,
        Word,
    )

__version__ = "0.1.0"

#: Modules plugins may import from besides this package (see the module docstring).
PUBLIC_MODULES: frozenset[str] = frozenset(
    {
        # the kernel a plugin builds on
        "autocut_core.components",
        "autocut_core.types",
        "autocut_core.errors",
        "autocut_core.checks",
        "autocut_core.contracts",
        "autocut_core.fsutil",
        "autocut_core.text",
        "autocut_core.lazy",
        "autocut_core.inputs",
        "autocut_core.serde",
        "autocut_core.settings",
        "autocut_core.plugins",
        "autocut_core.progress",
        # the stage APIs components share with the core
        "autocut_core.media",
        "autocut_core.models",
        "autocut_core.materials.captions",
        "autocut_core.materials.database",
        "autocut_core.tokens.strings",
        "autocut_core.tokens.grounding",
        "autocut_core.editing.prompts",
        "autocut_core.editing.profiles",
        "autocut_core.editing.assignment",
        "autocut_core.editing.timeline",
        "autocut_core.editing.records",
        "autocut_core.output.subtitles",
        "autocut_core.llm.chat",
        "autocut_core.pipelines",
        # commands (register_commands) and tests of plugins
        "autocut_core.cli",
        "autocut_core.cli.display",
        "autocut_core.cli.flags",
        "autocut_core.testing",
    }
)

#: name -> the module that defines it; what ``from autocut_core import NAME`` offers.
_EXPORTS: dict[str, str] = {
    **dict.fromkeys(
        (
            "Component",
            "ComponentSettings",
            "Encoder",
            "Tokenizer",
            "TrainableTokenizer",
            "Backbone",
            "Retriever",
            "Hit",
            "Renderer",
            "RenderResult",
            "Evaluator",
            "Voice",
            "Captioner",
            "CaptionerSettings",
            "Transcriber",
            "TranscriberSettings",
            "Separator",
            "SeparatorSettings",
            "Stems",
            "Pipeline",
        ),
        "autocut_core.components",
    ),
    **dict.fromkeys(
        (
            "Candidate",
            "Clip",
            "EditPlan",
            "MusicCandidate",
            "MusicChoice",
            "MusicCue",
            "Ordering",
            "Product",
            "RenderSettings",
            "Script",
            "Selection",
            "Slot",
            "SpeechLine",
            "SubtitleStyle",
            "Track",
            "Transcript",
            "TranscriptSegment",
            "Word",
        ),
        "autocut_core.types",
    ),
    **dict.fromkeys(
        (
            "AutocutError",
            "BackboneAnswerError",
            "CaptionError",
            "CapabilityError",
            "InputError",
            "MissingWeightsError",
            "SeparationError",
            "TranscriptionError",
        ),
        "autocut_core.errors",
    ),
    "Check": "autocut_core.checks",
    "check_component": "autocut_core.contracts",
    "atomic_path": "autocut_core.fsutil",
    "atomic_write_bytes": "autocut_core.fsutil",
    "atomic_write_text": "autocut_core.fsutil",
    "get_registry": "autocut_core.plugins",
}

#: The public names (tests/test_public_api.py keeps this, _EXPORTS and the imports above equal).
__all__ = [
    "PUBLIC_MODULES",
    "AutocutError",
    "Backbone",
    "BackboneAnswerError",
    "Candidate",
    "CapabilityError",
    "CaptionError",
    "Captioner",
    "CaptionerSettings",
    "Check",
    "Clip",
    "Component",
    "ComponentSettings",
    "EditPlan",
    "Encoder",
    "Evaluator",
    "Hit",
    "InputError",
    "MissingWeightsError",
    "MusicCandidate",
    "MusicChoice",
    "MusicCue",
    "Ordering",
    "Pipeline",
    "Product",
    "RenderResult",
    "RenderSettings",
    "Renderer",
    "Retriever",
    "Script",
    "Selection",
    "SeparationError",
    "Separator",
    "SeparatorSettings",
    "Slot",
    "SpeechLine",
    "Stems",
    "SubtitleStyle",
    "Tokenizer",
    "Track",
    "TrainableTokenizer",
    "Transcriber",
    "TranscriberSettings",
    "Transcript",
    "TranscriptSegment",
    "TranscriptionError",
    "Voice",
    "Word",
    "__version__",
    "atomic_path",
    "atomic_write_bytes",
    "atomic_write_text",
    "check_component",
    "get_registry",
    "hookimpl",
    "lazy_exports",
]

__getattr__ = lazy_exports(__name__, _EXPORTS)
