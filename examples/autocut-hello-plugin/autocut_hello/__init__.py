"""autocut-hello: the smallest useful AutoCut plugin.

``--encoder hello`` describes a frame by its mean colour per 2x2 quadrant (12 numbers). It
exists to show the whole path a third-party plugin takes: a pip package, an entry point,
a component class and a registration hook.
"""

from __future__ import annotations

import numpy as np

from autocut_core import hookimpl
from autocut_core.components import ComponentSettings, Encoder


class HelloSettings(ComponentSettings):
    #: Subtract the frame's mean brightness, so lighting changes matter less.
    centre: bool = True


class HelloEncoder(Encoder[HelloSettings]):
    name = "hello"
    description = "Mean colour of each frame quadrant, 12-D (example third-party plugin)"
    modality = "image"

    @property
    def dim(self) -> int:
        return 12

    def encode_batch(self, items):
        return np.stack([self._quadrants(np.asarray(frame, dtype=np.float32)) for frame in items])

    def _quadrants(self, frame: np.ndarray) -> np.ndarray:
        half_h, half_w = frame.shape[0] // 2, frame.shape[1] // 2
        quadrants = [
            frame[rows, cols, :3].mean(axis=(0, 1))
            for rows in (slice(0, half_h), slice(half_h, None))
            for cols in (slice(0, half_w), slice(half_w, None))
        ]
        vector = np.concatenate(quadrants) / 255.0
        if self.settings.centre:
            vector = vector - vector.mean()
        norm = np.linalg.norm(vector)
        return vector / norm if norm > 0 else vector


@hookimpl
def register_encoders(register):
    register(HelloEncoder)
