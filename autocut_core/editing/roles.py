"""What each sentence of an ad does: hook, selling point, proof, call to action.

A script may mark a sentence's role at its start: ``[hook]``, ``[selling-point]`` (or
``[point]``), ``[proof]``, ``[cta]``, in Chinese ``[钩子]`` ``[卖点]`` ``[证明]`` ``[行动]``
(full-width brackets ``【】`` too). The marker is removed before the sentence is spoken.
Unmarked sentences get a role by these rules, in order (the first that applies wins):

1. **cta**: the sentence asks the viewer to act: English "buy", "order", "shop", "get
   yours", "try it", "visit", "find it", "grab", "sign up", "download", "available",
   "today", "now"; Chinese 立即 马上 购买 下单 抢购 点击 快来 赶紧 现在就 链接 入手.
2. **proof**: it carries evidence: a digit, "%", or English "tested", "proven",
   "certified", "award", "reviews", "rated", "customers", "stars", "clinically", "lab";
   Chinese 认证 好评 销量 检测 专利 实验 获奖 万人.
3. **selling-point**: it says one of the product's selling points (:func:`mentions`: half
   or more of the point's words, or of its character pairs in Chinese, are in it).
4. **hook**: it is the first sentence.
5. otherwise **selling-point** (it describes the product).

The footage-driven pipeline writes its lines from the product's selling points and
description, so rule 3 marks those it wrote from a selling point.
"""

from __future__ import annotations

import itertools
import re
from collections.abc import Sequence

from autocut_core.text import detect_language
from autocut_core.types import Product, Role, Script

ROLES: tuple[Role, ...] = ("hook", "selling-point", "proof", "cta")
_MARKERS: dict[str, Role] = {
    "hook": "hook", "selling-point": "selling-point", "selling point": "selling-point",
    "point": "selling-point", "proof": "proof", "cta": "cta", "call to action": "cta",
    "钩子": "hook", "卖点": "selling-point", "证明": "proof", "行动": "cta",
}  # fmt: skip
_MARKER = re.compile(r"^\s*[\[【]\s*([^\]】]{1,20}?)\s*[\]】]\s*")
_CTA_EN = re.compile(
    r"\b(buy|order|shop|get yours|get it|try it|visit|find it|grab|sign up|download|"
    r"available|today|now)\b",
    re.IGNORECASE,
)
_CTA_ZH = ("立即", "马上", "购买", "下单", "抢购", "点击", "快来", "赶紧", "现在就", "链接", "入手")
_PROOF_EN = re.compile(
    r"\b(tested|proven|certified|awards?|award-winning|reviews?|rated|customers|stars|"
    r"clinically|lab)\b",
    re.IGNORECASE,
)
_PROOF_ZH = ("认证", "好评", "销量", "检测", "专利", "实验", "获奖", "万人")
_STOPWORDS = frozenset(
    [
        "a",
        "an",
        "the",
        "and",
        "or",
        "of",
        "in",
        "on",
        "at",
        "to",
        "for",
        "from",
        "with",
        "by",
        "is",
        "are",
        "be",
        "it",
        "its",
        "this",
        "that",
        "your",
        "you",
        "our",
        "we",
        "no",
        "not",
        "every",
        "all",
        "near",
    ]
)
#: A sentence says a selling point when at least this share of the point's units is in it.
MENTION_SHARE = 0.5


def split_marker(sentence: str) -> tuple[Role | None, str]:
    """A marked sentence's role and its text without the marker; unmarked: ``(None, text)``.

    An unknown marker is an error: a typo would otherwise be spoken aloud.
    """
    match = _MARKER.match(sentence)
    if match is None:
        return None, sentence
    key = " ".join(match.group(1).lower().replace("_", "-").split())
    if key not in _MARKERS:
        known = ", ".join(f"[{name}]" for name in ROLES)
        raise ValueError(f"unknown role marker [{match.group(1)}] (known: {known})")
    return _MARKERS[key], sentence[match.end() :].strip()


def infer_role(sentence: str, position: int, product: Product | None) -> Role:
    """The role of an unmarked sentence by the module's rules."""
    if _CTA_EN.search(sentence) or any(cue in sentence for cue in _CTA_ZH):
        return "cta"
    if re.search(r"[0-9%％]", sentence) or _PROOF_EN.search(sentence):
        return "proof"
    if any(cue in sentence for cue in _PROOF_ZH):
        return "proof"
    if product is not None and any(mentions(sentence, p) for p in product.selling_points):
        return "selling-point"
    return "hook" if position == 0 else "selling-point"


def with_roles(script: Script, product: Product | None) -> Script:
    """``script`` with a role per sentence: markers read (and removed), the rest inferred.

    Roles already on the script are kept. Raises ``ValueError`` for an unknown marker or a
    sentence that is nothing but a marker.
    """
    if script.roles:
        return script
    sentences, roles = [], []
    for position, sentence in enumerate(script.sentences):
        marked, text = split_marker(sentence)
        if not text:
            raise ValueError(f"sentence {position + 1} is only a role marker: {sentence!r}")
        sentences.append(text)
        roles.append(marked if marked is not None else infer_role(text, position, product))
    return Script(sentences=tuple(sentences), language=script.language, roles=tuple(roles))


def units(text: str) -> set[str]:
    """What :func:`mentions` compares: content words (a plural's ``s`` dropped), or for
    Chinese and Japanese, pairs of adjacent characters."""
    if detect_language(text) in {"zh", "ja"}:
        chars = [c for c in text if c.isalnum()]
        return {a + b for a, b in itertools.pairwise(chars)} or set(chars)
    words = re.findall(r"[^\W_]+", text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words} - _STOPWORDS


def mentions(sentence: str, point: str) -> bool:
    """Whether ``sentence`` says the selling point ``point`` (see :data:`MENTION_SHARE`)."""
    wanted = units(point)
    return bool(wanted) and len(wanted & units(sentence)) >= MENTION_SHARE * len(wanted)


def covering(sentences: Sequence[str], point: str) -> list[int]:
    """Indices of the sentences that say ``point``."""
    return [index for index, sentence in enumerate(sentences) if mentions(sentence, point)]
