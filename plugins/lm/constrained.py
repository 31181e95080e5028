"""Constrained decoding: which tokens may come next, so that every answer the model writes parses.

The model chooses freely among the tokens a constraint allows at each step (greedy or
sampled); everything else is masked out. A constraint is a small automaton over token ids:
:meth:`Constraint.allowed` lists the ids that keep the answer valid *and completable*, and
:meth:`Constraint.advance` moves it on with the chosen id. Because every allowed id leads to
a state from which a valid end is still reachable, decoding never gets stuck and never ends
with an invalid answer, whatever the logits say (an untrained model included).

The answers are those of :func:`autocut_core.editing.prompts.format_answer`, in exactly its canonical
spelling (what the model was trained on):

- :class:`IndexAnswer`: ``[a, b, c]`` (or a profile's spelling: the reference writes
  ``a,b,c`` from 1, and its answer ends with the last index), ``count`` distinct indices
  below ``pool`` written in canonical decimal, ascending for ``select`` (the trained order, and it makes every choice a
  set), a permutation of ``0..pool-1`` for ``sort``. Multi-digit indices are written over
  several tokens or one; a digit is allowed only when some still-free index starts with the
  digits written so far, so ``1`` in a pool of 15 may go on to ``10``..``14``.
- :class:`ScriptAnswer`: exactly ``lines`` non-blank lines separated by ``\\n``; text tokens
  only (no chat markers, no modality tokens or markers, no other line breaks or control
  characters, and no ``<``, so none can be spelled out in pieces either); the end of turn
  only after the last line. Each line has a token budget; when it is spent the line is
  closed (or, still blank, must get a word first), so a script always ends.
- :class:`CodesAnswer`: ``<|audio_start|>``, one ``<a_h_c>`` per head in head order,
  ``<|audio_end|>``.

Token texts come from decoding each id on its own; for byte-level BPE tokenizers (Qwen,
SmolLM2) the decoded answer is then exactly the concatenation, and the backbone still parses
it strictly afterwards, as a last guard.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, NoReturn

from autocut_core.editing.prompts import BRACKETED, IndexSpelling
from autocut_core.errors import InputError

if TYPE_CHECKING:
    import torch

#: ``str.splitlines`` breaks other than ``\\n``: never inside a script line.
OTHER_LINE_BREAKS = frozenset("\r\x0b\x0c\x1c\x1d\x1e\x85\u2028\u2029")
INDEX_ALPHABET = frozenset("0123456789[], ")
#: Never in a script line: "<" (a marker or code token spelled out in text pieces would start
#: with it, and ad copy does without), and control characters other than the tab.
_SCRIPT_BANNED = frozenset("<") | frozenset(
    chr(code) for code in [*range(32), *range(127, 160)] if chr(code) not in "\t\n"
)

# Script token classes.
FORBIDDEN, BLANK, CONTENT = 0, 1, 2  # no newline: not allowed / only spaces / has text
NL_BLANK, NL_BLANK_NEXT, NL_TEXT, NL_TEXT_NEXT = 3, 4, 5, 6  # one "\n": text before? after?


class Vocabulary:
    """What constrained decoding needs to know about a tokenizer, computed once per model.

    ``end_id`` is the end-of-turn token the model was trained to write after an answer.
    ``rows`` (the model's output size) may exceed the tokenizer's length; the extra rows are
    never allowed.
    """

    def __init__(self, tokenizer: Any, end_id: int, rows: int | None = None):
        self.size = len(tokenizer)
        self.rows = max(rows or self.size, self.size)
        self.end_id = int(end_id)
        self.texts: list[str] = tokenizer.batch_decode(
            [[i] for i in range(self.size)], clean_up_tokenization_spaces=False
        )
        self.markup = frozenset(tokenizer.get_added_vocab().values()) | frozenset(
            tokenizer.all_special_ids
        )
        self._ids = tokenizer.get_vocab()
        self.index_tokens: list[tuple[int, str]] = [
            (i, text)
            for i, text in enumerate(self.texts)
            if text and i not in self.markup and set(text) <= INDEX_ALPHABET
        ]
        singles = {text for _, text in self.index_tokens if len(text) == 1}
        missing = sorted(INDEX_ALPHABET - singles)
        if missing:
            raise InputError(
                f"the tokenizer has no single token for {missing}: index answers cannot be "
                "constrained with it (use constrained = false)"
            )
        self._script: ScriptClasses | None = None

    def token_id(self, token: str) -> int:
        """The id of a whole added token (``<|audio_start|>``, ``<a_0_3>``)."""
        found = self._ids.get(token)
        if found is None:
            raise InputError(
                f"the model's tokenizer has no token {token}: the artefact was trained with "
                "another token grid"
            )
        return int(found)

    def script_classes(self) -> ScriptClasses:
        if self._script is None:
            self._script = ScriptClasses.build(self)
        return self._script


def _script_class(text: str) -> int:
    if not text or any(char in _SCRIPT_BANNED or char in OTHER_LINE_BREAKS for char in text):
        return FORBIDDEN
    newlines = text.count("\n")
    if newlines == 0:
        return CONTENT if text.strip() else BLANK
    if newlines > 1:
        return FORBIDDEN  # "\n\n" would write a blank line; two breaks in one token are rare
    before, after = text.split("\n")
    if before.strip():
        return NL_TEXT_NEXT if after.strip() else NL_TEXT
    return NL_BLANK_NEXT if after.strip() else NL_BLANK


@dataclass(frozen=True)
class ScriptClasses:
    """Every token's script class, and the masks a script step combines."""

    classes: list[int]
    inline: torch.Tensor  # bool [rows]: no newline, allowed in a line
    content: torch.Tensor  # bool [rows]: no newline, has text
    newline_after_blank: torch.Tensor  # one newline, nothing written before it in the token
    newline_after_text: torch.Tensor  # one newline after some text of its own
    bare_newline: torch.Tensor  # ids whose text is exactly "\n"

    @classmethod
    def build(cls, vocabulary: Vocabulary) -> ScriptClasses:
        import torch

        classes = [
            FORBIDDEN if i in vocabulary.markup or i == vocabulary.end_id else _script_class(text)
            for i, text in enumerate(vocabulary.texts)
        ]
        table = torch.zeros(vocabulary.rows, dtype=torch.int8)
        table[: len(classes)] = torch.tensor(classes, dtype=torch.int8)
        bare = [i for i, text in enumerate(vocabulary.texts) if text == "\n" and classes[i]]
        if not bare or not (table == CONTENT).any():
            raise InputError(
                "the tokenizer has no plain newline or no text tokens: scripts cannot be "
                "constrained with it (use constrained = false)"
            )
        return cls(
            classes=classes,
            inline=(table == BLANK) | (table == CONTENT),
            content=table == CONTENT,
            newline_after_blank=(table == NL_BLANK) | (table == NL_BLANK_NEXT),
            newline_after_text=(table == NL_TEXT) | (table == NL_TEXT_NEXT),
            bare_newline=torch.tensor(bare, dtype=torch.long),
        )


class Constraint:
    """An automaton over token ids; see the module docstring."""

    @property
    def done(self) -> bool:
        """Whether the answer is complete (no token may follow)."""
        return False

    def allowed(self) -> torch.Tensor:
        """Ids that may come next (a non-empty 1-D LongTensor) while not :attr:`done`."""
        raise NotImplementedError

    def advance(self, token_id: int, logprob: float = 0.0) -> None:
        """Take ``token_id`` (one of :meth:`allowed`); ``logprob`` is its log-probability."""
        raise NotImplementedError

    def _refuse(self, token_id: int) -> NoReturn:
        raise ValueError(f"{type(self).__name__}: token {token_id} is not allowed here")


def _ids(values: Sequence[int]) -> torch.Tensor:
    import torch

    return torch.tensor(list(values), dtype=torch.long)


# -- index lists ------------------------------------------------------------------------------

_OPEN, _NUMBER, _SPACE, _CLOSED = 0, 1, 2, 3


@dataclass(frozen=True)
class _IndexState:
    phase: int
    items: tuple[int, ...] = ()
    digits: str = ""


class IndexAnswer(Constraint):
    """``[a, b, c]``: ``count`` distinct indices below ``pool``.

    ``ascending`` (select) writes them in increasing order, leaving room for the rest: the
    j-th index is at most ``pool - (count - j)``. Otherwise (sort) ``count`` must equal
    ``pool`` and the answer is a permutation. :attr:`item_logprobs` holds, per written
    index, the log-probabilities of the tokens that wrote its digits. ``spelling`` is how
    the indices are written (:class:`~autocut_core.editing.prompts.IndexSpelling`); without
    brackets the end of turn closes the list, allowed once the last index is complete.
    :attr:`items` are 0-based whatever the spelling.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        pool: int,
        count: int,
        ascending: bool,
        spelling: IndexSpelling = BRACKETED,
    ):
        if pool < 1 or not 1 <= count <= pool:
            raise ValueError(f"cannot write {count} distinct indices below {pool}")
        if not ascending and count != pool:
            raise ValueError("a permutation has as many indices as the pool")
        if spelling.separator not in (",", ", "):
            raise ValueError(f"index separator {spelling.separator!r}: ',' or ', ' only")
        self.vocabulary = vocabulary
        self.pool, self.count, self.ascending = pool, count, ascending
        self.spelling = spelling
        self._space = spelling.separator == ", "
        self.state = _IndexState(_OPEN if spelling.brackets else _NUMBER)
        self.item_logprobs: list[float] = [0.0] * count
        self._allowed: dict[_IndexState, torch.Tensor] = {}
        self._ended = False

    @property
    def done(self) -> bool:
        return self._ended

    @property
    def items(self) -> tuple[int, ...]:
        return self.state.items

    def _free(self, items: tuple[int, ...]) -> list[str]:
        """The indices that may be written next, as text."""
        base = self.spelling.base
        if self.ascending:
            low = items[-1] + 1 if items else 0
            high = self.pool - (self.count - len(items))
            return [str(value + base) for value in range(low, high + 1)]
        used = set(items)
        return [str(value + base) for value in range(self.pool) if value not in used]

    def _can_end(self, state: _IndexState) -> bool:
        """A bare list ends after its last index, once that index is complete."""
        return (
            not self.spelling.brackets
            and state.phase == _NUMBER
            and len(state.items) + 1 == self.count
            and bool(state.digits)
            and state.digits in self._free(state.items)
        )

    def _step(self, state: _IndexState, char: str) -> _IndexState | None:
        if state.phase == _OPEN:
            return _IndexState(_NUMBER, state.items) if char == "[" else None
        if state.phase == _SPACE:
            return _IndexState(_NUMBER, state.items) if char == " " else None
        if state.phase != _NUMBER:
            return None
        if char.isdigit():
            digits = state.digits + char
            if any(value.startswith(digits) for value in self._free(state.items)):
                return _IndexState(_NUMBER, state.items, digits)
            return None
        if not state.digits or state.digits not in self._free(state.items):
            return None
        items = (*state.items, int(state.digits) - self.spelling.base)
        if char == "," and len(items) < self.count:
            return _IndexState(_SPACE if self._space else _NUMBER, items)
        if char == "]" and self.spelling.brackets and len(items) == self.count:
            return _IndexState(_CLOSED, items)
        return None

    def _run(self, state: _IndexState, text: str) -> _IndexState | None:
        for char in text:
            next_state = self._step(state, char)
            if next_state is None:
                return None
            state = next_state
        return state

    def allowed(self) -> torch.Tensor:
        if self.state.phase == _CLOSED:
            return _ids([self.vocabulary.end_id])
        cached = self._allowed.get(self.state)
        if cached is None:
            ids = [i for i, text in self.vocabulary.index_tokens if self._run(self.state, text)]
            if self._can_end(self.state):
                ids.append(self.vocabulary.end_id)
            if not ids:  # cannot happen: every single character has its own token
                raise RuntimeError(f"index answer stuck in state {self.state}")
            cached = self._allowed[self.state] = _ids(ids)
        return cached

    def advance(self, token_id: int, logprob: float = 0.0) -> None:
        if self.state.phase == _CLOSED:
            if token_id != self.vocabulary.end_id:
                self._refuse(token_id)
            self._ended = True
            return
        if token_id == self.vocabulary.end_id and self._can_end(self.state):
            state = self.state
            value = int(state.digits) - self.spelling.base
            self.state = _IndexState(_CLOSED, (*state.items, value))
            self._ended = True
            return
        if token_id >= self.vocabulary.size or token_id in self.vocabulary.markup:
            self._refuse(token_id)
        if not self.vocabulary.texts[token_id]:
            self._refuse(token_id)
        state = self.state
        touched: set[int] = set()
        for char in self.vocabulary.texts[token_id]:
            next_state = self._step(state, char)
            if next_state is None:
                self._refuse(token_id)
            if char.isdigit():
                touched.add(len(state.items))
            state = next_state
        for position in touched:
            self.item_logprobs[position] += logprob
        self.state = state


# -- scripts ----------------------------------------------------------------------------------


class ScriptAnswer(Constraint):
    """Exactly ``lines`` non-blank lines of text; see the module docstring.

    ``line_budget`` is the most tokens a line may take before it is closed.
    """

    def __init__(self, vocabulary: Vocabulary, lines: int, line_budget: int):
        if lines < 1:
            raise ValueError("a script has at least one line")
        if line_budget < 2:
            raise ValueError("a script line needs a budget of at least 2 tokens")
        self.vocabulary = vocabulary
        self.classes = vocabulary.script_classes()
        self.lines, self.line_budget = lines, line_budget
        self.line = 1
        self.has_text = False
        self.line_tokens = 0
        self._done = False

    @property
    def done(self) -> bool:
        return self._done

    def allowed(self) -> torch.Tensor:
        classes = self.classes
        last = self.line == self.lines
        if self.line_tokens >= self.line_budget:
            if not self.has_text:
                return classes.content.nonzero().squeeze(1)
            return _ids([self.vocabulary.end_id]) if last else classes.bare_newline
        mask = classes.inline.clone()
        if not last:
            mask |= classes.newline_after_text
            if self.has_text:
                mask |= classes.newline_after_blank
        ids = mask.nonzero().squeeze(1)
        if last and self.has_text:
            import torch

            ids = torch.cat([ids, _ids([self.vocabulary.end_id])])
        return ids

    def advance(self, token_id: int, logprob: float = 0.0) -> None:
        if token_id == self.vocabulary.end_id:
            if self.line != self.lines or not self.has_text:
                self._refuse(token_id)
            self._done = True
            return
        kind = self.classes.classes[token_id] if token_id < self.vocabulary.size else FORBIDDEN
        if kind == FORBIDDEN:
            self._refuse(token_id)
        if kind in (BLANK, CONTENT):
            self.has_text = self.has_text or kind == CONTENT
            self.line_tokens += 1
            return
        ends_text = self.has_text or kind in (NL_TEXT, NL_TEXT_NEXT)
        if self.line == self.lines or not ends_text:
            self._refuse(token_id)
        self.line += 1
        self.has_text = kind in (NL_BLANK_NEXT, NL_TEXT_NEXT)
        self.line_tokens = 0


# -- code tokens ------------------------------------------------------------------------------


def code_head_ids(vocabulary: Vocabulary, prefix: str, heads: int, codebook_size: int) -> list[Any]:
    """Per head, the ids of its code tokens ``<PREFIX_h_0>``...: what one head may write."""
    return [
        _ids([vocabulary.token_id(f"<{prefix}_{h}_{c}>") for c in range(codebook_size)])
        for h in range(heads)
    ]


class CodesAnswer(Constraint):
    """``<|audio_start|>`` + one ``<a_h_c>`` per head in head order + ``<|audio_end|>``.

    :attr:`codes` are the chosen codes and :attr:`logprob` the sum of their log-probabilities.
    """

    def __init__(
        self,
        vocabulary: Vocabulary,
        heads: int,
        codebook_size: int,
        prefix: str = "a",
        start: str = "<|audio_start|>",
        end: str = "<|audio_end|>",
    ):
        self.vocabulary = vocabulary
        self.head_ids = code_head_ids(vocabulary, prefix, heads, codebook_size)
        self.steps = [
            _ids([vocabulary.token_id(start)]),
            *self.head_ids,
            _ids([vocabulary.token_id(end)]),
            _ids([vocabulary.end_id]),
        ]
        self.position = 0
        self.codes: list[int] = []
        self.logprob = 0.0

    @property
    def done(self) -> bool:
        return self.position == len(self.steps)

    def allowed(self) -> torch.Tensor:
        return self.steps[self.position]

    def advance(self, token_id: int, logprob: float = 0.0) -> None:
        if self.done:
            self._refuse(token_id)
        matches = (self.steps[self.position] == token_id).nonzero()
        if not len(matches):
            self._refuse(token_id)
        if 1 <= self.position <= len(self.head_ids):
            self.codes.append(int(matches[0, 0]))
            self.logprob += logprob
        self.position += 1


# -- transformers' generate() -----------------------------------------------------------------


class ConstrainedLogits:
    """A transformers logits processor around a constraint (batch of one), for ``generate()``.

    ``prompt_length`` is the length of the prompt ``generate`` was given; each call first
    feeds the tokens chosen since the last call to the constraint, then masks every id it
    does not allow. Only the ids matter here; scores and the stop are ``generate``'s own.
    """

    def __init__(self, constraint: Constraint, prompt_length: int):
        self.constraint = constraint
        self.consumed = prompt_length

    def __call__(self, input_ids: torch.Tensor, scores: torch.Tensor) -> torch.Tensor:
        import torch

        if input_ids.shape[0] != 1:
            raise ValueError("ConstrainedLogits handles a batch of one sequence")
        for token in input_ids[0, self.consumed :].tolist():
            self.constraint.advance(int(token))
        self.consumed = input_ids.shape[1]
        mask = torch.full_like(scores, float("-inf"))
        if not self.constraint.done:
            mask[:, self.constraint.allowed()] = 0.0
        return scores + mask
