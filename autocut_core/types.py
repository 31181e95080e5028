"""Frozen dataclasses passed between stages.

Stages hand each other these objects and nothing else, so a stage can be swapped or tested in
isolation. They are plain dataclasses (cheap to import); JSON round-trip and validation go
through :mod:`autocut_core.serde`, which imports pydantic only when it is used.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from typing import Literal

from autocut_core import ids

Modality = Literal["image", "audio", "text"]
Fit = Literal["crop", "pad"]
Transition = Literal["cut", "crossfade"]
TrimStrategy = Literal["by-frame", "by-clip"]
#: What a sentence does in the ad (:mod:`autocut_core.editing.roles`); "" = not known.
Role = Literal["", "hook", "selling-point", "proof", "cta"]

# Validation of user files rejects unknown fields, so a misspelt key is an error, not a default.
_FORBID_EXTRA = {"extra": "forbid"}
_HEX_RGB = re.compile(r"^#[0-9A-Fa-f]{6}$")


@dataclass(frozen=True)
class Product:
    """What the ad sells: the facts every prompt starts from."""

    __pydantic_config__ = _FORBID_EXTRA

    name: str
    brand: str = ""
    category: str = ""
    selling_points: tuple[str, ...] = ()
    description: str = ""


@dataclass(frozen=True)
class Script:
    """The ad's script: one sentence per clip, in order."""

    __pydantic_config__ = _FORBID_EXTRA

    sentences: tuple[str, ...]
    language: str | None = None
    #: One role per sentence (marked in the script or inferred), or empty when unknown.
    roles: tuple[Role, ...] = ()

    def __post_init__(self) -> None:
        if self.roles and len(self.roles) != len(self.sentences):
            raise ValueError(
                f"script has {len(self.sentences)} sentences but {len(self.roles)} roles"
            )

    def role(self, index: int) -> Role:
        """The role of sentence ``index`` ("" when the script has none)."""
        return self.roles[index] if self.roles else ""

    def __len__(self) -> int:
        return len(self.sentences)


@dataclass(frozen=True)
class Source:
    """A media file with the facts ffprobe found; ``source_id`` derives from its content hash."""

    __pydantic_config__ = _FORBID_EXTRA

    source_id: str
    path: str
    content_hash: str
    duration: float
    kind: Literal["video", "audio"] = "video"
    width: int = 0
    height: int = 0
    fps: float = 0.0
    rotation: int = 0
    variable_frame_rate: bool = False
    has_audio: bool = False
    audio_streams: int = 0
    video_codec: str = ""
    size_bytes: int = 0


@dataclass(frozen=True)
class Frame:
    """One frame sampled at 1 fps ("by frame" in the paper)."""

    source_id: str
    second: int

    @property
    def frame_id(self) -> str:
        return ids.frame_id(self.source_id, self.second)


@dataclass(frozen=True)
class Clip:
    """A contiguous stretch of one source. ``start``/``end`` are exact seconds; the id rounds."""

    __pydantic_config__ = _FORBID_EXTRA

    source_id: str
    start: float
    end: float
    caption: str = ""

    def __post_init__(self) -> None:
        if not 0 <= self.start < self.end:
            raise ValueError(f"clip needs 0 <= start < end, got start={self.start}, end={self.end}")

    @property
    def duration(self) -> float:
        return self.end - self.start

    @property
    def clip_id(self) -> str:
        start = int(self.start)
        return ids.clip_id(self.source_id, start, max(1, round(self.end - start)))


@dataclass(frozen=True)
class Track:
    """A background-music track of the library."""

    __pydantic_config__ = _FORBID_EXTRA

    track_id: str
    path: str
    duration: float
    title: str = ""


@dataclass(frozen=True)
class Candidate:
    """A clip offered to a backbone, with whatever that backbone may read about it."""

    clip: Clip
    tokens: str = ""
    caption: str = ""
    #: The clip's footage file, for backbones that look at pixels (``similarity``).
    source_path: str = ""
    #: Who wrote ``caption``: ``sidecar`` (a file a person put beside the video),
    #: ``captioner:<name>:<model>:v<version>`` (`autocut caption`), ``file name`` (its words);
    #: ``caption data`` (a caption ad's file, read by `autocut eval`); empty when the caller
    #: did not say (a test, an SFT evaluation record).
    caption_source: str = ""
    #: False when the clip's span is not known (caption data without times): ``clip.start``
    #: and ``clip.end`` are then placeholders that a backbone must not show or read from.
    timed: bool = True


@dataclass(frozen=True)
class MusicCandidate:
    """A track offered to a backbone's music choice."""

    track: Track
    tokens: str = ""


@dataclass(frozen=True)
class Selection:
    """Indices into the candidate list, best first, with scores where the backbone has them.

    ``pool_scores``, where the backbone has them, is one row per selected index: the score
    of *every* candidate on the scale the choice was made by (``pool_scores[k][indices[k]]
    == scores[k]``). It is what the plan's evidence names runner-up clips from, so they are
    the clips the choice was really made among, not a second opinion computed afterwards.
    """

    indices: tuple[int, ...]
    scores: tuple[float, ...] = ()
    #: Per index, what the choice rested on, in words (``frames (clip) + caption by
    #: captioner ...``), where the backbone can say; shown in `autocut run`'s summary.
    evidence: tuple[str, ...] = ()
    pool_scores: tuple[tuple[float, ...], ...] = ()


@dataclass(frozen=True)
class Ordering:
    """A permutation of the candidate list: ``order[i]`` is the candidate shown i-th."""

    order: tuple[int, ...]
    scores: tuple[float, ...] = ()


@dataclass(frozen=True)
class MusicChoice:
    """The chosen track (an id of the library) and, for token models, the tokens it wrote."""

    track_id: str
    score: float | None = None
    tokens: str = ""


@dataclass(frozen=True)
class SpeechLine:
    """A synthesised voice line: a WAV file and how long it speaks."""

    text: str
    path: str
    duration: float


@dataclass(frozen=True)
class Word:
    """One recognised word and when it is spoken (seconds from the start of the audio).

    ``text`` is as the recogniser wrote it, leading space included (Whisper marks word
    starts that way; Chinese words come without), so joining a segment's words gives its text.
    """

    __pydantic_config__ = _FORBID_EXTRA

    text: str
    start: float
    end: float
    probability: float = 1.0


@dataclass(frozen=True)
class TranscriptSegment:
    """One stretch of speech as the recogniser decoded it, with its words when it timed them."""

    __pydantic_config__ = _FORBID_EXTRA

    text: str
    start: float
    end: float
    words: tuple[Word, ...] = ()


@dataclass(frozen=True)
class Transcript:
    """What a :class:`~autocut_core.components.Transcriber` heard in one audio track.

    ``model`` is the transcriber's cache key (``name:model:v<version>``): stored transcripts
    are keyed by it, as captions are by their captioner's.
    """

    __pydantic_config__ = _FORBID_EXTRA

    language: str
    segments: tuple[TranscriptSegment, ...]
    duration: float
    model: str = ""
    language_probability: float = 1.0

    @property
    def text(self) -> str:
        return " ".join(" ".join(segment.text.split()) for segment in self.segments).strip()

    @property
    def words(self) -> tuple[Word, ...]:
        return tuple(word for segment in self.segments for word in segment.words)


FactKind = Literal["selling_point", "description", "name"]


@dataclass(frozen=True)
class FactSource:
    """The product fact a sentence came from (:mod:`autocut_core.editing.provenance`).

    ``match`` is the share of the fact's content words the sentence says (1.0: the line
    is the fact, as the ``similarity`` backbone writes selling points).
    """

    __pydantic_config__ = _FORBID_EXTRA

    text: str
    kind: FactKind
    match: float


@dataclass(frozen=True)
class RunnerUp:
    """A clip the backbone could have put in a slot instead, with its score on the same scale."""

    __pydantic_config__ = _FORBID_EXTRA

    clip_id: str
    source_path: str
    start: float
    end: float
    score: float
    caption: str = ""


@dataclass(frozen=True)
class SlotEvidence:
    """Why a slot shows what it shows, as recorded when the plan was made.

    ``clip_id`` and ``sentence`` are what the evidence is about: a slot edited by hand since
    no longer matches them, and `autocut explain` says so instead of showing stale reasons.
    ``score`` is the backbone's score of the clip for the sentence; ``runner_ups`` the best
    other clips it was offered that no slot plays, best first (for an optimal assignment
    none scores higher than ``score``); ``basis`` what the score rests on, in the backbone's
    words (``Selection.evidence``: ``sidecar caption (minilm / word overlap)``), where it says.
    """

    __pydantic_config__ = _FORBID_EXTRA

    clip_id: str
    sentence: str
    chosen_by: str = ""
    caption: str = ""
    score: float | None = None
    fact: FactSource | None = None
    runner_ups: tuple[RunnerUp, ...] = ()
    basis: str = ""


@dataclass(frozen=True)
class Slot:
    """One entry of the timeline: which part of which source plays under which sentence."""

    __pydantic_config__ = _FORBID_EXTRA

    clip_id: str
    source_path: str
    source_in: float
    source_out: float
    sentence: str = ""
    voice_path: str | None = None
    voice_duration: float | None = None
    score: float | None = None
    #: Seconds the last frame is frozen after ``source_out``: a voice line longer than the
    #: footage holds the picture instead of being cut.
    hold: float = 0.0
    #: The text the voice line speaks; `autocut render` speaks a slot again when its sentence
    #: was edited away from it.
    voice_text: str | None = None
    #: When each word of the voice line is spoken (seconds into the line), as a transcriber
    #: heard it: the subtitles split a long sentence where its words are spoken. Empty: not
    #: timed (no transcriber, no voice, a plan by hand or an older autocut).
    voice_words: tuple[Word, ...] = ()
    #: Where this slot's shot ends in the source (the next frame is another shot): fitting to
    #: a longer voice line runs the footage on to here at most, then holds. None (plans made
    #: by hand or by an older autocut): the source's end.
    shot_end: float | None = None
    #: What ``score`` was given for: a fingerprint of the clip, its source, in/out and the
    #: sentence when the plan was written (``autocut_core.editing.scores``). A slot changed
    #: by hand no longer matches it, so `autocut render` knows the score is stale.
    scored_for: str | None = None
    #: The slot was changed by hand after the backbone scored it: ``score`` is None, and the
    #: summary, contact sheet and timeline say "edited" instead.
    edited: bool = False
    #: Why this clip and this sentence (plans of format 2 on; None in older plans).
    evidence: SlotEvidence | None = None
    #: What the sentence does in the ad: hook, selling-point, proof, cta ("" = unknown).
    role: Role = ""

    def __post_init__(self) -> None:
        if not 0 <= self.source_in < self.source_out:
            raise ValueError(
                f"slot {self.clip_id}: needs 0 <= source_in < source_out, "
                f"got {self.source_in} and {self.source_out}"
            )
        if self.hold < 0:
            raise ValueError(f"slot {self.clip_id}: hold must be >= 0, got {self.hold}")

    @property
    def duration(self) -> float:
        """Seconds this slot fills on the output timeline (footage plus any held frame)."""
        return self.source_out - self.source_in + self.hold


@dataclass(frozen=True)
class MusicEvidence:
    """Why this track: who chose it, its score, among how many (``track_id``: the track
    the evidence is about; a cue changed by hand since no longer matches it)."""

    __pydantic_config__ = _FORBID_EXTRA

    track_id: str
    chosen_by: str
    score: float | None = None
    offered: int = 0


@dataclass(frozen=True)
class MusicCue:
    """The background music of a plan: which file, from where in it, how loud."""

    __pydantic_config__ = _FORBID_EXTRA

    track_id: str
    path: str
    offset: float = 0.0
    gain_db: float = 0.0
    evidence: MusicEvidence | None = None


SubtitlePosition = Literal["bottom", "middle", "top"]


@dataclass(frozen=True)
class SubtitleStyle:
    """How burned-in subtitles look. Sizes and margins scale with the frame height."""

    __pydantic_config__ = _FORBID_EXTRA

    font: str = "Noto Sans CJK SC"
    #: Font size in pixels of the output frame; 0 picks height / 24.
    size: int = 0
    color: str = "#FFFFFF"
    outline_color: str = "#000000"
    outline: float = 3.0
    position: SubtitlePosition = "bottom"
    #: Distance from the frame edge as a share of the height (9:16 apps cover the bottom ~15 %).
    margin: float = 0.18
    bold: bool = True


@dataclass(frozen=True)
class RenderSettings:
    """How the plan becomes pixels and samples. Defaults: a 9:16 1080x1920 H.264 short."""

    __pydantic_config__ = _FORBID_EXTRA

    width: int = 1080
    height: int = 1920
    fps: float = 30.0
    fit: Fit = "crop"
    transition: Transition = "cut"
    transition_duration: float = 0.5
    trim: TrimStrategy = "by-frame"
    crf: int = 20
    preset: str = "veryfast"
    subtitles: bool = True
    subtitle_style: SubtitleStyle = field(default_factory=SubtitleStyle)
    loudness_lufs: float = -14.0
    true_peak_db: float = -1.0
    #: ``auto`` takes a hardware H.264 encoder that works on this machine, else libx264.
    video_encoder: str = "auto"
    #: Music fade in/out in seconds and how far (dB) it is ducked under the voice.
    music_fade: float = 1.0
    duck_db: float = 12.0


#: The plan schema written today. 2 added the evidence records (``Slot.evidence``,
#: ``MusicCue.evidence``); a version-1 plan loads unchanged, with no evidence.
PLAN_FORMAT_VERSION = 2


@dataclass(frozen=True)
class EndCard:
    """The closing card after the last slot: product, brand, call to action, logo, colours.

    The renderer draws it in the same filter graph as the slots; its seconds count in the
    plan's length (:func:`autocut_core.editing.timeline.total_duration`).
    """

    __pydantic_config__ = _FORBID_EXTRA

    title: str
    brand: str = ""
    cta: str = ""
    #: An image file (PNG/JPEG) shown above the text, scaled to a third of the frame width.
    logo: str | None = None
    background: str = "#000000"
    color: str = "#FFFFFF"
    duration: float = 2.0

    def __post_init__(self) -> None:
        if not self.duration > 0:
            raise ValueError(f"end card duration must be > 0, got {self.duration}")
        for what, value in (("background", self.background), ("color", self.color)):
            if _HEX_RGB.match(value) is None:
                raise ValueError(f"end card {what} {value!r}: expected #RRGGBB")


@dataclass(frozen=True)
class EditPlan:
    """The timeline a renderer turns into an MP4; the contract between deciding and rendering."""

    __pydantic_config__ = _FORBID_EXTRA

    slots: tuple[Slot, ...]
    music: MusicCue | None = None
    render: RenderSettings = field(default_factory=RenderSettings)
    product: Product | None = None
    pipeline: str = ""
    format_version: int = PLAN_FORMAT_VERSION
    end_card: EndCard | None = None

    def __post_init__(self) -> None:
        if not 1 <= self.format_version <= PLAN_FORMAT_VERSION:
            raise ValueError(
                f"plan format {self.format_version}: this AutoCut reads formats 1 to "
                f"{PLAN_FORMAT_VERSION} (a newer AutoCut wrote it?)"
            )

    @property
    def duration(self) -> float:
        card = self.end_card.duration if self.end_card is not None else 0.0
        return sum(slot.duration for slot in self.slots) + card
