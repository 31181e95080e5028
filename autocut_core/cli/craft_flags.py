"""The ad-craft flags of `autocut run`: target length, platform presets, end card, beat sync,
ad rules; turned into one :class:`~autocut_core.pipelines.craft.AdCraft`."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

from autocut_core.editing.ad_rules import AdRules, parse_rules
from autocut_core.errors import InputError
from autocut_core.types import EndCard, Product, Script

#: ``--platform`` presets: (seconds, aspect ratio) of common ad slots. AutoCut's own
#: presets, not the platforms' rules: check the platform's current limits.
PLATFORM_PRESETS: dict[str, tuple[float, str]] = {
    "bumper": (6.0, "16:9"),
    "story": (15.0, "9:16"),
    "reel": (30.0, "9:16"),
    "feed": (60.0, "1:1"),
}


def target_seconds(duration: float | None, platform: str | None) -> float | None:
    """``--duration`` wins over the ``--platform`` preset; neither: the natural length."""
    if platform is not None and platform not in PLATFORM_PRESETS:
        raise InputError(
            f"unknown --platform {platform!r}: choose one of {', '.join(PLATFORM_PRESETS)}"
        )
    if duration is not None:
        if not 0 < duration <= 600:
            raise InputError(f"--duration {duration:g}: expected seconds between 0 and 600")
        return duration
    return PLATFORM_PRESETS[platform][0] if platform is not None else None


def platform_format(platform: str | None) -> str | None:
    return PLATFORM_PRESETS[platform][1] if platform in PLATFORM_PRESETS else None


def end_card(
    product: Product,
    wanted: bool,
    cta: str | None,
    logo: Path | None,
    colors: str | None,
    seconds: float,
) -> EndCard | None:
    """The end card asked for (``--end-card`` or any of its options), from the product's name
    and brand; None when none was asked for."""
    if not (wanted or cta or logo or colors):
        return None
    background, color = "#000000", "#FFFFFF"
    if colors:
        parts = [part.strip() for part in colors.split(",")]
        if len(parts) > 2 or not parts[0]:
            raise InputError(f"--brand-colors {colors!r}: expected BACKGROUND[,TEXT] as #RRGGBB")
        background = parts[0]
        color = parts[1] if len(parts) == 2 else color
    if logo is not None and not logo.is_file():
        raise InputError(f"{logo}: --logo file not found")
    if not 0.5 <= seconds <= 10:
        raise InputError(f"--end-card-seconds {seconds:g}: expected 0.5 to 10")
    try:
        return EndCard(title=product.name, brand=product.brand, cta=cta or "",
                       logo=str(logo.resolve()) if logo is not None else None,
                       background=background, color=color, duration=seconds)  # fmt: skip
    except ValueError as error:
        raise InputError(f"--brand-colors / --end-card: {error}") from None


def rules(texts: Sequence[str] | None) -> AdRules:
    return parse_rules(texts or ())


def script_with_roles(script: Script, product: Product, path: Path) -> Script:
    """The script's roles read and inferred now, so a bad marker names the file."""
    from autocut_core.editing.roles import with_roles

    try:
        return with_roles(script, product)
    except ValueError as error:
        raise InputError(f"{path}: {error}") from None
