"""Chat prompts: the one place that turns (system, turns) into token ids, for training and generation.

Training and generation must agree token for token, so both call :func:`prompt_text` (the
tokenizer's chat template with ``add_generation_prompt=True`` and ``enable_thinking=False``:
Qwen3's template then writes the empty ``<think></think>`` block into the prompt, and the model
learns to answer directly) and tokenise it with :func:`encode_text`. The answer is tokenised on
its own and followed by the template's end-of-turn token (``<|im_end|>`` for ChatML), which is
what generation stops on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from autocut_core.errors import InputError

#: ShareGPT ``from`` values -> chat-template roles.
ROLES = {
    "human": "user",
    "user": "user",
    "gpt": "assistant",
    "assistant": "assistant",
    "system": "system",
}
_PROBE_QUESTION = "q"
_PROBE_ANSWER = "PROBEANSWER"


@dataclass(frozen=True)
class Conversation:
    """One SFT record: an optional system prompt and alternating user/assistant turns."""

    system: str | None
    turns: tuple[tuple[str, str], ...]  # (role "user"|"assistant", content)


def messages(system: str | None, turns: Sequence[tuple[str, str]]) -> list[dict[str, str]]:
    head = [{"role": "system", "content": system}] if system else []
    return head + [{"role": role, "content": content} for role, content in turns]


def prompt_text(tokenizer: Any, system: str | None, turns: Sequence[tuple[str, str]]) -> str:
    """The chat template up to and including the assistant header (what the model continues)."""
    return tokenizer.apply_chat_template(
        messages(system, turns), tokenize=False, add_generation_prompt=True, enable_thinking=False
    )


def encode_text(tokenizer: Any, text: str) -> list[int]:
    """Token ids of ``text`` without the tokenizer's own BOS/EOS (templates write their own)."""
    return list(tokenizer(text, add_special_tokens=False)["input_ids"])


def prompt_ids(tokenizer: Any, system: str | None, user: str) -> list[int]:
    """Ids of a one-turn prompt, exactly as the SFT examples start: what generation feeds."""
    return encode_text(tokenizer, prompt_text(tokenizer, system, [("user", user)]))


@dataclass(frozen=True)
class EndOfTurn:
    token_id: int
    text: str


def end_of_turn(tokenizer: Any) -> EndOfTurn:
    """The token the template writes right after an assistant answer (ChatML: ``<|im_end|>``).

    Found by rendering a probe conversation, so it works for any template whose answer is
    followed by one closing token; without one, the tokenizer's EOS.
    """
    turns = [("user", _PROBE_QUESTION)]
    prompt = prompt_text(tokenizer, None, turns)
    full = tokenizer.apply_chat_template(
        messages(None, [*turns, ("assistant", _PROBE_ANSWER)]),
        tokenize=False,
        enable_thinking=False,
    )
    if not full.startswith(prompt + _PROBE_ANSWER):
        raise InputError(
            "The tokenizer's chat template renders an assistant answer differently from its "
            "generation prompt; AutoCut cannot tell which tokens are the answer. Use a model "
            "with a ChatML-like template."
        )
    suffix_ids = encode_text(tokenizer, full[len(prompt) + len(_PROBE_ANSWER) :])
    if suffix_ids:
        token_id = suffix_ids[0]
    elif tokenizer.eos_token_id is not None:
        token_id = tokenizer.eos_token_id
    else:
        raise InputError("The chat template writes nothing after an answer and there is no EOS.")
    return EndOfTurn(token_id, tokenizer.decode([token_id]))


def conversation_segments(
    tokenizer: Any, conversation: Conversation, eot: EndOfTurn
) -> list[tuple[list[int], list[int]]]:
    """(prompt ids, answer ids + end-of-turn) for each assistant turn, in order."""
    pairs: list[tuple[list[int], list[int]]] = []
    previous = ""
    for index, (role, content) in enumerate(conversation.turns):
        if role != "assistant":
            continue
        prompt = prompt_text(tokenizer, conversation.system, conversation.turns[:index])
        if not prompt.startswith(previous):
            raise InputError(
                "This chat template renders earlier turns differently once the conversation "
                "goes on (e.g. Qwen3 drops their <think> block); train on one-turn records."
            )
        prompt_part = encode_text(tokenizer, prompt[len(previous) :])
        answer_part = [*encode_text(tokenizer, content), eot.token_id]
        pairs.append((prompt_part, answer_part))
        previous = prompt + content + eot.text
    return pairs
