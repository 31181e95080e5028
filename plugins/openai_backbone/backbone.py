"""The ``openai`` backbone: the four editing tasks asked of any OpenAI-compatible chat model.

This is the paper's general-model baseline (GPT-4o, §4.3): the model reads the product facts,
the script and the clips (captions, or middle frames for vision models) and answers in the
trained formats; :mod:`.answers` reads the answer strictly. A model served locally by vLLM,
llama.cpp or Ollama works the same way through ``base_url``.
"""

from __future__ import annotations

import logging
import shutil
from collections.abc import Callable, Sequence
from typing import Any, Literal

from pydantic import Field

from autocut_core.checks import Check
from autocut_core.components import Backbone
from autocut_core.editing.prompts import prompt_language
from autocut_core.errors import AutocutError
from autocut_core.llm.chat import (
    ChatClient,
    ChatResponse,
    ChatSettings,
    image_part,
    reask_messages,
)
from autocut_core.types import (
    Candidate,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
)

from . import task_prompts
from .answers import (
    AnswerError,
    Reading,
    ValueT,
    read_indices,
    read_lines,
    read_track,
    span_probabilities,
)
from .task_prompts import ClipView, TaskPrompt

log = logging.getLogger(__name__)


class OpenAISettings(ChatSettings):
    images: bool = Field(
        False, description="Show each clip's middle frame (needs a vision model and ffmpeg)"
    )
    image_max_side: int = Field(512, ge=16, description="Longest side of the frames sent, pixels")
    image_detail: Literal["low", "high", "auto"] = Field(
        "low", description="OpenAI image detail: low = a fixed small token cost per frame"
    )
    index_base: Literal[0, 1] = Field(
        0, description="Number clips and tracks from 0 (the trained format) or from 1"
    )
    reask: bool = Field(
        True, description="When an answer cannot be read, ask once more, quoting the problem"
    )
    logprobs: bool = Field(
        False, description="Ask for token log-probabilities and report them as scores"
    )
    language: Literal["auto", "en", "zh"] = Field(
        "auto", description="Language of the prompts (auto: the ad's, from its name and script)"
    )


class OpenAIBackbone(Backbone[OpenAISettings]):
    name = "openai"
    description = "Any OpenAI-compatible chat model (GPT-4o, vLLM, llama.cpp) on captions or frames"
    capabilities = frozenset({"select", "sort", "write_script", "pick_music"})

    def __init__(self, settings: OpenAISettings | None = None):
        super().__init__(settings)
        self.options = self.settings
        self.client = ChatClient(self.options)
        #: The repairs applied to the last answer read (see :mod:`.answers`).
        self.last_repairs: tuple[str, ...] = ()
        self._frames: dict[tuple[str, float, int], bytes] = {}

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a loopback server with a format-following stand-in model.
        from .rehearsal import rehearsal_url

        return {
            "base_url": rehearsal_url(),
            "model": "rehearsal",
            "cache": False,
            "max_retries": 0,
            "timeout": 10.0,
        }

    def diagnose(self) -> list[Check]:
        label = f"backbone openai ({self.client.label})"
        checks = []
        if self.client.api_key():
            checks.append(Check(label, "ok", "API key found"))
        elif "api.openai.com" in self.client.endpoint:
            checks.append(
                Check(
                    label,
                    "fail",
                    "no API key",
                    f"export {self.options.api_key_env}=... or set api_key",
                )
            )
        else:
            checks.append(Check(label, "ok", "no API key (the server may not need one)"))
        if self.options.images and shutil.which("ffmpeg") is None:
            checks.append(
                Check(label, "fail", "images=true needs ffmpeg", "apt-get install ffmpeg")
            )
        return checks

    # -- the four tasks -----------------------------------------------------------------------

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        if count == 0:
            return Selection(indices=())
        lang = self._language(product, script.sentences)
        prompt = task_prompts.select_prompt(
            product,
            script.sentences,
            self._views(candidates),
            count,
            base=self.options.index_base,
            lang=lang,
            images=self.options.images,
        )
        reading, response = self._ask(
            prompt,
            lambda text: read_indices(
                "select",
                text,
                size=len(candidates),
                base=prompt.base,
                expected=prompt.expected,
                count=count,
            ),
        )
        indices = reading.value
        return Selection(indices=tuple(indices), scores=self._scores(response, reading))

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        if not candidates:
            raise AutocutError("cannot order an empty list of clips")
        if len(candidates) == 1:
            return Ordering(order=(0,))
        lang = self._language(product, script.sentences)
        prompt = task_prompts.sort_prompt(
            product,
            script.sentences,
            self._views(candidates),
            base=self.options.index_base,
            lang=lang,
            images=self.options.images,
        )
        reading, response = self._ask(
            prompt,
            lambda text: read_indices(
                "sort", text, size=len(candidates), base=prompt.base, expected=prompt.expected
            ),
        )
        return Ordering(order=tuple(reading.value), scores=self._scores(response, reading))

    def _write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        if not candidates:
            raise AutocutError("cannot write a script for no clips")
        lang = self._language(product, [c.caption for c in candidates])
        prompt = task_prompts.script_prompt(
            product,
            self._views(candidates),
            base=self.options.index_base,
            lang=lang,
            images=self.options.images,
        )
        reading, _ = self._ask(
            prompt, lambda text: read_lines(text, lines=len(candidates), expected=prompt.expected)
        )
        return Script(sentences=tuple(reading.value), language=lang)

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        lang = self._language(product, script.sentences)
        prompt = task_prompts.music_prompt(
            product,
            script.sentences,
            self._views(clips),
            tracks,
            base=self.options.index_base,
            lang=lang,
            images=self.options.images,
        )
        reading, response = self._ask(
            prompt,
            lambda text: read_track(
                text, size=len(tracks), base=prompt.base, expected=prompt.expected
            ),
        )
        scores = self._scores(response, reading)
        chosen = tracks[reading.value]
        return MusicChoice(track_id=chosen.track.track_id, score=scores[0] if scores else None)

    # -- asking -------------------------------------------------------------------------------

    def _ask(
        self, prompt: TaskPrompt, read: Callable[[str], Reading[ValueT]]
    ) -> tuple[Reading[ValueT], ChatResponse]:
        """Send the prompt and read the answer; re-ask once with the problem when allowed."""
        messages: list[dict[str, Any]] = prompt.messages
        response = self.client.complete(messages, logprobs=self.options.logprobs)
        try:
            reading = read(response.text)
        except AnswerError as first:
            if not self.options.reask:
                raise self._failure(first) from None
            log.info("openai backbone: re-asking after an unreadable answer: %s", first)
            retry = reask_messages(messages, response.text, prompt.reask(first.reason))
            response = self.client.complete(retry, logprobs=self.options.logprobs)
            try:
                reading = read(response.text)
            except AnswerError as second:
                raise self._failure(second, first) from None
        if reading.repairs:
            log.info(
                "openai backbone: %s answer repaired: %s", prompt.task, "; ".join(reading.repairs)
            )
        self.last_repairs = reading.repairs
        return reading, response

    def _failure(self, error: AnswerError, first: AnswerError | None = None) -> AutocutError:
        again = f" (asked twice; first answer: {first.reason})" if first is not None else ""
        return AutocutError(f"backbone openai ({self.client.label}): {error}{again}")

    def _scores(self, response: ChatResponse, reading: Reading[Any]) -> tuple[float, ...]:
        if not self.options.logprobs:
            return ()
        return span_probabilities(response.text, response.logprobs, reading.spans)

    # -- what the model sees ------------------------------------------------------------------

    def _language(self, product: Product, texts: Sequence[str]) -> str:
        if self.options.language != "auto":
            return self.options.language
        return prompt_language(" ".join([product.name, *texts]))

    def evidence_problems(self, script: Script, candidates: Sequence[Candidate]) -> list[str]:
        """What the model would not see: captions (text only), or each clip's footage and
        span (``images``). Asked before every request too, so nothing is sent blind."""
        if not candidates:
            return []
        if self.options.images:
            unseen = [i for i, c in enumerate(candidates) if not (c.source_path and c.timed)]
            if unseen:
                return [
                    f"images=true shows each clip's middle frame, but {len(unseen)} of the "
                    f"{len(candidates)} clips have no footage file or no start/end times (e.g. "
                    f"clip {unseen[0]}): give each clip its source and times, or set "
                    "images=false to show the captions"
                ]
            return []
        if not any(c.caption.strip() for c in candidates):
            return [
                f"none of the {len(candidates)} clips has a caption, so a text model would see "
                "nothing of them: add captions (sidecar files, see docs/backbones.md) or set "
                "images=true"
            ]
        return []

    def _views(self, candidates: Sequence[Candidate]) -> list[ClipView]:
        problems = self.evidence_problems(Script(sentences=()), candidates)
        if problems:
            raise AutocutError(f"backbone openai: {problems[0]}")
        return [
            ClipView(
                c.caption,
                c.clip.duration if c.timed else None,
                self._image(i, c) if self.options.images else None,
            )
            for i, c in enumerate(candidates)
        ]

    def _image(self, index: int, candidate: Candidate) -> dict[str, Any]:
        from autocut_core.media import frame_jpeg

        if not candidate.source_path:
            raise AutocutError(
                f"backbone openai: clip {index} ({candidate.clip.clip_id}) has no source_path, "
                "and images=true needs the footage file"
            )
        middle = (candidate.clip.start + candidate.clip.end) / 2
        key = (candidate.source_path, round(middle, 3), self.options.image_max_side)
        if key not in self._frames:
            if len(self._frames) >= 512:
                self._frames.pop(next(iter(self._frames)))
            self._frames[key] = frame_jpeg(
                candidate.source_path, middle, self.options.image_max_side
            )
        return image_part(self._frames[key], detail=self.options.image_detail)
