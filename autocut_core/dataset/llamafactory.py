"""``dataset_info.json``: the corpora as LLaMA-Factory datasets.

LLaMA-Factory reads a ``dataset_info.json`` in its ``dataset_dir`` that names each file and
its layout (hiyouga/LLaMA-Factory, data/README.md): the SFT files are ``sharegpt``-formatted
with the messages in ``conversations`` and the system prompt in ``system``; the alignment
files are pre-training text whose ``prompt`` column is ``text``. With
``dataset_dir: DIR`` the names below work as ``dataset: autocut_sft_train`` (``stage: sft``)
and ``dataset: autocut_align_train`` (``stage: pt``).
"""

from __future__ import annotations

from typing import Any

SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
}


def dataset_info(prefix: str = "autocut") -> dict[str, Any]:
    info: dict[str, Any] = {}
    for split in ("train", "val"):
        info[f"{prefix}_sft_{split}"] = {
            "file_name": f"sft/{split}.jsonl",
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system"},
            "tags": dict(SHAREGPT_TAGS),
        }
    for split in ("train", "val"):
        info[f"{prefix}_align_{split}"] = {
            "file_name": f"align/{split}.jsonl",
            "columns": {"prompt": "text"},
        }
    return info
