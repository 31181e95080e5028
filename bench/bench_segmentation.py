"""AutoCut's cut detection against PySceneDetect's ContentDetector (the baseline), same files.

Accuracy needs ground truth, which real footage does not have, so the scored corpus is
synthetic: shots from ffmpeg's generators joined with ``autocut_core.testing.samples`` (cut times
known to the frame), some joining look-alike shots, plus four hard cases built here (a
dissolve, a fade through black, flashes inside a shot, fast motion inside a shot). Recorded
files from Debian's opencv-doc check the real world without a truth file: Megamind.avi (three
shot changes; cut lists side by side) and vtest.avi and tree.avi (single shots: every cut is a
false one).

AutoCut runs exactly as ``autocut segment`` does (``segment_video`` with the default index
options: 10 fps, 256 px, histogram cut encoder); PySceneDetect runs ``detect(path,
ContentDetector())`` with its defaults (threshold 27) and AdaptiveDetector for fairness. Each
method runs in its own fresh process, timed end to end (decode included, imports excluded),
so its peak memory is its own. The finer threshold sweep replays ``find_cuts`` on the dense
vectors of one decode + encode pass; the script checks that the replay reproduces the
end-to-end cut lists. Prints tables; no thresholds, no asserts.
"""

from __future__ import annotations

import importlib.util
import math
import random
import subprocess
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from _common import (
    children_peak_rss_mib,
    cpu_seconds,
    fmt,
    machine_line,
    markdown_table,
    note,
    peak_rss_mib,
    reset_peak_rss,
    rss_mib,
    run_isolated,
)

SEED = 20240611
SIZE = (640, 360)
FPS = 25
#: A predicted cut within this many seconds of a true one matches it (one-to-one).
TOLERANCE_S = 0.2
#: A dissolve or fade is one cut at its midpoint, matched anywhere inside the transition.
TRANSITION_S = 1.0
DISTINCT_VIDEOS = 8
SIMILAR_VIDEOS = 4
SHOTS = (6, 10)
SHOT_SECONDS = (1.2, 5.0)
#: Rows of the main table; the sweep adds its finer grid below it.
TABLE_THRESHOLDS = (0.75, 0.80, 0.85, 0.90)
SWEEP_THRESHOLDS = tuple(round(0.60 + 0.025 * i, 3) for i in range(16))  # 0.600 .. 0.975
DEFAULT_THRESHOLD = 0.85
#: Segments cut into clips, not shots, past this length; huge so every boundary is a real cut.
NO_SPLIT_S = 1e6
#: ``SegmentSettings.min_clip_seconds``: no cut is placed closer than this to either end.
MIN_CLIP_S = 1.0
REAL_DIR = Path("/usr/share/doc/opencv-doc/examples/data")
BASELINE = "PySceneDetect ContentDetector(27)"

#: Look-alike partners of SCENE_SOURCES entries (by index): the same generator with another
#: seed, a mirror, or a nearby colour. A cut between the two is a real cut that a colour
#: histogram may miss: same palette, different picture.
LOOKALIKES: dict[int, str] = {
    0: "testsrc2=size={size}:rate={rate},hflip",
    2: "color=c=0x1848b0:size={size}:rate={rate},"
    "drawbox=x='iw/8':y='ih/8':w='iw/4':h='ih/4':color=yellow:t=fill,"
    "scroll=horizontal=0.008",
    4: "life=size={size}:rate={rate}:seed=4242:ratio=0.3:mold=10"
    ":life_color=0x40ff40:death_color=0x101010:mold_color=0x206020",
    5: "cellauto=size={size}:rate={rate}:rule=30:random_fill_ratio=0.5:random_seed=11,lutrgb=r=0",
    6: "gradients=size={size}:rate={rate}:c0=0x00a050:c1=0xf0f0a0:nb_colors=2:seed=11:speed=0.03",
    7: "color=c=0xc04818:size={size}:rate={rate},noise=alls=30:allf=t+u",
    8: "rgbtestsrc=size={size}:rate={rate},vflip,scroll=vertical=0.01",
}


# --- the corpus -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Case:
    """One video and its truth: cut times, each with a label and a matching tolerance."""

    name: str
    path: str
    duration: float
    group: str  # "distinct", "similar", "hard" or "real"
    cuts: tuple[float, ...] = ()
    labels: tuple[str, ...] = ()
    tolerances: tuple[float, ...] = ()


def _shot_seconds(rng: random.Random) -> float:
    return round(rng.uniform(*SHOT_SECONDS) * FPS) / FPS


def _standard_case(folder: Path, index: int, similar: bool) -> Callable[[], Case]:
    """A recipe (drawn now, so the RNG order is fixed) that writes one scene video."""
    from autocut_core.testing.samples import SCENE_SOURCES, Scene

    rng = random.Random(SEED * 100 + index)
    count = rng.randint(*SHOTS)
    sources: list[str] = []
    labels: list[str] = []
    previous = -1
    while len(sources) < count:
        choices = [i for i in range(len(SCENE_SOURCES)) if i != previous]
        if similar:
            choices = [i for i in choices if i in LOOKALIKES]
        pick = rng.choice(choices)
        sources.append(SCENE_SOURCES[pick])
        if similar and len(sources) < count:
            sources.append(LOOKALIKES[pick])
            labels += ["distinct", "similar"]
        else:
            labels.append("distinct")
        previous = pick
    scenes = [Scene(_shot_seconds(rng), source) for source in sources]
    name = f"{'similar' if similar else 'distinct'}-{index:02d}"
    labels = labels[1:]  # a label per cut: the first shot has no cut before it

    def build() -> Case:
        from autocut_core.testing.samples import make_scene_video

        video = make_scene_video(folder / f"{name}.mp4", scenes, size=SIZE, fps=FPS, audio=False)
        return Case(
            name=name,
            path=str(video.path),
            duration=video.duration,
            group="similar" if similar else "distinct",
            cuts=video.cuts,
            labels=tuple(labels[: len(video.cuts)]),
            tolerances=(TOLERANCE_S,) * len(video.cuts),
        )

    return build


@dataclass(frozen=True)
class _Shot:
    seconds: float
    source: str
    #: How this shot joins the previous one: "cut", or an xfade transition name.
    join: str = "cut"


def _graph_video(path: Path, shots: Sequence[_Shot]) -> tuple[list[float], list[str], float]:
    """Write shots joined by hard cuts or ``xfade`` transitions; return cuts, labels, length.

    A transition of ``TRANSITION_S`` overlaps the two shots, so it shortens the video; its cut
    is put at the midpoint, where both pictures are equally strong.
    """
    width, height = SIZE
    slots = {"size": f"{width}x{height}", "rate": str(FPS)}
    chains: list[str] = []
    for i, shot in enumerate(shots):
        frames = round(shot.seconds * FPS)
        # xfade wants equal time bases on both inputs; concat outputs microseconds.
        chains.append(
            f"{shot.source.format(**slots)},fps={FPS},scale={width}:{height},setsar=1,"
            f"format=yuv420p,trim=end_frame={frames},setpts=PTS-STARTPTS,settb=1/{FPS}[s{i}]"
        )
    cuts: list[float] = []
    labels: list[str] = []
    length = round(shots[0].seconds * FPS) / FPS
    current = "s0"
    for i, shot in enumerate(shots[1:], start=1):
        out = "v" if i == len(shots) - 1 else f"j{i}"
        if shot.join == "cut":
            chains.append(f"[{current}][s{i}]concat=n=2:v=1:a=0,settb=1/{FPS}[{out}]")
            cuts.append(length)
            labels.append("distinct")
            length += round(shot.seconds * FPS) / FPS
        else:
            offset = length - TRANSITION_S
            chains.append(
                f"[{current}][s{i}]xfade=transition={shot.join}:duration={TRANSITION_S:g}"
                f":offset={offset:g},settb=1/{FPS}[{out}]"
            )
            cuts.append(length - TRANSITION_S / 2)
            labels.append(shot.join)
            length += round(shot.seconds * FPS) / FPS - TRANSITION_S
        current = out
    command = [
        "ffmpeg", "-nostdin", "-hide_banner", "-v", "error", "-y",
        "-filter_complex", ";".join(chains), "-map", "[v]",
        "-c:v", "libx264", "-preset", "veryfast", "-crf", "20", "-g", "25",
        "-pix_fmt", "yuv420p", "-map_metadata", "-1", "-fflags", "+bitexact",
        "-flags:v", "+bitexact", str(path),
    ]  # fmt: skip
    subprocess.run(command, check=True, capture_output=True)
    return cuts, labels, length


def _hard_case(folder: Path, name: str, shots: Sequence[_Shot]) -> Callable[[], Case]:
    def build() -> Case:
        path = folder / f"{name}.mp4"
        cuts, labels, length = _graph_video(path, shots)
        tolerances = tuple(
            TRANSITION_S / 2 if label != "distinct" else TOLERANCE_S for label in labels
        )
        return Case(name, str(path), length, "hard", tuple(cuts), tuple(labels), tolerances)

    return build


def _hard_recipes(folder: Path) -> list[Callable[[], Case]]:
    """Dissolve, fade through black, flashes and fast motion, each between ordinary cuts."""
    from autocut_core.testing.samples import SCENE_SOURCES as S

    flash = ",eq=brightness=0.6:enable='between(t,1.48,1.59)'"  # 3 frames near white
    pan = "testsrc2=size={size}:rate={rate},scroll=horizontal=0.05:vertical=0.02"
    spin = "smptebars=size={size}:rate={rate},rotate=a=PI*t:fillcolor=0x202020"
    return [
        _hard_case(
            folder,
            "hard-dissolve",
            [_Shot(3, S[0]), _Shot(3, S[3]), _Shot(3, S[6], "fade"), _Shot(2, S[1])],
        ),
        _hard_case(
            folder,
            "hard-fadeblack",
            [_Shot(3, S[1]), _Shot(3, S[8]), _Shot(3, S[2], "fadeblack"), _Shot(2, S[9])],
        ),
        _hard_case(
            folder,
            "hard-flash",
            [_Shot(3, S[2]), _Shot(4, S[0] + flash), _Shot(3, S[6] + flash)],
        ),
        _hard_case(
            folder,
            "hard-motion",
            [_Shot(3, S[2]), _Shot(4, pan), _Shot(4, spin), _Shot(3, S[7])],
        ),
    ]


def make_corpus(folder: Path) -> list[Case]:
    """Every scored video, written two at a time (ffmpeg runs outside the GIL)."""
    recipes = [_standard_case(folder, i, similar=False) for i in range(DISTINCT_VIDEOS)]
    recipes += [
        _standard_case(folder, DISTINCT_VIDEOS + i, similar=True) for i in range(SIMILAR_VIDEOS)
    ]
    recipes += _hard_recipes(folder)
    with ThreadPoolExecutor(max_workers=2) as pool:
        return list(pool.map(lambda build: build(), recipes))


#: Recorded single shots: every cut found in them is a false one.
ONE_SHOT_FILES = ("vtest.avi", "tree.avi")


def real_cases() -> list[Case]:
    """Megamind.avi (real cuts, no truth file) and the one-shot recordings, where installed."""
    from autocut_core.media import probe

    cases = []
    for name in ("Megamind.avi", *ONE_SHOT_FILES):
        path = REAL_DIR / name
        if path.is_file():
            cases.append(Case(name, str(path), probe(path).duration, "real"))
    return cases


# --- the methods (each runs in a fresh process) ---------------------------------------------


@dataclass
class Run:
    """What one method did: cut lists per file, wall seconds per file, memory."""

    cuts: dict[str, list[float]] = field(default_factory=dict)
    wall: dict[str, float] = field(default_factory=dict)
    cpu: dict[str, float] = field(default_factory=dict)
    peak_mib: float = 0.0
    ffmpeg_peak_mib: float = 0.0
    #: Only the sweep: cut lists per setting label, and seconds spent inside the encoder.
    sweep: dict[str, dict[str, list[float]]] = field(default_factory=dict)
    encode_seconds: float = 0.0
    #: Only the sweep: per file, the end time of each dense gap and its cosine similarity.
    similarity: dict[str, tuple[list[float], list[float]]] = field(default_factory=dict)


def _measured(per_file: Callable[[Case], list[float]], cases: list[Case]) -> Run:
    run = Run()
    reset_peak_rss()
    before = rss_mib()
    for case in cases:
        started, cpu = time.perf_counter(), cpu_seconds()
        run.cuts[case.name] = per_file(case)
        run.wall[case.name] = time.perf_counter() - started
        run.cpu[case.name] = cpu_seconds() - cpu
    run.peak_mib = peak_rss_mib() - before
    run.ffmpeg_peak_mib = children_peak_rss_mib()
    return run


def run_autocut(method: str, threshold: float, cases: list[Case]) -> Run:
    """``autocut segment`` on each file: ``segment_video`` with the default index options."""
    from dataclasses import replace

    from autocut_core.materials.indexing import IndexOptions, segment_video
    from autocut_core.materials.segment import SegmentSettings
    from autocut_core.plugins import get_registry

    get_registry()  # plugin discovery is start-up cost, not per-file work
    segment = SegmentSettings(
        method=method,  # type: ignore[arg-type]
        threshold=threshold,
        max_clip_seconds=NO_SPLIT_S,
    )
    options = replace(IndexOptions(), segment=segment)

    def cuts(case: Case) -> list[float]:
        result = segment_video(Path(case.path), options)
        return [start for start, _ in result.clips[1:]]

    return _measured(cuts, cases)


def run_pyscenedetect(detector_name: str, cases: list[Case]) -> Run:
    """``scenedetect.detect`` with a default detector; a cut is the start of each later scene."""
    import scenedetect

    def cuts(case: Case) -> list[float]:
        detector = getattr(scenedetect, detector_name)()
        scenes = scenedetect.detect(case.path, detector, show_progress=False)
        return [float(start.seconds) for start, _ in scenes[1:]]

    return _measured(cuts, cases)


def sweep_settings() -> dict[str, Any]:
    """Every setting the sweep replays: the threshold grid and the adaptive default."""
    from autocut_core.materials.segment import SegmentSettings

    settings: dict[str, Any] = {
        f"threshold {t:.3f}": SegmentSettings(threshold=t, max_clip_seconds=NO_SPLIT_S)
        for t in sorted({*SWEEP_THRESHOLDS, *TABLE_THRESHOLDS})
    }
    settings["adaptive"] = SegmentSettings(method="adaptive", max_clip_seconds=NO_SPLIT_S)
    return settings


def run_sweep(cases: list[Case]) -> Run:
    """One decode + histogram pass per file (as ``_analyse_video`` does), then ``find_cuts``
    for every setting on the same dense vectors; also times the encoder's share."""
    import numpy as np

    from autocut_core.materials.indexing import IndexOptions
    from autocut_core.materials.segment import consecutive_similarity, find_cuts
    from autocut_core.media import iter_frames, probe
    from autocut_core.plugins import get_registry

    options = IndexOptions()
    encoder = get_registry().create("encoder", options.cut_encoder.name, {})
    settings = sweep_settings()
    replayed: dict[str, dict[str, list[float]]] = {label: {} for label in settings}
    similarity: dict[str, tuple[list[float], list[float]]] = {}
    encode_seconds = 0.0

    def vectors(case: Case) -> list[float]:
        nonlocal encode_seconds
        facts = probe(case.path)
        times: list[float] = []
        batches: list[Any] = []
        batch: list[Any] = []
        for timestamp, frame in iter_frames(
            case.path, fps=options.dense_fps, max_side=options.max_side, probe_result=facts
        ):
            times.append(timestamp)
            batch.append(frame)
            if len(batch) >= encoder.batch_size:
                started = time.perf_counter()
                batches.append(encoder.encode(batch))
                encode_seconds += time.perf_counter() - started
                batch = []
        if batch:
            started = time.perf_counter()
            batches.append(encoder.encode(batch))
            encode_seconds += time.perf_counter() - started
        dense = np.concatenate(batches)
        similarity[case.name] = (times[1:], consecutive_similarity(dense).tolist())
        duration = facts.duration if facts.duration > 0 else times[-1] + 1 / options.dense_fps
        for label, setting in settings.items():
            replayed[label][case.name] = find_cuts(np.asarray(times), dense, duration, setting)
        return replayed["adaptive"][case.name]

    run = _measured(vectors, cases)
    run.sweep = replayed
    run.encode_seconds = encode_seconds
    run.similarity = similarity
    return run


# --- scoring --------------------------------------------------------------------------------


def match(predicted: Sequence[float], case: Case) -> list[tuple[int, int]]:
    """Greedy one-to-one matching, closest pairs first: (true index, predicted index)."""
    pairs = sorted(
        (abs(p - t), ti, pi)
        for ti, (t, tol) in enumerate(zip(case.cuts, case.tolerances, strict=True))
        for pi, p in enumerate(predicted)
        if abs(p - t) <= tol + 1e-9
    )
    used_true: set[int] = set()
    used_pred: set[int] = set()
    matched = []
    for _, ti, pi in pairs:
        if ti not in used_true and pi not in used_pred:
            used_true.add(ti)
            used_pred.add(pi)
            matched.append((ti, pi))
    return matched


@dataclass
class Score:
    true_positives: int = 0
    predicted: int = 0
    actual: int = 0

    @property
    def precision(self) -> float:
        return self.true_positives / self.predicted if self.predicted else 1.0

    @property
    def recall(self) -> float:
        return self.true_positives / self.actual if self.actual else 1.0

    @property
    def f1(self) -> float:
        p, r = self.precision, self.recall
        return 2 * p * r / (p + r) if p + r else 0.0


def score(cuts: dict[str, list[float]], cases: Sequence[Case], label: str | None = None) -> Score:
    """Precision/recall over ``cases``; with ``label``, recall of the cuts with that label."""
    total = Score()
    for case in cases:
        predicted = cuts[case.name]
        matched = match(predicted, case)
        if label is None:
            total.true_positives += len(matched)
            total.predicted += len(predicted)
            total.actual += len(case.cuts)
        else:
            total.true_positives += sum(case.labels[ti] == label for ti, _ in matched)
            total.actual += sum(lab == label for lab in case.labels)
    return total


# --- printing -------------------------------------------------------------------------------


def _cuts_of(run: Run, method: str, sweep_label: dict[str, str]) -> dict[str, list[float]]:
    return run.sweep[sweep_label[method]] if method in sweep_label else run.cuts


def _main_table(runs: dict[str, Run], cases: list[Case], sweep_label: dict[str, str]) -> str:
    seconds = sum(case.duration for case in cases)
    names = [case.name for case in cases]
    baseline_wall = sum(runs[BASELINE].wall[n] for n in names)
    baseline_cpu = sum(runs[BASELINE].cpu[n] for n in names)
    rows = []
    for method, run in runs.items():
        cuts = _cuts_of(run, method, sweep_label)
        wall = sum(run.wall[n] for n in names)
        cpu = sum(run.cpu[n] for n in names)
        result = score(cuts, cases)
        rows.append(
            [
                method,
                fmt(result.precision, 3),
                fmt(result.recall, 3),
                fmt(result.f1, 3),
                fmt(score(cuts, cases, "similar").recall, 3),
                fmt(wall, 1),
                fmt(len(cases) / wall, 2),
                fmt(seconds / wall, 1),
                fmt(cpu, 1),
                fmt(run.peak_mib, 0),
                fmt(wall / baseline_wall, 2),
                fmt(cpu / baseline_cpu, 2),
            ]
        )
    headers = ["method", "precision", "recall", "F1", "look-alike recall", "wall s", "videos/s"]
    headers += ["x realtime", "CPU s", "peak MiB", "wall vs baseline", "CPU vs baseline"]
    return markdown_table(headers, rows)


def _false_cuts(cuts: dict[str, list[float]], cases: Sequence[Case]) -> int:
    return sum(len(cuts[c.name]) - len(match(cuts[c.name], c)) for c in cases)


def _as_truth(case: Case, cuts: Sequence[float]) -> Case:
    """``case`` with ``cuts`` taken as its truth: to count agreement between two methods."""
    return Case(
        case.name, case.path, case.duration, case.group, tuple(cuts),
        ("distinct",) * len(cuts), (TOLERANCE_S,) * len(cuts),
    )  # fmt: skip


def _sweep_table(
    sweep: Run, baseline: Run, standard: list[Case], hard: list[Case], real: list[Case]
) -> str:
    """Every replayed setting: accuracy on each subset, false cuts on the recordings."""
    one_shot = [c for c in real if c.name in ONE_SHOT_FILES]
    megamind = next((c for c in real if c.name not in ONE_SHOT_FILES), None)
    rows = []
    for label, cuts in sweep.sweep.items():
        overall = score(cuts, standard)
        row = [
            label + " (default)" * (label == f"threshold {DEFAULT_THRESHOLD:.3f}"),
            fmt(overall.precision, 3),
            fmt(overall.recall, 3),
            fmt(overall.f1, 3),
            fmt(score(cuts, standard, "similar").recall, 3),
            fmt(score(cuts, hard).f1, 3),
            str(_false_cuts(cuts, hard)),
            " + ".join(str(len(cuts[c.name])) for c in one_shot) or "—",
        ]
        if megamind is not None:
            found = cuts[megamind.name]
            agree = len(match(found, _as_truth(megamind, baseline.cuts[megamind.name])))
            row.append(f"{len(found)} ({agree} agree)")
        rows.append(row)
    headers = ["AutoCut setting", "precision", "recall", "F1", "look-alike recall"]
    headers += ["hard-case F1", "hard-case false cuts"]
    headers.append(f"false cuts {' + '.join(c.name for c in one_shot)}")
    if megamind is not None:
        headers.append(f"{megamind.name} cuts")
    return markdown_table(headers, rows)


def _gap_similarities(
    sweep: Run, case: Case, cuts: Sequence[float]
) -> tuple[list[float], list[float]]:
    """(similarity at each cut, similarities of the gaps well inside shots) for one file.

    A cut's similarity is the lowest of the gaps ending within a dense frame of it (the fps
    filter takes the nearest source frame, so the new shot shows at t or one frame later);
    a gap is inside a shot when it ends more than 0.3 s from every cut. Gaps within the
    shortest clip of either end are left out: no cut can go there.
    """
    ends, values = sweep.similarity[case.name]
    usable = [
        (e, v)
        for e, v in zip(ends, values, strict=True)
        if MIN_CLIP_S <= e <= case.duration - MIN_CLIP_S
    ]
    at_cut = []
    for cut in cuts:
        near = [v for e, v in usable if -0.06 <= e - cut <= 0.16]
        if near:
            at_cut.append(min(near))
    inside = [v for e, v in usable if all(abs(e - c) > 0.3 for c in cuts)]
    return at_cut, inside


def _margin_table(results: Results) -> tuple[str, list[float]]:
    """Where cuts and within-shot gaps fall on the histogram similarity scale: a threshold
    separates them perfectly when it lies between the two columns. Also returns the
    look-alike cuts' similarities."""
    sweep = results.sweep
    rows = []
    distinct_cut: list[float] = []
    alike_cut: list[float] = []
    inside: list[float] = []
    for case in results.standard:
        at_cut, gaps = _gap_similarities(sweep, case, case.cuts)
        for value, label in zip(at_cut, case.labels, strict=False):
            (alike_cut if label == "similar" else distinct_cut).append(value)
        inside += gaps
    rows.append(["synthetic set, cuts between distinct shots", distinct_cut, inside])
    rows.append(["synthetic set, cuts between look-alikes", alike_cut, []])
    for case in results.hard:
        if case.name in ("hard-motion", "hard-flash"):
            rows.append(
                [
                    f"{case.name} (inside its shots)",
                    [],
                    _gap_similarities(sweep, case, case.cuts)[1],
                ]
            )
    baseline = results.runs[BASELINE]
    for case in results.real:
        cuts = [] if case.name in ONE_SHOT_FILES else baseline.cuts[case.name]
        at_cut, gaps = _gap_similarities(sweep, case, cuts)
        label = case.name + (f" ({len(cuts)} cuts found by all methods)" if cuts else "")
        rows.append([label, at_cut, gaps])
    table = markdown_table(
        [
            "file set",
            "cuts",
            "highest similarity at a cut",
            "gaps inside shots",
            "lowest inside a shot",
        ],
        [
            [
                label,
                str(len(cut)),
                fmt(max(cut), 3) if cut else "—",
                str(len(gaps)),
                fmt(min(gaps), 3) if gaps else "—",
            ]
            for label, cut, gaps in rows
        ],
    )
    return table, sorted(alike_cut)


def _hard_table(runs: dict[str, Run], hard: list[Case], sweep_label: dict[str, str]) -> str:
    rows = []
    for method, run in runs.items():
        cuts = _cuts_of(run, method, sweep_label)
        row = [method]
        for case in hard:
            matched = match(cuts[case.name], case)
            false = len(cuts[case.name]) - len(matched)
            row.append(f"{len(matched)}/{len(case.cuts)}, {false} FP")
        rows.append(row)
    return markdown_table(["method", *(case.name for case in hard)], rows)


def _real_tables(runs: dict[str, Run], real: list[Case], sweep_label: dict[str, str]) -> str:
    """Megamind: every method's cuts side by side, clustered within the tolerance, and each
    method's agreement with the baseline; one-shot files: how many (false) cuts each makes."""
    out = []
    methods = [m for m in runs if m not in sweep_label]
    one_shot = [c for c in real if c.name in ONE_SHOT_FILES]
    for case in real:
        if case in one_shot:
            continue
        lists = {m: runs[m].cuts[case.name] for m in methods}
        out += [f"{case.name} ({case.duration:.2f} s, recorded, no truth file): cut times in s", ""]
        rows = []
        for event in _cluster(sorted(t for c in lists.values() for t in c)):
            row = []
            for cuts in lists.values():
                near = [t for t in cuts if any(abs(t - e) <= TOLERANCE_S for e in event)]
                row.append(", ".join(f"{t:.2f}" for t in near) or "—")
            rows.append(row)
        out += [markdown_table(list(lists), rows), ""]
        base = _as_truth(case, lists[BASELINE])
        for method, cuts in lists.items():
            if method != BASELINE:
                out.append(
                    f"- {method}: {len(match(cuts, base))} of its {len(cuts)} cuts agree with "
                    f"the baseline's {len(base.cuts)} within ±{TOLERANCE_S} s"
                )
        out.append("")
    if one_shot:
        described = ", ".join(f"{c.name} {c.duration:.1f} s" for c in one_shot)
        out += [f"Recorded single shots ({described}): every cut is a false one", ""]
        rows = [[m, *(str(len(runs[m].cuts[c.name])) for c in one_shot)] for m in methods]
        out.append(markdown_table(["method", *(f"{c.name} false cuts" for c in one_shot)], rows))
    return "\n".join(out)


def _cluster(times: list[float]) -> list[list[float]]:
    groups: list[list[float]] = []
    for t in times:
        if groups and t - groups[-1][0] <= TOLERANCE_S:
            groups[-1].append(t)
        else:
            groups.append([t])
    return groups


# --- the run --------------------------------------------------------------------------------


@dataclass
class Results:
    """Everything measured, for the printing step."""

    standard: list[Case]
    hard: list[Case]
    real: list[Case]
    runs: dict[str, Run]
    sweep: Run
    #: Rows of the main table that come from the sweep: row label -> sweep setting label.
    sweep_label: dict[str, str]
    ffmpeg_idle_mib: float


def ffmpeg_idle_mib() -> float:
    """Peak RSS of ``ffmpeg -version``: what the binary and its shared libraries cost alone."""
    subprocess.run(["ffmpeg", "-version"], check=True, capture_output=True)
    return children_peak_rss_mib()


def measure(folder: Path) -> Results:
    """Write the corpus, then run every method, one fresh process each, one after another."""
    started = time.perf_counter()
    note("writing the synthetic corpus ...")
    corpus = make_corpus(folder)
    real = real_cases()
    everything = corpus + real
    note(f"corpus ready in {time.perf_counter() - started:.1f} s")
    default = f"AutoCut threshold {DEFAULT_THRESHOLD} (default)"
    plan: list[tuple[str, Callable[..., Run], tuple[Any, ...]]] = [
        (BASELINE, run_pyscenedetect, ("ContentDetector",)),
        ("PySceneDetect AdaptiveDetector", run_pyscenedetect, ("AdaptiveDetector",)),
        (default, run_autocut, ("threshold", DEFAULT_THRESHOLD)),
        ("AutoCut adaptive", run_autocut, ("adaptive", DEFAULT_THRESHOLD)),
    ]
    runs: dict[str, Run] = {}
    for label, function, args in plan:
        note(f"running {label} ...")
        runs[label] = run_isolated(function, *args, everything)
    note("running the AutoCut threshold sweep ...")
    sweep = run_isolated(run_sweep, everything)
    sweep_label: dict[str, str] = {}
    for threshold in TABLE_THRESHOLDS:
        if threshold != DEFAULT_THRESHOLD:
            label = f"AutoCut threshold {threshold:.2f} *"
            runs[label] = sweep
            sweep_label[label] = f"threshold {threshold:.3f}"
    return Results(
        standard=[c for c in corpus if c.group in ("distinct", "similar")],
        hard=[c for c in corpus if c.group == "hard"],
        real=real,
        runs=dict(sorted(runs.items(), key=lambda item: _order(item[0]))),
        sweep=sweep,
        sweep_label=sweep_label,
        ffmpeg_idle_mib=run_isolated(ffmpeg_idle_mib),
    )


def report(results: Results) -> None:
    """Print the tables (stdout only: it is pasted into docs/benchmarks.md as it is)."""
    standard, hard, runs, sweep = results.standard, results.hard, results.runs, results.sweep
    cuts = sum(len(c.cuts) for c in standard)
    print(
        f"Synthetic scene videos: {len(standard)} files ({DISTINCT_VIDEOS} with distinct shots, "
        f"{SIMILAR_VIDEOS} alternating look-alike pairs), {cuts + len(standard)} shots, {cuts} "
        f"cuts ({score(sweep.cuts, standard, 'similar').actual} between look-alikes), "
        f"{sum(c.duration for c in standard):.0f} s at {SIZE[0]}x{SIZE[1]} {FPS} fps. "
        f"A cut matches within ±{TOLERANCE_S} s, one to one. Baseline: {BASELINE}."
    )
    print()
    print(_main_table(runs, standard, results.sweep_label))
    print()
    autocut = runs[f"AutoCut threshold {DEFAULT_THRESHOLD} (default)"]
    print(
        "\\* same decode + encode work as the default row: cut lists replayed with find_cuts "
        "on the dense vectors of one timed pass (the sweep below). Peak MiB: growth of the "
        "method's own Python process during the run; PySceneDetect decodes in it (OpenCV), "
        f"AutoCut in an ffmpeg child, which peaked at {autocut.ffmpeg_peak_mib:.0f} MiB RSS "
        f"(`ffmpeg -version` alone: {results.ffmpeg_idle_mib:.0f} MiB)."
    )
    print()
    _replay_check(runs, sweep, standard + hard + results.real)
    print(
        f"AutoCut's time (sweep pass): the histogram encoder "
        f"{sweep.encode_seconds / sum(sweep.wall.values()):.0%} of it, ffmpeg decode + pipe "
        f"the rest."
    )
    print()
    print(f"Threshold sweep: the synthetic set above, the {len(hard)} hard cases below, recordings")
    print()
    print(_sweep_table(sweep, runs[BASELINE], standard, hard, results.real))
    print()
    margins, alike = _margin_table(results)
    print(
        "Histogram cosine similarity of consecutive dense frames (10 fps): at cuts and inside "
        "shots. A threshold between the two extremes separates them perfectly."
    )
    print()
    print(margins)
    print()
    print(f"Look-alike cuts, similarity: {', '.join(f'{v:.3f}' for v in alike)}")
    print()
    print(
        f"Hard cases: true cuts found/true cuts, and false cuts, per file. A {TRANSITION_S:g} s "
        f"dissolve or fade through black counts as one cut at its midpoint, matched anywhere "
        f"inside the transition (±{TRANSITION_S / 2:g} s); flashes (3 frames near white, twice) "
        "and fast motion (a whip pan, a spin) must not cut."
    )
    print()
    print(_hard_table(runs, hard, results.sweep_label))
    print()
    print(_real_tables(runs, results.real, results.sweep_label))


def main() -> None:
    started = time.perf_counter()
    print(f"Cut detection, {machine_line()}")
    print()
    if importlib.util.find_spec("scenedetect") is None:
        print("PySceneDetect, the baseline, is not installed (pip install 'autocut[test]').")
        return
    with tempfile.TemporaryDirectory(prefix="autocut-bench-seg-") as tmp:
        results = measure(Path(tmp))
    report(results)
    note(f"done in {time.perf_counter() - started:.0f} s")


def _order(label: str) -> tuple[int, float]:
    if label == BASELINE:
        return (0, 0.0)
    if label.startswith("PySceneDetect"):
        return (1, 0.0)
    if "adaptive" in label:
        return (3, 0.0)
    number = next((float(w) for w in label.split() if w.replace(".", "", 1).isdigit()), math.inf)
    return (2, number)


def _replay_check(runs: dict[str, Run], sweep: Run, cases: list[Case]) -> None:
    """The sweep's replay must give the end-to-end cut lists, or its rows mean nothing."""
    pairs = {
        f"AutoCut threshold {DEFAULT_THRESHOLD} (default)": f"threshold {DEFAULT_THRESHOLD:.3f}",
        "AutoCut adaptive": "adaptive",
    }
    same = total = 0
    for method, setting in pairs.items():
        for case in cases:
            total += 1
            ended = runs[method].cuts[case.name]
            replayed = sweep.sweep[setting][case.name]
            same += len(ended) == len(replayed) and all(
                math.isclose(a, b, abs_tol=1e-6) for a, b in zip(ended, replayed, strict=True)
            )
    print(
        f"Replay check: the sweep reproduces the end-to-end cut lists of {same}/{total} "
        "(method, file) pairs."
    )


if __name__ == "__main__":
    main()
