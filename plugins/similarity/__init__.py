"""``similarity``: the zero-shot backbone. Selects, orders, writes and picks music by similarity.

- ``select`` / ``sort``: script sentences vs clips, through the clips' captions (see
  :mod:`autocut_core.materials.captions`) in a text encoder's space (``minilm`` by default,
  ``muse`` for Chinese, Japanese and Korean, word overlap without one) and, when
  ``image_encoder`` names a joint text-image model (``clip``), through their frames; then an
  optimal assignment, so every sentence gets its own best clip. ``select`` also weighs each
  clip's fit to the whole brief (:mod:`.brief`).
- ``write_script``: the product's selling points (then description sentences) assigned to the
  clips they describe best; never invents copy.
- ``pick_music``: the footage's brightness, colour, motion and pace vs each track's tempo,
  onsets, loudness and spectral centroid, in one small mood space.

Nothing here is trained, so it is the baseline a trained backbone must beat, and the backbone
that works on a fresh machine. Heavy libraries (torch via the encoders, SciPy) load on first use,
and so does :mod:`.backbone` itself (when the registry is built or a name below is first looked
up), so ``autocut --help`` does not pay for it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from autocut_core import hookimpl
from autocut_core.lazy import lazy_exports

if TYPE_CHECKING:
    from .backbone import SimilarityBackbone, SimilaritySettings

__all__ = ["SimilarityBackbone", "SimilaritySettings"]


__getattr__ = lazy_exports(
    __name__, {"SimilarityBackbone": ".backbone", "SimilaritySettings": ".settings"}
)


@hookimpl
def register_backbones(register):
    from .backbone import SimilarityBackbone

    register(SimilarityBackbone)
