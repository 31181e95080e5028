"""Which product fact a sentence came from: the "selling point" column of a plan's evidence.

A line of an ad is there to say something about the product. The ``similarity`` backbone
writes the selling points themselves as lines; a user's script or a language model says
them in other words. To tell a reviewer what each line rests on, the sentence is compared
with every fact of the product (selling points first, then the description's sentences,
then the name) by the words they share, and the fact with the largest share of its
content words in the sentence is named, with that share as ``match``.

The measure is deliberately lexical and stated: it needs no model (it runs on every plan,
in the core), a reviewer can check it by reading, and it never claims a link that no word
supports. Content words are words of three or more letters (so "the", "is", "to" do not
link anything) lower-cased, and, in Chinese or Japanese text, which has no spaces, single
CJK characters. A sentence sharing no content word with any fact has no fact.
"""

from __future__ import annotations

import re

from autocut_core.inputs import split_sentences
from autocut_core.text import is_cjk
from autocut_core.types import FactKind, FactSource, Product

#: Latin (and other spaced-script) words shorter than this link nothing.
MIN_WORD_LETTERS = 3
_WORD = re.compile(r"[^\W_]+")


def content_words(text: str) -> frozenset[str]:
    """The words (and CJK characters) of ``text`` that can link a sentence to a fact."""
    found: set[str] = set()
    for word in _WORD.findall(text.casefold()):
        spaced = "".join(" " if is_cjk(char) else char for char in word).split()
        found.update(part for part in spaced if len(part) >= MIN_WORD_LETTERS)
        found.update(char for char in word if is_cjk(char))
    return frozenset(found)


def product_facts(product: Product) -> list[tuple[str, FactKind]]:
    """The product's facts in the order they are preferred on a tie."""
    facts: list[tuple[str, FactKind]] = [
        (point, "selling_point") for point in product.selling_points if point.strip()
    ]
    facts += [(line, "description") for line in split_sentences(product.description)]
    if product.name.strip():
        facts.append((product.name, "name"))
    return facts


def source_fact(sentence: str, product: Product | None) -> FactSource | None:
    """The product fact ``sentence`` says most of, or None when it shares no content word."""
    if product is None:
        return None
    said = content_words(sentence)
    best: FactSource | None = None
    for text, kind in product_facts(product):
        words = content_words(text)
        if not words:
            continue
        match = len(words & said) / len(words)
        if match > 0 and (best is None or match > best.match):
            best = FactSource(text=" ".join(text.split()), kind=kind, match=round(match, 4))
    return best
