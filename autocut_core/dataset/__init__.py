"""Training data for the language model: finished ads -> the alignment and SFT corpora.

``autocut dataset build ADS_DIR -o DIR`` (paper §4.1, §7.6) reads a folder of finished ads
(a video, its transcript, its product facts and optionally its background music each),
indexes and tokenizes them, cuts them into sentence clips and writes two corpora:

- ``DIR/align/{train,val}.jsonl``: one token sequence per ad for the alignment stage;
- ``DIR/sft/{train,val}.jsonl``: ShareGPT records of the four editing tasks.

The modules, in the order the build uses them: :mod:`.discovery` (which files make an ad),
:mod:`.transcripts` (cues -> sentences), :mod:`.clips` (sentences -> clip spans and their
frames), :mod:`.filters` (the paper's SFT filters), :mod:`.split` (train/val by ad),
:mod:`.encoding` (index, tokenizers, tokens), :mod:`.alignment` and :mod:`.tasks` (the
records), :mod:`.llamafactory` (``dataset_info.json``), :mod:`.build` (the whole run) and
:mod:`.stats` (Figure 3's statistics). docs/datasets.md describes the files.
"""
