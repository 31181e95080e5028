"""A small SFT test set in the format of docs/evaluation.md, made with real media.

Two ads (English and Chinese), each with one sample of every task. The answers are chosen so
that the ``fake`` backbone's metrics can be worked out by hand (see EXPECTED_FAKE):

- select: ad-en positives [0, 2] of 4 (fake takes [0, 1]); ad-zh positives [0, 1] of 3;
- sort: ad-en reference [0, 1, 2] (fake keeps the order); ad-zh reference [2, 0, 1];
- script: fake writes "<product>, shot N." (3 words; 6 units in Chinese, "鲜榨果汁" being 4
  characters) against reference lines of 4 and 3 words (en) and 8 and 5 units (zh);
- music: fake takes the first track of the pool; the reference is first for ad-en and
  second (of three) for ad-zh.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from autocut_core import ids
from autocut_core.editing.prompts import build_prompt, format_answer
from autocut_core.serde import to_data
from autocut_core.testing import samples
from autocut_core.tokens.strings import format_codes, format_frames
from autocut_core.types import Candidate, Clip, Product, Script

PRODUCTS = {
    "en": Product(name="Juice", brand="Sunny", category="drinks", selling_points=("fresh",)),
    "zh": Product(name="鲜榨果汁", brand="阳光", category="饮料", selling_points=("新鲜",)),
}
SCRIPTS = {
    "en": ["Fresh oranges every morning.", "Cold and sweet."],
    "zh": ["每天早上新鲜橙子", "冰爽清甜 Juice"],
}
#: The clips' own sentences: positives say the script's words, the others do not.
CLIP_TEXTS = {
    "en": ["Fresh oranges every morning.", "A cat sleeps on the sofa.", "Cold and sweet.",
           "Traffic in the rain."],
    "zh": ["每天早上新鲜橙子", "冰爽清甜 Juice", "城市夜晚的车流"],
}  # fmt: skip
SELECT_ANSWERS = {"en": [0, 2], "zh": [0, 1]}
SORT_ANSWERS = {"en": [0, 1, 2], "zh": [2, 0, 1]}
#: Music pools by character; the reference is "calm" in both ads.
POOLS = {"en": ["calm", "energetic", "dark"], "zh": ["energetic", "calm", "bright"]}

#: The fake backbone's metrics, worked out by hand from the answers above.
EXPECTED_FAKE = {
    "select": {"csa": 0.5, "csa_exact": 0.5, "recall": 0.75, "precision": 0.75, "valid": 1.0},
    "sort": {"cra": 0.5, "pairwise": (1 + 1 / 3) / 2, "kendall_tau": (1 - 1 / 3) / 2,
             "pairwise_strict": (1 + 1 / 3) / 2, "kendall_tau_strict": (1 - 1 / 3) / 2,
             "valid": 1.0},
    # units, en: |3-4|, |3-3| -> 0.5, ad |6-7| = 1; zh: |6-8|, |6-5| -> 1.5, ad |12-13| = 1.
    # paper characters, en: "Juice, shot 1." 14 vs 28 and 14 vs 15 -> 7.5;
    # zh: "鲜榨果汁, shot 1." 13 vs "每天早上新鲜橙子" 8 and "冰爽清甜 Juice" 10 -> 4; mean 5.75
    "script": {"wcd": 5.75, "wcd_units": 1.0, "wcd_ad": 1.0, "line_agreement": 1.0},
    # en: reference first; zh: reference tied with one other at ranks 2-3
    "music": {"hit@1": 0.5, "hit@3": 1.0, "hit@5": 1.0, "mrr": (1 + (1 / 2 + 1 / 3) / 2) / 2,
              "valid": 1.0},
}  # fmt: skip


@dataclass(frozen=True)
class SftSet:
    path: Path
    videos: dict[str, Path]
    tracks: dict[str, Path]
    track_ids: dict[str, str]


@pytest.fixture(scope="session")
def eval_media(tmp_path_factory: pytest.TempPathFactory) -> tuple[dict[str, Path], dict[str, Path]]:
    """Two tiny scene videos (one shot per clip) and four 3-second music tracks."""
    folder = tmp_path_factory.mktemp("eval-media")
    videos = {
        lang: samples.make_scene_video(
            folder / f"{lang}.mp4", samples.scenes_for([1.0] * len(CLIP_TEXTS[lang])),
            size=(96, 64), fps=10, audio=False,
        ).path
        for lang in ("en", "zh")
    }  # fmt: skip
    tracks = {
        character: samples.make_music(folder / f"{character}.wav", 3.0, character, 22050).path
        for character in ("calm", "energetic", "dark", "bright")
    }
    return videos, tracks


def build_sft(
    path: Path,
    videos: dict[str, Path],
    tracks: dict[str, Path],
    track_ids: dict[str, str] | None = None,
) -> SftSet:
    """Write the test set: every line as `autocut dataset build` writes it (the spec)."""
    track_ids = track_ids or {character: f"trk_{character}" for character in tracks}
    lines = []
    for lang in ("en", "zh"):
        clips = _clips(lang, videos[lang])
        for task in ("select", "sort", "script", "music"):
            lines.append(_line(task, lang, clips, tracks, track_ids))
    path.write_text("".join(json.dumps(line, ensure_ascii=False) + "\n" for line in lines),
                    encoding="utf-8")  # fmt: skip
    return SftSet(path, videos, tracks, track_ids)


@pytest.fixture
def sft(tmp_path: Path, eval_media) -> SftSet:
    videos, tracks = eval_media
    return build_sft(tmp_path / "test.jsonl", videos, tracks)


def _clips(lang: str, video: Path) -> list[dict[str, Any]]:
    source_id = f"src{lang}0000001"
    return [
        {
            "clip_id": ids.clip_id(source_id, second, 1),
            "source_id": source_id,
            "source_path": str(video),
            "start": float(second),
            "end": float(second + 1),
            "text": text,
            "tokens": format_frames(np.array([[second % 4, (second + 1) % 4]])),
        }
        for second, text in enumerate(CLIP_TEXTS[lang])
    ]


def _line(
    task: str,
    lang: str,
    clips: list[dict[str, Any]],
    tracks: dict[str, Path],
    track_ids: dict[str, str],
) -> dict[str, Any]:
    product, script = PRODUCTS[lang], SCRIPTS[lang]
    meta: dict[str, Any] = {"product": to_data(product), "script": script}
    if task == "select":
        shown, answer = clips, {"indices": SELECT_ANSWERS[lang]}
        value: Any = answer["indices"]
    elif task == "sort":
        chosen = SELECT_ANSWERS[lang]
        playing = [clips[i] for i in chosen] + [c for j, c in enumerate(clips) if j not in chosen]
        order = SORT_ANSWERS[lang]
        # order[i] is the local index of the clip that plays i-th.
        shown = [None] * len(order)
        for position, local in enumerate(order):
            shown[local] = playing[position]
        answer = {"order": order}
        value = order
    elif task == "script":
        shown = [clips[i] for i in SELECT_ANSWERS[lang]]
        answer = {"lines": script}
        value = script
    else:
        shown = [clips[i] for i in SELECT_ANSWERS[lang]]
        pool = [
            {"track_id": track_ids[c], "path": str(tracks[c]),
             "tokens": format_codes(np.array([i, i + 1]), "a")}
            for i, c in enumerate(POOLS[lang])
        ]  # fmt: skip
        reference = next(track for track in pool if track["track_id"] == track_ids["calm"])
        answer = dict(reference)
        meta["music_pool"] = pool
        value = reference["tokens"]
    meta["candidates"] = shown
    meta["answer"] = answer
    typed = [
        Candidate(Clip(c["source_id"], c["start"], c["end"]), c["tokens"], c["text"]) for c in shown
    ]
    count = len(answer["indices"]) if task == "select" else None
    system, human = build_prompt(task, product, Script(tuple(script)), typed, lang, count=count)
    return {
        "conversations": [
            {"from": "human", "value": human},
            {"from": "gpt", "value": format_answer(task, value)},
        ],
        "system": system,
        "task": task,
        "lang": lang,
        "ad_id": f"ad-{lang}",
        "meta": meta,
    }


def table(text: str) -> list[list[str]]:
    """The first Markdown table of ``text`` as rows of cells (header first, rule dropped)."""
    rows = []
    for line in text.splitlines():
        if line.startswith("| "):
            rows.append([cell.strip() for cell in line.strip("|").split(" | ")])
        elif rows:
            break
    return [rows[0], *rows[2:]]
