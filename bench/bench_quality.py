"""Editing quality on caption data: Table 1's columns for each zero-shot backbone, in one run.

The question: how well do the backbones select and sort clips, and write line lengths, when a
clip is known only by its caption (the shape of the paper's caption baselines: clip captions +
product + script + gold selection and order)? The data is built here from the project's own
synthetic world (:data:`autocut_core.testing.synthetic_ads.DEMO_WORLD`: six categories, 31
concepts, ten English and eight Chinese sentence templates), deterministic from the seed and
tuned on nothing: each planned ad's clips are captioned with what their picture shows (the
concept's description), and every ad gives one sample of each task:

- ``select``: the ad's clips plus as many clips of other ads in the same language (1:1, as
  ``autocut dataset build`` draws negatives), shuffled; the backbone picks as many as the ad
  has. A negative may show the same concept as a positive (ads of one category share
  pictures), so even a perfect reader of captions cannot always tell them apart;
- ``sort``: the ad's clips shuffled; the reference is the script's order;
- ``script``: write one line per clip; the reference is the ad's script (WCD).

Captions come in three modes: ``world words`` (the concept's own words, which the script
also uses, so shared words or characters give most answers away: the easy case),
``paraphrase`` (a captioner's words for the same photo, :data:`PARAPHRASES`, in the ad's
language: only a text encoder bridges them) and ``english paraphrase`` (a captioner writing
English whatever the ad's language, as VLM captioners often do: a Chinese script then shares
no character with its captions and only a multilingual encoder can match them).

Rows: ``random`` (the named baseline; its ratios are 1), ``similarity`` in each evidence mode
its options give (word/character overlap only; minilm with CJK by overlap; minilm + muse
for CJK scored per sentence only; the defaults, which add whole-brief selection), and
``lm`` when the demo model is present and the samples carry video tokens (caption data has
none, so the row says why it is missing). Frames (``image_encoder = clip``) are left out:
no CLIP weights are available offline.

    .venv/bin/python bench/bench_quality.py                 # 120 ads per language, ~15 min
    .venv/bin/python bench/bench_quality.py --ads 60 --seed 1
    .venv/bin/python bench/bench_quality.py --sweep brief_weight=0,0.25,0.75  # extra rows

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import random
import time
import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note

ROOT = Path(__file__).resolve().parents[1]
DEMO_MODEL = ROOT / "examples" / "demo" / "model"

#: Row name -> similarity options (``random`` is the baseline row, ``lm`` the trained one).
SIMILARITY_MODES: dict[str, dict[str, Any]] = {
    "similarity: overlap only": {"text_encoder": "none", "multilingual_encoder": "none"},
    "similarity: minilm, CJK by overlap": {"multilingual_encoder": "none"},
    "similarity: minilm + muse, per sentence": {"brief_weight": 0.0},
    "similarity: minilm + muse, whole brief (default)": {},
}
#: Table-1 columns shown (task, metric, label); music is not part of caption data.
COLUMNS = (
    ("select", "csa", "CSA"),
    ("select", "csa_exact", "CSA exact"),
    ("select", "recall", "recall"),
    ("sort", "cra", "CRA"),
    ("sort", "pairwise", "Pairwise"),
    ("sort", "kendall_tau", "τ"),
    ("script", "wcd", "WCD"),
    ("script", "wcd_units", "WCD units"),
)
RATIO_COLUMNS = ("csa", "cra", "pairwise")

#: What a captioner would write about each demo concept's photo, in its own words: the
#: script names the concept in the world's words (``Concept.en`` / ``.zh``), so captions made
#: of those words would let shared characters give every answer away. Written once from the
#: photos in /usr/share/doc/opencv-doc/examples/data, never adjusted to a result.
PARAPHRASES: dict[str, tuple[str, str]] = {
    "apple": ("close-up of a glossy red fruit", "特写：一个表皮光滑的红色水果"),
    "orange": ("a round citrus fruit with dimpled peel", "一个果皮有小坑的圆形柑橘"),
    "fruits": (
        "halved citrus and green kiwi slices on a plate",
        "盘子里对半切的柑橘和绿色奇异果片",
    ),
    "candy": ("a pile of small sugar-coated sweets in many colours", "一堆各种颜色的小糖衣甜点"),
    "fish": ("a smiling animated sea creature", "一只微笑的动画海洋生物"),
    "toys": ("painted children's playthings made of wood", "涂了颜色的儿童木制玩物"),
    "football": ("a soccer player kicking on a pitch", "球场上一位踢球的球员"),
    "ballgame": ("people throwing a ball in a hall", "大厅里几个人在抛球"),
    "aerial": ("rooftops and streets from high above", "从高处看到的屋顶和街道"),
    "graffiti": ("spray-painted art covering a wall", "墙上满是喷漆画"),
    "car": ("a motion-blurred vehicle on the street", "街上一辆模糊的行驶车辆"),
    "stars": ("a painting of a night sky full of swirls", "一幅满是漩涡的夜空油画"),
    "circuit": ("an electronics board with chips and traces", "一块布满芯片和线路的电子板"),
    "monkey": ("a rendered primate face in grey", "一张灰色的渲染灵长类面孔"),
    "desk": ("a writing tool and a small flame device on a table", "桌面上的书写工具和点火小物"),
    "boxes": ("cardboard packages piled up on a table", "桌上叠放的纸板包装"),
    "notebook": ("a dark journal held shut by an elastic", "一本用松紧带扣住的深色手账"),
    "aloe": ("a spiky succulent in an earthenware pot", "陶土盆里一棵带刺的多肉"),
    "squirrel": ("a small furry rodent perched in a tree", "树上蹲着的一只毛茸茸的小啮齿动物"),
    "butterfly": ("a winged insect resting on foliage", "一只歇在叶子上的有翅昆虫"),
    "palace": ("an ornate golden building against the sky", "天空下一座华丽的金色建筑"),
    "street": ("an old lane paved with red stones", "一条铺着红石头的老巷子"),
    "dog": ("a cheerful puppy looking at the camera", "一只看着镜头的欢快幼犬"),
    "building": ("a tall pale tower block with many windows", "一栋窗户很多的浅色高楼"),
    "baboon": ("a primate with a vivid blue and red muzzle", "一只口鼻蓝红鲜艳的灵长动物"),
    "cards": ("a fanned-out deck of playing cards", "一副呈扇形展开的纸牌"),
    "chessboard": ("a checkered grid of dark and light squares", "深浅方格相间的格子盘"),
    "sudoku": ("a printed grid of numbers to fill in", "一张印着待填数字的方格纸"),
    "blocks": ("plain construction pieces stacked on a surface", "表面上堆着的素色拼搭块"),
    "shapes": ("cut-out coloured figures on a background", "背景上彩色的剪纸形状"),
    "robot": ("a cartoon machine holding a certificate", "一个拿着证书的卡通机器"),
}
#: Caption modes: the world's own words, a captioner's words in the ad's language, and a
#: captioner's English words whatever the ad's language.
CAPTION_MODES = ("world words", "paraphrase", "english paraphrase")


@dataclass(frozen=True)
class Sample:
    task: str
    ad_id: str
    product: Any
    script: tuple[str, ...]
    candidates: tuple[Any, ...]
    reference: dict[str, Any]


def caption_set(n_ads: int, seed: int, lang: str, captions: str) -> list[Sample]:
    """One select, sort and script sample per planned ad of ``lang`` (see the module doc)."""
    from autocut_core.testing.synthetic_ads import DEMO_WORLD, plan_corpus
    from autocut_core.types import Candidate, Clip

    plans = plan_corpus(n_ads, seed=seed, bad=(), zh_share=1.0 if lang == "zh" else 0.0,
                        world=DEMO_WORLD)  # fmt: skip
    rng = random.Random(f"{seed}-{lang}-{captions}")

    def caption(key: str) -> str:
        if captions == "world words":
            concept = DEMO_WORLD.concepts[key]
            return concept.zh if lang == "zh" else concept.en
        english, chinese = PARAPHRASES[key]
        return chinese if lang == "zh" and captions == "paraphrase" else english

    def candidate(ad_id: str, index: int, key: str) -> Any:
        text = caption(key)
        start = 3.0 * index
        clip = Clip(source_id=f"{ad_id}-video", start=start, end=start + 3.0, caption=text)
        return Candidate(clip=clip, caption=text)

    clips = {plan.ad_id: [candidate(plan.ad_id, i, c.concept) for i, c in enumerate(plan.clips)]
             for plan in plans}  # fmt: skip
    samples = []
    for plan in plans:
        own = clips[plan.ad_id]
        others = [
            clip for other in plans if other.ad_id != plan.ad_id for clip in clips[other.ad_id]
        ]
        shown = own + rng.sample(others, len(own))
        rng.shuffle(shown)
        positives = sorted(shown.index(clip) for clip in own)
        samples.append(Sample("select", plan.ad_id, plan.product, plan.script, tuple(shown),
                              {"indices": positives, "pool": len(shown)}))  # fmt: skip
        shuffled = own[:]
        rng.shuffle(shuffled)
        order = [shuffled.index(clip) for clip in own]  # order[i]: the clip shown i-th
        samples.append(Sample("sort", plan.ad_id, plan.product, plan.script, tuple(shuffled),
                              {"order": order}))  # fmt: skip
        samples.append(Sample("script", plan.ad_id, plan.product, plan.script, tuple(own),
                              {"lines": list(plan.script)}))  # fmt: skip
    return samples


def answer(backbone: Any, sample: Sample) -> dict[str, Any]:
    """The backbone's answer in the layout the task's evaluator reads."""
    from autocut_core.types import Script

    script = Script(sentences=sample.script)
    if sample.task == "select":
        count = len(sample.reference["indices"])
        selection = backbone.select(sample.product, script, list(sample.candidates), count)
        return {"indices": list(selection.indices)}
    if sample.task == "sort":
        return {"order": list(backbone.sort(sample.product, script, list(sample.candidates)).order)}
    return {"lines": list(backbone.write_script(sample.product, list(sample.candidates)).sentences)}


EVALUATORS = {"select": "selection", "sort": "ordering", "script": "script"}
CAPABILITY = {"select": "select", "sort": "sort", "script": "write_script"}


def score(backbone: Any, samples: Sequence[Sample]) -> tuple[dict[str, dict[str, float]], float]:
    """Table-1 values per task (each evaluator's own aggregate) and seconds per sample."""
    from autocut_core.evaluation.summary import summarise

    warm(backbone, samples)
    records, started = [], time.perf_counter()
    from autocut_core.plugins import get_registry

    registry = get_registry()
    for number, sample in enumerate(samples):
        if CAPABILITY[sample.task] not in backbone.capabilities:
            continue
        name = EVALUATORS[sample.task]
        evaluator = registry.create("evaluator", name)
        (metrics,) = evaluator.score_batch([answer(backbone, sample)], [sample.reference])
        records.append({"task": sample.task, "evaluator": name, "metrics": metrics,
                        "sample_id": f"{sample.task}-{number}"})  # fmt: skip
    seconds = (time.perf_counter() - started) / max(len(records), 1)
    return summarise("bench", records).metrics, seconds


def muse_registered(stack: contextlib.ExitStack) -> None:
    """Register ``muse`` inline when the installed entry points predate it (a checkout run
    before ``pip install -e .``), for as long as ``stack`` is open."""
    from autocut_core.plugins import get_registry, inline_plugin

    if "muse" not in get_registry().names("encoder"):
        from autocut_plugins import muse

        stack.enter_context(inline_plugin(muse, name="muse"))


def systems(sweeps: Sequence[tuple[str, float]]) -> dict[str, Any]:
    from autocut_plugins.random_backbone import RandomBackbone
    from autocut_plugins.similarity import SimilarityBackbone

    rows: dict[str, Any] = {"random (baseline)": RandomBackbone.from_options({"seed": 0})}
    for name, options in SIMILARITY_MODES.items():
        rows[name] = SimilarityBackbone.from_options(options)
    for option, value in sweeps:
        rows[f"similarity: {option}={value:g}"] = SimilarityBackbone.from_options({option: value})
    return rows


def lm_status() -> str:
    """Why the ``lm`` row is missing (it always is on caption data), for the table's notes."""
    if not (DEMO_MODEL / "model.json").is_file():
        return f"lm: no trained demo model at {DEMO_MODEL.relative_to(ROOT)} (nox -s train-demo)"
    return (
        f"lm: the demo model at {DEMO_MODEL.relative_to(ROOT)} reads video tokens, and caption "
        "data has none (its select/sort prompts show tokens only), so it has no row here; its "
        "own held-out table is examples/demo/model/eval.md"
    )


def main(argv: Sequence[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--ads", type=int, default=120, help="ads per language")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--sweep", action="append", default=[], metavar="OPTION=V1,V2",
                        help="extra similarity rows, one per value of a numeric option")  # fmt: skip
    args = parser.parse_args(argv)
    # One thread per library, as in the test suite (set before numpy and torch load): the
    # machine may be shared, and an encoder fighting a busy machine for threads is slower.
    for variable in ("OMP_NUM_THREADS", "OPENBLAS_NUM_THREADS", "MKL_NUM_THREADS"):
        os.environ.setdefault(variable, "1")
    sweeps = [(option, float(value)) for spec in args.sweep
              for option, values in [spec.split("=", 1)] for value in values.split(",")]  # fmt: skip
    with contextlib.ExitStack() as stack:
        muse_registered(stack)
        rows = systems(sweeps)
        print(f"Measured on {machine_line()}; {args.ads} ads per language, seed {args.seed}.\n")
        settings = [("en", "world words"), ("en", "paraphrase"), ("zh", "world words"),
                    ("zh", "paraphrase"), ("zh", "english paraphrase")]  # fmt: skip
        for lang, captions in settings:
            samples = caption_set(args.ads, args.seed, lang, captions)
            results = {}
            for name, backbone in rows.items():
                note(f"{lang}/{captions}: {name}")
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore", RuntimeWarning)
                    results[name] = score(backbone, samples)
            base = results["random (baseline)"][0]
            headers = ["system", *(label for _, _, label in COLUMNS),
                       *(f"{metric} x random" for metric in RATIO_COLUMNS), "ms/sample"]  # fmt: skip
            table = []
            for name, (metrics, seconds) in results.items():
                values = [fmt(metrics.get(task, {}).get(metric), 4) for task, metric, _ in COLUMNS]
                ratios = [_ratio(metrics, base, metric) for metric in RATIO_COLUMNS]
                table.append([name, *values, *ratios, f"{1000 * seconds:.1f}"])
            language = {"en": "English", "zh": "Chinese"}[lang]
            print(f"### {language} ads, captions: {captions}\n")
            print(markdown_table(headers, table) + "\n")
        print(f"- {lm_status()}.")


def warm(backbone: Any, samples: Sequence[Sample]) -> None:
    """Embed every sentence, brief and caption up front, in one batch per space (a backbone
    caches what it embedded), so the per-sample time is the deciding, not the encoder's
    start-up on one new text at a time."""
    from autocut_plugins.similarity.brief import brief_text

    from autocut_core.types import Script

    scorer = getattr(backbone, "scorer", None)
    if scorer is None:
        return
    texts = {line for sample in samples for line in sample.script}
    texts |= {brief_text(sample.product, Script(sentences=sample.script)) for sample in samples}
    captions = {candidate.caption for sample in samples for candidate in sample.candidates}
    scorer.text.similarity(sorted(texts), sorted(captions))


def _ratio(metrics: dict[str, dict[str, float]], base: dict[str, dict[str, float]],
           metric: str) -> str:  # fmt: skip
    task = "select" if metric.startswith("csa") else "sort"
    value, baseline = metrics.get(task, {}).get(metric), base.get(task, {}).get(metric)
    if value is None or not baseline:
        return "—"
    return f"{value / baseline:.2f}"


if __name__ == "__main__":
    main()
