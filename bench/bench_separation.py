"""Voice/music separation on synthetic ads: how much nearer the known music track the
separated music stem is than the mix the dataset builder would otherwise embed.

Three English ads are made as the dataset tests and ``bench_asr.py`` make them (espeak-ng
voice over music over footage, `autocut_core.testing.synthetic_ads`); each ad's
``.bgm.ogg`` is the truth. Per ad, the same run measures against that track:

- waveform correlation (Pearson, aligned at 0, both at the separator's rate) of the mix
  (the baseline), of the ``repet`` music stem and of the ``demucs`` music stem;
- the cosine of the music embedding the dataset builder stores (``--audio-encoder``,
  default ``logmel``) between each of them and the known track's;
- seconds of separation per minute of audio.

    PYTHONPATH=. python bench/bench_separation.py [--ads 3] [--audio-encoder logmel]

demucs uses the ``htdemucs`` card when it is in the cache, else the tiny random checkpoint
of the tests, and says so: random weights measure the code path and its time, not quality.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fmt, machine_line, markdown_table


def _correlation(a, b) -> float:
    import numpy as np

    n = min(a.size, b.size)
    x, y = a[:n].astype(np.float64), b[:n].astype(np.float64)
    x, y = x - x.mean(), y - y.mean()
    return float(x @ y / (np.linalg.norm(x) * np.linalg.norm(y)))


def _demucs():
    """The demucs separator with real weights when cached, else the tiny random one."""
    from autocut_plugins.demucs import HTDEMUCS, DemucsSeparator
    from autocut_plugins.demucs_tiny import tiny_demucs_checkpoint

    from autocut_core import models

    if models.locate(HTDEMUCS) is not None:
        return DemucsSeparator.from_options({"model": "htdemucs"}), "htdemucs"
    options = {"model": str(tiny_demucs_checkpoint())}
    return DemucsSeparator.from_options(options), "random weights, path only"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--ads", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    parser.add_argument("--audio-encoder", default="logmel")
    args = parser.parse_args()

    import numpy as np
    from autocut_plugins.repet import RepetSeparator

    from autocut_core.components import resample
    from autocut_core.media.decode import decode_audio
    from autocut_core.plugins import get_registry
    from autocut_core.testing.synthetic_ads import make_synthetic_ads

    encoder = get_registry().create("encoder", args.audio_encoder)
    assert encoder.sample_rate is not None, f"{args.audio_encoder} does not take audio"
    demucs, demucs_label = _demucs()
    separators = {"repet": RepetSeparator(), "demucs": demucs}

    def embed(samples: np.ndarray, rate: int) -> np.ndarray:
        assert encoder.sample_rate is not None
        if rate != encoder.sample_rate:
            samples = resample(samples, rate, encoder.sample_rate)
        vector = encoder.encode([samples])[0]
        return vector / np.linalg.norm(vector)

    rows, sums = [], np.zeros(6)
    seconds = {name: 0.0 for name in separators}
    minutes = 0.0
    with tempfile.TemporaryDirectory() as folder:
        corpus = make_synthetic_ads(
            Path(folder) / "ads", n_ads=args.ads, seed=args.seed, bad=(), zh_share=0.0
        )
        for ad in corpus.ads:
            assert ad.bgm is not None
            row: list[float] = []
            cosines: list[float] = []
            for name, separator in separators.items():
                rate = separator.sample_rate
                mix, known = decode_audio(ad.video, rate), decode_audio(ad.bgm, rate)
                started = time.perf_counter()
                stems = separator.separate(mix)
                seconds[name] += time.perf_counter() - started
                truth = embed(known, rate)
                if name == "repet":  # the baseline, at repet's rate
                    minutes += mix.size / rate / 60
                    row.append(_correlation(mix, known))
                    cosines.append(float(embed(mix, rate) @ truth))
                row.append(_correlation(stems.music, known))
                cosines.append(float(embed(stems.music, rate) @ truth))
            values = row + cosines
            sums += values
            rows.append([ad.plan.ad_id, fmt(ad.duration, 1), *(fmt(v, 3) for v in values)])
    rows.append(["mean", "", *(fmt(v / len(corpus.ads), 3) for v in sums)])
    print(
        f"Separation on {args.ads} synthetic ads (espeak-ng voice over known music); "
        f"embedding: {args.audio_encoder}; demucs: {demucs_label}; {machine_line()}\n"
    )
    print(markdown_table(
        ["ad", "seconds", "corr mix", "corr repet", "corr demucs", "cos mix", "cos repet",
         "cos demucs"], rows,
    ))  # fmt: skip
    print()
    print(markdown_table(
        ["separator", "seconds per minute of audio"],
        [[name, fmt(spent / minutes, 1)] for name, spent in seconds.items()],
    ))  # fmt: skip


if __name__ == "__main__":
    main()
