"""Corpus readers, response-only labels, cutoff, packing and the batch order."""

from __future__ import annotations

from pathlib import Path

import pytest
from autocut_plugins.lm import data
from autocut_plugins.lm.chat import Conversation, end_of_turn, prompt_ids
from autocut_plugins.lm.data import IGNORE

from autocut_core.errors import InputError

from .conftest import write_jsonl


@pytest.fixture(scope="module")
def tokenizer(tiny_base: Path):
    """The tiny base's tokenizer extended with the 2x8 grid, as a training run builds it."""
    from autocut_plugins.lm import vocab
    from autocut_plugins.lm.config import CodeSpec
    from transformers import AutoTokenizer

    loaded = AutoTokenizer.from_pretrained(tiny_base)
    grid = CodeSpec(heads=2, codebook_size=8)
    vocab.extend_tokenizer(loaded, vocab.modality_tokens(grid, grid))
    return loaded


def test_sft_labels_cover_only_the_answer_and_its_end_token(tokenizer, corpora):
    conversations = data.read_conversations(corpora["sft_train"])
    examples, stats = data.encode_sft(conversations[:20], tokenizer, cutoff=1024, packing=False)
    assert stats.truncated == 0 and len(examples) == 20
    for conversation, example in zip(conversations[:20], examples, strict=True):
        answer = conversation.turns[-1][1]
        labelled = [i for i, label in enumerate(example.labels) if label != IGNORE]
        # One contiguous run at the very end: the answer's tokens, then <|im_end|>.
        assert labelled == list(range(labelled[0], len(example)))
        assert tokenizer.decode(example.input_ids[labelled[0] :]) == answer + "<|im_end|>"
        assert [example.input_ids[i] for i in labelled] == [example.labels[i] for i in labelled]
        # The unlabelled prefix is exactly the prompt generation will feed.
        human = conversation.turns[0][1]
        assert example.input_ids[: labelled[0]] == prompt_ids(tokenizer, conversation.system, human)


def test_multi_turn_records_label_every_answer(tokenizer):
    conversation = Conversation(
        "sys", (("user", "a"), ("assistant", "[1]"), ("user", "b"), ("assistant", "[2, 0]"))
    )
    example, cut = data.encode_conversation(tokenizer, conversation, 512, end_of_turn(tokenizer))
    labelled = tokenizer.decode(
        [t for t, lab in zip(example.input_ids, example.labels, strict=True) if lab != IGNORE]
    )
    assert not cut and labelled == "[1]<|im_end|>[2, 0]<|im_end|>"
    rendered = tokenizer.apply_chat_template(
        [{"role": "system", "content": "sys"}, {"role": "user", "content": "a"},
         {"role": "assistant", "content": "[1]"}, {"role": "user", "content": "b"},
         {"role": "assistant", "content": "[2, 0]"}], tokenize=False,
    )  # fmt: skip
    assert tokenizer.decode(example.input_ids) + "\n" == rendered


@pytest.mark.parametrize(
    ("source", "target", "cutoff", "expected"),
    [
        (100, 10, 50, (40, 10)),  # short answer: kept whole, prompt cut
        (10, 100, 50, (10, 40)),  # short prompt: kept whole, answer cut
        (60, 40, 50, (30, 20)),  # both long: answer 50 * 0.4 = 20, the prompt the rest
        (10, 10, 50, (10, 10)),  # fits
    ],
)
def test_infer_seqlen_follows_llama_factory(source, target, cutoff, expected):
    assert data.infer_seqlen(source, target, cutoff) == expected


def test_cutoff_truncates_sft_and_alignment_rows(tokenizer, corpora):
    conversations = data.read_conversations(corpora["sft_train"])[:10]
    examples, stats = data.encode_sft(conversations, tokenizer, cutoff=48, packing=False)
    assert stats.truncated == 10
    for example, conversation in zip(examples, conversations, strict=True):
        assert len(example) == 48
        answer_ids = tokenizer(conversation.turns[-1][1], add_special_tokens=False)["input_ids"]
        labelled = [t for t in example.labels if t != IGNORE]
        assert labelled == [*answer_ids, tokenizer.convert_tokens_to_ids("<|im_end|>")]
    texts = data.read_texts(corpora["align_train"])
    rows, stats = data.encode_alignment(texts, tokenizer, cutoff=64, packing=False)
    assert stats.truncated == len(texts) and {len(row) for row in rows} == {64}
    assert all(row.labels[0] == IGNORE and row.labels[1:] == row.input_ids[1:] for row in rows)


def test_alignment_packing_fills_rows_and_restarts_positions(tokenizer, corpora):
    texts = data.read_texts(corpora["align_train"])
    single, _ = data.encode_alignment(texts, tokenizer, cutoff=4096, packing=False)
    packed, stats = data.encode_alignment(texts, tokenizer, cutoff=300, packing=True)
    flat = [t for row in packed for t in row.input_ids]
    assert flat == [t for row in single for t in row.input_ids]  # nothing lost or reordered
    assert all(len(row) == 300 for row in packed[:-1]) and len(packed[-1]) <= 300
    assert stats.extra["rows"] == len(packed) < len(single)
    ad_start = tokenizer.convert_tokens_to_ids("<|ad_start|>")
    for row in packed:
        for index, token in enumerate(row.input_ids):
            if token == ad_start:  # a new document: position 0, no label
                assert row.position_ids[index] == 0 and row.labels[index] == IGNORE
            elif index:
                assert row.position_ids[index] == row.position_ids[index - 1] + 1
    # The labelled tokens are the same whether packed or not.
    labelled = lambda rows: sum(label != IGNORE for r in rows for label in r.labels)  # noqa: E731
    assert labelled(packed) == labelled(single)


def test_sft_packing_keeps_whole_examples(tokenizer, corpora):
    conversations = data.read_conversations(corpora["sft_train"])
    single, _ = data.encode_sft(conversations, tokenizer, cutoff=512, packing=False)
    packed, stats = data.encode_sft(conversations, tokenizer, cutoff=512, packing=True)
    assert stats.extra["rows"] == len(packed)
    assert len(packed) < len(single) and all(len(row) <= 512 for row in packed)
    labelled = lambda rows: sorted(x for r in rows for x in r.labels if x != IGNORE)  # noqa: E731
    assert labelled(packed) == labelled(single)
    assert sum(len(r) for r in packed) == sum(len(r) for r in single)


def test_packed_and_padded_rows_attend_only_within_their_document(tiny_base, tokenizer, corpora):
    """Logits of a document are the same alone, packed after another, or padded in a batch."""
    import torch
    from autocut_plugins.lm.trainer import forward
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_base, dtype=torch.float32).eval()
    model.resize_token_embeddings(len(tokenizer), mean_resizing=False)
    texts = data.read_texts(corpora["align_train"])[:2]
    docs, _ = data.encode_alignment(texts, tokenizer, cutoff=4096, packing=False)
    first, second = docs
    packed = data.Example(
        first.input_ids + second.input_ids,
        first.labels + second.labels,
        first.position_ids + second.position_ids,
    )
    with torch.no_grad():
        alone = forward(model, data.collate([second], 0), "cpu")[0]
        in_pack = forward(model, data.collate([packed], 0), "cpu")[0, len(first) :]
        short, long_ = sorted(docs, key=len)
        padded = forward(model, data.collate([short, long_], 0), "cpu")[0, : len(short)]
        short_alone = forward(model, data.collate([short], 0), "cpu")[0]
    torch.testing.assert_close(in_pack, alone, rtol=1e-4, atol=1e-4)
    torch.testing.assert_close(padded, short_alone, rtol=1e-4, atol=1e-4)


def test_schedule_covers_every_example_and_splits_ranks():
    schedule = data.Schedule(examples=10, batch_size=2, grad_accum=2, world=2, seed=3)
    assert schedule.global_batch == 8 and schedule.steps_per_epoch == 2
    order = schedule.order(0)
    assert len(order) == 16 and set(order) == set(range(10))
    assert order == schedule.order(0) and order != schedule.order(1)
    seen = []
    for step in range(2):
        ranks = [schedule.micro_batches(order, step, rank) for rank in range(2)]
        assert all(len(m) == 2 and all(len(b) == 2 for b in m) for m in ranks)
        seen += [i for m in ranks for b in m for i in b]
    assert sorted(seen) == sorted(order)  # every slot used once: the ranks' shares are disjoint


def test_bad_corpus_lines_name_file_and_line(tmp_path):
    path = write_jsonl(tmp_path / "sft.jsonl", [
        {"conversations": [{"from": "human", "value": "q"}, {"from": "gpt", "value": "a"}]},
        {"conversations": [{"from": "gpt", "value": "a"}]},
    ])  # fmt: skip
    with pytest.raises(InputError, match=r"sft\.jsonl:2: conversations\[0\] is a assistant turn"):
        data.read_conversations(path)
    (tmp_path / "broken.jsonl").write_text('{"text": "ok"}\n{"text": \n', encoding="utf-8")
    with pytest.raises(InputError, match=r"broken\.jsonl:2: not valid JSON"):
        data.read_texts(tmp_path / "broken.jsonl")
    with pytest.raises(InputError, match=r"no such file.*autocut dataset build"):
        data.read_texts(tmp_path / "missing.jsonl")
    write_jsonl(tmp_path / "align.jsonl", [{"ad_id": "x"}])
    with pytest.raises(InputError, match=r"align\.jsonl:1: needs a non-empty string field 'text'"):
        data.read_texts(tmp_path / "align.jsonl")


@pytest.mark.parametrize("lang", ["en", "zh"])
def test_records_written_with_the_shared_prompt_builder_encode_cleanly(tokenizer, tmp_path, lang):
    """The four tasks as autocut_core.editing.prompts writes them (the dataset builder's source)."""
    from autocut_core.editing import prompts
    from autocut_core.types import Candidate, Clip, Product, Script

    product = Product(
        name="earbuds" if lang == "en" else "耳机", brand="Acme", selling_points=("light",)
    )
    script = Script(("Meet them.", "Hear more.") if lang == "en" else ("看看它。", "听得更清楚。"))
    candidates = [
        Candidate(Clip("src0000000001", i, i + 2), tokens=f"<|frame_start|><v_0_{i}><v_1_{i}><|frame_end|>",
                  caption=f"clip {i}")
        for i in range(3)
    ]  # fmt: skip
    answers = {"select": [0, 2], "sort": [2, 0, 1], "script": ["One.", "Two.", "Three."],
               "music": "<a_0_5><a_1_7>"}  # fmt: skip
    records = []
    for task, answer in answers.items():
        system, human = prompts.build_prompt(task, product, script, candidates, lang)
        gpt = prompts.format_answer(task, answer)
        records.append({"conversations": [{"from": "human", "value": human}, {"from": "gpt", "value": gpt}],
                        "system": system, "task": task, "lang": lang, "ad_id": "a", "meta": {}})  # fmt: skip
    conversations = data.read_conversations(write_jsonl(tmp_path / "sft.jsonl", records))
    examples, stats = data.encode_sft(conversations, tokenizer, cutoff=2048, packing=False)
    assert stats.truncated == 0 and len(examples) == 4
    for record, example in zip(records, examples, strict=True):
        answer = [
            t for t, label in zip(example.input_ids, example.labels, strict=True) if label != IGNORE
        ]
        decoded = tokenizer.decode(answer)
        assert decoded == record["conversations"][1]["value"] + "<|im_end|>"
        task = record["task"]
        parsed = prompts.parse_answer(task, decoded.removesuffix("<|im_end|>"), candidates=3)
        assert parsed == answers[task]  # what the model learns to write parses back
