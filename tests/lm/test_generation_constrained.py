"""Constrained decoding never ends with an invalid answer, whatever the model's logits say.

The model is the tiny RANDOM Qwen3 of the lm tests (untrained, so its logits are arbitrary),
extended with a 2 x 8 audio grid, and for every example hypothesis draws a prompt, a bias
added to every logit (up to +-30: some tokens then dominate, e.g. the end of turn or a
newline from the first step) and greedy or hot sampling. Every answer must then pass the
strict parser of :mod:`autocut_core.editing.prompts` with the pool, count and line number asked for.
"""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from autocut_core.editing.prompts import parse_answer

from .conftest import CODES, HEADS

EXAMPLES = 250
HYPOTHESIS = settings(
    max_examples=EXAMPLES,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


class Biased:
    """The model with a fixed bias on every logit: arbitrary preferences, real forward passes."""

    def __init__(self, model, bias):
        self.model, self.bias = model, bias

    def parameters(self):
        return self.model.parameters()

    def __call__(self, **inputs):
        output = self.model(**inputs)
        output.logits = output.logits + self.bias
        return output


@pytest.fixture(scope="module")
def random_model(tmp_path_factory: pytest.TempPathFactory, tiny_base: Path):
    """(model, tokenizer, vocabulary): the random tiny base with the modality tokens added."""
    import torch
    from autocut_plugins.lm.chat import end_of_turn
    from autocut_plugins.lm.config import CodeSpec
    from autocut_plugins.lm.constrained import Vocabulary
    from autocut_plugins.lm.vocab import extend_embeddings, extend_tokenizer, modality_tokens
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    model = AutoModelForCausalLM.from_pretrained(tiny_base, dtype=torch.float32)
    base_rows = len(tokenizer)
    grid = CodeSpec(heads=HEADS, codebook_size=CODES)
    extend_tokenizer(tokenizer, modality_tokens(grid, grid))
    extend_embeddings(model, base_rows, len(tokenizer))
    with torch.no_grad():  # the new rows differ from each other, as trained ones would
        model.get_output_embeddings().weight[base_rows:].normal_(0, 0.5)
    model.eval()
    end = end_of_turn(tokenizer).token_id
    return model, tokenizer, Vocabulary(tokenizer, end, len(tokenizer))


draws = st.fixed_dictionaries(
    {
        "prompt": st.lists(st.integers(3, 10**6), min_size=1, max_size=12),  # ids mod vocab
        "seed": st.integers(0, 2**31 - 1),
        "scale": st.sampled_from([0.0, 3.0, 30.0]),
        "temperature": st.sampled_from([0.0, 1.0, 3.0]),
    }
)


def _prompt(draw, vocabulary) -> list[int]:
    return [token % vocabulary.size for token in draw["prompt"]]


def _decode(model_fixture, constraint, draw):
    import torch
    from autocut_plugins.lm.generate import generate

    model, tokenizer, vocabulary = model_fixture
    generator = torch.Generator().manual_seed(draw["seed"])
    bias = torch.randn(model.get_output_embeddings().weight.shape[0], generator=generator)
    biased = Biased(model, bias * draw["scale"])
    generated = generate(biased, _prompt(draw, vocabulary), vocabulary.end_id, constraint,
                         temperature=draw["temperature"], generator=generator)  # fmt: skip
    text = tokenizer.decode(list(generated.ids), skip_special_tokens=False,
                            clean_up_tokenization_spaces=False)  # fmt: skip
    return text, generated


@HYPOTHESIS
@given(data=st.data(), draw=draws)
def test_select_is_always_count_distinct_indices_in_range(random_model, data, draw):
    from autocut_plugins.lm.constrained import IndexAnswer

    pool = data.draw(st.integers(1, 15), label="pool")
    count = data.draw(st.integers(1, pool), label="count")
    constraint = IndexAnswer(random_model[2], pool, count, ascending=True)
    text, generated = _decode(random_model, constraint, draw)
    indices = parse_answer("select", text, candidates=pool, count=count)
    assert text == "[" + ", ".join(map(str, indices)) + "]"  # the canonical, ascending form
    assert list(constraint.items) == indices and generated.stopped == "end"
    assert all(score <= 1e-6 for score in constraint.item_logprobs)


@HYPOTHESIS
@given(data=st.data(), draw=draws)
def test_sort_is_always_a_permutation(random_model, data, draw):
    from autocut_plugins.lm.constrained import IndexAnswer

    pool = data.draw(st.integers(1, 15), label="pool")
    constraint = IndexAnswer(random_model[2], pool, pool, ascending=False)
    text, _ = _decode(random_model, constraint, draw)
    order = parse_answer("sort", text, candidates=pool)
    assert sorted(order) == list(range(pool)) and list(constraint.items) == order


_MARKUP = re.compile(r"<\|[a-z_]+\|>|<[va]_\d+_\d+>|<\|im_")


@HYPOTHESIS
@given(data=st.data(), draw=draws)
def test_script_always_has_exactly_n_clean_lines(random_model, data, draw):
    from autocut_plugins.lm.constrained import ScriptAnswer

    lines = data.draw(st.integers(1, 8), label="lines")
    budget = data.draw(st.integers(2, 12), label="line_budget")
    constraint = ScriptAnswer(random_model[2], lines, budget)
    text, generated = _decode(random_model, constraint, draw)
    written = parse_answer("script", text, lines=lines)
    assert len(written) == lines and all(line.strip() for line in written)
    assert not _MARKUP.search(text) and "<" not in text
    assert all(len(line.splitlines()) == 1 for line in text.split("\n"))
    assert len(generated.ids) <= lines * (budget + 1)  # the budget bounds every line


@HYPOTHESIS
@given(draw=draws)
def test_music_is_always_one_code_per_head_in_order(random_model, draw):
    from autocut_plugins.lm.constrained import CodesAnswer

    constraint = CodesAnswer(random_model[2], HEADS, CODES)
    text, generated = _decode(random_model, constraint, draw)
    codes = parse_answer("music", text, heads=HEADS, codebook_size=CODES)
    assert codes == "".join(f"<a_{h}_{c}>" for h, c in enumerate(constraint.codes))
    assert generated.model_calls == HEADS  # the markers and the end of turn cost no call


def test_pools_beyond_ten_write_multi_digit_indices(random_model):
    """A model that loves the digits 4 and 1 writes 14 in a pool of 15 (two digits, or one
    token), and never the 4 twice; in a pool of 12 it starts a permutation with 4."""
    import torch
    from autocut_plugins.lm.constrained import IndexAnswer
    from autocut_plugins.lm.generate import generate

    model, tokenizer, vocabulary = random_model
    bias = torch.zeros(model.get_output_embeddings().weight.shape[0])
    for token_id, text in vocabulary.index_tokens:
        preferred = {"14": 60.0, "4": 50.0, "1": 40.0}.get(text.strip())
        if preferred is not None:
            bias[token_id] = preferred
        elif text in (",", " ", ", ", "]"):
            bias[token_id] = 45.0  # the list goes on rather than "1" growing to "11"
    constraint = IndexAnswer(vocabulary, 15, 2, ascending=True)
    generated = generate(Biased(model, bias), [5, 6], vocabulary.end_id, constraint)
    text = tokenizer.decode(list(generated.ids))
    assert parse_answer("select", text, candidates=15, count=2) == [4, 14]
    sort = IndexAnswer(vocabulary, 12, 12, ascending=False)
    generated = generate(Biased(model, bias), [5, 6], vocabulary.end_id, sort)
    order = parse_answer("sort", tokenizer.decode(list(generated.ids)), candidates=12)
    assert order[0] == 4 and sorted(order) == list(range(12))


@HYPOTHESIS
@given(data=st.data(), draw=draws)
def test_transformers_generate_with_the_logits_processor_agrees(random_model, data, draw):
    """The same constraint inside ``model.generate()``: valid, and the same greedy answer."""
    import torch
    from autocut_plugins.lm.constrained import ConstrainedLogits, IndexAnswer

    model, tokenizer, vocabulary = random_model
    pool = data.draw(st.integers(1, 12), label="pool")
    count = data.draw(st.integers(1, pool), label="count")
    greedy = {**draw, "temperature": 0.0, "scale": 0.0}
    ours, _ = _decode(random_model, IndexAnswer(vocabulary, pool, count, True), greedy)
    prompt = _prompt(draw, vocabulary)
    processor = ConstrainedLogits(IndexAnswer(vocabulary, pool, count, True), len(prompt))
    output = model.generate(
        torch.tensor([prompt]), logits_processor=[processor], do_sample=False,
        max_new_tokens=4 * pool + 4, eos_token_id=vocabulary.end_id,
        pad_token_id=vocabulary.end_id,
    )  # fmt: skip
    theirs = output[0, len(prompt) :].tolist()
    assert theirs[-1] == vocabulary.end_id
    assert tokenizer.decode(theirs[:-1]) == ours
    parse_answer("select", ours, candidates=pool, count=count)


def test_a_token_outside_the_constraint_is_refused(random_model):
    from autocut_plugins.lm.constrained import CodesAnswer, IndexAnswer, ScriptAnswer

    vocabulary = random_model[2]
    with pytest.raises(ValueError, match="not allowed"):
        IndexAnswer(vocabulary, 3, 1, True).advance(vocabulary.end_id)
    with pytest.raises(ValueError, match="not allowed"):
        ScriptAnswer(vocabulary, 2, 5).advance(vocabulary.end_id)
    with pytest.raises(ValueError, match="not allowed"):
        CodesAnswer(vocabulary, HEADS, CODES).advance(vocabulary.token_id("<a_1_0>"))
    with pytest.raises(ValueError, match="cannot write 4 distinct"):
        IndexAnswer(vocabulary, 3, 4, True)


# -- the reference profile's spelling: 1-based, commas, no brackets -----------------------------

REFERENCE_EXAMPLES = settings(
    max_examples=100,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)


@REFERENCE_EXAMPLES
@given(data=st.data(), draw=draws)
def test_reference_select_and_sort_are_1_based_comma_lists(random_model, data, draw):
    """The same guarantees in the reference's spelling, whose list ends with its last index
    (the end of turn must then wait until that index is complete, e.g. 1 -> 12 in 15)."""
    from autocut_plugins.lm.constrained import IndexAnswer

    from autocut_core.editing.profiles import get_profile

    profile = get_profile("reference")
    pool = data.draw(st.integers(1, 15), label="pool")
    count = data.draw(st.integers(1, pool), label="count")
    select = IndexAnswer(random_model[2], pool, count, True, profile.indices)
    text, generated = _decode(random_model, select, draw)
    indices = profile.parse_answer("select", text, candidates=pool, count=count)
    assert text == ",".join(str(i + 1) for i in indices) and generated.stopped == "end"
    assert list(select.items) == indices
    sort = IndexAnswer(random_model[2], pool, pool, False, profile.indices)
    text, _ = _decode(random_model, sort, draw)
    order = profile.parse_answer("sort", text, candidates=pool)
    assert sorted(order) == list(range(pool)) and list(sort.items) == order
    assert re.fullmatch(r"[1-9][0-9]*(,[1-9][0-9]*)*", text)


def test_a_reference_list_ends_only_after_a_complete_last_index(random_model):
    """In a pool of 12 asking for one clip, "1" may end the answer or grow to 10..12; "0"
    is never written first (indices start at 1) and no bracket or space is ever allowed."""
    from autocut_plugins.lm.constrained import IndexAnswer

    from autocut_core.editing.profiles import get_profile

    _, _, vocabulary = random_model
    constraint = IndexAnswer(vocabulary, 12, 1, True, get_profile("reference").indices)
    texts = {vocabulary.texts[i] for i in constraint.allowed().tolist()}
    assert "0" not in texts and not any(set(t) & set("[] ") for t in texts)
    one = next(i for i, t in vocabulary.index_tokens if t == "1")
    constraint.advance(one)
    allowed = constraint.allowed().tolist()
    assert vocabulary.end_id in allowed
    assert {vocabulary.texts[i] for i in allowed if i != vocabulary.end_id} <= {"0", "1", "2"}
    constraint.advance(vocabulary.end_id)
    assert constraint.done and constraint.items == (0,)
