"""Prompt/answer profiles: how the four tasks are asked and answered, by name.

A model answers well only in the format it was trained on, so the training-data builder
(:mod:`autocut_core.dataset`), the ``lm`` backbone and the evaluation all build prompts and
read answers through one :class:`Profile`, chosen by name:

``autocut``    AutoCut's own format (the default; :mod:`autocut_core.editing.prompts`): a
               system prompt that explains the tokens, English or Chinese prompts, 0-based
               bracketed index lists (``[0, 2, 5]``), every task for every ad.
``reference``  the public reference implementation's format, so that AutoCut data trains in
               its LLaMA-Factory setup and its released checkpoint (``MiltonZ/AutoCut_embsft``)
               answers AutoCut's questions: no system prompt, its Chinese wording
               (:mod:`autocut_core.editing.reference_prompts`), 1-based comma lists without
               spaces (``1,3,6``), one task per ad, and its vocabulary (:class:`Vocabulary`).

Answers come back from :meth:`Profile.parse_answer` in the same types for every profile
(0-based indices, lines, audio tokens), parsed as strictly as AutoCut's own: an answer not
exactly in the profile's spelling is an :class:`~autocut_core.editing.prompts.AnswerParseError`
naming the task, the problem and its offset.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from autocut_core.editing import prompts, reference_prompts
from autocut_core.editing.prompts import BRACKETED, IndexSpelling
from autocut_core.errors import InputError
from autocut_core.tokens.strings import MARKERS
from autocut_core.types import Candidate, Product, Script

DEFAULT_PROFILE = "autocut"
#: What `autocut dataset build` writes beside ``align/`` and ``sft/``, with the profile in it.
CORPUS_SUMMARY = "summary.json"
#: The markers the reference's prompts and answers use (its ``parse.py`` reads these ten);
#: ``<|ad_start|>``/``<|ad_end|>`` appear only in its pre-training text.
PROMPT_MARKERS: tuple[str, ...] = tuple(
    m for m in MARKERS if m not in ("<|ad_start|>", "<|ad_end|>")
)


@dataclass(frozen=True)
class Vocabulary:
    """What a checkpoint trained in a profile's format must have among its tokens.

    ``video``/``audio`` are the ``(heads, codebook_size)`` grids of code tokens it may have,
    the first being the profile's own; empty where the profile takes whatever grid the
    tokenizers have (AutoCut's own). The reference released tokenizers of 24 x 256 (video)
    and 16 x 256 (audio), and the 8 x 256 ones its inference and pre-training code load
    (``video_8_256_0729``, ``audio_8_256_0729``); which of them the released checkpoint
    was trained with is read from its tokenizer, not assumed.
    """

    markers: tuple[str, ...]
    video: tuple[tuple[int, int], ...] = ()
    audio: tuple[tuple[int, int], ...] = ()

    def fits(self, modality: str, grid: tuple[int, int]) -> bool:
        allowed = self.video if modality == "video" else self.audio
        return not allowed or grid in allowed


@dataclass(frozen=True)
class Profile:
    name: str
    description: str
    #: Prompt languages, the first being the default.
    languages: tuple[str, ...]
    indices: IndexSpelling
    #: Whether each ad gives one SFT record of one task instead of one per task.
    one_task_per_ad: bool
    vocabulary: Vocabulary
    #: Whether the alignment text opens with the product facts (the reference's does not).
    facts_in_alignment: bool = True

    def language(self, texts: Script | Sequence[str] | str, wanted: str = "auto") -> str:
        """The prompt language: ``wanted`` when not ``auto``, else the script's (if offered)."""
        if wanted != "auto":
            self.check_language(wanted)
            return wanted
        if len(self.languages) == 1:
            return self.languages[0]
        return prompts.prompt_language(texts)

    def check_language(self, lang: str) -> None:
        if lang not in self.languages:
            raise ValueError(
                f"profile {self.name!r} has prompts in {', '.join(self.languages)} only, "
                f"not {lang!r}"
            )

    def build_prompt(
        self,
        task: str,
        product: Product,
        script: Script | Sequence[str] | None,
        candidates: Sequence[Candidate],
        lang: str | None = None,
        *,
        count: int | None = None,
    ) -> tuple[str, str]:
        """``(system, human)`` for one task; see :func:`autocut_core.editing.prompts.build_prompt`
        for the arguments (``lang`` None: the profile's default language)."""
        lang = lang or self.languages[0]
        self.check_language(lang)
        if self.name == DEFAULT_PROFILE:
            return prompts.build_prompt(task, product, script, candidates, lang, count=count)
        if task not in prompts.TASKS:
            raise ValueError(f"unknown task {task!r}; tasks are {', '.join(prompts.TASKS)}")
        if not candidates:
            raise ValueError(f"{task} prompt: needs at least one candidate clip")
        sentences: list[str] = []
        if task != "script":
            if script is None:
                raise ValueError(f"{task} prompt: needs the script")
            sentences = list(script.sentences if isinstance(script, Script) else script)
            if not sentences:
                raise ValueError(f"{task} prompt: needs the script")
        wanted = len(sentences) if count is None else count
        return "", reference_prompts.human(task, product, sentences, candidates, wanted)

    def ad_opening(self, product: Product, lang: str) -> str:
        """What an alignment sequence starts with: ``<|ad_start|>`` and, where the profile
        has them (AutoCut's), the product facts and a newline. The alignment corpus and the
        ``lm`` backbone's likelihood matching both begin this way."""
        if self.facts_in_alignment:
            return prompts.ad_opening(product, lang)
        return "<|ad_start|>"

    def format_answer(self, task: str, answer: Any) -> str:
        return prompts.format_answer(task, answer, indices=self.indices)

    def parse_answer(self, task: str, text: str, **limits: Any) -> Any:
        """:func:`autocut_core.editing.prompts.parse_answer` in this profile's spelling."""
        return prompts.parse_answer(task, text, indices=self.indices, **limits)


PROFILES: dict[str, Profile] = {
    "autocut": Profile(
        name="autocut",
        description="AutoCut's own prompts (English or Chinese), [0, 2, 5] answers, every task",
        languages=prompts.LANGUAGES,
        indices=BRACKETED,
        one_task_per_ad=False,
        vocabulary=Vocabulary(markers=MARKERS),
    ),
    "reference": Profile(
        name="reference",
        description="the reference implementation's Chinese prompts, 1,3,6 answers, one "
        "task per ad, its vocabulary (24 x 256 video and 16 x 256 audio tokens, or 8 x 256)",
        languages=("zh",),
        indices=IndexSpelling(base=1, brackets=False, separator=","),
        one_task_per_ad=True,
        vocabulary=Vocabulary(
            markers=PROMPT_MARKERS, video=((24, 256), (8, 256)), audio=((16, 256), (8, 256))
        ),
        facts_in_alignment=False,
    ),
}


def get_profile(name: str) -> Profile:
    """The profile called ``name``; a ValueError listing the profiles otherwise."""
    try:
        return PROFILES[name]
    except KeyError:
        raise ValueError(
            f"unknown prompt profile {name!r}; profiles are {', '.join(PROFILES)}"
        ) from None


def corpus_profile(path: Path | str) -> str:
    """The profile the corpus file ``path`` (``OUT/sft/val.jsonl``, ``OUT/align/...``) was
    built in: the ``profile`` of ``OUT/summary.json``; ``autocut`` without one (a
    hand-written file, or a corpus built before profiles existed)."""
    summary_path = Path(path).resolve().parent.parent / CORPUS_SUMMARY
    if not summary_path.is_file():
        return DEFAULT_PROFILE
    try:
        summary = json.loads(summary_path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise InputError(f"{summary_path}: cannot read the corpus summary ({error})") from None
    if not isinstance(summary, dict):
        return DEFAULT_PROFILE
    profile = summary.get("profile", DEFAULT_PROFILE)
    if profile not in PROFILES:
        raise InputError(
            f"{summary_path}: 'profile' must be one of {', '.join(PROFILES)}, got {profile!r}"
        )
    return str(profile)
