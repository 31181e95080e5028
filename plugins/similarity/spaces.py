"""Embedding spaces the backbone compares in: a text space for captions, a joint text-image one.

Both get their encoders from the registry (so ``text_encoder = "minilm"`` or any third-party
text encoder works, with its own options), embed each distinct text or clip once per backbone
(an in-memory cache), and send everything new to the encoder in one batched call.
"""

from __future__ import annotations

import warnings
from collections import OrderedDict
from collections.abc import Callable, Hashable, Sequence
from typing import TYPE_CHECKING, Any

from autocut_core.errors import AutocutError, InputError, MissingWeightsError, UnknownComponentError
from autocut_core.text import detect_language

from . import lexical

if TYPE_CHECKING:
    import numpy as np

    from autocut_core.components import Encoder

#: Embeddings kept per space; older ones are dropped first.
CACHE_SIZE = 20_000


class EmbeddingCache:
    """Key -> unit vector, least recently used dropped first; new keys embedded in one batch."""

    def __init__(self, size: int = CACHE_SIZE):
        self._vectors: OrderedDict[Hashable, np.ndarray] = OrderedDict()
        self._size = size

    def get(
        self, keys: Sequence[Hashable], items: Sequence[Any], embed: Callable[[list[Any]], Any]
    ) -> np.ndarray:
        """Vectors for ``keys`` (row per key); ``embed`` is called once, on the missing items."""
        import numpy as np

        from autocut_core.components import normalize_rows

        missing: dict[Hashable, Any] = {}
        for key, item in zip(keys, items, strict=True):
            if key not in self._vectors and key not in missing:
                missing[key] = item
        if missing:
            vectors = normalize_rows(np.asarray(embed(list(missing.values())), dtype=np.float32))
            for key, vector in zip(missing, vectors, strict=True):
                self._vectors[key] = vector
        rows = []
        for key in keys:
            self._vectors.move_to_end(key)
            rows.append(self._vectors[key])
        while len(self._vectors) > self._size:
            self._vectors.popitem(last=False)
        return np.stack(rows) if rows else np.zeros((0, 0), dtype=np.float32)


def create_encoder(name: str, options: dict[str, Any], modality: str, role: str) -> Encoder:
    """An encoder from the registry, checked to take ``modality`` input."""
    from autocut_core.plugins import get_registry

    encoder = get_registry().create("encoder", name, options)
    if encoder.modality != modality:
        raise InputError(
            f"backbone 'similarity': {role} '{name}' is a {encoder.modality} encoder; it must "
            f"take {modality}"
        )
    return encoder


class TextEncoderSlot:
    """One text encoder of the space, loaded on first use; a default that is not installed
    turns into "no encoder" with one warning, a chosen one must load."""

    def __init__(self, name: str | None, options: dict[str, Any], required: bool, role: str):
        self.name = name
        self.options = options
        #: False when the name is only the default: then a missing model means no encoder.
        self.required = required
        self.role = role
        self._encoder: Encoder | None = None
        self._unavailable = name is None
        self._cache = EmbeddingCache()

    @property
    def fell_back(self) -> bool:
        """The configured encoder could not load, so it is not used."""
        return self._unavailable and self.name is not None

    @property
    def usable(self) -> bool:
        """Configured and not (yet) found missing."""
        return not self._unavailable

    def available(self) -> bool:
        """Whether the encoder is registered and says its model is there (its ``diagnose``),
        without loading the model: what the evidence checks ask before any scoring."""
        if self._unavailable:
            return False
        try:
            encoder = self.get_encoder()
        except (ImportError, MissingWeightsError, UnknownComponentError):
            return False
        return all(check.status != "fail" for check in encoder.diagnose())

    def embed(self, texts: list[str]) -> np.ndarray | None:
        """Unit vectors of ``texts``, or None when there is no encoder (or it is missing)."""
        if self._unavailable:
            return None
        try:
            encoder = self.get_encoder()
            return self._cache.get(texts, texts, encoder.encode)
        except (ImportError, MissingWeightsError, UnknownComponentError) as error:
            if self.required:
                raise
            # The default encoders are optional extras: without them, the backbone still works.
            warnings.warn(
                f"similarity: {self.role} '{self.name}' is not available ({error}); "
                "matching those captions by word overlap only",
                RuntimeWarning,
                stacklevel=5,
            )
            self._unavailable = True
            return None

    def get_encoder(self) -> Encoder:
        if self._encoder is None:
            assert self.name is not None
            self._encoder = create_encoder(self.name, self.options, "text", self.role)
        return self._encoder


class TextSpace:
    """Sentence-to-caption similarity: text encoders blended with lexical overlap, or lexical
    overlap alone when no encoder is configured (or the default one is not installed).

    Pairs in which either text is Chinese, Japanese or Korean go to the ``multilingual``
    encoder (``muse`` by default) with ``multilingual_lexical_weight`` of overlap; without
    one (not installed, or ``none``) they go to the main encoder with ``cjk_lexical_weight``,
    which is 1 (overlap only) by default, because the default main encoder
    (all-MiniLM-L6-v2) was trained on English and embeds CJK text poorly. Other pairs take
    the main encoder with ``lexical_weight``.
    """

    def __init__(
        self,
        encoder_name: str | None,
        options: dict[str, Any],
        lexical_weight: float,
        required: bool,
        cjk_lexical_weight: float = 1.0,
        multilingual: TextEncoderSlot | None = None,
        multilingual_lexical_weight: float = 0.0,
    ):
        self.main = TextEncoderSlot(encoder_name, options, required, "text_encoder")
        self.multilingual = multilingual or TextEncoderSlot(None, {}, False, "multilingual")
        self.lexical_weight = lexical_weight
        self.cjk_lexical_weight = cjk_lexical_weight
        self.multilingual_lexical_weight = multilingual_lexical_weight

    @property
    def encoder_name(self) -> str | None:
        return self.main.name

    @property
    def options(self) -> dict[str, Any]:
        return self.main.options

    @property
    def fell_back(self) -> bool:
        """The configured main encoder could not load, so only word overlap is used."""
        return self.main.fell_back

    def space_name(self) -> str:
        """The encoders captions are compared in, as the summary names them."""
        names = [slot.name for slot in (self.main, self.multilingual) if slot.usable and slot.name]
        return " / ".join([*names, "word overlap"]) if names else "word overlap"

    def similarity(self, queries: Sequence[str], documents: Sequence[str]) -> np.ndarray:
        """``[len(queries), len(documents)]``; an empty text is similar to nothing (0)."""
        import numpy as np

        scores = np.zeros((len(queries), len(documents)), dtype=np.float32)
        rows = [i for i, text in enumerate(queries) if text.strip()]
        columns = [j for j, text in enumerate(documents) if text.strip()]
        if not rows or not columns:
            return scores
        kept_queries = [queries[i] for i in rows]
        kept_documents = [documents[j] for j in columns]
        overlap = lexical.similarity(kept_queries, kept_documents)
        cjk = _either_cjk(kept_queries, kept_documents)
        block = overlap.copy()
        # CJK pairs first: the multilingual encoder if it loads, else the main one below.
        multilingual = self._semantic(self.multilingual, kept_queries, kept_documents, cjk)
        if multilingual is not None:
            weight = self.multilingual_lexical_weight
            block = np.where(cjk, (1 - weight) * multilingual + weight * overlap, block)
            main_pairs = ~cjk
        else:
            main_pairs = np.ones_like(cjk)
        weights = np.where(cjk, self.cjk_lexical_weight, self.lexical_weight)
        main_pairs = main_pairs & (weights < 1)
        semantic = self._semantic(self.main, kept_queries, kept_documents, main_pairs)
        if semantic is not None:
            blended = (1 - weights) * semantic + weights * overlap
            block = np.where(main_pairs, blended, block)
        scores[np.ix_(rows, columns)] = block
        return scores

    @staticmethod
    def _semantic(
        slot: TextEncoderSlot, queries: list[str], documents: list[str], pairs: np.ndarray
    ) -> np.ndarray | None:
        """Cosines of every query and document in ``slot``'s space, when some pair needs it
        and the slot has an encoder (None otherwise)."""
        if not pairs.any() or not slot.usable:
            return None
        embedded = slot.embed(queries + documents)
        if embedded is None:
            return None
        return embedded[: len(queries)] @ embedded[len(queries) :].T


def _either_cjk(queries: list[str], documents: list[str]) -> np.ndarray:
    """``[len(queries), len(documents)]``: whether either text of the pair is CJK."""
    import numpy as np

    cjk_queries = np.array([detect_language(text) is not None for text in queries])
    cjk_documents = np.array([detect_language(text) is not None for text in documents])
    return cjk_queries[:, None] | cjk_documents[None, :]


class ImageSpace:
    """Sentence-to-frames similarity in a joint text-image space (``clip`` + its text tower)."""

    def __init__(self, image_encoder: str, options: dict[str, Any], text_encoder: str | None):
        self.image_encoder_name = image_encoder
        self.options = options
        self.text_encoder_name = text_encoder
        self._image: Encoder | None = None
        self._text: Callable[[list[str]], Any] | None = None
        self._text_cache = EmbeddingCache()
        self._clip_cache = EmbeddingCache()

    def similarity(
        self, queries: Sequence[str], clip_keys: Sequence[Hashable], frames: Callable[[], Any]
    ) -> np.ndarray:
        """``[len(queries), len(clip_keys)]`` cosine similarities; ``frames()`` returns the
        frame lists of the clips (called only if some clip is not cached yet)."""
        import numpy as np

        from autocut_core.components import normalize_rows

        image = self._image_encoder()
        texts = self._text_cache.get(list(queries), list(queries), self._text_encoder())
        pending: list[list[np.ndarray]] | None = None

        def embed_clips(missing: list[int]) -> np.ndarray:
            nonlocal pending
            if pending is None:
                pending = frames()
            flat = [frame for index in missing for frame in pending[index]]
            vectors = normalize_rows(image.encode(flat))
            out, row = [], 0
            for index in missing:  # a clip is the mean direction of its frames
                count = len(pending[index])
                out.append(vectors[row : row + count].mean(axis=0))
                row += count
            return np.stack(out)

        clips = self._clip_cache.get(list(clip_keys), list(range(len(clip_keys))), embed_clips)
        if texts.shape[1] != clips.shape[1]:
            raise AutocutError(
                f"backbone 'similarity': the text tower gives {texts.shape[1]}-D vectors but "
                f"image encoder '{self.image_encoder_name}' gives {clips.shape[1]}-D ones; they "
                "are not one joint space"
            )
        return (texts @ clips.T).astype(np.float32)

    def _image_encoder(self) -> Encoder:
        if self._image is None:
            self._image = create_encoder(
                self.image_encoder_name, self.options, "image", "image_encoder"
            )
        return self._image

    def _text_encoder(self) -> Callable[[list[str]], Any]:
        if self._text is None:
            if self.text_encoder_name is not None:
                tower = create_encoder(
                    self.text_encoder_name, self.options, "text", "image_text_encoder"
                )
                self._text = tower.encode
            else:
                own = getattr(self._image_encoder(), "encode_text", None)
                if own is None:
                    raise InputError(
                        f"backbone 'similarity': image encoder '{self.image_encoder_name}' has no "
                        "text tower (no encode_text); set image_text_encoder to the text encoder "
                        "of its space"
                    )
                self._text = own
        return self._text
