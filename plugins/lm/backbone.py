"""The ``lm`` backbone: AutoCut's own trained language model answers the four tasks (paper §3.5).

Each task is asked exactly as the model was trained: :func:`autocut_core.editing.prompts.build_prompt`
(the clips as their frame tokens), the tokenizer's chat template (:mod:`.chat`), and the
answer decoded under a constraint (:mod:`.constrained`) so that it is always valid: distinct
in-range indices for ``select``, a permutation for ``sort``, exactly one non-blank line per
clip for ``write_script``, one audio token per head for ``pick_music``. The answer text is
then read by the strict :func:`~autocut_core.editing.prompts.parse_answer`, as a last guard in
constrained mode and as the only check with ``constrained = false`` (where a malformed answer
is an :class:`~autocut_core.editing.prompts.AnswerParseError` saying what and where).

Music: the written audio codes are decoded to a vector by the audio tokenizer and grounded in
the offered tracks (their own codes decoded the same way) by a retriever, by cosine
(``music_grounding = "vector"``, the paper's way). Without an audio tokenizer,
``"likelihood"`` ranks the tracks by the log-probability the model gives their codes instead.
:meth:`LMBackbone.rank_music` returns those per-track scores (the eval harness's Hit@k/MRR).

Prompts and answers follow a profile (:mod:`autocut_core.editing.profiles`): the one the
artefact was trained in (recorded by the trainer), or the ``profile`` option. A Hugging Face
folder without ``artefact.json`` (the reference's released checkpoint) loads as an artefact
when the profile is given, its vocabulary checked against that profile's
(:func:`~.artefact.load_model_folder`).

Nothing heavy is imported here: the model loads on the first question, once per process
for the same artefact and device.
"""

from __future__ import annotations

import os
from collections.abc import Sequence
from contextlib import nullcontext
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Literal

from autocut_plugins._torch import device_and_dtype
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import Backbone, ComponentSettings
from autocut_core.editing.profiles import DEFAULT_PROFILE, Profile, get_profile
from autocut_core.errors import AutocutError, InputError, MissingWeightsError
from autocut_core.types import (
    Candidate,
    MusicCandidate,
    MusicChoice,
    Ordering,
    Product,
    Script,
    Selection,
)

HOW_TO_TRAIN = (
    "Make one with `autocut train align ...` then `autocut train sft ... --from RUN` "
    "(docs/training.md)"
)


class LMSettings(ComponentSettings):
    artefact: Path | None = Field(
        None,
        description="Run folder of `autocut train sft` (or its artefact/ folder), or a "
        "Hugging Face model folder trained in `profile`'s format",
    )
    profile: Literal["auto", "autocut", "reference"] = Field(
        "auto",
        description="Prompt/answer format the model was trained in: autocut, or reference "
        "(the reference implementation's, e.g. MiltonZ/AutoCut_embsft); auto: the one the "
        "artefact records (required for a folder without artefact.json)",
    )
    base: str | None = Field(
        None, description="Base model to load the artefact onto (default: the one it recorded)"
    )
    device: str = Field("cpu", description="cpu, cuda, cuda:N, or auto (cuda when there is one)")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weights' precision; auto: float32 on CPU, bfloat16/float16 on GPU"
    )
    constrained: bool = Field(
        True, description="Allow only valid answers; false: decode freely, then parse strictly"
    )
    max_new_tokens: int = Field(
        256, ge=8, description="Longest free answer; a constrained script shares it among lines"
    )
    temperature: float = Field(0.0, ge=0, description="0: greedy; above 0: sample")
    seed: int = Field(0, description="Seed of sampling (temperature > 0)")
    language: Literal["auto", "en", "zh"] = Field(
        "auto", description="Prompt language; auto: the script's (or the product's) language"
    )
    music_grounding: Literal["auto", "vector", "likelihood"] = Field(
        "auto",
        description="vector: decode the written codes and take the nearest track (needs the "
        "audio tokenizer); likelihood: the track whose codes the model finds likeliest; "
        "auto: vector when audio_tokenizer_checkpoint is set",
    )
    audio_tokenizer: str = Field("rqvae-audio", description="Tokenizer that decodes audio codes")
    audio_tokenizer_checkpoint: Path | None = Field(
        None, description="Its trained folder (the one that made the tracks' tokens)"
    )
    retriever: str = Field("exact", description="Retriever that grounds the decoded music vector")
    matching: Literal["generate", "likelihood"] = Field(
        "generate",
        description="select and sort: the model writes the indices (generate), or each clip is "
        "scored by how likely its frame tokens are after each sentence and the best assignment "
        "wins (likelihood; see plugins/lm/matching.py)",
    )
    max_frames_per_clip: int = Field(
        0,
        ge=0,
        description="Frames per clip in the prompts (0: all); the --max-frames-per-clip the "
        "training corpus was built with",
    )


@dataclass
class Session:
    """The loaded model and what every question needs from it."""

    model: Any
    tokenizer: Any
    info: dict[str, Any]
    vocabulary: Any
    end_id: int
    max_positions: int

    @property
    def video_grid(self) -> tuple[int, int]:
        grid = self.info["video_codes"]
        return int(grid["heads"]), int(grid["codebook_size"])

    @property
    def audio_grid(self) -> tuple[int, int]:
        grid = self.info["audio_codes"]
        return int(grid["heads"]), int(grid["codebook_size"])


#: One loaded model per process: the pipeline and the eval harness build a backbone per run,
#: and loading SmolLM2 from its GGUF with an artefact takes ~15 s.
_SESSIONS: dict[tuple[Any, ...], Session] = {}


@dataclass(frozen=True)
class MusicRanking:
    """Per-track scores (pool order), how they were made, and the codes the model wrote."""

    scores: tuple[float, ...]
    method: str
    written: str


class LMBackbone(Backbone[LMSettings]):
    name = "lm"
    description = "AutoCut's trained language model on frame tokens, with constrained decoding"
    capabilities = frozenset({"select", "sort", "write_script", "pick_music", "rank_music"})
    needs_tokens = True

    def __init__(self, settings: LMSettings | None = None):
        super().__init__(settings)
        self.options = self.settings
        self._generator: Any = None
        self._audio_tokenizer: Any = None
        self._music: tuple[Any, MusicRanking] | None = None
        self._data_profile: str | None = None
        #: The last answer's text and generation record (for diagnostics and the bench).
        self.last_text = ""
        self.last_generated: Any = None

    @property
    def max_frames_per_clip(self) -> int:
        return self.options.max_frames_per_clip

    def use_data_profile(self, name: str) -> None:
        """The profile of the data about to be answered (`autocut eval` passes its test
        set's): what ``profile = "auto"`` means for a model folder that records none."""
        get_profile(name)
        self._data_profile = name

    def profile(self) -> Profile:
        """The prompt/answer profile: the option, else the artefact's, else the data's."""
        if self.options.profile != "auto":
            return get_profile(self.options.profile)
        artefact = self.options.artefact
        if artefact is None:
            return get_profile(DEFAULT_PROFILE)
        from autocut_plugins.lm.artefact import is_model_folder, read_info

        if is_model_folder(artefact):
            if self._data_profile is None:
                read_info(artefact)  # raises: say which profile the folder was trained in
            return get_profile(self._data_profile or DEFAULT_PROFILE)
        return get_profile(read_info(artefact).get("profile", DEFAULT_PROFILE))

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        from autocut_plugins.lm.example import example_artefact

        return {"artefact": str(example_artefact()), "music_grounding": "likelihood"}

    def diagnose(self) -> list[Check]:
        label = "backbone 'lm'"
        if self.options.artefact is None:
            return [Check(label, "warn", "no artefact configured", f"set artefact; {HOW_TO_TRAIN}")]
        from autocut_plugins.lm.artefact import is_model_folder, read_info

        try:
            profile = self.profile()
            if is_model_folder(self.options.artefact):
                checks = [Check(label, "ok", f"model folder {self.options.artefact} "
                                f"(profile {profile.name})")]  # fmt: skip
            else:
                info = read_info(self.options.artefact)
                checks = [Check(label, "ok", f"{info['stage']} artefact ({info['mode']}), "
                                f"base {info['base'].get('spec')}, profile {profile.name}")]  # fmt: skip
        except AutocutError as error:
            return [Check(label, "fail", str(error), HOW_TO_TRAIN)]
        checkpoint = self.options.audio_tokenizer_checkpoint
        if checkpoint is not None and not Path(checkpoint).expanduser().is_dir():
            checks.append(Check(label, "fail", f"audio_tokenizer_checkpoint {checkpoint} is "
                                "not a folder", "autocut tokenizer train --level track ..."))  # fmt: skip
        return checks

    # -- the four tasks -----------------------------------------------------------------------

    def _select(
        self, product: Product, script: Script, candidates: Sequence[Candidate], count: int
    ) -> Selection:
        if count == 0:
            return Selection(indices=())
        from autocut_plugins.lm.constrained import IndexAnswer

        session = self._session()
        self._check_clips(session, candidates)
        lang = self._language(script.sentences)
        if self.options.matching == "likelihood":
            from autocut_plugins.lm import matching

            scores = self._clip_scores(session, product, script, candidates, lang)
            indices, values = matching.select(scores, count)
            return Selection(indices=indices, scores=values)
        profile = self.profile()
        prompt = profile.build_prompt("select", product, script, candidates, lang, count=count)
        constraint = (
            IndexAnswer(session.vocabulary, len(candidates), count, True, profile.indices)
            if self.options.constrained
            else None
        )
        text = self._answer(session, prompt, constraint, budget=4 * count + 4)
        answer = profile.parse_answer("select", text, candidates=len(candidates), count=count)
        if constraint is None:
            return Selection(indices=tuple(answer))
        scored = sorted(
            zip(constraint.items, constraint.item_logprobs, strict=True),
            key=lambda pair: (-pair[1], pair[0]),
        )
        return Selection(indices=tuple(i for i, _ in scored), scores=tuple(s for _, s in scored))

    def _sort(self, product: Product, script: Script, candidates: Sequence[Candidate]) -> Ordering:
        if not candidates:
            raise AutocutError("cannot order an empty list of clips")
        from autocut_plugins.lm.constrained import IndexAnswer

        session = self._session()
        self._check_clips(session, candidates)
        lang = self._language(script.sentences)
        if self.options.matching == "likelihood":
            from autocut_plugins.lm import matching

            scores = self._clip_scores(session, product, script, candidates, lang)
            placed, values = matching.order(scores)
            return Ordering(order=placed, scores=values)
        profile = self.profile()
        prompt = profile.build_prompt("sort", product, script, candidates, lang)
        size = len(candidates)
        constraint = (
            IndexAnswer(session.vocabulary, size, size, False, profile.indices)
            if self.options.constrained
            else None
        )
        text = self._answer(session, prompt, constraint, budget=4 * size + 4)
        order = profile.parse_answer("sort", text, candidates=size)
        scores = () if constraint is None else tuple(constraint.item_logprobs)
        return Ordering(order=tuple(order), scores=scores)

    def _write_script(self, product: Product, candidates: Sequence[Candidate]) -> Script:
        if not candidates:
            raise AutocutError("cannot write a script for no clips")
        from autocut_plugins.lm.constrained import ScriptAnswer

        session = self._session()
        self._check_clips(session, candidates)
        facts = [product.name, product.description, *product.selling_points]
        lang = self._language([*facts, *(c.caption for c in candidates)])
        profile = self.profile()
        prompt = profile.build_prompt("script", product, None, candidates, lang)
        lines = len(candidates)
        budget = self.options.max_new_tokens
        constraint = (
            ScriptAnswer(session.vocabulary, lines, line_budget=max(8, budget // lines))
            if self.options.constrained
            else None
        )
        text = self._answer(session, prompt, constraint, budget=budget)
        written = profile.parse_answer("script", text, lines=lines)
        return Script(sentences=tuple(written), language=lang)

    def _pick_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicChoice:
        ranking = self._rank(product, script, clips, tracks)
        best = max(range(len(tracks)), key=lambda i: (ranking.scores[i], -i))
        written = ranking.written or tracks[best].tokens
        return MusicChoice(
            track_id=tracks[best].track.track_id, score=ranking.scores[best], tokens=written
        )

    def _rank_music(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> list[float]:
        """One score per track, higher is better: cosine to the decoded written music
        (``vector``) or the log-probability of the track's codes (``likelihood``)."""
        return list(self._rank(product, script, clips, tracks).scores)

    def _clip_scores(
        self,
        session: Session,
        product: Product,
        script: Script,
        candidates: Sequence[Candidate],
        lang: str,
    ) -> Any:
        """``[sentences, candidates]`` likelihood scores (``matching = "likelihood"``)."""
        from autocut_plugins.lm import matching
        from autocut_plugins.lm.constrained import code_head_ids

        missing = [c.clip.clip_id for c in candidates if not c.tokens]
        if missing:
            raise InputError(
                f"backbone 'lm': matching = 'likelihood' scores frame tokens, and clip "
                f"{missing[0]} has none (configure the video tokenizer)"
            )
        heads, size = session.video_grid
        head_ids = code_head_ids(session.vocabulary, "v", heads, size)
        model = session.model
        aligned = model.disable_adapter() if hasattr(model, "disable_adapter") else nullcontext()
        with aligned:  # the alignment stage's model: the LoRA of SFT switched off
            return matching.clip_scores(model, session.tokenizer, head_ids, product,
                                        script.sentences, candidates, lang,
                                        profile=self.profile())  # fmt: skip

    # -- music ------------------------------------------------------------------------------

    def music_method(self) -> str:
        chosen = self.options.music_grounding
        if chosen == "auto":
            return "vector" if self.options.audio_tokenizer_checkpoint is not None else "likelihood"
        return chosen

    def _rank(
        self,
        product: Product,
        script: Script,
        clips: Sequence[Candidate],
        tracks: Sequence[MusicCandidate],
    ) -> MusicRanking:
        """The ranking of ``tracks``; the same question twice (pick, then rank) is asked once."""
        from autocut_plugins.lm import grounding

        session = self._session()
        self._check_clips(session, clips)
        heads, size = session.audio_grid
        codes = grounding.track_codes(tracks, heads, size)
        lang = self._language(script.sentences)
        system, human = self.profile().build_prompt("music", product, script, clips, lang)
        key = (system, human, tuple((t.track.track_id, t.tokens) for t in tracks))
        if self._music is not None and self._music[0] == key:
            return self._music[1]
        method = self.music_method()
        ids = [t.track.track_id for t in tracks]
        if method == "likelihood":
            from autocut_plugins.lm.constrained import CodesAnswer
            from autocut_plugins.lm.generate import code_logprobs

            answer = CodesAnswer(session.vocabulary, heads, size)
            prompt = self._prompt_ids(session, system, human, heads + 3)
            scores = code_logprobs(session.model, prompt, int(answer.steps[0][0]),
                                   answer.head_ids, codes)  # fmt: skip
            ranking = MusicRanking(tuple(scores), method, "")
        else:
            written = self._write_music(session, (system, human), heads, size)
            tokenizer = self._audio(session)
            scores = grounding.vector_scores(written, codes, ids, tokenizer, self.options.retriever)
            ranking = MusicRanking(tuple(scores), method, written)
        self._music = (key, ranking)
        return ranking

    def _write_music(self, session: Session, prompt: tuple[str, str], heads: int, size: int) -> str:
        """The bare audio codes the model writes for this prompt."""
        from autocut_plugins.lm.constrained import CodesAnswer

        constraint = (
            CodesAnswer(session.vocabulary, heads, size) if self.options.constrained else None
        )
        text = self._answer(session, prompt, constraint, budget=heads + 3)
        return str(self.profile().parse_answer("music", text, heads=heads, codebook_size=size))

    def _audio(self, session: Session) -> Any:
        """The audio tokenizer, checked against the artefact's audio grid."""
        if self._audio_tokenizer is None:
            checkpoint = self.options.audio_tokenizer_checkpoint
            if checkpoint is None:
                raise MissingWeightsError(
                    "backbone 'lm': music_grounding = 'vector' decodes the written audio codes "
                    "and needs the audio tokenizer that made the tracks' tokens: set "
                    "audio_tokenizer_checkpoint (or music_grounding = 'likelihood')"
                )
            from autocut_core.plugins import get_registry

            tokenizer = get_registry().create(
                "tokenizer", self.options.audio_tokenizer, {"checkpoint": str(checkpoint)}
            )
            heads, size = session.audio_grid
            if (tokenizer.heads, tokenizer.codebook_size) != (heads, size):
                raise InputError(
                    f"audio tokenizer {checkpoint} writes {tokenizer.heads} x "
                    f"{tokenizer.codebook_size} codes, but the model was trained on {heads} x "
                    f"{size}: use the tokenizer the training data was made with"
                )
            self._audio_tokenizer = tokenizer
        return self._audio_tokenizer

    # -- asking -----------------------------------------------------------------------------

    def _answer(
        self, session: Session, prompt: tuple[str, str], constraint: Any, budget: int
    ) -> str:
        """The answer text for ``(system, human)``, decoded under ``constraint`` (or freely)."""
        from autocut_plugins.lm.generate import generate

        ids = self._prompt_ids(session, *prompt, budget)
        generated = generate(
            session.model,
            ids,
            session.end_id,
            constraint,
            max_new_tokens=self.options.max_new_tokens,
            temperature=self.options.temperature,
            generator=self._sampler(),
        )
        self.last_generated = generated
        self.last_text = session.tokenizer.decode(
            list(generated.ids), skip_special_tokens=False, clean_up_tokenization_spaces=False
        )
        return self.last_text

    def _prompt_ids(self, session: Session, system: str, human: str, budget: int) -> list[int]:
        from autocut_plugins.lm.chat import prompt_ids

        ids = prompt_ids(session.tokenizer, system, human)
        if len(ids) + budget > session.max_positions:
            raise InputError(
                f"backbone 'lm': the prompt is {len(ids)} tokens and the answer needs up to "
                f"{budget}, but the model reads at most {session.max_positions}: offer fewer "
                "or shorter clips"
            )
        return ids

    def _sampler(self) -> Any:
        if self.options.temperature <= 0:
            return None
        if self._generator is None:
            import torch

            self._generator = torch.Generator().manual_seed(self.options.seed)
        return self._generator

    def _language(self, texts: Sequence[str]) -> str:
        try:
            return self.profile().language(
                " ".join(text for text in texts if text), self.options.language
            )
        except ValueError as error:
            raise InputError(f"backbone 'lm': {error}") from None

    def evidence_problems(self, script: Script, candidates: Sequence[Candidate]) -> list[str]:
        """The model reads a clip by its frame tokens only: clips without any (caption data,
        or a test set built before tokenizing) reach it as empty frames."""
        if not candidates or any(candidate.tokens for candidate in candidates):
            return []
        return [
            f"none of the {len(candidates)} clips has video tokens, and backbone 'lm' reads "
            "clips by their tokens only (captions are not shown to it): evaluate it on a test "
            "set that `autocut dataset build` tokenized, or use a backbone that reads captions "
            "(--backbone similarity or --backbone openai)"
        ]

    def _check_clips(self, session: Session, candidates: Sequence[Candidate]) -> None:
        """Frame tokens of another grid would reach the model as meaningless text pieces."""
        from autocut_core.tokens.strings import TokenParseError, parse_codes

        heads, size = session.video_grid
        for candidate in candidates:
            if not candidate.tokens:
                continue
            try:
                parse_codes(candidate.tokens, "v", heads, size)
            except TokenParseError as error:
                raise InputError(
                    f"clip {candidate.clip.clip_id}: its tokens do not fit the model's "
                    f"{heads} x {size} video grid (use the tokenizer the training data was "
                    f"made with): {error.reason}"
                ) from None

    # -- loading ----------------------------------------------------------------------------

    def _session(self) -> Session:
        artefact = self.options.artefact
        if artefact is None:
            raise MissingWeightsError(
                "backbone 'lm' needs a trained model: set its artefact option "
                "(--backbone-opt artefact=RUN_FOLDER, or artefact = '...' under [backbones.lm] "
                f"in autocut.toml). {HOW_TO_TRAIN}"
            )
        from autocut_plugins.lm.artefact import (
            HF_CONFIG,
            INFO_FILE,
            artefact_folder,
            is_model_folder,
            read_info,
        )

        profile = self.profile()  # a folder that needs a profile and has none fails here
        plain = is_model_folder(artefact)
        if not plain:
            read_info(artefact)  # a missing or foreign artefact fails here, naming the file
        folder = (Path(artefact).expanduser() if plain else artefact_folder(artefact)).resolve()
        device, dtype = device_and_dtype("backbone 'lm'", self.options.device, self.options.dtype)
        # Likelihood matching reads the aligned model: a LoRA stays unmerged so that its
        # adapter can be switched off for scoring (and on for everything the model writes).
        merge = self.options.matching != "likelihood"
        stamp = os.stat(folder / (HF_CONFIG if plain else INFO_FILE)).st_mtime_ns
        key = (str(folder), stamp, self.options.base, device, dtype, merge, profile.name)
        session = _SESSIONS.get(key)
        if session is None:
            _SESSIONS.clear()  # one model at a time: they are large
            model_folder = profile if plain else None
            session = _SESSIONS[key] = _load(
                folder, self.options.base, device, dtype, merge, model_folder
            )
        return session


def _load(
    folder: Path,
    base: str | None,
    device: str,
    dtype: str,
    merge: bool,
    model_folder: Profile | None = None,
) -> Session:
    """The session of an artefact, or (``model_folder``: its profile) of a plain model folder."""
    import torch
    from autocut_plugins.lm import artefact
    from autocut_plugins.lm.chat import end_of_turn
    from autocut_plugins.lm.constrained import Vocabulary

    if model_folder is not None:
        if base is not None:
            raise InputError(
                f"backbone 'lm': {folder} is a complete model folder; it takes no base option"
            )
        loaded = artefact.load_model_folder(folder, model_folder, dtype=getattr(torch, dtype))
    else:
        loaded = artefact.load(folder, base=base, dtype=getattr(torch, dtype), merge=merge)
    model = loaded.model.to(device)
    model.eval()
    end = end_of_turn(loaded.tokenizer)
    rows = model.get_output_embeddings().weight.shape[0]
    positions = int(getattr(model.config, "max_position_embeddings", 0) or 1 << 20)
    return Session(
        model=model,
        tokenizer=loaded.tokenizer,
        info=loaded.info,
        vocabulary=Vocabulary(loaded.tokenizer, end.token_id, rows),
        end_id=end.token_id,
        max_positions=positions,
    )


@hookimpl
def register_backbones(register):
    register(LMBackbone)
