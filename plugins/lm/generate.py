"""The decoding loop of the lm backbone: greedy or sampled, constrained or free, one answer.

A hand-written loop over the model with its KV cache rather than ``model.generate()``:
tokens a constraint forces (``<|audio_start|>``, the ``, `` after an index, the end of turn)
cost no model call of their own; they are fed together with the next call, or not at all
when the answer ends with them. ``bench/bench_generation.py`` measures both against each
other (the same constraint runs inside ``generate()`` through
:class:`~autocut_plugins.lm.constrained.ConstrainedLogits`).

Log-probabilities are those of the distribution the token was chosen from: the model's
logits renormalised over the allowed ids (all ids when free), at temperature 1; a forced
token has log-probability 0.
"""

from __future__ import annotations

import copy
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import numpy as np
    import torch
    from autocut_plugins.lm.constrained import Constraint


@dataclass(frozen=True)
class Generated:
    """One answer: its ids (the end of turn left out), per-token log-probabilities, why it
    stopped (``end``: the end of turn; ``length``: ``max_new_tokens`` ran out), the number of
    model calls and the seconds it took."""

    ids: tuple[int, ...]
    logprobs: tuple[float, ...]
    stopped: str
    prompt_tokens: int
    model_calls: int
    seconds: float


def generate(
    model: Any,
    prompt_ids: Sequence[int],
    end_id: int,
    constraint: Constraint | None = None,
    *,
    max_new_tokens: int = 256,
    temperature: float = 0.0,
    generator: torch.Generator | None = None,
) -> Generated:
    """Continue ``prompt_ids`` until the end of turn (or the constraint is done).

    Free decoding (``constraint=None``) stops after ``max_new_tokens``; a constraint bounds
    its answers itself (a script through its line budget), so the cap does not apply.
    ``temperature`` 0 is greedy; above 0 tokens are sampled from ``generator``.
    """
    import torch

    started = time.perf_counter()
    device = next(model.parameters()).device
    feed = list(prompt_ids)
    ids: list[int] = []
    logprobs: list[float] = []
    past = None
    calls = 0

    def take(token: int, logprob: float) -> None:
        ids.append(token)
        logprobs.append(logprob)
        if constraint is not None:
            constraint.advance(token, logprob)

    def finished() -> bool:
        if constraint is not None:
            return constraint.done
        return bool(ids) and ids[-1] == end_id

    with torch.inference_mode():
        while True:
            feed += _forced(constraint, take)
            if finished() or (constraint is None and len(ids) >= max_new_tokens):
                break
            output = model(
                input_ids=torch.tensor([feed], device=device),
                past_key_values=past,
                use_cache=True,
                **_last_logits_only(model),
            )
            calls += 1
            past = output.past_key_values
            allowed = None if constraint is None else constraint.allowed().to(device)
            take(*_choose(output.logits[0, -1].float(), allowed, temperature, generator))
            feed = [ids[-1]]
            if finished():
                break
    stopped = "end" if finished() else "length"
    if ids and ids[-1] == end_id:
        ids.pop()
        logprobs.pop()
    return Generated(
        ids=tuple(ids),
        logprobs=tuple(logprobs),
        stopped=stopped,
        prompt_tokens=len(prompt_ids),
        model_calls=calls,
        seconds=time.perf_counter() - started,
    )


def _last_logits_only(model: Any) -> dict[str, int]:
    """``logits_to_keep=1`` where the model takes it: the prompt's other positions need no
    logits, and on a 49k vocabulary computing them costs ~10 % of a prefill. An unmerged
    LoRA (peft) passes the argument on to the model it wraps."""
    import inspect

    inner = model.get_base_model() if hasattr(model, "get_base_model") else model
    forward = getattr(inner, "forward", None)
    if forward is None or "logits_to_keep" in inspect.signature(forward).parameters:
        return {"logits_to_keep": 1}
    return {}


def _forced(constraint: Constraint | None, take: Any) -> list[int]:
    """Take the tokens the constraint allows alone (no model call needed); return them."""
    forced: list[int] = []
    while constraint is not None and not constraint.done:
        allowed = constraint.allowed()
        if len(allowed) != 1:
            break
        forced.append(int(allowed[0]))
        take(forced[-1], 0.0)
    return forced


def _choose(
    logits: torch.Tensor,
    allowed: torch.Tensor | None,
    temperature: float,
    generator: torch.Generator | None,
) -> tuple[int, float]:
    """The next token among ``allowed`` (all when None) and its log-probability."""
    import torch

    choices = logits if allowed is None else logits[allowed]
    if temperature > 0:
        probs = torch.softmax(choices / temperature, dim=-1)
        pick = int(torch.multinomial(probs.cpu(), 1, generator=generator))
    else:
        pick = int(torch.argmax(choices))
    logprob = float(torch.log_softmax(choices, dim=-1)[pick])
    return (pick if allowed is None else int(allowed[pick])), logprob


def code_logprobs(
    model: Any,
    prompt_ids: Sequence[int],
    start_id: int,
    head_ids: Sequence[torch.Tensor],
    codes: np.ndarray,
    chunk: int = 32,
) -> list[float]:
    """log p(codes | prompt, start) of each row of ``codes`` ``[n, heads]``, teacher-forced.

    Each head's distribution is renormalised over that head's code tokens (``head_ids[h]``),
    as :class:`~autocut_plugins.lm.constrained.CodesAnswer` decodes: the score of a track is
    the log-probability that constrained decoding writes exactly its codes.
    """
    import numpy as np

    rows = np.asarray(codes, dtype=np.int64)
    heads = len(head_ids)
    if rows.ndim != 2 or rows.shape[1] != heads:
        raise ValueError(f"codes must be [n, {heads}], got {rows.shape}")
    continuations = [[int(head_ids[h][row[h]]) for h in range(heads)] for row in rows]
    scored = continuation_logprobs(model, [*prompt_ids, start_id], continuations, head_ids, chunk)
    return [total for total, _ in scored]


def continuation_logprobs(
    model: Any,
    prompt_ids: Sequence[int],
    continuations: Sequence[Sequence[int]],
    groups: Sequence[torch.Tensor],
    chunk: int = 32,
) -> list[tuple[float, int]]:
    """For each continuation, teacher-forced after the prompt: the summed log-probability of
    its scored tokens and how many it has.

    A token of one of ``groups`` (the code tokens of one head) is scored against its group
    only, renormalised as constrained decoding would choose it; any other token (a marker
    such as ``<|frame_start|>``) is fed but not scored. The prompt runs once; its cache is
    copied for each chunk of continuations, which are right-padded (a causal model never lets
    a padding token change the positions before it).
    """
    import torch

    device = next(model.parameters()).device
    groups = [ids.to(device) for ids in groups]
    where = {int(token): (g, p) for g, ids in enumerate(groups) for p, token in enumerate(ids)}
    results: list[tuple[float, int]] = []
    with torch.inference_mode():
        output = model(
            input_ids=torch.tensor([list(prompt_ids)], device=device),
            use_cache=True,
            **_last_logits_only(model),
        )
        first = output.logits[0, -1].float()
        for begin in range(0, len(continuations), chunk):
            batch = [list(c) for c in continuations[begin : begin + chunk]]
            longest = max((len(c) for c in batch), default=0)
            logits = first.expand(len(batch), 1, -1)
            if longest > 1:
                pad = int(prompt_ids[-1])
                padded = [c[:-1] + [pad] * (longest - max(len(c), 1)) for c in batch]
                past = copy.deepcopy(output.past_key_values)
                past.batch_repeat_interleave(len(batch))
                following = model(
                    input_ids=torch.tensor(padded, device=device),
                    past_key_values=past,
                    use_cache=True,
                ).logits.float()
                logits = torch.cat([logits, following], dim=1)
            for row, tokens in enumerate(batch):
                total, count = 0.0, 0
                for position, token in enumerate(tokens):
                    if token not in where:
                        continue
                    group, index = where[token]
                    scores = torch.log_softmax(logits[row, position][groups[group]], dim=-1)
                    total += float(scores[index])
                    count += 1
                results.append((total, count))
    return results
