"""Training data: the corpus readers, tokenised examples, packing, batches and their order.

Readers follow docs/notes on the corpus formats (``autocut dataset build``): the alignment
corpus is JSONL with a ``text`` per ad, the SFT corpus JSONL in ShareGPT form
(``conversations`` of ``human``/``gpt`` turns plus ``system``). A bad line is an
:class:`~autocut_core.errors.InputError` naming the file and line.

Every example carries ``position_ids`` that restart at 0 where a document starts. Batches are
passed to the model with these and without an attention mask: transformers then builds a
block-diagonal causal mask (sdpa/eager) or uses variable-length kernels (flash attention), so
a packed document never attends to its neighbours, and right padding is a "document" of its
own that nothing real attends to. The label of the first token of every document is -100, so
a packed row's loss is exactly the sum of its documents' losses.

Order: each epoch is a seeded permutation of the examples, wrapped around to a whole number of
global batches (batch size x gradient accumulation x processes); optimizer step ``s`` of epoch
``e`` always sees the same examples, which is what makes a resumed run exact.
"""

from __future__ import annotations

import bisect
import json
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

from autocut_plugins.lm.chat import (
    ROLES,
    Conversation,
    conversation_segments,
    end_of_turn,
)

from autocut_core.errors import InputError

if TYPE_CHECKING:
    import torch

IGNORE = -100


@dataclass
class Example:
    """One training row: token ids, labels (-100 = no loss) and per-document positions."""

    input_ids: list[int]
    labels: list[int]
    position_ids: list[int]

    def __len__(self) -> int:
        return len(self.input_ids)


@dataclass
class CorpusStats:
    """What encoding did to a corpus (printed in the run summary)."""

    records: int = 0
    examples: int = 0
    tokens: int = 0
    label_tokens: int = 0
    truncated: int = 0
    extra: dict[str, Any] = field(default_factory=dict)


# -- reading ------------------------------------------------------------------------------


def read_jsonl(path: Path) -> Iterator[tuple[int, dict[str, Any]]]:
    """(line number, object) for each non-blank line; InputError naming file:line otherwise."""
    path = Path(path)
    if not path.is_file():
        raise InputError(
            f"{path}: no such file. Build the corpora with `autocut dataset build ADS_DIR -o data/`."
        )
    with open(path, encoding="utf-8") as handle:
        for number, line in enumerate(handle, start=1):
            if not line.strip():
                continue
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise InputError(f"{path}:{number}: not valid JSON ({error.msg})") from None
            if not isinstance(record, dict):
                raise InputError(f"{path}:{number}: expected a JSON object per line")
            yield number, record


def read_texts(path: Path) -> list[str]:
    """The ``text`` of every line of an alignment corpus."""
    texts = []
    for number, record in read_jsonl(path):
        text = record.get("text")
        if not isinstance(text, str) or not text:
            raise InputError(f"{path}:{number}: needs a non-empty string field 'text'")
        texts.append(text)
    if not texts:
        raise InputError(f"{path}: the corpus is empty")
    return texts


def read_conversations(path: Path) -> list[Conversation]:
    """ShareGPT records: ``conversations`` alternating human/gpt, ending with gpt; ``system``."""
    conversations = []
    for number, record in read_jsonl(path):
        where = f"{path}:{number}"
        turns_data = record.get("conversations")
        if not isinstance(turns_data, list) or not turns_data:
            raise InputError(f"{where}: needs a non-empty list 'conversations'")
        system = record.get("system")
        if system is not None and not isinstance(system, str):
            raise InputError(f"{where}: 'system' must be a string")
        turns: list[tuple[str, str]] = []
        for index, turn in enumerate(turns_data):
            if not isinstance(turn, dict) or not isinstance(turn.get("value"), str):
                raise InputError(
                    f"{where}: conversations[{index}] needs 'from' and a string 'value'"
                )
            role = ROLES.get(str(turn.get("from")))
            if role is None:
                raise InputError(
                    f"{where}: conversations[{index}] has 'from' {turn.get('from')!r}; "
                    f"expected one of {', '.join(ROLES)}"
                )
            if role == "system":
                if index:
                    raise InputError(f"{where}: a system turn may only come first")
                system = turn["value"]
                continue
            expected = "user" if len(turns) % 2 == 0 else "assistant"
            if role != expected:
                raise InputError(
                    f"{where}: conversations[{index}] is a {role} turn where a {expected} turn "
                    "belongs (turns alternate human, gpt, ...)"
                )
            turns.append((role, turn["value"]))
        if not turns or turns[-1][0] != "assistant":
            raise InputError(f"{where}: the conversation must end with a gpt turn")
        conversations.append(Conversation(system or None, tuple(turns)))
    if not conversations:
        raise InputError(f"{path}: the corpus is empty")
    return conversations


# -- encoding ------------------------------------------------------------------------------


def document_positions(starts: Sequence[bool]) -> list[int]:
    """Positions that restart at 0 wherever ``starts`` is True (and at index 0)."""
    positions, current = [], 0
    for index, start in enumerate(starts):
        current = 0 if start or index == 0 else current + 1
        positions.append(current)
    return positions


def _document(ids: list[int], labels: list[int] | None = None) -> Example:
    labels = list(ids) if labels is None else labels
    if labels:
        labels[0] = IGNORE  # nothing in the row predicts a document's first token
    return Example(list(ids), labels, list(range(len(ids))))


def encode_alignment(
    texts: Sequence[str], tokenizer: Any, cutoff: int, packing: bool
) -> tuple[list[Example], CorpusStats]:
    """Next-token examples over the whole text (EOS appended per ad).

    Packing concatenates the ads and cuts the stream into rows of ``cutoff`` tokens (an ad cut
    at a row end goes on in the next row, where its positions restart); without packing each
    ad is one row, cut at ``cutoff``.
    """
    stats = CorpusStats(records=len(texts))
    encoded = tokenizer(list(texts), add_special_tokens=False)["input_ids"]
    eos = tokenizer.eos_token_id
    documents = [list(ids) + ([eos] if eos is not None else []) for ids in encoded]
    if not packing:
        examples = []
        for ids in documents:
            stats.truncated += len(ids) > cutoff
            examples.append(_document(ids[:cutoff]))
    else:
        flat_ids: list[int] = []
        starts: list[bool] = []
        for ids in documents:
            flat_ids.extend(ids)
            starts.extend([True] + [False] * (len(ids) - 1))
        stats.truncated = sum(len(ids) > cutoff for ids in documents)  # split across rows
        examples = []
        for begin in range(0, len(flat_ids), cutoff):
            ids = flat_ids[begin : begin + cutoff]
            row_starts = starts[begin : begin + cutoff]
            labels = [
                IGNORE if start else token for token, start in zip(ids, row_starts, strict=True)
            ]
            examples.append(Example(ids, labels, document_positions(row_starts)))
        stats.extra["rows"] = len(examples)
    return examples, _finish(stats, examples)


def infer_seqlen(source_len: int, target_len: int, cutoff: int) -> tuple[int, int]:
    """How much of a prompt and an answer fit in ``cutoff`` tokens (LLaMA-Factory's rule).

    A short answer (under half the cutoff) is kept whole and the prompt cut at its end; a
    short prompt is kept whole and the answer cut; otherwise both shrink in proportion.
    """
    if target_len * 2 < cutoff:
        max_target = cutoff
    elif source_len * 2 < cutoff:
        max_target = cutoff - source_len
    else:
        max_target = int(cutoff * (target_len / (source_len + target_len)))
    new_target = min(max_target, target_len)
    new_source = min(max(cutoff - new_target, 0), source_len)
    return new_source, new_target


def encode_conversation(
    tokenizer: Any, conversation: Conversation, cutoff: int, eot: Any
) -> tuple[Example, bool]:
    """One SFT example (labels only on the answers and their end-of-turn); was it cut?"""
    ids: list[int] = []
    labels: list[int] = []
    budget, cut = cutoff, False
    for prompt, answer in conversation_segments(tokenizer, conversation, eot):
        if budget <= 0:
            cut = True
            break
        source_len, target_len = infer_seqlen(len(prompt), len(answer), budget)
        cut = cut or source_len < len(prompt) or target_len < len(answer)
        ids += prompt[:source_len] + answer[:target_len]
        labels += [IGNORE] * source_len + answer[:target_len]
        budget -= source_len + target_len
    return Example(ids, labels, list(range(len(ids)))), cut


def encode_sft(
    conversations: Sequence[Conversation], tokenizer: Any, cutoff: int, packing: bool
) -> tuple[list[Example], CorpusStats]:
    """Examples for SFT: the chat template applied, loss on the responses only."""
    stats = CorpusStats(records=len(conversations))
    eot = end_of_turn(tokenizer)
    examples = []
    for conversation in conversations:
        example, cut = encode_conversation(tokenizer, conversation, cutoff, eot)
        stats.truncated += cut
        if any(label != IGNORE for label in example.labels):
            examples.append(example)
    stats.extra["dropped_without_answer"] = len(conversations) - len(examples)
    if not examples:
        raise InputError("No SFT example keeps any answer token after the cutoff; raise --cutoff.")
    if packing:
        examples = pack(examples, cutoff)
        stats.extra["rows"] = len(examples)
    return examples, _finish(stats, examples)


def pack(examples: Sequence[Example], cutoff: int) -> list[Example]:
    """Whole examples into rows of at most ``cutoff`` tokens (best fit, longest first)."""
    order = sorted(range(len(examples)), key=lambda i: (-len(examples[i]), i))
    rows: list[list[int]] = []
    free: list[tuple[int, int]] = []  # (room left, row index), sorted
    for index in order:
        size = len(examples[index])
        slot = bisect.bisect_left(free, (size, -1))
        if slot < len(free):
            room, row = free.pop(slot)
            rows[row].append(index)
            bisect.insort(free, (room - size, row))
        else:
            rows.append([index])
            bisect.insort(free, (cutoff - size, len(rows) - 1))
    packed = []
    for members in rows:
        ids, labels, positions = [], [], []
        for index in members:
            example = examples[index]
            ids += example.input_ids
            labels += [IGNORE, *example.labels[1:]]
            positions += example.position_ids
        packed.append(Example(ids, labels, positions))
    return packed


def _finish(stats: CorpusStats, examples: Sequence[Example]) -> CorpusStats:
    stats.examples = len(examples)
    stats.tokens = sum(len(example) for example in examples)
    stats.label_tokens = sum(
        sum(label != IGNORE for label in example.labels[1:]) for example in examples
    )
    return stats


# -- batches ------------------------------------------------------------------------------


def collate(examples: Sequence[Example], pad_id: int) -> dict[str, torch.Tensor]:
    """Right-padded tensors; the padding gets its own positions so no real token sees it."""
    import torch

    width = max(len(example) for example in examples)
    ids = torch.full((len(examples), width), pad_id, dtype=torch.long)
    labels = torch.full((len(examples), width), IGNORE, dtype=torch.long)
    positions = torch.zeros((len(examples), width), dtype=torch.long)
    for row, example in enumerate(examples):
        size = len(example)
        ids[row, :size] = torch.tensor(example.input_ids)
        labels[row, :size] = torch.tensor(example.labels)
        positions[row, :size] = torch.tensor(example.position_ids)
        positions[row, size:] = torch.arange(width - size)
    return {"input_ids": ids, "labels": labels, "position_ids": positions}


@dataclass(frozen=True)
class Schedule:
    """Which examples each process sees at each optimizer step (deterministic, seeded)."""

    examples: int
    batch_size: int
    grad_accum: int
    world: int
    seed: int

    @property
    def global_batch(self) -> int:
        return self.batch_size * self.grad_accum * self.world

    @property
    def steps_per_epoch(self) -> int:
        return -(-self.examples // self.global_batch)

    def order(self, epoch: int) -> list[int]:
        """Epoch ``epoch``'s permutation, wrapped around to whole global batches."""
        import numpy as np

        permutation = np.random.default_rng([self.seed, epoch]).permutation(self.examples).tolist()
        needed = self.steps_per_epoch * self.global_batch
        while len(permutation) < needed:
            permutation += permutation[: needed - len(permutation)]
        return permutation

    def micro_batches(self, order: list[int], step: int, rank: int) -> list[list[int]]:
        """The ``grad_accum`` micro-batches (example indices) of ``rank`` at ``step``."""
        start = step * self.global_batch
        batches = []
        for micro in range(self.grad_accum):
            offset = start + (micro * self.world + rank) * self.batch_size
            batches.append(order[offset : offset + self.batch_size])
        return batches
