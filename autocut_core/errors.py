"""Errors that AutoCut raises on purpose.

Every error a user can cause derives from :class:`AutocutError`, so the CLI can print its
message (which names the file, field or component at fault) instead of a traceback.
"""

from __future__ import annotations

import difflib
from collections.abc import Iterable


class AutocutError(Exception):
    """Base class for errors whose message is meant for the user as it is."""

    #: Exit code the CLI uses for this error (2 = the user asked for something wrong).
    exit_code: int = 1


class UnknownComponentError(AutocutError, KeyError):
    """A component name that no loaded plugin provides."""

    exit_code = 2

    def __init__(self, kind: str, name: str, available: Iterable[str]):
        self.kind = kind
        self.name = name
        self.available = sorted(available)
        super().__init__(self._message())

    def _message(self) -> str:
        listed = ", ".join(self.available) if self.available else "(none installed)"
        message = f"Unknown {self.kind} '{self.name}'. Available: {listed}."
        close = difflib.get_close_matches(self.name, self.available, n=1, cutoff=0.6)
        if close:
            message += f" Did you mean '{close[0]}'?"
        else:
            message += " (Is the plugin that provides it installed? See `autocut plugins`.)"
        return message

    def __str__(self) -> str:  # KeyError would add quotes around the message
        return self._message()


class UnknownKindError(AutocutError, KeyError):
    """A component kind that does not exist (e.g. 'encodr')."""

    exit_code = 2

    def __init__(self, kind: str, available: Iterable[str]):
        self.kind = kind
        self.available = sorted(available)
        close = difflib.get_close_matches(kind, self.available, n=1, cutoff=0.6)
        hint = f" Did you mean '{close[0]}'?" if close else ""
        self._text = f"Unknown component kind '{kind}'. Kinds: {', '.join(self.available)}.{hint}"
        super().__init__(self._text)

    def __str__(self) -> str:
        return self._text


class DuplicateComponentError(AutocutError):
    """Two plugins registered the same name for the same kind."""

    exit_code = 2


class RegistrationError(AutocutError):
    """A plugin tried to register something that is not a valid component."""


class ComponentSettingsError(AutocutError):
    """Options given to a component do not match its settings model."""

    exit_code = 2


class CapabilityError(AutocutError):
    """A component was asked for something it declares it cannot do."""

    exit_code = 2


class BackboneAnswerError(AutocutError):
    """A backbone returned an answer that breaks its contract (a duplicate index, a track
    that is not in the library): named here, not as a malformed video three stages later."""


class CaptionError(AutocutError):
    """A captioner could not describe a clip (no answer, an answer that is not one caption).

    `autocut caption` reports it as one line for that clip and goes on with the others."""


class TranscriptionError(AutocutError):
    """A transcriber could not transcribe an audio track, or returned times that cannot be
    (a word outside its segment, segments out of order): named, never stored."""


class SeparationError(AutocutError):
    """A separator could not split an audio track into voice and music, or returned stems
    that cannot be (another length, not finite samples): named, never written."""


class InputError(AutocutError):
    """A user file (product, script, plan, media) is missing or malformed."""

    exit_code = 2


class SettingsError(AutocutError):
    """The configuration (autocut.toml, AUTOCUT_* environment, flags) is invalid."""

    exit_code = 2


class MissingWeightsError(AutocutError):
    """A model plugin could not find the local weights it was configured to load."""

    exit_code = 2


class ComponentNotReadyError(AutocutError):
    """A component's own checks fail (weights, a program, a key it needs are missing).

    Raised before any work starts, once per run with one line per failing check, instead of
    the same failure repeated for every file after minutes of decoding.
    """

    exit_code = 2


#: What one item of a batch (a file to transcribe, a clip to caption) may raise and still let
#: the others go on: AutoCut's own errors (a file ffmpeg cannot decode, a model's refused
#: answer), the OS's (a file gone since discovery), and the ValueError / RuntimeError a model
#: library raises on one odd input. Anything else is a bug and ends the run with a traceback.
ITEM_ERRORS: tuple[type[Exception], ...] = (AutocutError, OSError, ValueError, RuntimeError)


def failure_line(error: BaseException) -> str:
    """``error`` as one line of a report: AutoCut's own message as it is (it names the file
    and the problem), another library's prefixed with its type, which says more than
    ``"list index out of range"`` alone."""
    text = " ".join(str(error).split()) or type(error).__name__
    return text if isinstance(error, AutocutError) else f"{type(error).__name__}: {text}"


def fail_if_none_succeeded(
    total: int, errors: list[str], error: type[AutocutError], nothing_done: str
) -> None:
    """Raise ``error`` when every one of ``total`` items failed: a batch in which one file
    fails is a report with one bad line, a batch in which all fail is a broken setup (no
    model, no network), and saying so beats a report of nothing but failures."""
    if total and len(errors) == total:
        raise error(f"{nothing_done}; the first failed with: {errors[0]}")
