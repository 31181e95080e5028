"""The ``similarity`` backbone's options (``[backbones.similarity]``, ``--backbone-opt``).

A module of their own because the scorers read them too, and the backbone uses the scorers.
"""

from __future__ import annotations

from typing import Any

from pydantic import Field, field_validator

from autocut_core.components import ComponentSettings

_NONE = {"", "none", "null", "off"}


class SimilaritySettings(ComponentSettings):
    text_encoder: str | None = Field(
        "minilm",
        description="Text encoder for sentences vs clip captions (minilm, or any registered "
        "text encoder); none = word/character overlap only. If the default is not installed, "
        "overlap is used with a warning; a named one must load",
    )
    text_encoder_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the text encoder (as in [encoders.NAME])"
    )
    lexical_weight: float = Field(
        0.2, ge=0, le=1, description="Share of word/character overlap blended into the encoder's"
    )
    cjk_lexical_weight: float = Field(
        1.0,
        ge=0,
        le=1,
        description="The same share where either text is Chinese, Japanese or Korean and no "
        "multilingual_encoder is used (minilm embeds those poorly; lower it when text_encoder "
        "is multilingual)",
    )
    multilingual_encoder: str | None = Field(
        "muse",
        description="Text encoder for pairs where either text is Chinese, Japanese or Korean "
        "(muse: the Multilingual Universal Sentence Encoder); none = text_encoder with "
        "cjk_lexical_weight. If the default is not installed, those pairs fall back with a "
        "warning; a named one must load",
    )
    multilingual_encoder_options: dict[str, Any] = Field(
        default_factory=dict, description="Options of the multilingual encoder"
    )
    multilingual_lexical_weight: float = Field(
        0.3,
        ge=0,
        le=1,
        description="Share of word/character overlap blended into the multilingual encoder's",
    )
    brief_weight: float = Field(
        0.25,
        ge=0,
        le=1,
        description="select: share of each clip's fit to the whole brief (product facts and "
        "full script) in the score it is assigned to a sentence by; 0 = per sentence only",
    )
    image_encoder: str | None = Field(
        None,
        description="Image encoder of a joint text-image space (clip, siglip): sentences are also "
        "matched to the clips' frames; none = captions only",
    )
    image_encoder_options: dict[str, Any] = Field(
        default_factory=dict,
        description="Options of the image encoder, also given to image_text_encoder "
        "(e.g. {model = 'ViT-B-32', checkpoint = '...'} for clip)",
    )
    image_text_encoder: str | None = Field(
        None,
        description="Text tower of the image encoder's space (clip-text); default: the image "
        "encoder's own encode_text",
    )
    visual_weight: float = Field(
        0.5,
        ge=0,
        le=1,
        description="Share of frame evidence when captions and frames are both used",
    )
    frames_per_clip: int = Field(
        4, ge=1, le=32, description="Frames per clip given to the image encoder"
    )
    analysis_fps: float = Field(
        5.0,
        gt=0,
        le=30,
        description="Frames per second decoded to sample frames and measure motion",
    )
    max_side: int = Field(224, ge=32, le=1024, description="Longest side of decoded frames")
    brightness_weight: float = Field(
        0.5, ge=0, description="Weight of brightness against energy (1) in the music mood distance"
    )
    music_text_weight: float = Field(
        0.2,
        ge=0,
        le=1,
        description="Share of product/script text vs track titles in the music choice (used "
        "only when tracks have titles)",
    )
    music_seconds: float = Field(60.0, gt=0, description="Seconds of each track analysed")

    @field_validator(
        "text_encoder", "multilingual_encoder", "image_encoder", "image_text_encoder", mode="before"
    )
    @classmethod
    def _none_words(cls, value: Any) -> Any:
        # `--backbone-opt image_encoder=none` arrives as the string "none".
        if isinstance(value, str) and value.strip().lower() in _NONE:
            return None
        return value
