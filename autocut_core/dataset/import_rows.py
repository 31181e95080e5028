"""What every import layout reader yields: an ad validated as caption data, or a refusal."""

from __future__ import annotations

from dataclasses import dataclass

from autocut_core.editing.caption_ads import CaptionAd


@dataclass(frozen=True)
class Refusal:
    """An ad (or a row of one) that cannot be imported, and why."""

    where: str
    problem: str

    def __str__(self) -> str:
        return f"{self.where}: {self.problem}"


def validated(data: dict[str, object], where: str) -> CaptionAd | Refusal:
    """``data`` as a caption ad, or a refusal listing every field that is wrong."""
    from pydantic import ValidationError

    from autocut_core.serde import describe_validation_error

    try:
        return CaptionAd.model_validate(data)
    except ValidationError as error:
        text = describe_validation_error(error, where, "caption ad")
        head, _, details = text.partition("\n")
        return Refusal(where, " ".join(line.strip() for line in details.splitlines()) or head)
