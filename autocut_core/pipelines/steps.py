"""Steps both pipelines take the same way: components, answer checks, music, the finish.

A backbone's answers come checked from its template methods
(:class:`~autocut_core.components.Backbone`), the same checks the evaluation harness gets.
Every step is a stage on the request's progress reporter (:mod:`autocut_core.progress`):
indexing, tokens, each backbone call, voice, render and the side outputs.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Iterator, Sequence
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from autocut_core.components import Backbone, Tokenizer, Transcriber, Voice, require_ready
from autocut_core.errors import InputError
from autocut_core.pipelines.gather import Material, add_tokens, gather, music_candidates
from autocut_core.pipelines.grounding import check_grounding
from autocut_core.pipelines.request import EditRequest, EditResult
from autocut_core.progress import Reporter, reporting_to
from autocut_core.types import (
    Candidate,
    EditPlan,
    MusicCandidate,
    MusicEvidence,
    Product,
    Script,
    Slot,
    Track,
    Word,
)

if TYPE_CHECKING:
    from autocut_core.settings import AutocutSettings


def make_backbone(request: EditRequest, needed: set[str]) -> Backbone:
    """The configured backbone, refused up front if it cannot do what this run needs or it
    (or the voice) is not ready (`Component.diagnose` fails: weights, program, key missing).

    Picking music is needed whenever a library (not a pinned file) is given; sorting unless
    ``--keep-order``. ``--grounding tokens`` is checked here too
    (:func:`~autocut_core.pipelines.grounding.check_grounding`).
    """
    if not request.keep_order:
        needed = needed | {"sort"}
    if request.music and request.music_file is None:
        needed = needed | {"pick_music"}
    backbone = request.backbone or request.settings.create("backbone")
    missing = sorted(needed - set(backbone.capabilities))
    if missing:
        can = ", ".join(sorted(backbone.capabilities)) or "nothing"
        raise InputError(
            f"backbone '{backbone.name}' cannot {', '.join(missing)} (it can: {can}); "
            "choose another with --backbone, or pin the step (--music FILE, --keep-order, "
            "--script FILE)"
        )
    check_grounding(request, backbone)
    voice = make_voice(request)
    require_ready([backbone] if voice is None else [backbone, voice])  # before any indexing
    return backbone


def with_roles(request: EditRequest, script: Script) -> Script:
    """``script`` with a role per sentence (:mod:`autocut_core.editing.roles`)."""
    from autocut_core.editing.roles import with_roles as assign

    try:
        return assign(script, request.product)
    except ValueError as error:
        raise InputError(f"the script: {error}") from None


def word_timer(settings: AutocutSettings) -> Transcriber | None:
    """The transcriber that times the voice lines' words for the subtitles, when one is
    installed with its model on this machine (no download for this), and the ad has
    subtitles; None leaves one cue a line."""
    from autocut_core.materials.transcription import ready_transcriber

    if not settings.render.subtitles:
        return None
    return ready_transcriber(settings, fetch=False)[0]


def make_voice(request: EditRequest) -> Voice | None:
    return request.settings.create("voice") if request.voice else None


def with_tokens(
    request: EditRequest,
    material: Material,
    backbone: Backbone,
    candidates: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
) -> tuple[list[Candidate], list[MusicCandidate]]:
    """Candidates with tokens for backbones that read them (the tokenizers load only then)."""
    if not backbone.needs_tokens:
        return list(candidates), list(tracks)
    settings = request.settings
    with request.progress.stage("tokens", total=len(candidates) + len(tracks)) as stage:
        video: Tokenizer | None = settings.create("tokenizer") if settings.tokenizer else None
        audio: Tokenizer | None = None
        if tracks and settings.audio_tokenizer:
            audio = settings.create("audio_tokenizer")
        with reporting_to(stage):
            made = add_tokens(material, backbone, candidates, tracks, video, audio)
        stage.update(len(candidates) + len(tracks))
        return made


def asking(
    request: EditRequest, backbone: Backbone, task: str
) -> contextlib.AbstractContextManager:
    """The stage of one backbone call (``backbone similarity: select clips``)."""
    return request.progress.stage(f"backbone {backbone.name}: {task}")


@contextlib.contextmanager
def offered(
    request: EditRequest, backbone: Backbone, candidates_of: Callable[[Material], list[Candidate]]
) -> Iterator[tuple[Material, list[Candidate], list[MusicCandidate]]]:
    """Index the request's files and offer their clips and tracks (with tokens if needed);
    the database is closed when the block ends."""
    with request.progress.stage("index footage and music") as stage, reporting_to(stage):
        material = gather(request)
    try:
        clips, tracks = with_tokens(
            request, material, backbone, candidates_of(material), music_candidates(material)
        )
        yield material, clips, tracks
    finally:
        material.db.close()


def choose_music(
    request: EditRequest,
    backbone: Backbone,
    product: Product,
    script: Script,
    clips: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
) -> tuple[Track | None, list[str], MusicEvidence | None]:
    """The pinned track, the backbone's pick from the library (of a variant: among the
    tracks earlier variants used least), or no music; with why it was chosen."""
    from autocut_core.pipelines.variants import fresh_tracks

    if request.music_file is not None:
        track = pinned_track(request.music_file)
        return track, [], MusicEvidence(track.track_id, "pinned with --music FILE", offered=1)
    if not tracks:
        note = [] if not request.music else ["no usable music in the library: the ad is silent"]
        return None, note, None
    tracks = fresh_tracks(request.variant, tracks)
    with asking(request, backbone, "pick music"):
        choice = backbone.pick_music(product, script, clips, tracks)  # checked: one of them
    by_id = {track.track.track_id: track.track for track in tracks}
    evidence = MusicEvidence(
        choice.track_id, f"backbone {backbone.name}", choice.score, len(tracks)
    )
    return by_id[choice.track_id], [], evidence


def pinned_track(path: Path) -> Track:
    """A track the user named with ``--music FILE``; it must be readable audio."""
    from autocut_core.media import MediaError, probe

    result = probe(path)
    if not result.has_audio:
        raise MediaError(path, "has no audio stream to use as music")
    return Track(
        track_id=f"file:{path.name}", path=str(Path(path).resolve()), duration=result.duration
    )


def conclude(
    request: EditRequest,
    material: Material,
    backbone: Backbone,
    pipeline: str,
    script: Script,
    clips: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
    scores: Sequence[float] = (),
    warnings: Sequence[str] = (),
    pool: Sequence[Candidate] = (),
    pool_scores: Sequence[Sequence[float]] = (),
    bases: Sequence[str] = (),
    said: Sequence[str] = (),
) -> EditResult:
    """From ordered clips and their sentences to the finished ad: the variant's opening
    (:mod:`~autocut_core.pipelines.variants`), grounding (under ``--grounding tokens``,
    among the ``pool`` the backbone was offered), music, evidence (runner-ups from
    ``pool_scores``, one row of pool scores per clip; ``bases``, per clip, what its choice
    rested on), voice, fit, render, ad craft (:mod:`autocut_core.pipelines.craft`).
    ``said``: the pipeline's own notes."""
    from autocut_core.pipelines import plan_builder, trace, variants
    from autocut_core.pipelines.craft import apply_craft
    from autocut_core.pipelines.grounding import ground

    if len(bases) == len(clips):
        bases = [bases[i] for i in variants.opening_order(request.variant, len(clips))]
    clips, script, scores, pool_scores = variants.reordered(
        request.variant, clips, script, scores, pool_scores
    )
    clips, slot_scores, grounded, grounding_notes = ground(
        request, material, clips, pool or clips, scores
    )
    track, notes, music_evidence = choose_music(
        request, backbone, request.product, script, clips, tracks
    )
    durations = material.durations()
    slots = plan_builder.build_slots(
        clips, script.sentences, request.render, durations, slot_scores, script.roles
    )
    evidence = trace.slot_evidence(clips, script.sentences, slot_scores, pool or clips,
                                   pool_scores, request.product, f"backbone {backbone.name}",
                                   bases)  # fmt: skip
    slots = trace.with_evidence(slots, evidence)
    slots = speak(slots, make_voice(request), request.assets, request.progress,
                  word_timer(request.settings) if request.voice else None)  # fmt: skip
    cue = trace.with_music_evidence(plan_builder.music_cue(track), music_evidence)
    plan = plan_builder.assemble(slots, cue, request.render, request.product, pipeline, durations)
    crafted = apply_craft(request.craft, plan, durations, request.assets, request.progress)
    notes = [*material.notes, *said, *grounding_notes, *notes, *crafted.notes]
    result = finish(request, crafted.plan, notes, [*warnings, *crafted.warnings])
    return replace(result, grounding=tuple(grounded), evidence=tuple(bases))


def speak(
    slots: Sequence[Slot],
    voice: Voice | None,
    folder: Path,
    progress: Reporter,
    transcriber: Transcriber | None = None,
) -> tuple[Slot, ...]:
    """Voice lines for ``slots`` (or reading times without a voice), as one progress stage;
    with a ``transcriber``, each line's words timed as a second (forced alignment of the
    subtitles, :mod:`autocut_core.output.word_timing`)."""
    from autocut_core.pipelines.plan_builder import add_voice

    if voice is None:
        return add_voice(slots, None, folder)
    with progress.stage("voice", total=len(slots)) as stage, reporting_to(stage):
        spoken = add_voice(slots, voice, folder)
        stage.update(len(slots))
    if transcriber is None:
        return spoken
    return time_words(spoken, transcriber, progress)


def time_words(
    slots: Sequence[Slot], transcriber: Transcriber, progress: Reporter
) -> tuple[Slot, ...]:
    """Each voice line transcribed for its word times; a line the transcriber cannot take
    keeps none (its subtitle is then one cue, as without a transcriber)."""
    from autocut_core.errors import AutocutError
    from autocut_core.media.decode import decode_audio
    from autocut_core.media.errors import MediaError

    timed = []
    with progress.stage(f"time words ({transcriber.name})", total=len(slots)) as stage:
        for done, slot in enumerate(slots):
            stage.update(done, len(slots))
            words: tuple[Word, ...] = ()
            if slot.voice_path is not None:
                try:
                    audio = decode_audio(slot.voice_path, transcriber.sample_rate)
                    words = transcriber.transcribe(audio).words
                except (AutocutError, MediaError, OSError, ValueError, RuntimeError):
                    words = ()
            timed.append(replace(slot, voice_words=words))
        stage.update(len(slots), len(slots))
    return tuple(timed)


def finish(
    request: EditRequest, plan: EditPlan, notes: Sequence[str], warnings: Sequence[str] = ()
) -> EditResult:
    """Render (unless this is a dry run) and report everything written. A dry run still
    writes the plan, to the output itself when it is a ``.json`` path, else beside it as
    ``<stem>.plan.json``, so that ``autocut render`` can take the plan after a look at it.
    Scores are sealed first, so a later hand edit of a slot is seen as one."""
    from autocut_core.editing.scores import seal

    plan = seal(plan)
    if request.dry_run:
        from autocut_core.output.deliverables import side_output_paths, write_plan

        output = Path(request.output)
        target = output if output.suffix == ".json" else side_output_paths(output)["plan"]
        written = write_plan(plan, target)
        return EditResult(
            plan=plan, side_outputs={"plan": written}, notes=tuple(notes), warnings=tuple(warnings)
        )
    from autocut_core.pipelines.finish import render_plan

    files = render_plan(plan, request.output, request.settings, request.progress)
    video = files.pop("video")
    return EditResult(
        plan=plan, video=video, side_outputs=files, notes=tuple(notes), warnings=tuple(warnings)
    )
