"""The vocabulary extension: modality tokens and markers, added to a tokenizer and a model.

The new tokens are, in this order, the video codes ``<v_h_c>`` (head-major), the markers of
:data:`autocut_core.tokens.strings.MARKERS` and the audio codes ``<a_h_c>`` (as
:func:`autocut_core.tokens.strings.token_strings` lists them). They are added as ordinary (not
"special") tokens that the tokenizer matches whole before its own pre-tokenisation, so
``<v_0_12>`` is one id and ``decode(skip_special_tokens=True)`` keeps them.

Rows: the base vocabulary keeps ids ``0 .. base_rows - 1`` where ``base_rows`` is the
tokenizer's length before the extension. A model whose matrices are larger than its
tokenizer (Qwen pads 151,669 tokens to 151,936 rows) loses the padding rows, which no text can
reach, so that every id ``>= base_rows`` is a new token and nothing else. The new rows start
as the mean of the base rows (input embeddings and, when untied, ``lm_head``).

Heads and codebook sizes come from the trained tokenizers' ``tokenizer.json``, from the
``[tokenizers.<name>]`` settings, or default to 8 x 256 (paper Table 3). A checkpoint made
elsewhere (the reference's released one) is read the other way round: :func:`grid_of` finds
its grid in its vocabulary, and :func:`check_profile_vocabulary` checks it against the
prompt profile it was trained in.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from autocut_plugins.lm.config import CodeSpec

from autocut_core.editing.profiles import Profile
from autocut_core.errors import InputError
from autocut_core.tokens.strings import MARKERS, token_strings

#: ChatML, used when a base tokenizer has no chat template (Qwen3 and SmolLM2 have one).
CHATML_TEMPLATE = (
    "{% for message in messages %}"
    "{{ '<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>' + '\\n' }}"
    "{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)
CHATML_TOKENS = ("<|im_start|>", "<|im_end|>")
TOKENIZER_CONFIG = "tokenizer.json"  # the name `autocut tokenizer train` writes


def modality_tokens(video: CodeSpec, audio: CodeSpec) -> list[str]:
    """Video codes, the markers, audio codes: ``v.heads*v.size + 12 + a.heads*a.size`` strings."""
    video_part = token_strings("v", video.heads, video.codebook_size)  # codes, then markers
    audio_codes = token_strings("a", audio.heads, audio.codebook_size)[: -len(MARKERS)]
    return video_part + audio_codes


def codes_from_tokenizer_folder(folder: Path | str) -> CodeSpec:
    """Heads and codebook size recorded in a trained RQ-VAE tokenizer's ``tokenizer.json``."""
    path = Path(folder).expanduser()
    if path.is_dir():
        path = path / TOKENIZER_CONFIG
    try:
        config = json.loads(path.read_text(encoding="utf-8"))
        return CodeSpec(heads=int(config["heads"]), codebook_size=int(config["codebook_size"]))
    except FileNotFoundError:
        raise InputError(
            f"{path}: no trained tokenizer here. Train one with `autocut tokenizer train`, or "
            "give the grid with --video-codes/--audio-codes HEADSxCODES."
        ) from None
    except (OSError, ValueError, KeyError, TypeError) as error:
        raise InputError(
            f"{path}: cannot read heads and codebook_size ({type(error).__name__}: {error})"
        ) from None


def codes_from_settings(options: dict[str, Any]) -> CodeSpec:
    """A tokenizer's settings table: its ``checkpoint`` folder's metadata, else heads/size."""
    checkpoint = options.get("checkpoint")
    if checkpoint:
        return codes_from_tokenizer_folder(checkpoint)
    return CodeSpec(
        heads=int(options.get("heads", 8)), codebook_size=int(options.get("codebook_size", 256))
    )


def ensure_chat_template(tokenizer: Any) -> list[str]:
    """Give a template-less tokenizer ChatML (and its two markers); the tokens it had to add."""
    if getattr(tokenizer, "chat_template", None):
        return []
    from tokenizers import AddedToken

    vocab = tokenizer.get_vocab()
    missing = [token for token in CHATML_TOKENS if token not in vocab]
    if missing:
        tokenizer.add_tokens(
            [AddedToken(token, special=True, normalized=False) for token in missing],
            special_tokens=True,
        )
    tokenizer.chat_template = CHATML_TEMPLATE
    if tokenizer.eos_token is None:
        tokenizer.eos_token = "<|im_end|>"
    return missing


def extend_tokenizer(tokenizer: Any, tokens: list[str]) -> list[str]:
    """Add the ``tokens`` the tokenizer lacks; return them. Each must then encode to one id."""
    from tokenizers import AddedToken

    vocab = tokenizer.get_vocab()
    missing = [token for token in tokens if token not in vocab]
    if missing:
        tokenizer.add_tokens(
            [
                AddedToken(token, special=False, normalized=False, single_word=False)
                for token in missing
            ]
        )
    probe = "".join(tokens[:: max(1, len(tokens) // 64)])
    ids = tokenizer(probe, add_special_tokens=False)["input_ids"]
    if len(ids) != len(tokens[:: max(1, len(tokens) // 64)]):
        raise InputError(
            "The tokenizer splits the added modality tokens into pieces; it cannot be extended "
            f"({type(tokenizer).__name__})."
        )
    return missing


def extend_embeddings(model: Any, base_rows: int, total_rows: int) -> None:
    """Resize the model to ``total_rows`` token rows; rows ``>= base_rows`` = mean of the base rows.

    Rows of the base model past ``base_rows`` (padding no text can reach) are dropped first.
    """
    import torch

    embeddings = model.get_input_embeddings()
    if embeddings.weight.shape[0] < base_rows:
        raise InputError(
            f"The base model has {embeddings.weight.shape[0]} embedding rows but its tokenizer "
            f"{base_rows} tokens; they do not belong together."
        )
    if embeddings.weight.shape[0] == total_rows and total_rows == base_rows:
        return
    model.resize_token_embeddings(total_rows, mean_resizing=False)
    with torch.no_grad():
        for weight in row_matrices(model):
            mean = weight[:base_rows].double().mean(dim=0)
            weight[base_rows:] = mean.to(weight.dtype)
    model.config.vocab_size = total_rows


def row_matrices(model: Any) -> list[Any]:
    """The token-row matrices: the input embedding and, when untied, ``lm_head``."""
    matrices = [model.get_input_embeddings().weight]
    output = model.get_output_embeddings()
    if output is not None and output.weight is not matrices[0]:
        matrices.append(output.weight)
    return matrices


def is_tied(model: Any) -> bool:
    output = model.get_output_embeddings()
    return output is not None and output.weight is model.get_input_embeddings().weight


_CODE_TOKEN = re.compile(r"<([va])_(0|[1-9][0-9]*)_(0|[1-9][0-9]*)>")


def grid_of(tokenizer: Any, prefix: str, where: str) -> CodeSpec:
    """The ``heads x codebook_size`` grid of a tokenizer's ``<PREFIX_h_c>`` tokens.

    A checkpoint made elsewhere (a released one) records no grid, so it is read from its
    vocabulary: the grid must be complete (every head has the same codes ``0..size-1``),
    or the model could be asked for a token it does not have.
    """
    codes: dict[int, set[int]] = {}
    for text in tokenizer.get_vocab():
        match = _CODE_TOKEN.fullmatch(text)
        if match and match.group(1) == prefix:
            codes.setdefault(int(match.group(2)), set()).add(int(match.group(3)))
    name = {"v": "video", "a": "audio"}[prefix]
    if not codes:
        raise InputError(f"{where}: the tokenizer has no {name} tokens <{prefix}_HEAD_CODE>")
    heads = max(codes) + 1
    size = max(max(found) for found in codes.values()) + 1
    for head in range(heads):
        missing = sorted(set(range(size)) - codes.get(head, set()))
        if missing:
            raise InputError(
                f"{where}: the {name} tokens are not a complete {heads} x {size} grid: head "
                f"{head} lacks {len(missing)} code(s), e.g. <{prefix}_{head}_{missing[0]}>"
            )
    return CodeSpec(heads=heads, codebook_size=size)


def check_profile_vocabulary(tokenizer: Any, profile: Profile, where: str) -> dict[str, CodeSpec]:
    """The video and audio grids of a checkpoint made in ``profile``'s format, after checking
    that it has the profile's markers and one of its grids; an InputError saying what does
    not match otherwise."""
    vocab = tokenizer.get_vocab()
    missing = [marker for marker in profile.vocabulary.markers if marker not in vocab]
    if missing:
        raise InputError(
            f"{where}: the tokenizer lacks {len(missing)} of the {profile.name!r} profile's "
            f"markers ({', '.join(missing)}); it was not trained in that format"
        )
    grids = {}
    for modality, prefix in (("video", "v"), ("audio", "a")):
        grid = grid_of(tokenizer, prefix, where)
        if not profile.vocabulary.fits(modality, (grid.heads, grid.codebook_size)):
            allowed = profile.vocabulary.video if modality == "video" else profile.vocabulary.audio
            expected = " or ".join(f"{h} x {c}" for h, c in allowed)
            raise InputError(
                f"{where}: its {modality} tokens are a {grid.heads} x {grid.codebook_size} "
                f"grid, but the {profile.name!r} profile's {modality} tokenizers write "
                f"{expected}"
            )
        grids[f"{modality}_codes"] = grid
    return grids
