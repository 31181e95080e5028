"""`autocut dataset build`: a folder of finished ads -> the alignment and SFT corpora.

The run, in order (each step documented in its module):

1. discover the ads (:mod:`.discovery`) and read each one's product facts and transcript;
   an ad without a transcript sidecar is transcribed by the transcriber when one is given
   (its word times time the sentences; stored in the material database, so a re-run asks
   the model nothing), and an ad with a missing or broken sidecar is skipped with the reason;
2. find each ad's music: its ``.bgm.`` sidecar, else the music stem the separator splits
   from the ad's soundtrack (stored in the database, so a re-run separates nothing), else
   (``--separator none``, or none ready) the mix itself, said per ad in the summary;
3. index the videos and the music into the material database (re-runs do no work);
4. cut each ad into sentence clips (:mod:`.clips`) and run the filters (:mod:`.filters`);
5. split by ad, 95/5 with a fixed seed (:mod:`.split`);
6. ready the tokenizers, training them on the training ads when none is given, and tokenize
   every clip's frames and every track (:mod:`.encoding`);
7. write ``align/``, ``sft/``, ``ads.jsonl``, ``dataset_info.json`` and ``summary.json``
   (with ``--profile reference`` also the LLaMA-Factory files the reference's training
   config reads, :mod:`.llamafactory`).

Every file is written atomically and the output depends only on the inputs, the settings and
the seed, so running the build again gives the same files.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from autocut_core.components import Separator, Transcriber
from autocut_core.dataset.alignment import alignment_record
from autocut_core.dataset.clips import cut_at_sentences
from autocut_core.dataset.discovery import discover_ads
from autocut_core.dataset.encoding import (
    TokenizerUse,
    TooFewVectorsError,
    index_ads,
    ready_tokenizer,
    tokenize_clips,
    tokenize_music,
    track_training_vectors,
    video_training_vectors,
)
from autocut_core.dataset.filters import (
    RELEVANCE_NOTE,
    DuplicateFilter,
    FilterReport,
    FilterSettings,
    duplicate_key,
    first_failure,
)
from autocut_core.dataset.llamafactory import dataset_info, llamafactory_files
from autocut_core.dataset.records import Ad, AdClip
from autocut_core.dataset.split import group_ads, split_ads
from autocut_core.dataset.tasks import Pool, TaskOptions, assign_tasks, languages, sft_records
from autocut_core.dataset.transcripts import Sentence, load_sentences, sentences_from_transcript
from autocut_core.editing.prompts import prompt_language
from autocut_core.editing.records import dump_record
from autocut_core.errors import ITEM_ERRORS, AutocutError, InputError, failure_line
from autocut_core.fsutil import atomic_write_text
from autocut_core.inputs import load_product
from autocut_core.materials.database import MaterialDB
from autocut_core.media.errors import display_path
from autocut_core.settings import AutocutSettings

Progress = Callable[[str], None]
SPLITS = ("train", "val")
ADS_FILE, SUMMARY_FILE, INFO_FILE = "ads.jsonl", "summary.json", "dataset_info.json"


@dataclass(frozen=True)
class BuildOptions:
    #: Material database folder; default ``OUT/db``.
    db: Path | None = None
    seed: int = 0
    val_share: float = 0.05
    filters: FilterSettings = field(default_factory=FilterSettings)
    tasks: TaskOptions = field(default_factory=TaskOptions)
    #: At most this many frames' tokens per clip, evenly spread (0: every frame).
    max_frames_per_clip: int = 0
    #: Indexing worker processes (None: the ``jobs`` setting).
    jobs: int | None = None
    #: Transcribes the ads that have no transcript sidecar (None: they are skipped).
    transcriber: Transcriber | None = None
    #: Why there is no transcriber, for the summary ("" when there is one).
    transcriber_note: str = ""
    #: Splits the music from the soundtrack of ads without a ``.bgm.`` sidecar (None: the
    #: mix is embedded as their music).
    separator: Separator | None = None
    #: Why there is no separator, for the summary ("" when there is one).
    separator_note: str = ""


def build_dataset(
    ads_dir: Path,
    out: Path,
    settings: AutocutSettings,
    options: BuildOptions | None = None,
    progress: Progress | None = None,
) -> dict[str, Any]:
    """Build both corpora from ``ads_dir`` into ``out``; returns the summary it writes."""
    started = time.perf_counter()
    options = options or BuildOptions()
    say = progress or (lambda message: None)
    out = Path(out)
    db_folder = Path(options.db) if options.db is not None else out / "db"
    discovery = discover_ads(Path(ads_dir))
    if not discovery.ads:
        raise InputError(
            f"{ads_dir}: no ads found (each ad is a video with a transcript and product facts "
            "beside it; see docs/datasets.md)"
        )
    ads = [Ad(files=files) for files in discovery.ads]
    for ad in ads:
        _read_sidecars(ad)
    _transcribe_missing(ads, db_folder, options.transcriber, say)
    readable = [ad for ad in ads if not ad.reason]
    if settings.audio_encoder:
        _find_music(readable, db_folder, options.separator, say)
    say(f"indexing {len(readable)} ad(s) into {db_folder}")
    index_report = index_ads(readable, db_folder, settings, options.jobs) if readable else {}
    candidates = [ad for ad in readable if not ad.reason]
    removed = _cut_and_filter(candidates, options.filters)
    usable = [ad for ad in ads if ad.status in ("align", "sft")]
    _refuse_empty(ads_dir, ads, usable, candidates, removed)
    _split(usable, options)
    notes: list[str] = []
    with MaterialDB(db_folder, create=False, write=False) as db:
        tokenizers = _tokenize(usable, db, settings, out, options, say, notes)
    records = _records(usable, options.tasks)
    summary = _summary(
        ads_dir, out, db_folder, options, settings, ads, discovery.orphans, removed,
        records, tokenizers, index_report, time.perf_counter() - started,
    )  # fmt: skip
    summary["notes"] = notes + [n for use in tokenizers.values() for n in use.notes]
    _write(out, ads, records, summary, options.tasks.profile)
    return summary


# --- reading and cutting -------------------------------------------------------------------


def _read_sidecars(ad: Ad) -> None:
    files = ad.files
    if files.problems:
        ad.skip("; ".join(files.problems))
        return
    assert files.product is not None and files.transcript is not None
    try:
        ad.product = load_product(files.product)
        sentences = load_sentences(files.transcript)
    except AutocutError as error:
        ad.skip(str(error))
        return
    _take_sentences(ad, sentences, "sidecar")


def _take_sentences(ad: Ad, sentences: Sequence[Sentence], timing: str) -> None:
    ad.sentences = tuple(sentence.text for sentence in sentences)
    ad.language = prompt_language(ad.sentences) if ad.sentences else "en"
    ad.clips = [AdClip(s.text, s.start, s.end) for s in sentences]  # speech spans until cut
    ad.timing = timing


def _transcribe_missing(
    ads: Sequence[Ad], db_folder: Path, transcriber: Transcriber | None, say: Progress
) -> None:
    """The ads skipped only for want of a transcript sidecar, transcribed by ``transcriber``
    (from the database when it transcribed the same video before); a file it cannot
    transcribe is skipped with the reason, as a broken sidecar is."""
    from autocut_core.materials.transcription import transcript_of

    waiting = [
        ad for ad in ads
        if ad.files.missing_transcript and ad.files.problems == (ad.files.missing_transcript,)
    ]  # fmt: skip
    if transcriber is None or not waiting:
        return
    with MaterialDB(db_folder) as db:
        for number, ad in enumerate(waiting, start=1):
            say(f"transcribing {ad.ad_id} ({number}/{len(waiting)}) with {transcriber.cache_key}")
            ad.status, ad.reason = "skipped", ""
            try:
                assert ad.files.product is not None
                ad.product = load_product(ad.files.product)
                transcript, _ = transcript_of(db, transcriber, ad.files.video)
            except (AutocutError, OSError) as error:
                ad.skip(f"no transcript sidecar, and transcribing failed: {error}")
                continue
            sentences, how = sentences_from_transcript(transcript)
            if not sentences:
                ad.skip(f"no transcript sidecar, and {transcriber.cache_key} heard no speech")
                continue
            _take_sentences(ad, sentences, f"transcriber {transcriber.cache_key} ({how})")


def _find_music(
    ads: Sequence[Ad], db_folder: Path, separator: Separator | None, say: Progress
) -> None:
    """Each ad's music file: its sidecar, else its soundtrack's music stem by ``separator``,
    else the mix. A soundtrack that cannot be decoded or separated leaves the ad without
    music (said in the summary), not without its clips."""
    from autocut_core.materials.separation import mix_file, music_stem

    waiting = []
    for ad in ads:
        if ad.files.bgm is not None:
            ad.music_file, ad.music_source = ad.files.bgm, "sidecar"
        else:
            waiting.append(ad)
    for number, ad in enumerate(waiting, start=1):
        try:
            if separator is None:
                ad.music_file, ad.music_source = mix_file(db_folder, ad.files.video), "mix"
                continue
            say(f"separating {ad.ad_id} ({number}/{len(waiting)}) with {separator.cache_key}")
            ad.music_file = music_stem(db_folder, separator, ad.files.video)[0]
            ad.music_source = f"separator {separator.cache_key} (music stem)"
        except ITEM_ERRORS as error:
            ad.music_file, ad.music_source = None, f"none ({failure_line(error)})"


def _cut_and_filter(ads: Sequence[Ad], settings: FilterSettings) -> FilterReport:
    """Clip spans from sentences; each ad's status and the ads each filter removed (why)."""
    removed = FilterReport()
    duplicates = DuplicateFilter()
    for ad in ads:
        assert ad.product is not None
        sentences = [Sentence(clip.text, clip.start, clip.end) for clip in ad.clips]
        where = (
            display_path(ad.files.transcript) if ad.files.transcript is not None
            else f"{display_path(ad.files.video)} ({ad.timing})"
        )  # fmt: skip
        try:
            spans = cut_at_sentences(sentences, ad.duration, where)
        except InputError as error:
            ad.clips = []
            ad.skip(str(error))
            continue
        ad.clips = [AdClip(span.text, span.start, span.end) for span in spans]
        failure = first_failure(ad.duration, spans, settings)
        if failure is None:
            original = duplicates.check(ad.ad_id, ad.product, ad.sentences)
            if original is not None:
                failure = ("duplicate", f"same brand, product and script as {original}")
        if failure is not None and failure[0] == "empty":
            ad.clips = []
            ad.skip(failure[1])
        else:
            ad.status = "sft" if failure is None else "align"
            ad.reason = "" if failure is None else failure[1]
        if failure is not None:
            ad.filter = failure[0]
            removed.add(failure[0], ad.ad_id, failure[1])
    return removed


def _refuse_empty(
    ads_dir: Path,
    ads: Sequence[Ad],
    usable: Sequence[Ad],
    candidates: Sequence[Ad],
    removed: FilterReport,
) -> None:
    """An InputError when a corpus would be empty, naming the filters that emptied it."""
    if not usable:
        if removed.removed["empty"]:
            raise InputError(f"{ads_dir}: {removed.emptied('alignment', len(candidates))}")
        reasons = "; ".join(f"{ad.ad_id}: {ad.reason}" for ad in ads)
        raise InputError(f"{ads_dir}: no usable ads ({reasons})")
    if not any(ad.status == "sft" for ad in usable):
        raise InputError(
            f"{ads_dir}: {removed.emptied('SFT', len(candidates))}. Nothing was written."
        )


def _split(ads: Sequence[Ad], options: BuildOptions) -> None:
    links: list[tuple[str, str]] = []
    first_with: dict[tuple[str, str], str] = {}
    for ad in ads:
        assert ad.product is not None
        for key in (("source", ad.source_id), ("script", duplicate_key(ad.product, ad.sentences))):
            links.append((first_with.setdefault(key, ad.ad_id), ad.ad_id))
    groups = group_ads(links, [ad.ad_id for ad in ads])
    sides = split_ads(
        groups, {ad.ad_id for ad in ads if ad.status == "sft"}, options.val_share, options.seed
    )
    for ad in ads:
        ad.group, ad.split = groups[ad.ad_id], sides[ad.ad_id]


# --- tokens --------------------------------------------------------------------------------


def _tokenize(
    ads: Sequence[Ad],
    db: MaterialDB,
    settings: AutocutSettings,
    out: Path,
    options: BuildOptions,
    say: Progress,
    notes: list[str],
) -> dict[str, TokenizerUse]:
    """Ready the tokenizers and tokenize; music is left out (a note) when its tokenizer has
    fewer than two training tracks to learn from (one ad, or ads sharing one track)."""
    train_sources = [ad.source_id for ad in ads if ad.split == "train"]
    video = ready_tokenizer(
        settings, "tokenizer", settings.encoder,
        lambda: video_training_vectors(db, settings.encoder, train_sources),
        out / "tokenizers" / "video", say,
    )  # fmt: skip
    say("tokenizing clips")
    tokenize_clips(ads, db, video, options.max_frames_per_clip)
    uses = {"video": video}
    with_music = [ad for ad in ads if ad.track_id]
    if with_music and settings.audio_encoder and settings.audio_tokenizer:
        audio_encoder = settings.audio_encoder
        train_tracks = [ad.track_id for ad in with_music if ad.split == "train"]
        try:
            uses["audio"] = ready_tokenizer(
                settings, "audio_tokenizer", audio_encoder,
                lambda: track_training_vectors(db, audio_encoder, train_tracks),
                out / "tokenizers" / "audio", say,
            )  # fmt: skip
        except TooFewVectorsError as error:
            notes.append(f"no music tokens and no music records: {error}")
            return uses
        tokenize_music(with_music, db, uses["audio"])
    return uses


# --- records -------------------------------------------------------------------------------


def _records(ads: Sequence[Ad], tasks: TaskOptions) -> dict[str, dict[str, list[dict]]]:
    """``{"align": {split: records}, "sft": {split: records}}`` in ad id order."""
    records: dict[str, dict[str, list[dict]]] = {
        corpus: {split: [] for split in SPLITS} for corpus in ("align", "sft")
    }
    sft = [ad for ad in ads if ad.status == "sft"]
    pools = {
        "train": Pool([ad for ad in sft if ad.split == "train"]),
        "val": Pool(sft),  # validation may draw negatives and tracks from anywhere
    }
    assigned = {}
    for split in SPLITS:
        assigned.update(assign_tasks([ad for ad in sft if ad.split == split], tasks))
    for ad in ads:
        align_lang = "auto" if tasks.lang == "both" else tasks.lang
        for lang in languages(ad, align_lang, tasks.profile)[:1]:
            records["align"][ad.split].append(alignment_record(ad, lang, tasks.profile))
        if ad.status == "sft":
            chosen = assigned[ad.ad_id]
            records["sft"][ad.split].extend(
                dump_record(record) for record in sft_records(ad, pools[ad.split], tasks, chosen)
            )
    return records


# --- output --------------------------------------------------------------------------------


def _jsonl(records: Sequence[dict[str, Any]]) -> str:
    return "".join(json.dumps(record, ensure_ascii=False) + "\n" for record in records)


def _write(
    out: Path,
    ads: Sequence[Ad],
    records: dict[str, dict[str, list[dict]]],
    summary: dict,
    profile: str,
) -> None:
    for corpus, splits in records.items():
        for split, lines in splits.items():
            atomic_write_text(out / corpus / f"{split}.jsonl", _jsonl(lines))
    for relative, text in llamafactory_files(profile, records["sft"]).items():
        atomic_write_text(out / relative, text)
    atomic_write_text(out / ADS_FILE, _jsonl([ad.manifest() for ad in ads]))
    atomic_write_text(out / INFO_FILE, json.dumps(dataset_info(profile), indent=2) + "\n")
    atomic_write_text(out / SUMMARY_FILE, json.dumps(summary, ensure_ascii=False, indent=2) + "\n")


def _timing_summary(ads: Sequence[Ad], options: BuildOptions) -> dict[str, Any]:
    """Which ads were timed by which source (``sidecar``, a transcriber and how), and the
    transcriber, or why there was none."""
    transcriber = options.transcriber
    return {
        "transcriber": None if transcriber is None else transcriber.cache_key,
        "note": options.transcriber_note,
        "ads": _ads_by(ads, lambda ad: ad.timing),
    }


def _music_summary(ads: Sequence[Ad], options: BuildOptions) -> dict[str, Any]:
    """Where each ad's music vectors came from (``sidecar``, a separator's music stem, the
    ``mix``, or none and why), and the separator, or why there was none."""
    separator = options.separator
    return {
        "separator": None if separator is None else separator.cache_key,
        "note": options.separator_note,
        "ads": _ads_by(ads, lambda ad: ad.music_source),
    }


def _ads_by(ads: Sequence[Ad], source: Callable[[Ad], str]) -> dict[str, list[str]]:
    """The ids of the ads under each value of ``source`` (ads without one left out), sorted."""
    by: dict[str, list[str]] = {}
    for ad in ads:
        if value := source(ad):
            by.setdefault(value, []).append(ad.ad_id)
    return {value: sorted(ids) for value, ids in sorted(by.items())}


def _summary(
    ads_dir: Path,
    out: Path,
    db_folder: Path,
    options: BuildOptions,
    settings: AutocutSettings,
    ads: Sequence[Ad],
    orphans: list[str],
    removed: FilterReport,
    records: dict[str, dict[str, list[dict]]],
    tokenizers: dict[str, TokenizerUse],
    index_report: dict[str, Any],
    seconds: float,
) -> dict[str, Any]:
    def count(status: str) -> int:
        return sum(ad.status == status for ad in ads)

    sft_counts = {
        split: {task: sum(r["task"] == task for r in records["sft"][split])
                for task in options.tasks.tasks}
        for split in SPLITS
    }  # fmt: skip
    filters: dict[str, Any] = removed.summary()
    filters["relevance"] = {"removed": 0, "ads": [], "available": False, "note": RELEVANCE_NOTE}
    return {
        "ads_dir": str(ads_dir),
        "output": str(out),
        #: The prompt/answer profile of the SFT records; `autocut eval` reads it back.
        "profile": options.tasks.profile,
        "db": str(db_folder),
        "ads": {
            "found": len(ads),
            "skipped": count("skipped"),
            "alignment": count("align") + count("sft"),
            "sft": count("sft"),
        },
        "skipped": [
            {"ad_id": ad.ad_id, "reason": ad.reason}
            for ad in ads
            if ad.status == "skipped" and not ad.filter
        ],
        "orphans": orphans,
        "sentence_timing": _timing_summary(ads, options),
        "music_source": _music_summary(ads, options),
        "filters": filters,
        "split": {
            split: sorted(ad.ad_id for ad in ads if ad.split == split and ad.status != "skipped")
            for split in SPLITS
        },
        "records": {
            "align": {split: len(records["align"][split]) for split in SPLITS},
            "sft": sft_counts,
        },
        "encoder": settings.encoder,
        "audio_encoder": settings.audio_encoder,
        "tokenizers": {kind: use.describe() for kind, use in tokenizers.items()},
        "options": {
            "seed": options.seed,
            "val_share": options.val_share,
            "filters": asdict(options.filters),
            "tasks": asdict(options.tasks),
            "max_frames_per_clip": options.max_frames_per_clip,
        },
        "index": index_report,
        "seconds": round(seconds, 2),
    }
