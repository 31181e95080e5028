"""Three hand-made ads (English, Chinese, one without music) for the record-format tests."""

from __future__ import annotations

from pathlib import Path

from autocut_core.dataset.discovery import AdFiles
from autocut_core.dataset.records import Ad, AdClip
from autocut_core.types import Product


def _ad(ad_id: str, lang: str, texts: list[str], music: bool, group: str) -> Ad:
    clips = [
        AdClip(
            text,
            1.5 * i,
            1.5 * i + 1.25,
            (i,),
            f"<|frame_start|><v_0_{i}><v_1_{i + 1}><|frame_end|>",
        )
        for i, text in enumerate(texts)
    ]
    return Ad(
        files=AdFiles(ad_id=ad_id, video=Path(f"/ads/{ad_id}.mp4")),
        product=Product(
            name=f"{ad_id} product", brand="Brand", category="drinks",
            selling_points=("fresh", "cold"), description="A drink.",
        ),
        sentences=tuple(texts),
        language=lang,
        duration=1.5 * len(texts),
        source_id=f"src{ad_id}",
        source_path=f"/ads/{ad_id}.mp4",
        track_id=f"trk_{ad_id}" if music else "",
        bgm_path=f"/ads/{ad_id}.mp3" if music else "",
        bgm_tokens="<a_0_3><a_1_4>" if music else "",
        clips=clips,
        status="sft",
        split="train",
        group=group,
    )  # fmt: skip


def golden_ads() -> list[Ad]:
    return [
        _ad("en1", "en", ["Fresh every morning.", "Cold and sweet.", "Order today."], True, "g1"),
        _ad("zh1", "zh", ["每天早上新鲜橙子", "冰爽清甜 Juice"], True, "g2"),
        _ad("en2", "en", ["No music here.", "Just clips."], False, "g3"),
    ]
