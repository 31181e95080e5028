"""``espeak``: offline text-to-speech through the espeak-ng program.

Robotic but free, offline and available for 100+ languages, so a fresh machine can voice an ad.
Text goes to espeak-ng on standard input, never on the command line, so no line of a script
can be read as an option.
"""

from __future__ import annotations

import difflib
import functools
import shutil
import subprocess
import wave
from collections.abc import Sequence
from pathlib import Path

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import ComponentSettings, Voice
from autocut_core.errors import AutocutError
from autocut_core.fsutil import atomic_path
from autocut_core.text import detect_language
from autocut_core.types import SpeechLine

PROGRAM = "espeak-ng"
#: detected language -> espeak-ng voice (None: text not mainly CJK -> English).
_VOICES = {None: "en", "zh": "cmn", "ja": "ja", "ko": "ko"}


class EspeakSettings(ComponentSettings):
    voice: str = Field(
        "auto", description='espeak-ng voice ("en-us", "cmn", "de", ...) or "auto" by script'
    )
    speed: int = Field(165, ge=80, le=450, description="Words per minute")
    pitch: int = Field(50, ge=0, le=99, description="Voice pitch, 0-99")
    timeout: float = Field(60.0, gt=0, description="Seconds allowed per line")


class EspeakVoice(Voice[EspeakSettings]):
    name = "espeak"
    description = "Offline text-to-speech with espeak-ng (robotic, 100+ languages)"

    def synthesize_batch(self, texts: Sequence[str], out_dir: Path) -> list[SpeechLine]:
        out_dir = Path(out_dir)
        out_dir.mkdir(parents=True, exist_ok=True)
        return [self._speak(text, out_dir / f"line_{i:03d}.wav") for i, text in enumerate(texts)]

    def _speak(self, text: str, target: Path) -> SpeechLine:
        settings = self.settings
        program = shutil.which(PROGRAM)
        if program is None:
            raise AutocutError(f"{PROGRAM} is not installed: apt-get install espeak-ng")
        voice = settings.voice if settings.voice != "auto" else _voice_for(text)
        _check_voice(program, voice)
        with atomic_path(target) as temporary:
            # espeak-ng keeps the -w file name in a 200-byte buffer and, given a longer path,
            # writes nothing and still exits 0; the temporary file's own name is short, so it
            # is given relative to its folder.
            command = [
                program, "-v", voice, "-s", str(settings.speed), "-p", str(settings.pitch),
                "-w", temporary.name, "--stdin",
            ]  # fmt: skip
            result = subprocess.run(
                command,
                input=text.encode("utf-8"),
                capture_output=True,
                timeout=settings.timeout,
                check=False,
                cwd=temporary.parent,
            )
            if result.returncode != 0:
                message = result.stderr.decode("utf-8", "replace").strip()
                raise AutocutError(f"{PROGRAM} failed for voice '{voice}': {message}")
            duration = wav_duration(temporary)
        return SpeechLine(text=text, path=str(target), duration=duration)

    def diagnose(self) -> list[Check]:
        if shutil.which(PROGRAM) is None:
            return [
                Check("voice espeak", "fail", f"{PROGRAM} not found", "apt-get install espeak-ng")
            ]
        return [Check("voice espeak", "ok", shutil.which(PROGRAM) or "")]


def _voice_for(text: str) -> str:
    """espeak-ng voice for the writing system most of ``text`` uses (English otherwise)."""
    return _VOICES[detect_language(text)]


@functools.cache
def _installed_voices(program: str) -> frozenset[str]:
    listing = subprocess.run(
        [program, "--voices"], capture_output=True, text=True, check=False, timeout=30
    ).stdout
    names: set[str] = set()
    for line in listing.splitlines()[1:]:
        columns = line.split()
        if len(columns) >= 5:
            names.update({columns[1], columns[3], columns[4], columns[4].rsplit("/", 1)[-1]})
    return frozenset(name.lower() for name in names)


def _check_voice(program: str, voice: str) -> None:
    """espeak-ng silently falls back to English for an unknown voice: refuse it instead."""
    base = voice.split("+", 1)[0].lower()
    installed = _installed_voices(program)
    if base not in installed:
        close = difflib.get_close_matches(base, sorted(installed), n=3)
        hint = f" Did you mean {', '.join(repr(c) for c in close)}?" if close else ""
        raise AutocutError(
            f"{PROGRAM} failed for voice '{voice}': not an installed voice "
            f"(see `{PROGRAM} --voices`).{hint}"
        )


def wav_duration(path: Path) -> float:
    """Length of a PCM WAV file in seconds; an empty or broken file is an error naming it."""
    try:
        with wave.open(str(path), "rb") as handle:
            return handle.getnframes() / float(handle.getframerate())
    except (EOFError, wave.Error) as error:
        reason = "it is empty" if not Path(path).stat().st_size else str(error) or "cut short"
        raise AutocutError(f"{PROGRAM} wrote no usable WAV file ({path}: {reason})") from None


@hookimpl
def register_voices(register):
    register(EspeakVoice)
