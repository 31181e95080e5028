"""One abstract base class per component kind.

A plugin subclasses one of these, sets ``name`` (and ``Settings`` when it takes options) and
implements the one batch method of its kind; the template methods around it (batching, shape
checks, option parsing) stay here so every plugin behaves alike. Heavy libraries are imported
by the plugin when it first works, never when it is registered.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import (
    TYPE_CHECKING,
    Any,
    ClassVar,
    Generic,
    Literal,
    Protocol,
    Self,
    get_args,
    get_origin,
    runtime_checkable,
)

from pydantic import BaseModel, ConfigDict, Field, ValidationError
from typing_extensions import TypeVar

from autocut_core.errors import (
    AutocutError,
    BackboneAnswerError,
    CapabilityError,
    CaptionError,
    ComponentNotReadyError,
    ComponentSettingsError,
    SeparationError,
    TranscriptionError,
)
from autocut_core.types import (
    Candidate,
    EditPlan,
    Modality,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
    SpeechLine,
    Transcript,
)

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.checks import Check


class ComponentSettings(BaseModel):
    """Options of a component. Unknown options are errors, so a typo never silently does nothing."""

    model_config = ConfigDict(extra="forbid", frozen=True)


#: The settings model of a component class. ``Encoder[ClipSettings]`` types ``self.settings``
#: as ``ClipSettings`` and, unless the class sets ``Settings`` itself, makes ``ClipSettings``
#: the model its options are validated with; a bare ``Encoder`` takes no options.
SettingsT = TypeVar("SettingsT", bound=ComponentSettings, default=ComponentSettings)


class Component(ABC, Generic[SettingsT]):
    """What every component has: a kind, a name, capability flags and validated settings.

    Generic in its settings model, so a plugin writes ``class Clip(Encoder[ClipSettings])``
    once and both the type checker (``self.settings.model``) and option validation know the
    model; there is no cast to write and none to get wrong.
    """

    kind: ClassVar[str]
    #: The name users type (``--encoder NAME``); unique within its kind.
    name: ClassVar[str]
    #: One line for `autocut plugins`.
    description: ClassVar[str] = ""
    #: Bump when the component's outputs change, so stored results are recomputed.
    version: ClassVar[str] = "1"
    #: Free-form flags that callers test before asking for optional behaviour.
    capabilities: ClassVar[frozenset[str]] = frozenset()
    #: The options model; filled from the class's type argument (``Encoder[ClipSettings]``).
    #: Not a ``ClassVar`` only because a ``ClassVar`` may not mention a type variable.
    #: (The ignores: the checker cannot see that ComponentSettings is SettingsT's default, nor
    #: that the model read from the type argument is the class's SettingsT.)
    Settings: type[SettingsT] = ComponentSettings  # type: ignore[assignment]
    settings: SettingsT

    def __init_subclass__(cls, **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if "Settings" not in cls.__dict__:
            model = _settings_argument(cls, inherited=False)
            if model is not None:
                cls.Settings = model  # type: ignore[assignment]

    def __init__(self, settings: SettingsT | None = None):
        self.settings = settings if settings is not None else self.Settings()

    @classmethod
    def from_options(cls, options: Mapping[str, Any] | None = None) -> Self:
        """Build the component from plain options (TOML table, ``--*-opt key=value`` flags)."""
        try:
            settings = cls.Settings(**dict(options or {}))
        except ValidationError as error:
            problems = "; ".join(
                f"'{'.'.join(str(p) for p in e['loc'])}': {e['msg']}" for e in error.errors()
            )
            known = ", ".join(cls.Settings.model_fields) or "(it takes no options)"
            raise ComponentSettingsError(
                f"Invalid options for {cls.kind} '{cls.name}': {problems}. Known options: {known}."
            ) from None
        return cls(settings)

    @classmethod
    def class_problems(cls) -> list[str]:
        """What is wrong with this class as a component (checked when it is registered)."""
        settings = getattr(cls, "Settings", None)
        if not (isinstance(settings, type) and issubclass(settings, ComponentSettings)):
            return ["Settings must subclass autocut_core.components.ComponentSettings"]
        declared = _settings_argument(cls)
        if declared is not None and not issubclass(settings, declared):
            return [
                f"Settings is {settings.__name__}, which does not subclass {declared.__name__}, "
                "the settings type argument of the class"
            ]
        return []

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        """Options that build a small, fast instance: what the contract tests instantiate.

        Model plugins return tiny randomly initialised sizes here (as open_clip's
        ``pretrained=None``) so the same code path runs without downloaded weights.
        """
        return {}

    def diagnose(self) -> list[Check]:
        """Checks for `autocut doctor`: configured weight files, external programs."""
        return []

    def require(self, capability: str) -> None:
        if capability not in self.capabilities:
            raise CapabilityError(
                f"{self.kind} '{self.name}' cannot {capability.replace('_', ' ')} "
                f"(it can: {', '.join(sorted(self.capabilities)) or 'nothing optional'})"
            )


def require_ready(components: Iterable[Component[Any]]) -> None:
    """Refuse work up front when a component's own checks fail.

    ``diagnose()`` is the cheap self-check `autocut doctor` prints (configured weight files,
    programs, keys; nothing is loaded). Asking it before the first file is decoded turns
    "internal error while analysing" repeated per file after a minute of decoding into one
    error at once, one line per failing check, each with its fix.
    """
    failing = [
        (component, check)
        for component in components
        for check in component.diagnose()
        if check.status == "fail"
    ]
    if not failing:
        return
    lines = []
    for component, check in failing:
        line = f"  {component.kind} '{component.name}': {check.detail or check.name}"
        lines.append(f"{line}. Fix: {check.fix}" if check.fix else line)
    raise ComponentNotReadyError(
        "cannot start: a component is not ready (nothing was decoded)\n" + "\n".join(lines)
    )


def not_ready_reason(component: Component[Any], fetch: bool = True) -> str:
    """Why an optional component cannot be used now ("" when it can), for the steps that use
    one without being asked to (`dataset build`'s transcriber and separator, word-timed
    subtitles): they fall back with this note instead of failing after minutes of work.
    Without ``fetch`` a warning counts too (a model "not downloaded yet" must not start a
    download that nobody asked for)."""
    bad = ("fail",) if fetch else ("fail", "warn")
    failing = [check for check in component.diagnose() if check.status in bad]
    if not failing:
        return ""
    check = failing[0]
    fix = f"; fix: {check.fix}" if check.fix else ""
    return f"{component.kind} '{component.name}' is not ready: {check.detail}{fix}"


def _settings_argument(cls: type, inherited: bool = True) -> type[ComponentSettings] | None:
    """The settings model a class was parametrised with (``Encoder[ClipSettings]``), its own
    bases first, then (``inherited``) its ancestors'; ``None`` when nothing names one."""
    for klass in cls.__mro__ if inherited else (cls,):
        for base in klass.__dict__.get("__orig_bases__", ()):
            origin = get_origin(base)
            if isinstance(origin, type) and issubclass(origin, Component):
                for argument in get_args(base):
                    if isinstance(argument, type) and issubclass(argument, ComponentSettings):
                        return argument
    return None


class Encoder(Component[SettingsT]):
    """Turns frames, audio or text into fixed-size float vectors."""

    kind = "encoder"
    #: What ``encode_batch`` accepts: ``image`` = HxWx3 uint8 RGB arrays, ``audio`` = mono
    #: float32 arrays at ``sample_rate``, ``text`` = strings.
    modality: ClassVar[Modality] = "image"
    #: Audio encoders: the sample rate their input must have.
    sample_rate: ClassVar[int | None] = None
    #: Items per ``encode_batch`` call; a plugin may set it per instance from its settings.
    batch_size: int = 32

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        if cls.modality not in ("image", "audio", "text"):
            problems.append(f"modality must be image, audio or text, not {cls.modality!r}")
        if cls.modality == "audio" and not (
            isinstance(cls.sample_rate, int) and cls.sample_rate > 0
        ):
            problems.append("an audio encoder must set sample_rate (the rate its input must have)")
        return problems

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of each output vector."""

    @abstractmethod
    def encode_batch(self, items: Sequence[Any]) -> np.ndarray:
        """Encode one batch: returns float32 ``[len(items), dim]``."""

    def encode(self, items: Iterable[Any]) -> np.ndarray:
        """Encode any number of items in batches of ``batch_size``."""
        import numpy as np

        outputs: list[np.ndarray] = []
        batch: list[Any] = []
        for item in items:
            batch.append(item)
            if len(batch) == self.batch_size:
                outputs.append(self._checked(batch))
                batch = []
        if batch:
            outputs.append(self._checked(batch))
        if not outputs:
            return np.zeros((0, self.dim), dtype=np.float32)
        return np.concatenate(outputs)

    def _checked(self, batch: Sequence[Any]) -> np.ndarray:
        import numpy as np

        vectors = np.asarray(self.encode_batch(batch), dtype=np.float32)
        if vectors.shape != (len(batch), self.dim):
            raise RuntimeError(
                f"encoder '{self.name}' returned shape {vectors.shape} for a batch of "
                f"{len(batch)}; expected ({len(batch)}, {self.dim})"
            )
        return vectors


class Tokenizer(Component[SettingsT]):
    """Discretises vectors into ``heads`` codes each and decodes codes back into vectors."""

    kind = "tokenizer"
    #: ``v`` for video tokens ``<v_h_c>``, ``a`` for audio tokens ``<a_h_c>``.
    token_prefix: ClassVar[Literal["v", "a"]] = "v"

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        if cls.token_prefix not in ("v", "a"):
            problems.append(f"token_prefix must be 'v' or 'a', not {cls.token_prefix!r}")
        return problems

    @property
    @abstractmethod
    def heads(self) -> int:
        """Codes per vector (quantizer depth)."""

    @property
    @abstractmethod
    def codebook_size(self) -> int:
        """Number of codes per head."""

    @property
    @abstractmethod
    def dim(self) -> int:
        """Length of the vectors it encodes and decodes."""

    def trained_on(self) -> tuple[str, int] | None:
        """The (encoder name, vector dimension) this tokenizer was trained on, if any."""
        return None

    def check_encoder(self, encoder: str, dim: int) -> None:
        """Refuse vectors from another encoder: their codes would be silently meaningless."""
        trained = self.trained_on()
        if trained is not None and trained != (encoder, dim):
            raise CapabilityError(
                f"{self.kind} '{self.name}' was trained on '{trained[0]}' {trained[1]}-D vectors, "
                f"not '{encoder}' {dim}-D; train one with `autocut tokenizer train --encoder {encoder}`"
            )

    @abstractmethod
    def encode_batch(self, vectors: np.ndarray) -> np.ndarray:
        """``[n, dim]`` float vectors to ``[n, heads]`` integer codes."""

    @abstractmethod
    def decode_batch(self, codes: np.ndarray) -> np.ndarray:
        """``[n, heads]`` integer codes to ``[n, dim]`` float vectors."""


@runtime_checkable
class TrainableTokenizer(Protocol):
    """A tokenizer that `autocut tokenizer train` and `autocut dataset build` can train: an
    optional capability (a tokenizer loaded from fixed codebooks has no ``fit``)."""

    def fit(
        self,
        train: np.ndarray,
        held_out: np.ndarray,
        out_dir: Path,
        encoder: str,
        progress: Callable[[dict[str, Any]], None] | None = None,
        resume: bool = True,
    ) -> dict[str, Any]:
        """Train on ``train``, score on ``held_out``, write the result to ``out_dir``."""
        ...


class Backbone(Component[SettingsT]):
    """The editing model: selects, orders, writes and picks music (paper §3.5).

    A backbone declares which of ``select``, ``sort``, ``write_script``, ``pick_music`` and
    ``rank_music`` it can do in ``capabilities`` and implements the matching ``_select``,
    ``_sort``, ``_write_script``, ``_pick_music``, ``_rank_music``. The public methods are
    template methods: they refuse what the backbone cannot do, guard the inputs (a count
    larger than the pool, an empty music library) and check the answer before anyone builds
    on it (:class:`~autocut_core.errors.BackboneAnswerError` names the backbone and the
    problem), so the pipelines and the evaluation harness get the same checked answers.
    """

    kind = "backbone"
    #: Whether the backbone reads ``Candidate.tokens`` / ``MusicCandidate.tokens``: the
    #: pipelines run the trained tokenizers only for backbones that do.
    needs_tokens: ClassVar[bool] = False
    #: The template methods; a subclass implements the underscored twin of each instead.
    TEMPLATE_METHODS: ClassVar[tuple[str, ...]] = (
        "select",
        "sort",
        "write_script",
        "pick_music",
        "rank_music",
    )

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        for method in cls.TEMPLATE_METHODS:
            if getattr(cls, method) is not getattr(Backbone, method):
                problems.append(
                    f"overrides {method}(); implement _{method}() instead (the base class "
                    "checks its inputs and answer)"
                )
            implemented = getattr(cls, f"_{method}") is not getattr(Backbone, f"_{method}")
            if (method in cls.capabilities) != implemented:
                state = "declares" if method in cls.capabilities else "does not declare"
                problems.append(
                    f"{state} the capability '{method}' but "
                    f"{'does not implement' if method in cls.capabilities else 'implements'} "
                    f"_{method}()"
                )
        return problems

    @property
    def max_frames_per_clip(self) -> int:
        """At most this many frames of a clip reach the backbone as tokens (0: every 1 fps
        frame). A model trained on a corpus built with ``--max-frames-per-clip N`` should see
        clips the way it learned them."""
        return 0

    def evidence_problems(self, script: Script, candidates: Sequence[Candidate]) -> list[str]:
        """What this backbone lacks to match ``script`` to ``candidates`` well, each with
        what would fix it (no captions, a script language its encoders do not cover). The
        pipelines show these as warnings; the default knows of no problem."""
        return []

    # -- the template methods: what callers use ---------------------------------------------

    def select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        """Choose ``count`` distinct candidates that fit the script."""
        self.require("select")
        self.check_count(count, candidates)
        selection = self._select(product, script, candidates, count)
        indices = list(selection.indices)
        problem = None
        if len(indices) != count:
            problem = f"{len(indices)} indices instead of {count}"
        elif len(set(indices)) != len(indices):
            problem = f"repeated indices {indices}"
        elif any(not 0 <= i < len(candidates) for i in indices):
            problem = f"indices {indices} outside 0..{len(candidates) - 1}"
        elif selection.scores and len(selection.scores) != count:
            problem = f"{len(selection.scores)} scores for {count} indices"
        elif selection.evidence and len(selection.evidence) != count:
            problem = f"{len(selection.evidence)} evidence notes for {count} indices"
        else:
            problem = _pool_scores_problem(selection, len(candidates))
        if problem:
            raise BackboneAnswerError(f"backbone '{self.name}' selected {problem}")
        return selection

    def sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        """Order the candidates so that the i-th plays under the i-th sentence."""
        self.require("sort")
        ordering = self._sort(product, script, candidates)
        if sorted(ordering.order) != list(range(len(candidates))):
            raise BackboneAnswerError(
                f"backbone '{self.name}' returned {list(ordering.order)}, "
                f"not a permutation of 0..{len(candidates) - 1}"
            )
        return ordering

    def write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        """Write one sentence per candidate clip, in candidate order (lines stripped)."""
        self.require("write_script")
        script = self._write_script(product, candidates)
        lines = [line.strip() for line in script.sentences]
        if len(lines) != len(candidates) or not all(lines):
            raise BackboneAnswerError(
                f"backbone '{self.name}' wrote {len(lines)} lines for {len(candidates)} clips "
                "(one non-empty line per clip is required)"
            )
        return Script(sentences=tuple(lines), language=script.language)

    def pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        """Choose the background track (one of ``tracks``) for the ordered clips."""
        self.require("pick_music")
        self.check_library(tracks)
        choice = self._pick_music(product, script, clips, tracks)
        if choice.track_id not in {track.track.track_id for track in tracks}:
            raise BackboneAnswerError(
                f"backbone '{self.name}' picked track '{choice.track_id}', "
                "which is not in the music library"
            )
        return choice

    def rank_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> list[float]:
        """One finite score per track, higher is better (the evaluation's Hit@k and MRR)."""
        import math

        self.require("rank_music")
        self.check_library(tracks)
        scores = [float(score) for score in self._rank_music(product, script, clips, tracks)]
        if len(scores) != len(tracks) or not all(math.isfinite(score) for score in scores):
            raise BackboneAnswerError(
                f"backbone '{self.name}': rank_music must give one finite score per "
                f"track ({len(tracks)}), got {scores}"
            )
        return scores

    @staticmethod
    def check_count(count: int, candidates: Sequence[Candidate]) -> None:
        """Refuse a selection of more candidates than the pool holds (or a negative count)."""
        if count < 0:
            raise AutocutError(f"cannot select {count} candidates")
        if count and not candidates:
            raise AutocutError("cannot select from an empty candidate pool")
        if count > len(candidates):
            raise AutocutError(
                f"cannot select {count} distinct candidates from a pool of {len(candidates)}"
            )

    @staticmethod
    def check_library(tracks: Sequence[MusicCandidate]) -> None:
        if not tracks:
            raise AutocutError("cannot pick music from an empty music library")

    # -- what a backbone implements, one per declared capability ------------------------------

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        raise NotImplementedError

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        raise NotImplementedError

    def _write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        raise NotImplementedError

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        raise NotImplementedError

    def _rank_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> Sequence[float]:
        raise NotImplementedError


def _pool_scores_problem(selection: Selection, pool: int) -> str | None:
    """What is wrong with a selection's ``pool_scores`` (None: absent, or one row of ``pool``
    scores per index, each agreeing with the score given for its index)."""
    import math

    rows = selection.pool_scores
    if not rows:
        return None
    if len(rows) != len(selection.indices) or any(len(row) != pool for row in rows):
        shape = [len(row) for row in rows]
        return f"pool scores of shape {shape} for {len(selection.indices)} indices of {pool}"
    for k, (index, row) in enumerate(zip(selection.indices, rows, strict=True)):
        if not all(math.isfinite(value) for value in row):
            return f"pool scores with NaN or infinity in row {k}"
        if selection.scores and not math.isclose(row[index], selection.scores[k], abs_tol=1e-6):
            return f"pool score {row[index]} of index {index} but score {selection.scores[k]}"
    return None


class Hit(BaseModel):
    """One search result: a material id and its similarity (higher is closer)."""

    model_config = ConfigDict(frozen=True)

    id: str
    score: float


class Retriever(Component[SettingsT]):
    """Nearest-neighbour search over L2-normalised material vectors, keyed by material ids.

    The base class owns the id <-> row mapping and every check (shapes, unknown candidate ids,
    ``k`` larger than the pool), so each index implements only ``build_index`` and
    ``search_rows``; all retrievers then fail and succeed alike.
    """

    kind = "retriever"

    def __init__(self, settings: SettingsT | None = None):
        super().__init__(settings)
        self.ids: list[str] = []
        self._rows: dict[str, int] = {}
        self.dim = 0

    # -- what an index implements ---------------------------------------------------------

    @abstractmethod
    def build_index(self, vectors: np.ndarray) -> None:
        """Index L2-normalised float32 ``vectors`` (row i belongs to ``self.ids[i]``)."""

    @abstractmethod
    def search_rows(
        self, queries: np.ndarray, k: int, rows: np.ndarray | None
    ) -> tuple[np.ndarray, np.ndarray]:
        """The batch method: ``(scores, rows)``, each ``[len(queries), k]``, best first.

        ``queries`` are L2-normalised; ``rows``, when given, restricts the search to those
        rows. Scores are inner products (cosine similarity).
        """

    @abstractmethod
    def save_index(self, path: Path) -> None:
        """Write the index itself to ``path`` (the base class writes the ids beside it)."""

    @abstractmethod
    def load_index(self, path: Path) -> None:
        """Read what :meth:`save_index` wrote."""

    # -- template methods -----------------------------------------------------------------

    def build(self, ids: Sequence[str], vectors: np.ndarray) -> None:
        """Index ``vectors``, one row per id."""
        import numpy as np

        matrix = np.asarray(vectors, dtype=np.float32)
        if matrix.ndim != 2 or matrix.shape[0] != len(ids):
            raise ValueError(
                f"retriever '{self.name}': got {len(ids)} ids and vectors of shape {matrix.shape}"
            )
        if len(set(ids)) != len(ids):
            raise ValueError(f"retriever '{self.name}': ids are not unique")
        if not np.isfinite(matrix).all():
            raise ValueError(f"retriever '{self.name}': vectors contain NaN or infinity")
        self.ids = list(ids)
        self._rows = {material_id: row for row, material_id in enumerate(self.ids)}
        self.dim = matrix.shape[1]
        self.build_index(normalize_rows(matrix))

    def search(
        self, queries: np.ndarray, k: int, candidates: Sequence[str] | None = None
    ) -> list[list[Hit]]:
        """The ``k`` nearest ids for each query row, optionally only among ``candidates``."""
        import numpy as np

        matrix = np.asarray(queries, dtype=np.float32)
        if matrix.ndim == 1:
            matrix = matrix[None, :]
        if matrix.ndim != 2 or matrix.shape[1] != self.dim:
            raise ValueError(
                f"retriever '{self.name}': queries of shape {matrix.shape} do not match the "
                f"index dimension {self.dim}"
            )
        rows = None
        pool = len(self.ids)
        if candidates is not None:
            unknown = [c for c in candidates if c not in self._rows]
            if unknown:
                raise KeyError(
                    f"retriever '{self.name}': {len(unknown)} candidate id(s) are not in the "
                    f"index, e.g. {unknown[0]!r}"
                )
            rows = np.unique(np.fromiter((self._rows[c] for c in candidates), dtype=np.int64))
            pool = len(rows)
        if pool == 0:
            raise ValueError(f"retriever '{self.name}': the candidate pool is empty")
        if not 1 <= k <= pool:
            raise ValueError(f"retriever '{self.name}': k={k} but the pool has {pool} item(s)")
        scores, found = self.search_rows(normalize_rows(matrix), k, rows)
        return [
            [
                Hit(id=self.ids[row], score=float(score))
                for score, row in zip(s, r, strict=True)
                if row >= 0
            ]
            for s, r in zip(scores, found, strict=True)
        ]

    def save(self, path: Path) -> None:
        """Write the index and its ids (``path`` and ``path.ids.json``), each atomically."""
        import json

        from autocut_core.fsutil import atomic_path, atomic_write_text

        path = Path(path)
        with atomic_path(path) as temporary:
            self.save_index(temporary)
        meta = {"retriever": self.name, "version": self.version, "dim": self.dim, "ids": self.ids}
        atomic_write_text(_ids_path(path), json.dumps(meta))

    def load(self, path: Path) -> None:
        """Read an index written by :meth:`save`; a missing or foreign file is a clear error."""
        import json

        from autocut_core.errors import InputError

        path = Path(path)
        ids_path = _ids_path(path)
        if not path.is_file() or not ids_path.is_file():
            raise InputError(f"{path}: index not found (expected {path.name} and {ids_path.name})")
        meta = json.loads(ids_path.read_text(encoding="utf-8"))
        if meta.get("retriever") != self.name:
            raise InputError(
                f"{path}: written by retriever '{meta.get('retriever')}', not '{self.name}'"
            )
        try:
            self.load_index(path)
        except Exception as error:
            raise InputError(f"{path}: cannot read the index ({error})") from None
        self.ids = list(meta["ids"])
        self._rows = {material_id: row for row, material_id in enumerate(self.ids)}
        self.dim = int(meta["dim"])
        if self.size != len(self.ids):
            raise InputError(
                f"{path}: the index holds {self.size} vectors but {ids_path.name} lists "
                f"{len(self.ids)} ids (truncated or mismatched files)"
            )

    @property
    @abstractmethod
    def size(self) -> int:
        """Number of vectors in the index."""


def _ids_path(path: Path) -> Path:
    return path.with_name(path.name + ".ids.json")


def normalize_rows(matrix: np.ndarray) -> np.ndarray:
    """Rows scaled to unit length (zero rows stay zero), as float32."""
    import numpy as np

    matrix = np.asarray(matrix, dtype=np.float32)
    norms = np.linalg.norm(matrix, axis=1, keepdims=True)
    return np.divide(matrix, norms, out=np.zeros_like(matrix), where=norms > 0)


class RenderResult(BaseModel):
    """What a renderer wrote: the video and its side outputs (subtitles, timeline, plan)."""

    model_config = ConfigDict(frozen=True)

    video: Path
    side_outputs: dict[str, Path] = {}
    duration: float = 0.0


class Renderer(Component[SettingsT]):
    """Turns an :class:`EditPlan` into a finished video file."""

    kind = "renderer"

    @abstractmethod
    def render(self, plan: EditPlan, output: Path) -> RenderResult:
        """Render ``plan`` to ``output`` (written atomically)."""


EVALUATOR_TASKS = ("select", "sort", "script", "music")


class Evaluator(Component[SettingsT]):
    """Scores predictions of one task against references (paper §4.2)."""

    kind = "evaluator"
    #: ``select``, ``sort``, ``script`` or ``music``.
    task: ClassVar[str]

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        task = getattr(cls, "task", None)
        if task not in EVALUATOR_TASKS:
            problems.append(f"task must be one of {', '.join(EVALUATOR_TASKS)}, not {task!r}")
        return problems

    @abstractmethod
    def score_batch(
        self, predictions: Sequence[Any], references: Sequence[Any]
    ) -> list[dict[str, float]]:
        """Per-sample metric values, one dict per (prediction, reference) pair."""

    def aggregate(self, per_sample: Sequence[Mapping[str, float]]) -> dict[str, float]:
        """Corpus-level values; the default is the mean of each metric over the samples
        that have it (:func:`mean_where_present`)."""
        return mean_where_present(per_sample)


def mean_where_present(per_sample: Sequence[Mapping[str, float]]) -> dict[str, float]:
    """Each metric's mean over the samples that have it: a metric a sample leaves out (the
    paper's pairwise on a malformed answer) is skipped there, not counted as 0."""
    keys: dict[str, None] = {}
    for sample in per_sample:
        keys.update(dict.fromkeys(sample))
    return {
        key: sum(values) / len(values)
        for key in keys
        if (values := [sample[key] for sample in per_sample if key in sample])
    }


class Voice(Component[SettingsT]):
    """Text-to-speech for voice-over lines."""

    kind = "voice"

    @abstractmethod
    def synthesize_batch(self, texts: Sequence[str], out_dir: Path) -> list[SpeechLine]:
        """Write one WAV file per text into ``out_dir`` and report each line's duration."""


#: What a captioner is asked when no prompt is configured: one plain sentence of what is seen,
#: the words a script sentence would use (the paper's captions, §3.2, describe the shot).
DEFAULT_CAPTION_PROMPT = (
    "Describe what this video shot shows in one short sentence: the main subject, what it "
    "does and where. Plain words, no preamble."
)
#: A caption longer than this is not one caption (a model rambling or echoing the prompt).
MAX_CAPTION_CHARS = 400


class CaptionerSettings(ComponentSettings):
    """Options every captioner has: what it is asked and how much of each clip it sees."""

    prompt: str = Field(
        DEFAULT_CAPTION_PROMPT, min_length=1, description="What the model is asked per clip"
    )
    frames: int = Field(3, ge=1, le=8, description="Frames per clip shown to the model")
    max_side: int = Field(
        448, ge=64, le=1536, description="Longest side of each frame shown, pixels"
    )


CaptionerSettingsT = TypeVar(
    "CaptionerSettingsT", bound=CaptionerSettings, default=CaptionerSettings
)


class Captioner(Component[CaptionerSettingsT]):
    """Writes what a clip shows, from a few of its frames (JPEG bytes), as one sentence.

    The captions are stored in the material database by `autocut caption` and read by the
    zero-shot backbones, so a user's own footage gets words without anyone writing sidecars.
    A plugin implements :meth:`_describe`; :meth:`describe` checks the frames going in and
    the text coming out, so a captioner cannot store an empty or runaway caption.
    """

    kind = "captioner"
    #: A bare ``Captioner`` subclass takes the common options (same ignore as ``Component``).
    Settings: type[CaptionerSettingsT] = CaptionerSettings  # type: ignore[assignment]

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        if isinstance(cls.Settings, type) and not issubclass(cls.Settings, CaptionerSettings):
            problems.append("Settings must subclass autocut_core.components.CaptionerSettings")
        return problems

    @property
    def model(self) -> str:
        """The model that writes the captions (hub id, folder, served name): stored captions
        are keyed by it, so changing the model captions again."""
        return self.name

    @property
    def cache_key(self) -> str:
        """``name:model:version``: what a stored caption was written by."""
        return f"{self.name}:{self.model}:v{self.version}"

    def describe(self, frames: Sequence[bytes]) -> str:
        """One caption of the clip whose ``frames`` (JPEG bytes, in time order) are given."""
        if not frames:
            raise CaptionError(f"captioner '{self.name}': no frames to describe")
        for number, frame in enumerate(frames, start=1):
            if not (isinstance(frame, bytes) and frame.startswith(b"\xff\xd8")):
                raise CaptionError(f"captioner '{self.name}': frame {number} is not JPEG bytes")
        text = self._describe(list(frames))
        if not isinstance(text, str):
            raise CaptionError(
                f"captioner '{self.name}' returned {type(text).__name__}, not a caption"
            )
        caption = " ".join(text.split())
        if not caption:
            raise CaptionError(f"captioner '{self.name}' ({self.model}) returned an empty caption")
        if len(caption) > MAX_CAPTION_CHARS:
            raise CaptionError(
                f"captioner '{self.name}' ({self.model}) returned {len(caption)} characters, "
                f"more than one caption ({MAX_CAPTION_CHARS}): {caption[:60]!r}..."
            )
        return caption

    @abstractmethod
    def _describe(self, frames: list[bytes]) -> str:
        """The caption of one clip from its JPEG ``frames``, asked ``self.settings.prompt``."""


class TranscriberSettings(ComponentSettings):
    """Options every transcriber has: the language, or None to detect it per track."""

    language: str | None = Field(
        None,
        min_length=2,
        description="Language code of the speech (en, zh, ...); default: detected per track",
    )
    word_timestamps: bool = Field(True, description="Time every word, not only each segment")


TranscriberSettingsT = TypeVar(
    "TranscriberSettingsT", bound=TranscriberSettings, default=TranscriberSettings
)

#: Recognisers round times; a segment may end this far past the audio, or a word this far
#: outside its segment, before the transcript is refused (seconds).
TIME_TOLERANCE = 0.5


class Transcriber(Component[TranscriberSettingsT]):
    """Speech to timed text: mono float32 audio at ``sample_rate`` in, a :class:`Transcript` out.

    `autocut transcribe` stores the transcripts in the material database, the dataset
    builder cuts ads into sentences by their times when an ad has no transcript sidecar, and
    subtitles are timed from the voice-over's own words. A plugin implements
    :meth:`_transcribe`; :meth:`transcribe` checks the audio going in and the times coming
    out, so no consumer has to guard against a segment out of order or a word outside it.
    """

    kind = "transcriber"
    #: The rate the audio given to :meth:`transcribe` must have (Whisper's is 16 kHz).
    sample_rate: ClassVar[int] = 16_000
    #: Same ignore as ``Component``.
    Settings: type[TranscriberSettingsT] = TranscriberSettings  # type: ignore[assignment]

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        if isinstance(cls.Settings, type) and not issubclass(cls.Settings, TranscriberSettings):
            problems.append("Settings must subclass autocut_core.components.TranscriberSettings")
        if not (isinstance(cls.sample_rate, int) and cls.sample_rate > 0):
            problems.append("sample_rate must be a positive int")
        return problems

    @property
    def model(self) -> str:
        """The model that transcribes (card name, hub id, folder): stored transcripts are
        keyed by it, so changing the model transcribes again."""
        return self.name

    @property
    def cache_key(self) -> str:
        """``name:model:version``: what a stored transcript was written by."""
        return f"{self.name}:{self.model}:v{self.version}"

    def transcribe(self, audio: np.ndarray) -> Transcript:
        """The transcript of ``audio`` (mono float32 at ``sample_rate``), times checked."""
        import numpy as np

        samples = np.asarray(audio)
        if samples.ndim != 1 or samples.dtype != np.float32:
            raise TranscriptionError(
                f"transcriber '{self.name}': audio must be mono float32 samples, got "
                f"{samples.dtype} of shape {samples.shape}"
            )
        if samples.size == 0:
            raise TranscriptionError(f"transcriber '{self.name}': no audio to transcribe")
        duration = samples.size / self.sample_rate
        transcript = self._transcribe(samples)
        if not isinstance(transcript, Transcript):
            raise TranscriptionError(
                f"transcriber '{self.name}' returned {type(transcript).__name__}, not a Transcript"
            )
        self._check_times(transcript, duration)
        return Transcript(
            language=transcript.language,
            segments=transcript.segments,
            duration=duration,
            model=self.cache_key,
            language_probability=transcript.language_probability,
        )

    def _check_times(self, transcript: Transcript, duration: float) -> None:
        where = f"transcriber '{self.name}' ({self.model})"
        if not transcript.language:
            raise TranscriptionError(f"{where} named no language")
        previous = 0.0
        for number, segment in enumerate(transcript.segments, start=1):
            said = f"{where}: segment {number} ({segment.text[:30]!r})"
            if not 0 <= segment.start <= segment.end <= duration + TIME_TOLERANCE:
                raise TranscriptionError(
                    f"{said} spans {segment.start:g}-{segment.end:g} s of {duration:g} s of audio"
                )
            if segment.start < previous - TIME_TOLERANCE:
                raise TranscriptionError(f"{said} starts before the previous segment ends")
            previous = segment.end
            for word in segment.words:
                if not (
                    segment.start - TIME_TOLERANCE
                    <= word.start
                    <= word.end
                    <= segment.end + TIME_TOLERANCE
                ):
                    raise TranscriptionError(
                        f"{said}: word {word.text!r} at {word.start:g}-{word.end:g} s lies "
                        "outside its segment"
                    )

    @abstractmethod
    def _transcribe(self, audio: np.ndarray) -> Transcript:
        """The transcript of ``audio``; ``duration`` and ``model`` are filled in by the caller."""


class SeparatorSettings(ComponentSettings):
    """Options every separator has: how much audio it holds at once."""

    chunk_seconds: float = Field(
        60.0,
        ge=5.0,
        description="Seconds separated at a time: memory is bounded by this, not by the "
        "file's length",
    )
    overlap_seconds: float = Field(
        1.0, ge=0.0, description="Seconds neighbouring chunks share and crossfade over"
    )


SeparatorSettingsT = TypeVar(
    "SeparatorSettingsT", bound=SeparatorSettings, default=SeparatorSettings
)


@dataclass(frozen=True, eq=False)
class Stems:
    """A mix split in two: ``voice`` (speech) and ``music`` (everything else), mono float32
    at ``sample_rate``, each as long as the mix; ``model`` is the separator's cache key."""

    voice: np.ndarray
    music: np.ndarray
    sample_rate: int
    model: str

    @property
    def duration(self) -> float:
        return self.voice.size / self.sample_rate


class Separator(Component[SeparatorSettingsT]):
    """Voice/music separation: mono float32 audio in, :class:`Stems` out.

    The dataset builder embeds the music stem of an ad that has no background-music sidecar
    (the paper separates the voice before embedding the music), and `autocut separate`
    writes both stems. A plugin implements :meth:`_separate` on one chunk at
    ``sample_rate``; :meth:`separate` resamples the input, cuts a long one into chunks of
    ``chunk_seconds`` that overlap and crossfade (so memory stays bounded on an hour of
    audio), reports each chunk to the current progress stage and checks the stems coming
    out, so no consumer has to guard against a stem of another length.
    """

    kind = "separator"
    #: The rate the separator works at; :meth:`separate` resamples other audio to it.
    sample_rate: ClassVar[int] = 22_050
    #: Same ignore as ``Component``.
    Settings: type[SeparatorSettingsT] = SeparatorSettings  # type: ignore[assignment]

    @classmethod
    def class_problems(cls) -> list[str]:
        problems = super().class_problems()
        if isinstance(cls.Settings, type) and not issubclass(cls.Settings, SeparatorSettings):
            problems.append("Settings must subclass autocut_core.components.SeparatorSettings")
        if not (isinstance(cls.sample_rate, int) and cls.sample_rate > 0):
            problems.append("sample_rate must be a positive int")
        return problems

    @property
    def model(self) -> str:
        """The model that separates (card name, file, algorithm): stored stems are keyed by
        it, so changing the model separates again."""
        return self.name

    @property
    def cache_key(self) -> str:
        """``name:model:version``: what a stored stem was written by."""
        return f"{self.name}:{self.model}:v{self.version}"

    def separate(self, audio: np.ndarray, sample_rate: int | None = None) -> Stems:
        """``audio`` (mono float32 at ``sample_rate``, default the separator's own) split
        into voice and music at :attr:`sample_rate`, chunk by chunk."""
        import numpy as np

        from autocut_core.progress import current_stage

        samples = self._checked_input(audio, sample_rate)
        total = samples.size
        chunk = max(1, round(self.settings.chunk_seconds * self.sample_rate))
        overlap = min(round(self.settings.overlap_seconds * self.sample_rate), chunk // 2)
        voice = np.zeros(total, dtype=np.float32)
        music = np.zeros(total, dtype=np.float32)
        stage = current_stage()
        start = 0
        while True:
            end = min(start + chunk, total)
            piece_voice, piece_music = self._checked_chunk(samples[start:end], start)
            weight = np.ones(end - start, dtype=np.float32)
            ramp = (np.arange(overlap, dtype=np.float32) + 0.5) / max(overlap, 1)
            if start > 0 and overlap:
                weight[:overlap] = ramp
            if end < total and overlap:
                weight[-overlap:] = 1.0 - ramp
            voice[start:end] += weight * piece_voice
            music[start:end] += weight * piece_music
            stage.update(end / self.sample_rate, total / self.sample_rate)
            if end == total:
                break
            start = end - overlap
        return Stems(voice=voice, music=music, sample_rate=self.sample_rate, model=self.cache_key)

    def _checked_input(self, audio: np.ndarray, sample_rate: int | None) -> np.ndarray:
        import numpy as np

        samples = np.asarray(audio)
        where = f"separator '{self.name}'"
        if samples.ndim != 1 or samples.dtype != np.float32:
            raise SeparationError(
                f"{where}: audio must be mono float32 samples, got {samples.dtype} of shape "
                f"{samples.shape}"
            )
        if samples.size == 0:
            raise SeparationError(f"{where}: no audio to separate")
        if not np.isfinite(samples).all():
            raise SeparationError(f"{where}: the audio has samples that are not finite")
        rate = self.sample_rate if sample_rate is None else int(sample_rate)
        if rate <= 0:
            raise SeparationError(f"{where}: sample rate {sample_rate} is not positive")
        if rate == self.sample_rate:
            return samples
        return resample(samples, rate, self.sample_rate)

    def _checked_chunk(self, piece: np.ndarray, start: int) -> tuple[np.ndarray, np.ndarray]:
        import numpy as np

        stems = self._separate(piece)
        where = f"separator '{self.name}' ({self.model}) at {start / self.sample_rate:.1f} s"
        if not (isinstance(stems, tuple) and len(stems) == 2):
            raise SeparationError(f"{where}: returned {type(stems).__name__}, not (voice, music)")
        checked = []
        for label, returned in zip(("voice", "music"), stems, strict=True):
            stem = np.asarray(returned, dtype=np.float32)
            if stem.shape != piece.shape:
                raise SeparationError(
                    f"{where}: the {label} stem has shape {stem.shape}, the chunk {piece.shape}"
                )
            if not np.isfinite(stem).all():
                raise SeparationError(f"{where}: the {label} stem has samples that are not finite")
            checked.append(stem)
        return checked[0], checked[1]

    @abstractmethod
    def _separate(self, audio: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """``(voice, music)`` of one chunk (mono float32 at ``sample_rate``), each as long."""


def resample(samples: np.ndarray, rate: int, target: int) -> np.ndarray:
    """``samples`` at ``rate`` resampled to ``target`` (polyphase, SciPy), float32."""
    import math

    import numpy as np

    try:
        from scipy.signal import resample_poly
    except ImportError:  # scipy comes with autocut[audio]
        raise SeparationError(
            f"audio at {rate} Hz must be resampled to {target} Hz, which needs scipy "
            "(pip install 'autocut[audio]'), or decode it at that rate"
        ) from None
    divisor = math.gcd(rate, target)
    return np.asarray(resample_poly(samples, target // divisor, rate // divisor), dtype=np.float32)


class Pipeline(Component[SettingsT]):
    """Composes stages into a finished ad; pipelines choose components, they compute nothing."""

    kind = "pipeline"

    @abstractmethod
    def run(self, request: Any) -> Any:
        """Run the pipeline on a request and return its result."""


#: kind -> base class, in the order the CLI lists them.
COMPONENT_KINDS: dict[str, type[Component[Any]]] = {
    cls.kind: cls
    for cls in (
        Encoder, Tokenizer, Backbone, Retriever, Renderer, Evaluator, Voice, Captioner, Transcriber,
        Separator, Pipeline,
    )
}  # fmt: skip
