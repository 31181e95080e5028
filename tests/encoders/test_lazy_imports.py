"""Model plugins cost nothing until they encode: `autocut --help`, `plugins`, `doctor` stay fast."""

from __future__ import annotations

import subprocess
import sys

ENCODERS = ("efficientnet", "resnet50", "clip", "clip-text", "minilm", "logmel", "panns")
HEAVY = ("torch", "torchvision", "timm", "open_clip", "transformers", "sentence_transformers",
         "scipy", "librosa", "numba", "panns_inference")  # fmt: skip


def test_registering_and_describing_the_encoders_imports_no_heavy_library():
    code = (
        "import sys\n"
        "from autocut_core.plugins import get_registry\n"
        "registry = get_registry()\n"
        f"for name in {ENCODERS!r}:\n"
        "    encoder = registry.create('encoder', name)\n"
        "    encoder.dim, encoder.diagnose(), encoder.example_options()\n"
        f"print([m for m in {HEAVY!r} if m in sys.modules])\n"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert result.stdout.strip() == "[]"
