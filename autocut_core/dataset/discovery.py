"""Which files make an ad: the naming convention of ``ADS_DIR``.

Every video in the folder (or any folder below it) is one ad; its sidecars share its name
without the suffix (the *stem*)::

    ads/
      ad01.mp4              the finished ad (any video format ffmpeg reads)
      ad01.srt              its transcript: .srt, .vtt or .json (exactly one; without one,
                            a transcriber transcribes the ad when one is installed)
      ad01.product.toml     its product facts: .product.toml or .product.json
      ad01.bgm.ogg          optional: its background music alone (any audio format)
      summer/ad02.mov       sub-folders are fine; the ad id is then "summer/ad02"
      summer/ad02.vtt
      summer/product.toml   a folder's product.toml serves every ad in it without its own

The ad id is the stem's path relative to ``ADS_DIR`` (``summer/ad02``). Videos whose name
contains ``.bgm.`` are background music, not ads. Problems (a missing or doubled sidecar)
are recorded on the ad, which the build then skips with that reason; files that belong to no
video are listed as orphans so a typo in a name does not pass unnoticed.
"""

from __future__ import annotations

import os
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from autocut_core.dataset.transcripts import TRANSCRIPT_SUFFIXES
from autocut_core.errors import InputError
from autocut_core.materials.indexing import AUDIO_EXTENSIONS, VIDEO_EXTENSIONS

PRODUCT_SUFFIXES: tuple[str, ...] = (".product.toml", ".product.json")
#: A folder-wide product file, used by the ads of that folder that have none of their own.
FOLDER_PRODUCT_NAMES: tuple[str, ...] = ("product.toml", "product.json")
BGM_MARK = ".bgm"


@dataclass(frozen=True)
class AdFiles:
    """The files of one ad; ``problems`` says why it cannot be used (empty if it can)."""

    ad_id: str
    video: Path
    transcript: Path | None = None
    product: Path | None = None
    bgm: Path | None = None
    problems: tuple[str, ...] = ()
    #: The problem of a missing transcript sidecar (also in ``problems``; "" when there is
    #: one): the build clears it when a transcriber transcribes the ad instead.
    missing_transcript: str = ""


@dataclass
class Discovery:
    """Every ad found, in ad id order, and the files that belong to none."""

    ads: list[AdFiles] = field(default_factory=list)
    orphans: list[str] = field(default_factory=list)


def discover_ads(ads_dir: Path) -> Discovery:
    """Group the files under ``ads_dir`` into ads by the naming convention above."""
    root = Path(ads_dir)
    if not root.is_dir():
        raise InputError(f"{root}: not a folder of ads")
    by_stem: dict[tuple[Path, str], list[Path]] = defaultdict(list)
    folder_products: dict[Path, list[Path]] = defaultdict(list)
    for walked, subfolders, names in os.walk(root):
        subfolders[:] = sorted(name for name in subfolders if not name.startswith("."))
        for name in sorted(names):
            if name.startswith("."):
                continue  # hidden and partially written files
            path = Path(walked) / name
            if name.lower() in FOLDER_PRODUCT_NAMES:
                folder_products[Path(walked)].append(path)
                continue
            by_stem[(Path(walked), _stem(name))].append(path)
    discovery = Discovery()
    claimed: set[Path] = set()
    for (folder, stem), paths in sorted(by_stem.items(), key=lambda item: _ad_id(root, *item[0])):
        videos = [p for p in paths if p.suffix.lower() in VIDEO_EXTENSIONS and _is_plain(p)]
        if not videos:
            continue
        ad = _ad_files(root, folder, stem, videos, paths, folder_products.get(folder, []))
        discovery.ads.append(ad)
        claimed.update(paths)
        claimed.update(folder_products.get(folder, []))
    discovery.orphans = sorted(
        path.relative_to(root).as_posix()
        for paths in list(by_stem.values()) + list(folder_products.values())
        for path in paths
        if path not in claimed and _is_sidecar(path)
    )
    return discovery


def _stem(name: str) -> str:
    """``ad01.product.toml`` -> ``ad01``; ``ad01.bgm.ogg`` -> ``ad01``; ``ad01.mp4`` -> ``ad01``."""
    lowered = name.lower()
    for suffix in PRODUCT_SUFFIXES:
        if lowered.endswith(suffix):
            return name[: -len(suffix)]
    base = name.rsplit(".", 1)[0] if "." in name else name
    if base.lower().endswith(BGM_MARK):
        return base[: -len(BGM_MARK)]
    return base


def _is_bgm(path: Path, stem: str) -> bool:
    return path.name.lower().startswith(f"{stem.lower()}{BGM_MARK}.") and (
        path.suffix.lower() in AUDIO_EXTENSIONS | VIDEO_EXTENSIONS
    )


def _is_sidecar(path: Path) -> bool:
    """Whether a file's name says it belongs to an ad (so a lone one is worth reporting)."""
    lowered = path.name.lower()
    return (
        path.suffix.lower() in TRANSCRIPT_SUFFIXES
        or lowered.endswith(PRODUCT_SUFFIXES)
        or lowered in FOLDER_PRODUCT_NAMES
        or _is_bgm(path, _stem(path.name))
    )


def _is_plain(path: Path) -> bool:
    """A video that is not a sidecar (``ad01.bgm.mp4`` is music, ``x.product.json`` facts)."""
    return _stem(path.name) == path.name.rsplit(".", 1)[0]


def _ad_id(root: Path, folder: Path, stem: str) -> str:
    return (folder / stem).relative_to(root).as_posix()


def _ad_files(
    root: Path,
    folder: Path,
    stem: str,
    videos: list[Path],
    paths: list[Path],
    folder_products: list[Path],
) -> AdFiles:
    problems: list[str] = []
    names = {path.name: path for path in paths}

    def one(candidates: list[Path], what: str, expected: str | None) -> Path | None:
        if len(candidates) > 1:
            listed = ", ".join(path.name for path in candidates)
            problems.append(f"several {what} files ({listed}); keep one")
        elif not candidates and expected is not None:
            problems.append(f"no {what}: expected {expected}")
        return candidates[0] if len(candidates) == 1 else None

    video = one(videos, "video", None)
    transcript = one(
        [names[f"{stem}{s}"] for s in TRANSCRIPT_SUFFIXES if f"{stem}{s}" in names],
        "transcript",
        f"{stem}.srt, {stem}.vtt or {stem}.json beside the video",
    )
    own_products = [names[f"{stem}{s}"] for s in PRODUCT_SUFFIXES if f"{stem}{s}" in names]
    product = one(
        own_products or folder_products,
        "product facts",
        f"{stem}.product.toml or {stem}.product.json (or a product.toml in its folder)",
    )
    bgm = one([p for p in paths if _is_bgm(p, stem)], "background music", None)
    missing = next((problem for problem in problems if problem.startswith("no transcript")), "")
    return AdFiles(
        ad_id=_ad_id(root, folder, stem),
        video=video or videos[0],
        transcript=transcript,
        product=product,
        bgm=bgm,
        problems=tuple(problems),
        missing_transcript=missing,
    )
