"""The one error the media layer raises for a file it cannot use.

Footage folders are full of surprises (half-copied files, phone exports, folders named
``.mp4``, names in a legacy encoding). Each becomes a :class:`MediaError` whose message is one
line a user can act on, so the CLI prints ``Error: shots/a.mp4: empty file (0 bytes)`` instead
of an ffmpeg log or a traceback, and the material database can record the reason and move on.
"""

from __future__ import annotations

import os

from autocut_core.errors import AutocutError


def display_path(path: str | bytes | os.PathLike[str] | os.PathLike[bytes]) -> str:
    """``path`` as printable text on one line, whatever bytes its name holds.

    POSIX names are bytes. Python carries undecodable bytes as lone surrogates, which crash
    ``print`` on a UTF-8 terminal, so they are shown as ``\\xe9`` escapes; control characters
    (a newline in a name would break the one-line message) are escaped the same way.
    """
    raw = os.fsencode(path)
    text = raw.decode("utf-8", errors="backslashreplace")
    return "".join(char if char.isprintable() else _escape(char) for char in text)


def _escape(char: str) -> str:
    code = ord(char)
    return f"\\x{code:02x}" if code < 0x100 else f"\\u{code:04x}"


class MediaError(AutocutError):
    """A media file that cannot be probed or decoded, with a one-line reason.

    ``path`` is the file's name as ``str`` (undecodable bytes kept as surrogates, so
    ``open(error.path)`` still finds the file); ``str(error)`` shows it escaped instead.
    """

    # Like InputError: the user's file is at fault, not AutoCut.
    exit_code = 2

    def __init__(self, path: str | bytes | os.PathLike[str] | os.PathLike[bytes], reason: str):
        self.path = os.fsdecode(path)
        self.reason = " ".join(str(reason).split())  # one line, whatever the caller passed
        # Both go to Exception.args, so the error pickles (multiprocessing, pytest-xdist).
        super().__init__(self.path, self.reason)

    def __str__(self) -> str:
        return f"{display_path(self.path)}: {self.reason}"
