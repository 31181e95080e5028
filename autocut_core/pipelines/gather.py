"""Material for a pipeline: index what is not indexed, then offer clips and tracks.

Indexing is incremental (a second run does no work), so every pipeline simply asks for its
files to be indexed; broken files become notes and the ad is made from the rest.

The database knows a file by its content; this run knows it by the path the user offered.
That path is the one the plan renders from and whose sidecars are read first (then the
content's other recorded paths that still hold it: :mod:`autocut_core.materials.locations`),
so a copy in a new folder brings its own captions and a moved first folder breaks nothing.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace

import numpy as np

from autocut_core.components import Backbone, Tokenizer
from autocut_core.errors import InputError
from autocut_core.materials.database import MaterialDB, StoredCaption, from_db_path, to_db_path
from autocut_core.materials.indexing import (
    AUDIO_EXTENSIONS,
    VIDEO_EXTENSIONS,
    index,
    options_from_settings,
)
from autocut_core.materials.locations import current_paths, offered_sources
from autocut_core.media.errors import display_path
from autocut_core.pipelines.request import EditRequest
from autocut_core.progress import file_done
from autocut_core.types import Candidate, Clip, MusicCandidate, Source, Track


@dataclass
class Material:
    """What the database knows about the request's files, in the order the user gave them.

    ``videos`` and ``tracks`` carry the path offered in this run, not the one the content was
    first indexed from; ``paths`` has every usable path of each source, best first.
    """

    db: MaterialDB
    videos: list[Source]
    tracks: list[Track]
    notes: list[str] = field(default_factory=list)
    paths: dict[str, list[str]] = field(default_factory=dict)
    captions: dict[str, dict[str, StoredCaption]] = field(default_factory=dict)

    def source_paths(self, source_id: str) -> list[str]:
        """The paths of a source's file for this run, best first (never empty)."""
        paths = self.paths.get(source_id)
        if paths is None:
            paths = self.paths[source_id] = current_paths(self.db, source_id)
        if not paths:
            recorded = ", ".join(row.fs_path for row in self.db.paths_of(source_id)) or "none"
            raise InputError(
                f"source {source_id}: no recorded path still holds its file ({recorded}); "
                "offer it again with --footage"
            )
        return paths

    def source_path(self, source_id: str) -> str:
        return self.source_paths(source_id)[0]

    def stored_captions(self, source_id: str) -> dict[str, StoredCaption]:
        """Clip id -> the latest caption a captioner stored for the source's clips (read
        once per source)."""
        captions = self.captions.get(source_id)
        if captions is None:
            captions = self.captions[source_id] = self.db.captions(source_id)
        return captions

    def durations(self) -> dict[str, float]:
        """Source path -> duration, for fitting slots to voice lines."""
        return {from_db_path(source.path): source.duration for source in self.videos}


def gather(request: EditRequest) -> Material:
    """Index the request's footage and music library; fail only if no footage is usable."""
    library = list(request.music) if request.music_file is None else []
    options = options_from_settings(request.settings)
    report = index(list(request.footage), library, request.database, options, file_done)
    notes = [f"skipped {path}: {reason}" for path, reason in report.failed]
    db = MaterialDB(request.database, write=False)
    offered_videos = offered_sources(db, request.footage, VIDEO_EXTENSIONS)
    if not offered_videos:
        db.close()
        given = ", ".join(display_path(p) for p in request.footage)
        raise InputError(
            f"no usable footage in {given}" + (f" ({'; '.join(notes)})" if notes else "")
        )
    offered_tracks = offered_sources(db, library, AUDIO_EXTENSIONS)
    paths = {
        source_id: current_paths(db, source_id, offered)
        for source_id, offered in {**offered_videos, **offered_tracks}.items()
    }
    videos = [
        replace(db.source(source_id), path=to_db_path(paths[source_id][0]))
        for source_id in offered_videos
    ]
    tracks = [
        replace(track, path=paths[track.track_id][0])
        for track in db.tracks()
        if track.track_id in offered_tracks
    ]
    return Material(db=db, videos=videos, tracks=tracks, notes=notes, paths=paths)


def shot_candidates(material: Material) -> list[Candidate]:
    """Every visual clip of the footage (script-driven: the backbone picks among shots)."""
    return [
        _candidate(material, clip)
        for source in material.videos
        for clip in material.db.clips(source.source_id)
    ]


def file_candidates(material: Material) -> list[Candidate]:
    """One candidate per footage file, whole (footage-driven: the user curated the clips)."""
    return [
        _candidate(material, Clip(source.source_id, 0.0, source.duration))
        for source in material.videos
    ]


def _candidate(material: Material, clip: Clip) -> Candidate:
    """A clip with its best description: a sidecar a person wrote, else the caption a
    captioner stored (`autocut caption`), else its file name's words."""
    from autocut_core.materials.captions import describe

    paths = material.source_paths(clip.source_id)
    described = describe(paths, clip.start, clip.end)
    if described.sidecar is not None:
        return Candidate(clip, caption=described.text, source_path=paths[0],
                         caption_source="sidecar")  # fmt: skip
    stored = material.stored_captions(clip.source_id).get(clip.clip_id)
    if stored is not None:
        return Candidate(clip, caption=stored.text, source_path=paths[0],
                         caption_source=f"captioner:{stored.model}")  # fmt: skip
    source = "file name" if described.text else ""
    return Candidate(clip, caption=described.text, source_path=paths[0], caption_source=source)


def music_candidates(material: Material) -> list[MusicCandidate]:
    return [MusicCandidate(track=track) for track in material.tracks]


def add_tokens(
    material: Material,
    backbone: Backbone,
    candidates: Sequence[Candidate],
    tracks: Sequence[MusicCandidate],
    video_tokenizer: Tokenizer | None,
    audio_tokenizer: Tokenizer | None,
) -> tuple[list[Candidate], list[MusicCandidate]]:
    """Fill in tokens for backbones that read them (the paper's frame tokens per clip).

    A clip's tokens are the codes of its 1 fps frames, chosen exactly as the training corpus
    chooses them (:func:`autocut_core.tokens.frames.frames_in_span`, then at most the
    backbone's ``max_frames_per_clip`` by :func:`~autocut_core.tokens.frames.thin`, as
    ``dataset build --max-frames-per-clip`` does); a track's the codes of
    its embedding. Backbones that do not read tokens get the candidates unchanged.
    """
    from dataclasses import replace

    from autocut_core.tokens.frames import frames_in_span, thin
    from autocut_core.tokens.strings import format_codes, format_frames

    if not backbone.needs_tokens:
        return list(candidates), list(tracks)
    if video_tokenizer is None:
        raise InputError(f"backbone '{backbone.name}' reads video tokens: configure --tokenizer")
    encoder, _ = _trained(video_tokenizer)
    frame_vectors = _vectors_by_id(material.db, encoder, "frame")
    with_tokens = []
    for candidate in candidates:
        frames = material.db.frames(candidate.clip.source_id)
        positions = frames_in_span([second for _, second, _ in frames], candidate.clip.start,
                                   candidate.clip.end)  # fmt: skip
        positions = thin(positions, backbone.max_frames_per_clip)
        vectors = [frame_vectors[frames[p][0]] for p in positions if frames[p][0] in frame_vectors]
        if not vectors:
            raise InputError(f"clip {candidate.clip.clip_id} has no '{encoder}' frame vectors")
        codes = video_tokenizer.encode_batch(np.stack(vectors))
        with_tokens.append(replace(candidate, tokens=format_frames(codes)))
    music = list(tracks)
    if tracks:
        if audio_tokenizer is None:
            raise InputError(
                f"backbone '{backbone.name}' reads audio tokens: configure --audio-tokenizer"
            )
        audio_encoder, _ = _trained(audio_tokenizer)
        track_vectors = _vectors_by_id(material.db, audio_encoder, "track")
        music = []
        for track in tracks:
            vector = track_vectors.get(track.track.track_id)
            if vector is None:
                raise InputError(f"{track.track.path}: no '{audio_encoder}' track vector")
            codes = audio_tokenizer.encode_batch(vector[None])
            # Bare codes, as the training corpus writes them (the prompt adds the markers).
            music.append(replace(track, tokens=format_codes(codes[0], "a")))
    return with_tokens, music


def _trained(tokenizer: Tokenizer) -> tuple[str, int]:
    trained = tokenizer.trained_on()
    if trained is None:
        raise InputError(f"tokenizer '{tokenizer.name}' is not trained (set its checkpoint)")
    return trained


def _vectors_by_id(db: MaterialDB, encoder: str, level: str) -> dict[str, np.ndarray]:
    ids, vectors = db.vectors(encoder, level)
    return dict(zip(ids, vectors, strict=True))
