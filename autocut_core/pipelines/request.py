"""What a pipeline is asked to do and what it hands back.

A request names inputs (files) and pins; the merged :class:`AutocutSettings` say which
components do each job. Pipelines read both and compute nothing themselves.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Literal

from autocut_core.pipelines.craft import AdCraft
from autocut_core.progress import SILENT, Reporter
from autocut_core.types import EditPlan, Product, RenderSettings, Script

if TYPE_CHECKING:
    from autocut_core.components import Backbone
    from autocut_core.settings import AutocutSettings
    from autocut_core.tokens.grounding import GroundedClip

Grounding = Literal["index", "tokens"]


def music_inputs(
    paths: Sequence[Path], what: str = "--music"
) -> tuple[tuple[Path, ...], Path | None]:
    """Music paths as a request takes them: one file is pinned as is, anything else is a
    library the backbone picks from. A path that does not exist is refused (the error
    starts with ``what``), so a typo never becomes a silent ad."""
    from autocut_core.errors import InputError

    missing = [str(path) for path in paths if not Path(path).exists()]
    if missing:
        raise InputError(f"{what}: no such file or folder: {', '.join(missing)}")
    if len(paths) == 1 and Path(paths[0]).is_file():
        return (), Path(paths[0])
    return tuple(Path(path) for path in paths), None


@dataclass(frozen=True)
class Variant:
    """Which of ``count`` variants of one brief a request makes (``index`` 0 is the plain
    ad), and what the variants before it played: per earlier variant, its clip ids and its
    track id, so this one prefers what was used least, and least recently
    (:mod:`autocut_core.pipelines.variants`)."""

    index: int
    count: int
    used_clips: tuple[tuple[str, ...], ...] = ()
    used_tracks: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class EditRequest:
    """One ad to make.

    ``music`` holds library folders or files offered to the backbone; ``music_file`` pins one
    track instead (the backbone is not asked). ``script`` pins the script of the
    footage-driven pipeline and is required by the script-driven one. ``progress`` is told
    of every step as it starts and ends (:mod:`autocut_core.progress`; silent by default).
    ``grounding`` overrides the ``[run]`` setting of how answers become clips
    (:mod:`autocut_core.pipelines.grounding`). ``backbone``, when given, is used instead of
    building the configured one. ``variant`` makes this ad one of several different ads of
    the same brief (`autocut run --variants N`).
    """

    product: Product
    footage: tuple[Path, ...]
    output: Path
    settings: AutocutSettings
    script: Script | None = None
    music: tuple[Path, ...] = ()
    music_file: Path | None = None
    db: Path | None = None
    render: RenderSettings = field(default_factory=RenderSettings)
    keep_order: bool = False
    voice: bool = True
    dry_run: bool = False
    grounding: Grounding | None = None
    #: Target length, end card, beat sync and ad rules (:mod:`autocut_core.pipelines.craft`).
    craft: AdCraft = field(default_factory=AdCraft)
    progress: Reporter = field(default=SILENT, compare=False)
    #: A backbone already built from ``settings`` to use instead of a new one: the studio
    #: keeps one per project, so its models load once, not per run and again for ranking.
    backbone: Backbone | None = field(default=None, compare=False)
    variant: Variant | None = None

    @property
    def database(self) -> Path:
        """The material database folder: ``db`` when given, else the ``db`` setting."""
        return self.db if self.db is not None else self.settings.db

    @property
    def grounding_mode(self) -> Grounding:
        """``grounding`` when given, else the ``run.grounding`` setting."""
        return self.grounding if self.grounding is not None else self.settings.run.grounding

    @property
    def assets(self) -> Path:
        """Files the plan refers to (voice lines) live next to the video, so it re-renders."""
        return self.output.with_name(self.output.stem + ".assets")


@dataclass(frozen=True)
class EditResult:
    """The plan and, unless it was a dry run, the files written.

    ``notes`` say what was done differently from what was asked (a file skipped, no music);
    ``warnings`` say why the ad may be poor and what would fix it (no evidence linking the
    script to the footage), so the CLI shows them apart. ``grounding`` says, per slot in
    playing order, what token grounding did (empty when clips were taken by index), and
    ``evidence`` what each choice rested on.
    """

    plan: EditPlan
    video: Path | None = None
    side_outputs: dict[str, Path] = field(default_factory=dict)
    notes: tuple[str, ...] = ()
    warnings: tuple[str, ...] = ()
    grounding: tuple[GroundedClip, ...] = ()
    #: Per slot in playing order, what the backbone's choice rested on (``Selection.evidence``;
    #: empty when the backbone does not say).
    evidence: tuple[str, ...] = ()
