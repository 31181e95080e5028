"""``histogram``: a weight-free frame descriptor (colour, coarse layout, edge orientation).

It is not a semantic embedding: two different red products on white look alike to it. It is
honest, instant and needs no download, which makes it the default that works on any machine
and a fair baseline for cut detection, where a change of colour and layout is what matters.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Encoder

if TYPE_CHECKING:
    import numpy as np

_HUE_BINS, _SAT_BINS, _VAL_BINS = 8, 4, 2
_GRID = 4
_ORIENTATIONS = 8
_MAX_SIDE = 256
_EDGE_FLOOR = 0.05


class HistogramSettings(ComponentSettings):
    colour_weight: float = Field(1.0, ge=0, description="Weight of the HSV colour histogram block")
    layout_weight: float = Field(
        1.0, ge=0, description="Weight of the 4x4 mean-colour layout block"
    )
    edge_weight: float = Field(1.0, ge=0, description="Weight of the edge-orientation block")


class HistogramEncoder(Encoder[HistogramSettings]):
    """HSV histogram (64) + 4x4 mean-colour layout (48) + edge orientations (16) = 128-D."""

    name = "histogram"
    description = "Weight-free colour/layout/edge descriptor, 128-D (not semantic; fast)"
    modality = "image"
    batch_size = 64
    #: Cheap single-threaded NumPy: indexing runs one file per core with it.
    capabilities = frozenset({"light"})

    @property
    def dim(self) -> int:
        return _HUE_BINS * _SAT_BINS * _VAL_BINS + _GRID * _GRID * 3 + _ORIENTATIONS * 2

    def encode_batch(self, items: Sequence[np.ndarray]) -> np.ndarray:
        import numpy as np

        return np.stack([self._describe(_as_rgb(frame)) for frame in items])

    def _describe(self, rgb: np.ndarray) -> np.ndarray:
        import numpy as np

        settings = self.settings
        pixels = rgb.astype(np.float32) / 255.0
        blocks = (
            (_colour_histogram(pixels), settings.colour_weight),
            (_layout(pixels), settings.layout_weight),
            (_edge_orientations(pixels), settings.edge_weight),
        )
        vector = np.concatenate([_unit(block) * weight for block, weight in blocks])
        return _unit(vector)


def _as_rgb(frame: np.ndarray) -> np.ndarray:
    import numpy as np

    array = np.asarray(frame)
    if array.ndim == 2:
        array = np.repeat(array[:, :, None], 3, axis=2)
    if array.ndim != 3 or array.shape[2] not in (3, 4) or min(array.shape[:2]) < 2:
        raise ValueError(f"histogram encoder expects HxWx3 RGB frames, got shape {array.shape}")
    array = array[:, :, :3]
    step = max(1, max(array.shape[:2]) // _MAX_SIDE)
    if step == 1:
        return array
    # Area averaging, not striding: striding aliases fine texture into different histograms.
    height, width = (array.shape[0] // step) * step, (array.shape[1] // step) * step
    blocks = array[:height, :width].reshape(height // step, step, width // step, step, 3)
    return blocks.mean(axis=(1, 3)).astype(np.uint8)


def _unit(vector: np.ndarray) -> np.ndarray:
    import numpy as np

    norm = float(np.linalg.norm(vector))
    return vector / norm if norm > 0 else vector


def _colour_histogram(pixels: np.ndarray) -> np.ndarray:
    import numpy as np

    maximum = pixels.max(axis=2)
    minimum = pixels.min(axis=2)
    chroma = maximum - minimum
    red, green, blue = pixels[..., 0], pixels[..., 1], pixels[..., 2]
    safe = np.where(chroma > 0, chroma, 1.0)
    hue = np.where(
        maximum == red,
        ((green - blue) / safe) % 6,
        np.where(maximum == green, (blue - red) / safe + 2, (red - green) / safe + 4),
    )
    hue = np.where(chroma > 0, hue / 6.0, 0.0)
    saturation = np.where(maximum > 0, chroma / np.where(maximum > 0, maximum, 1.0), 0.0)
    # Bins centred on the primaries (red straddles hue 0): shift by half a bin, then wrap.
    h = np.floor(hue * _HUE_BINS + 0.5).astype(np.int64) % _HUE_BINS
    s = np.minimum((saturation * _SAT_BINS).astype(np.int64), _SAT_BINS - 1)
    v = np.minimum((maximum * _VAL_BINS).astype(np.int64), _VAL_BINS - 1)
    bins = (h * _SAT_BINS + s) * _VAL_BINS + v
    histogram = np.bincount(bins.ravel(), minlength=_HUE_BINS * _SAT_BINS * _VAL_BINS)
    # Square root (Hellinger) so one dominant colour does not drown the rest.
    return np.sqrt(histogram.astype(np.float32) / bins.size)


def _layout(pixels: np.ndarray) -> np.ndarray:
    import numpy as np

    height, width = pixels.shape[:2]
    rows = np.array_split(np.arange(height), _GRID)
    cols = np.array_split(np.arange(width), _GRID)
    cells = [
        pixels[r[0] : r[-1] + 1, c[0] : c[-1] + 1].mean(axis=(0, 1))
        if len(r) and len(c)
        else np.zeros(3)
        for r in rows
        for c in cols
    ]
    layout = np.concatenate(cells).astype(np.float32)
    return layout - layout.mean()  # centred: brightness alone does not make frames similar


def _edge_orientations(pixels: np.ndarray) -> np.ndarray:
    import numpy as np

    gray = pixels @ np.array([0.299, 0.587, 0.114], dtype=np.float32)
    gx = gray[1:-1, 2:] - gray[1:-1, :-2]
    gy = gray[2:, 1:-1] - gray[:-2, 1:-1]
    magnitude = np.hypot(gx, gy)
    # Below ~5% contrast a gradient is sensor or compression noise, not an edge of the scene.
    magnitude = np.where(magnitude >= _EDGE_FLOOR, magnitude, 0.0)
    angle = (np.arctan2(gy, gx) % np.pi) / np.pi
    # Centred bins: horizontal edges (angle 0 and pi) must not straddle the first and last bin.
    bins = np.floor(angle * _ORIENTATIONS + 0.5).astype(np.int64) % _ORIENTATIONS
    height, width = magnitude.shape
    centre = np.zeros_like(magnitude, dtype=bool)
    centre[height // 4 : height - height // 4, width // 4 : width - width // 4] = True
    parts = [
        np.bincount(bins[mask], weights=magnitude[mask], minlength=_ORIENTATIONS)
        for mask in (centre, ~centre)
    ]
    total = max(float(magnitude.size), 1.0)
    return np.concatenate(parts).astype(np.float32) / total


@hookimpl
def register_encoders(register):
    register(HistogramEncoder)
