"""Train/validation split by ad (paper §7.6.3: 95/5), with nothing shared across it.

Whole ads go to one side, never single records of an ad. Ads that share footage (the same
video file content) or a {brand, product, script} are *grouped* and go to the same side, so
a duplicate cannot carry a validation ad into training.

Each group's side is decided by a hash of the seed and the group's first ad id alone: it goes
to validation when the hash, read as a number in [0, 1), is below the share. So the same seed
gives the same split, and adding ads to the folder moves no existing ad across (a shuffled
list cut at 95 % would); the validation share is 5 % on average rather than exactly. With few
ads the hash may pick none: then the group with the lowest hash is held out, so there is a
validation set whenever there are two groups. SFT ads and alignment-only ads are split
separately, so each gets its own validation ads.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence


def group_ads(links: Iterable[tuple[str, str]], ad_ids: Sequence[str]) -> dict[str, str]:
    """ad id -> its group (the smallest ad id it is linked to, directly or not)."""
    parent = {ad_id: ad_id for ad_id in ad_ids}

    def root(ad_id: str) -> str:
        while parent[ad_id] != ad_id:
            parent[ad_id] = parent[parent[ad_id]]
            ad_id = parent[ad_id]
        return ad_id

    for first, second in links:
        a, b = root(first), root(second)
        if a != b:
            parent[max(a, b)] = min(a, b)
    return {ad_id: root(ad_id) for ad_id in ad_ids}


def held_out_groups(groups: Iterable[str], share: float, seed: int) -> set[str]:
    """The groups of the validation side (see the module docstring)."""
    unique = sorted(set(groups))
    if share <= 0 or len(unique) < 2:
        return set()
    held = {group for group in unique if _position(seed, group) < share}
    if not held:
        held = {min(unique, key=lambda group: _position(seed, group))}
    if len(held) == len(unique):  # keep something to train on
        held.discard(max(unique, key=lambda group: _position(seed, group)))
    return held


def _position(seed: int, group: str) -> float:
    """A group's place in [0, 1), fixed by the seed and its name."""
    digest = hashlib.sha256(f"{seed}:{group}".encode()).digest()
    return int.from_bytes(digest[:8], "big") / 2**64


def split_ads(
    ad_groups: dict[str, str], sft_ads: set[str], share: float, seed: int
) -> dict[str, str]:
    """ad id -> ``"train"`` or ``"val"``; SFT groups and alignment-only groups split apart."""
    sft_groups = {group for ad_id, group in ad_groups.items() if ad_id in sft_ads}
    other_groups = set(ad_groups.values()) - sft_groups
    held = held_out_groups(sft_groups, share, seed) | held_out_groups(other_groups, share, seed)
    return {ad_id: "val" if group in held else "train" for ad_id, group in ad_groups.items()}
