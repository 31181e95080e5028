"""Small caption-data files (docs/evaluation.md#caption-data), one English and one Chinese.

Each ad's own clips are captioned with words (English) or characters (Chinese) its script
also uses, and its distractors with nothing of the kind, so a backbone that reads captions by
word overlap alone answers every select and sort sample exactly; the clips are listed in the
file in an order that is neither the playing order nor positives first.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

EN_ADS: list[dict[str, Any]] = [
    {
        "ad_id": "en-shoe",
        "product": {"name": "Trail Runner", "brand": "Acme", "selling_points": ["light"]},
        "script": ["Light as a feather on the scale.", "Rain rolls off the waterproof upper.",
                   "Run the mountain trail all day."],
        "clips": [
            {"clip_id": "c3", "caption": "a runner on a mountain trail", "start": 4.0, "end": 6.5,
             "source": "footage/shoe.mp4"},
            {"clip_id": "d1", "caption": "a cat sleeping on a sofa", "ad_id": "en-cat"},
            {"clip_id": "c1", "caption": "a shoe on a kitchen scale, light as a feather",
             "start": 0.0, "end": 2.0, "source": "footage/shoe.mp4"},
            {"clip_id": "d2", "caption": "traffic at night in a city"},
            {"clip_id": "c2", "caption": "rain rolls off a waterproof upper", "start": 2.0,
             "end": 4.0, "source": "footage/shoe.mp4"},
            {"clip_id": "d3", "caption": "a bowl of oranges on a table"},
        ],
        "gold": {"order": ["c1", "c2", "c3"]},
    },
    {
        "ad_id": "en-juice",
        "lang": "en",
        "product": {"name": "Sunny Juice", "category": "drinks"},
        "script": ["Fresh oranges squeezed every morning.", "Served cold over ice."],
        "clips": [
            {"caption": "a glass served cold over ice"},
            {"caption": "a dog running on a beach"},
            {"caption": "fresh oranges squeezed by hand"},
        ],
        "gold": {"order": [2, 0], "selected": [0, 2]},
    },
]  # fmt: skip

ZH_ADS: list[dict[str, Any]] = [
    {
        "ad_id": "zh-tea",
        "lang": "zh",
        "product": {"name": "冷泡茶", "brand": "山岚", "selling_points": ["零糖", "冷泡"]},
        "script": ["清晨采摘嫩绿茶叶", "冰块落进透明茶杯", "零糖配方喝得安心"],
        "clips": [
            {"clip_id": "z2", "caption": "冰块落进透明的茶杯里"},
            {"clip_id": "x1", "caption": "城市夜晚的车流"},
            {"clip_id": "z3", "caption": "零糖配方的标签特写"},
            {"clip_id": "x2", "caption": "沙发上睡觉的猫"},
            {"clip_id": "z1", "caption": "清晨在茶园采摘嫩绿的茶叶"},
            {"clip_id": "x3", "caption": "球场上的篮球比赛"},
        ],
        "gold": {"order": ["z1", "z2", "z3"]},
    },
    {
        "ad_id": "zh-rice",
        "product": {"name": "东北大米", "brand": "", "selling_points": []},
        "script": ["稻田里金黄的稻穗", "一碗热气腾腾的米饭"],
        "clips": [
            {"clip_id": "r2", "caption": "热气腾腾的一碗米饭", "start": 3.0, "end": 5.0},
            {"clip_id": "r1", "caption": "金黄的稻穗在稻田里摇动", "start": 0.0, "end": 3.0},
            {"clip_id": "y1", "caption": "海边奔跑的小狗"},
        ],
        "gold": {"order": ["r1", "r2"]},
    },
]  # fmt: skip


def write_ads(path: Path, ads: list[dict[str, Any]]) -> Path:
    path.write_text(
        "".join(json.dumps(ad, ensure_ascii=False) + "\n" for ad in ads), encoding="utf-8"
    )
    return path
