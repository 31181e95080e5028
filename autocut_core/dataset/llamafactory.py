"""``dataset_info.json``: the corpora as LLaMA-Factory datasets.

LLaMA-Factory reads a ``dataset_info.json`` in its ``dataset_dir`` that names each file and
its layout (hiyouga/LLaMA-Factory, data/README.md): the SFT files are ``sharegpt``-formatted
with the messages in ``conversations`` and the system prompt in ``system``; the alignment
files are pre-training text whose ``prompt`` column is ``text``. With
``dataset_dir: DIR`` the names below work as ``dataset: autocut_sft_train`` (``stage: sft``)
and ``dataset: autocut_align_train`` (``stage: pt``).

The ``reference`` profile writes what the reference implementation's LLaMA-Factory configs
read as they are: its SFT config (``llm_factory_test/sft_emb_H800_mz.yaml``) trains on
``dataset: sft_1109_train`` with ``eval_dataset: sft_1109_eval``, its pre-training config
(``pt_emb_H800.yaml``) on ``pt_831_train``/``pt_831_eval``, so those are the names. Its SFT
files are JSON arrays of ``{"conversations", "system", "tools"}`` (``system`` and ``tools``
empty), as its generator writes them: no other column, so LLaMA-Factory's loader sees
exactly the reference's records. The full records, with the ``meta`` that `autocut eval`
reads, stay in ``sft/{train,val}.jsonl``.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

SHAREGPT_TAGS = {
    "role_tag": "from",
    "content_tag": "value",
    "user_tag": "human",
    "assistant_tag": "gpt",
}
#: Reference profile: LLaMA-Factory dataset name -> (file, our split).
REFERENCE_SFT = {
    "sft_1109_train": ("llamafactory/sft_1109_train.json", "train"),
    "sft_1109_eval": ("llamafactory/sft_1109_eval.json", "val"),
}
REFERENCE_PT = {"pt_831_train": "align/train.jsonl", "pt_831_eval": "align/val.jsonl"}


def dataset_info(profile: str = "autocut", prefix: str = "autocut") -> dict[str, Any]:
    """The ``dataset_info.json`` of a corpus built in ``profile``."""
    if profile == "reference":
        return _reference_info()
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


def _reference_info() -> dict[str, Any]:
    info: dict[str, Any] = {}
    for name, (file_name, _) in REFERENCE_SFT.items():
        info[name] = {
            "file_name": file_name,
            "formatting": "sharegpt",
            "columns": {"messages": "conversations", "system": "system", "tools": "tools"},
            "tags": dict(SHAREGPT_TAGS),
        }
    for name, file_name in REFERENCE_PT.items():
        info[name] = {"file_name": file_name, "columns": {"prompt": "text"}}
    return info


def llamafactory_files(
    profile: str, sft: Mapping[str, Sequence[Mapping[str, Any]]]
) -> dict[str, str]:
    """Extra files a profile's LLaMA-Factory setup reads (path relative to the corpus ->
    text); ``sft`` is the SFT records per split. None for the ``autocut`` profile, whose
    ``sft/*.jsonl`` LLaMA-Factory reads directly."""
    if profile != "reference":
        return {}
    files = {}
    for file_name, split in REFERENCE_SFT.values():
        rows = [
            {"conversations": record["conversations"], "system": record["system"], "tools": ""}
            for record in sft[split]
        ]
        files[file_name] = json.dumps(rows, ensure_ascii=False, indent=2) + "\n"
    return files
