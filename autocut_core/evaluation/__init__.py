"""The evaluation harness: re-run the SFT test set's tasks with any backbone and score them.

``records`` reads the test set, ``tasks`` asks a backbone one sample, ``runner`` scores and
appends results (resumable), ``summary`` aggregates a results folder, ``report`` and
``plots`` write the paper's Table 1; ``harness`` ties them together for `autocut eval`.
Nothing heavy is imported here; matplotlib only when plots are drawn.
"""
