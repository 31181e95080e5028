"""The training loop (both stages) on ``accelerate``: our own loop, so resuming is exact.

One optimizer step = ``grad_accum`` micro-batches of ``batch_size`` examples on every
process. The loss is the mean over every label token of the global batch (all micro-batches,
all processes), not a mean of per-batch means, so examples of different lengths weigh by
their tokens whatever the batch layout. AdamW, a cosine learning rate with linear warm-up,
gradient clipping; bf16 autocast where asked (default: where the GPU supports it).

Processes: started by ``torchrun`` / ``accelerate launch`` (DDP; gloo on CPUs, NCCL on GPUs)
each process reads and encodes the corpus itself and takes its share of every global batch
(:class:`~.data.Schedule`). The main process writes the run folder. DeepSpeed (ZeRO-2, see
``configs/ds_zero2.json``) goes through accelerate's DeepSpeed plugin; its engine then does
the accumulation, clipping and sharded checkpoints.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import math
import random
import shutil
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_plugins.lm import checkpoint
from autocut_plugins.lm.config import TrainConfig, file_digest
from autocut_plugins.lm.data import IGNORE, CorpusStats, Example, Schedule, collate
from autocut_plugins.lm.modeling import passive_omp

from autocut_core.editing.profiles import corpus_profile
from autocut_core.errors import InputError
from autocut_core.fsutil import atomic_write_text

CONFIG_FILE = "config.json"
SUMMARY_FILE = "summary.json"
RANKS_DIR = "ranks"
KEEP_CHECKPOINTS = 2


def lr_factor(step: int, total: int, warmup: int) -> float:
    """Linear warm-up over ``warmup`` steps (the first step already moves), then cosine to 0."""
    if step < warmup:
        return (step + 1) / warmup
    progress = (step - warmup) / max(1, total - warmup)
    return max(0.0, 0.5 * (1.0 + math.cos(math.pi * min(1.0, progress))))


def loss_sum(logits: Any, labels: Any) -> tuple[Any, Any]:
    """Summed next-token cross-entropy over the labelled positions, and their count."""
    import torch.nn.functional as F

    targets = labels[:, 1:]
    flat = logits[:, :-1].float().reshape(-1, logits.shape[-1])
    total = F.cross_entropy(flat, targets.reshape(-1), ignore_index=IGNORE, reduction="sum")
    return total, (targets != IGNORE).sum()


def forward(model: Any, batch: dict[str, Any], device: Any) -> Any:
    """Logits for a batch from :func:`.data.collate` (no attention mask: see :mod:`.data`)."""
    return model(
        input_ids=batch["input_ids"].to(device),
        position_ids=batch["position_ids"].to(device),
        use_cache=False,
    ).logits


def parameter_digest(model: Any) -> str:
    """SHA-256 over the trainable parameters (by name): equal on every process after DDP."""
    digest = hashlib.sha256()
    for name, parameter in sorted(model.named_parameters()):
        if parameter.requires_grad:
            digest.update(name.encode())
            digest.update(parameter.detach().float().cpu().contiguous().numpy().tobytes())
    return digest.hexdigest()


@dataclass
class Session:
    """Everything one run holds while it trains (set up once, then advanced step by step)."""

    start: Any  # start.Start: base reference, base rows, token grids
    tokenizer: Any
    wrapped: Any  # the model as accelerate prepared it (DDP-wrapped under several processes)
    model: Any  # the same model unwrapped
    optimizer: Any
    train_examples: list[Example]
    train_stats: CorpusStats
    val_examples: list[Example]
    val_stats: CorpusStats | None
    pad_id: int
    schedule: Schedule
    total_steps: int
    warmup: int
    expected: dict[str, Any]  # what a checkpoint must match to be resumed
    log: Any
    load_seconds: float
    trainable: int
    step: int = 0
    trained_seconds: float = 0.0
    tokens_seen: int = 0
    first_val: float | None = None
    stopped: bool = False


class Trainer:
    """One run: built from a :class:`TrainConfig`, :meth:`run` trains and writes the artefact."""

    def __init__(self, config: TrainConfig):
        passive_omp()
        import torch
        from accelerate import Accelerator

        self.config = config
        self.run_dir = Path(config.output)
        bf16 = config.bf16
        if bf16 is None:
            bf16 = torch.cuda.is_available() and torch.cuda.is_bf16_supported()
        self.bf16 = bool(bf16)
        # Mixed precision is our own autocast, not accelerate's: accelerate fixes it once per
        # process, and a process may run several trainings (tests, notebooks, benchmarks).
        self.accelerator = Accelerator(cpu=not torch.cuda.is_available())
        self.deepspeed = self.accelerator.state.deepspeed_plugin is not None
        if self.deepspeed:
            self._configure_deepspeed()
        self.main = self.accelerator.is_main_process
        self.model: Any = None
        self.tokenizer: Any = None
        self.rank = self.accelerator.process_index
        self.world = self.accelerator.num_processes

    # -- set-up ---------------------------------------------------------------------------

    def _autocast(self) -> Any:
        """bf16 autocast when asked; under DeepSpeed its engine owns the precision instead
        (``accelerate launch --mixed_precision bf16`` with the ``"auto"`` bf16 of the config)."""
        import torch

        enabled = self.bf16 and not self.deepspeed
        return torch.autocast(self.accelerator.device.type, dtype=torch.bfloat16, enabled=enabled)

    def _configure_deepspeed(self) -> None:
        """Fill the ZeRO config's "auto" batch fields: no data loader goes through prepare()."""
        ds = self.accelerator.state.deepspeed_plugin.deepspeed_config
        config = self.config
        ds["train_micro_batch_size_per_gpu"] = config.batch_size
        ds["gradient_accumulation_steps"] = config.grad_accum
        ds["train_batch_size"] = (
            config.batch_size * config.grad_accum * self.accelerator.num_processes
        )
        ds["gradient_clipping"] = config.max_grad_norm

    def _prepare_folder(self) -> Path | None:
        """Check the run folder; the checkpoint to resume from (None: a fresh start)."""
        config, run = self.config, self.run_dir
        written = run / CONFIG_FILE
        if not config.resume:
            if written.exists():
                raise InputError(
                    f"{run} already holds a run. Pass --resume to continue it, or choose "
                    "another --output folder."
                )
            return None
        latest = checkpoint.latest(run)
        if latest is None and (run / "artefact").exists():
            raise InputError(f"{run}: the run has finished; there is nothing to resume.")
        return latest

    def _data_identity(self) -> dict[str, Any]:
        config = self.config
        identity = {"train": file_digest(config.data)}
        if config.val is not None:
            identity["val"] = file_digest(config.val)
        if config.parent is not None:
            from autocut_plugins.lm.artefact import INFO_FILE, artefact_folder

            identity["parent"] = file_digest(artefact_folder(config.parent) / INFO_FILE)
        return identity

    def _encode(self, tokenizer: Any, path: Path) -> tuple[list[Example], CorpusStats]:
        from autocut_plugins.lm import data

        config = self.config
        if config.stage == "align":
            return data.encode_alignment(
                data.read_texts(path), tokenizer, config.cutoff, config.packing
            )
        return data.encode_sft(
            data.read_conversations(path), tokenizer, config.cutoff, config.packing
        )

    def _optimizer(self, model: Any) -> Any:
        import torch

        decay: list[Any] = []
        no_decay: list[Any] = []
        for name, parameter in model.named_parameters():
            if not parameter.requires_grad:
                continue
            is_matrix = parameter.ndim >= 2 and "norm" not in name
            (decay if is_matrix else no_decay).append(parameter)
        if not decay and not no_decay:
            raise InputError("Nothing to train: every parameter is frozen.")
        groups = [
            {"params": decay, "weight_decay": self.config.weight_decay},
            {"params": no_decay, "weight_decay": 0.0},
        ]
        return torch.optim.AdamW([g for g in groups if g["params"]], lr=self.config.lr)

    # -- the run --------------------------------------------------------------------------

    def run(self) -> dict[str, Any] | None:
        """Train; return the summary on the main process (None on the others)."""
        resume_from = self._prepare_folder()
        self.accelerator.wait_for_everyone()
        if self.main:
            self.run_dir.mkdir(parents=True, exist_ok=True)
            config_json = self.config.model_dump_json(indent=2) + "\n"
            atomic_write_text(self.run_dir / CONFIG_FILE, config_json)
        session = self._setup()
        if resume_from is not None:
            self._resume(session, resume_from)
        session.log.restart(session.step)
        if session.step == 0 and session.val_examples:
            session.first_val = self._evaluate(session.model, session.val_examples, session.pad_id)
            session.log.add({"step": 0, "epoch": 0.0, "split": "val", "loss": session.first_val})
        self._loop(session)
        session.log.close()
        return self._finish(session)

    def _setup(self) -> Session:
        """Seeds, the starting model, the encoded corpora, the trainable model and its optimizer."""
        import numpy as np
        import torch
        from autocut_plugins.lm.runlog import RunLog
        from autocut_plugins.lm.start import enable_checkpointing, prepare_trainable, starting_model

        config, accelerator = self.config, self.accelerator
        torch.manual_seed(config.seed)
        random.seed(config.seed)
        np.random.seed(config.seed)
        load_started = time.perf_counter()
        start = starting_model(config)
        load_seconds = time.perf_counter() - load_started
        tokenizer = start.tokenizer
        train_examples, train_stats = self._encode(tokenizer, config.data)
        val_examples, val_stats = (
            ([], None) if config.val is None else self._encode(tokenizer, config.val)
        )
        if config.init_rows == "text":
            from autocut_plugins.lm.row_init import text_informed_rows

            filled = text_informed_rows(
                start.model, tokenizer, start.base_rows, _documents(train_examples)
            )
            if self.main:
                print(
                    f"new rows from the corpus text: {filled['video']} frame codes, "
                    f"{filled['audio']} music codes",
                    file=sys.stderr,
                )
        model = prepare_trainable(start.model, config, start.base_rows)
        if config.gradient_checkpointing:
            enable_checkpointing(model)
        optimizer = self._optimizer(model)
        trainable = sum(p.numel() for p in model.parameters() if p.requires_grad)
        wrapped, optimizer = accelerator.prepare(model, optimizer)
        wrapped.train()
        unwrapped = accelerator.unwrap_model(wrapped)
        self.model, self.tokenizer = unwrapped, tokenizer  # for callers that go on using them
        schedule = Schedule(
            len(train_examples), config.batch_size, config.grad_accum, self.world, config.seed
        )
        total_steps = schedule.steps_per_epoch * config.epochs
        return Session(
            start=start, tokenizer=tokenizer, wrapped=wrapped, model=unwrapped, optimizer=optimizer,
            train_examples=train_examples, train_stats=train_stats, val_examples=val_examples,
            val_stats=val_stats,
            pad_id=tokenizer.pad_token_id if tokenizer.pad_token_id is not None else 0,
            schedule=schedule, total_steps=total_steps,
            warmup=math.ceil(config.warmup_ratio * total_steps),
            expected={"fingerprint": config.fingerprint(), "data": self._data_identity(),
                      "world_size": self.world},
            log=RunLog(self.run_dir, self.main), load_seconds=load_seconds, trainable=trainable,
        )  # fmt: skip

    def _resume(self, session: Session, folder: Path) -> None:
        state = checkpoint.read_state(folder)
        checkpoint.check_compatible(folder, state, session.expected)
        if self.deepspeed:
            self.accelerator.load_state(str(folder / "deepspeed"))
        else:
            checkpoint.load_params(folder, session.model)
            checkpoint.load_optimizer(folder, session.optimizer)
        checkpoint.load_rng(folder, self.rank)
        session.step = int(state["step"])
        session.trained_seconds = float(state["trained_seconds"])
        session.tokens_seen = int(state["tokens"])

    def _loop(self, session: Session) -> None:
        """Optimizer steps from ``session.step`` to the end (or to ``--stop-after``)."""
        config, schedule = self.config, session.schedule
        progress, task = self._progress(session.total_steps, session.step)
        with progress:
            while session.step < session.total_steps:
                epoch, in_epoch = divmod(session.step, schedule.steps_per_epoch)
                order = schedule.order(epoch)
                for position in range(in_epoch, schedule.steps_per_epoch):
                    started = time.perf_counter()
                    lr = config.lr * lr_factor(session.step, session.total_steps, session.warmup)
                    micro = schedule.micro_batches(order, position, self.rank)
                    loss, grad_norm, tokens = self._step(session, micro, lr)
                    elapsed = time.perf_counter() - started
                    session.step += 1
                    session.trained_seconds += elapsed
                    session.tokens_seen += tokens
                    step = session.step
                    if step % config.log_every == 0 or step == session.total_steps:
                        session.log.add({
                            "step": step, "epoch": round(step / schedule.steps_per_epoch, 4),
                            "split": "train", "loss": loss, "lr": lr, "grad_norm": grad_norm,
                            "tokens": tokens, "tokens_per_s": tokens / elapsed if elapsed > 0 else None,
                        })  # fmt: skip
                    status = f"epoch {epoch + 1}/{config.epochs} loss {loss:.4f}"
                    progress.update(task, advance=1, status=status)
                    end_of_epoch = position == schedule.steps_per_epoch - 1
                    if end_of_epoch and session.val_examples:
                        val = self._evaluate(session.model, session.val_examples, session.pad_id)
                        session.log.add(
                            {"step": step, "epoch": float(epoch + 1), "split": "val", "loss": val}
                        )
                    due = (config.save_steps and step % config.save_steps == 0) or (
                        config.save_steps is None and end_of_epoch
                    )
                    session.stopped = config.stop_after is not None and step >= config.stop_after
                    session.stopped = session.stopped and step < session.total_steps
                    if (due or session.stopped) and step < session.total_steps:
                        self._save_checkpoint(session)
                    if session.stopped:
                        return

    # -- one optimizer step ---------------------------------------------------------------

    def _step(
        self, session: Session, micro: list[list[int]], lr: float
    ) -> tuple[float, float | None, int]:
        """One optimizer step over this process's micro-batches: (loss, grad norm, tokens)."""
        import torch

        model, optimizer, examples = session.wrapped, session.optimizer, session.train_examples
        pad_id, device = session.pad_id, self.accelerator.device
        accelerator = self.accelerator
        batches = [collate([examples[i] for i in indices], pad_id) for indices in micro]
        counts = torch.tensor(
            [
                float(sum(int((b["labels"][:, 1:] != IGNORE).sum()) for b in batches)),
                float(sum(len(examples[i]) for indices in micro for i in indices)),
            ],
            device=device,
        )
        counts = accelerator.reduce(counts, reduction="sum")
        label_tokens = max(float(counts[0]), 1.0)
        for group in optimizer.param_groups:
            group["lr"] = lr
        summed = torch.zeros((), device=device)
        for index, batch in enumerate(batches):
            last = index == len(batches) - 1
            sync = (
                contextlib.nullcontext() if last or self.deepspeed else accelerator.no_sync(model)
            )
            with sync:
                with self._autocast():
                    logits = forward(model, batch, device)
                total, _ = loss_sum(logits, batch["labels"].to(device))
                # Each process's gradient is averaged over the processes by DDP, hence * world.
                scaled = total * self.world / label_tokens
                if self.deepspeed:
                    scaled = scaled * self.config.grad_accum  # the engine divides by it again
                accelerator.backward(scaled)
            summed += total.detach()
        grad_norm = None
        if not self.deepspeed:
            parameters = [p for p in model.parameters() if p.requires_grad]
            limit = self.config.max_grad_norm or float("inf")
            grad_norm = float(accelerator.clip_grad_norm_(parameters, limit))
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        loss = float(accelerator.reduce(summed, reduction="sum")) / label_tokens
        return loss, grad_norm, int(counts[1])

    def _evaluate(self, model: Any, examples: list[Example], pad_id: int) -> float:
        """Mean token loss over ``examples`` (each process takes a share; no collectives but one)."""
        import torch

        accelerator = self.accelerator
        device = accelerator.device
        mine = examples[self.rank :: self.world]
        totals = torch.zeros(2, device=device, dtype=torch.float64)
        model.eval()
        with torch.no_grad():
            for begin in range(0, len(mine), self.config.batch_size):
                batch = collate(mine[begin : begin + self.config.batch_size], pad_id)
                with self._autocast():
                    logits = forward(model, batch, device)
                total, count = loss_sum(logits, batch["labels"].to(device))
                totals += torch.stack([total.double(), count.double()])
        model.train()
        totals = accelerator.reduce(totals, reduction="sum")
        return float(totals[0] / totals[1].clamp(min=1))

    # -- saving ---------------------------------------------------------------------------

    def _save_checkpoint(self, session: Session) -> None:
        accelerator = self.accelerator
        step, model = session.step, session.model
        partial = checkpoint.partial_for(self.run_dir, step)
        if self.main:
            shutil.rmtree(partial, ignore_errors=True)
            partial.mkdir(parents=True)
        accelerator.wait_for_everyone()
        if self.deepspeed:
            accelerator.save_state(str(partial / "deepspeed"))
        elif self.main:
            named = {n: p for n, p in model.named_parameters() if p.requires_grad}
            checkpoint.save_params(partial, named)
            checkpoint.save_optimizer(partial, session.optimizer)
        checkpoint.save_rng(partial, self.rank)
        accelerator.wait_for_everyone()
        if self.main:
            epoch, in_epoch = divmod(step, session.schedule.steps_per_epoch)
            checkpoint.write_state(partial, {
                **session.expected, "step": step, "epoch": epoch, "step_in_epoch": in_epoch,
                "trained_seconds": session.trained_seconds, "tokens": session.tokens_seen,
            })  # fmt: skip
            final = checkpoint.folder_for(self.run_dir, step)
            shutil.rmtree(final, ignore_errors=True)
            partial.rename(final)
            checkpoint.prune(self.run_dir, KEEP_CHECKPOINTS)
        accelerator.wait_for_everyone()

    def _finish(self, session: Session) -> dict[str, Any] | None:
        """Write the artefact (unless stopped) and the summary; check the processes agree."""
        from autocut_plugins.lm import artefact
        from autocut_plugins.lm.vocab import is_tied

        accelerator, config = self.accelerator, self.config
        model, start, step, stopped = session.model, session.start, session.step, session.stopped
        ranks = self.run_dir / RANKS_DIR
        if self.main:
            ranks.mkdir(exist_ok=True)
        accelerator.wait_for_everyone()
        digest = parameter_digest(model)
        atomic_write_text(
            ranks / f"rank-{self.rank}.json", json.dumps({"rank": self.rank, "digest": digest})
        )
        artefact_dir = None
        if not stopped and self.main:
            inner = model.get_base_model() if hasattr(model, "get_base_model") else model
            info = {
                "stage": config.stage,
                "mode": config.mode,
                "base": start.base.to_data(),
                "base_rows": start.base_rows,
                "total_rows": int(inner.get_input_embeddings().weight.shape[0]),
                "tied": is_tied(inner) or bool(getattr(inner.config, "tie_word_embeddings", False)),
                "base_checksum": start.base_checksum,
                "video_codes": start.video_codes.model_dump(),
                "audio_codes": start.audio_codes.model_dump(),
                # The prompt format it learnt: the backbone asks in it (profile = "auto").
                "profile": corpus_profile(config.data),
                "parent": str(config.parent) if config.parent else None,
                "steps": step,
            }
            artefact_dir = artefact.write(self.run_dir, model, session.tokenizer, info)
            if not config.keep_checkpoints:
                shutil.rmtree(self.run_dir / checkpoint.CHECKPOINTS, ignore_errors=True)
        accelerator.wait_for_everyone()
        if not self.main:
            return None
        digests = sorted({json.loads(p.read_text())["digest"] for p in ranks.glob("rank-*.json")})
        records = session.log.records()
        train_losses = [r["loss"] for r in records if r["split"] == "train"]
        val_losses = [r["loss"] for r in records if r["split"] == "val"]
        summary = {
            "stage": config.stage,
            "mode": config.mode,
            "status": "stopped" if stopped else "finished",
            "steps": step,
            "total_steps": session.total_steps,
            "processes": self.world,
            "ranks_agree": len(digests) == 1,
            "trainable_parameters": session.trainable,
            "added_tokens": start.added_tokens,
            "base_rows": start.base_rows,
            "load_seconds": round(session.load_seconds, 2),
            "train_seconds": round(session.trained_seconds, 2),
            "tokens": session.tokens_seen,
            "tokens_per_s": (
                session.tokens_seen / session.trained_seconds
                if session.trained_seconds > 0
                else None
            ),
            "first_loss": train_losses[0] if train_losses else None,
            "last_loss": train_losses[-1] if train_losses else None,
            "first_val_loss": val_losses[0] if val_losses else session.first_val,
            "last_val_loss": val_losses[-1] if val_losses else None,
            "train_corpus": vars(session.train_stats),
            "val_corpus": vars(session.val_stats) if session.val_stats else None,
            "artefact": str(artefact_dir) if artefact_dir else None,
            "artefact_bytes": artefact.folder_bytes(artefact_dir) if artefact_dir else None,
            "bf16": self.bf16,
        }
        atomic_write_text(self.run_dir / SUMMARY_FILE, json.dumps(summary, indent=2) + "\n")
        return summary

    def _progress(self, total: int, done: int) -> tuple[Any, Any]:
        from rich.progress import TextColumn

        from autocut_core.cli import display

        status = TextColumn("{task.fields[status]}", markup=False)
        progress = display.progress_bar(
            f"train {self.config.stage}", status, transient=False, disable=not self.main
        )
        task = progress.add_task("steps", total=total, completed=done, status="")
        return progress, task


def _documents(examples: list[Example]) -> list[list[int]]:
    """The documents packed into ``examples`` (a new one starts where positions restart)."""
    documents: list[list[int]] = []
    for example in examples:
        for token, position in zip(example.input_ids, example.position_ids, strict=True):
            if position == 0:
                documents.append([])
            documents[-1].append(token)
    return documents


def train(config: TrainConfig) -> dict[str, Any] | None:
    """Run one training run; the summary (main process only)."""
    return Trainer(config).run()
