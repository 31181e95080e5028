"""Captioner ``transformers``: a local vision-language model by hub id or folder.

Any model ``transformers.AutoModelForImageTextToText`` loads works: chat VLMs (Qwen2-VL,
Qwen2.5-VL, SmolVLM, LLaVA), whose processor has a chat template, are asked the prompt with
the clip's frames in one user turn (one image placeholder per frame, which the processor
expands into the model's image tokens); captioning models without one (BLIP, Florence-2) are
given the first frame and write their caption (BLIP takes no instruction, so the prompt is
not sent to it). Decoding is greedy whatever the model's ``generation_config.json`` says
(sampling, beams), so a clip's caption is the same every time and the database's cache
(clip, model, prompt) holds. The caption is the new tokens only, decoded without special
tokens; an answer that is nothing but special tokens is a :class:`CaptionError` for that clip.
The tests run both paths on tiny random models of the real classes (``vlm_tiny.py``: BLIP,
and Idefics3, the classes of the default SmolVLM) loaded by name from a hub cache offline.

A hub id is loaded with ``from_pretrained``: from the Hugging Face cache when it is there,
downloaded into it otherwise. Offline (``HF_HUB_OFFLINE=1`` or no network) with nothing
cached, the error is one line naming the model and how to fetch it.
"""

from __future__ import annotations

import copy
import io
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal, NamedTuple

from autocut_plugins._hf import quiet_transformers
from autocut_plugins._torch import device_and_dtype
from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import Captioner, CaptionerSettings
from autocut_core.errors import CaptionError, ComponentNotReadyError, MissingWeightsError
from autocut_core.models import HubFile, HubFiles, ModelCard

if TYPE_CHECKING:
    from PIL import Image

#: A small chat VLM (256 M parameters, Apache-2.0) that runs on a CPU.
DEFAULT_MODEL = "HuggingFaceTB/SmolVLM-256M-Instruct"
_CONFIG = HubFile("config.json")
#: The default model as a card, so `autocut models pull smolvlm-256m-instruct` fetches it into
#: the hub cache that ``from_pretrained`` reads (and `autocut doctor` can say so).
#: Checked (2026-12) against the repository's file listing on the Hugging Face Hub: config.json
#: (model_type idefics3, Idefics3ForConditionalGeneration, the classes of the tiny test model),
#: model.safetensors (513 MB, bfloat16; no pytorch_model.bin), tokenizer.json,
#: tokenizer_config.json, preprocessor_config.json, processor_config.json, chat_template.json
#: (the chat template the chat path needs), generation_config.json, special_tokens_map.json,
#: added_tokens.json, vocab.json, merges.txt; its onnx/ folder is not needed.
SMOLVLM_256M = ModelCard(
    name="smolvlm-256m-instruct",
    summary="SmolVLM-256M-Instruct: a small chat vision-language model that captions clips on "
    "a CPU (English captions)",
    licence="Apache-2.0",
    size=513_000_000,
    size_note="256 M parameters, bfloat16",
    sources=(
        HubFiles(
            DEFAULT_MODEL,
            (
                HubFile("config.json"),
                HubFile("model.safetensors"),
                HubFile("tokenizer.json"),
                HubFile("tokenizer_config.json"),
                HubFile("preprocessor_config.json"),
                HubFile("processor_config.json", required=False),
                HubFile("chat_template.json", required=False),
                HubFile("generation_config.json", required=False),
                HubFile("special_tokens_map.json", required=False),
                HubFile("added_tokens.json", required=False),
                HubFile("vocab.json", required=False),
                HubFile("merges.txt", required=False),
            ),
        ),
    ),
    setting="model",
)


class VLMCaptionerSettings(CaptionerSettings):
    model: str = Field(DEFAULT_MODEL, min_length=1, description="Hub id or local model folder")
    max_new_tokens: int = Field(48, ge=4, le=256, description="Longest caption, in tokens")
    threads: int | None = Field(None, ge=1, description="CPU threads (default: torch's)")
    device: str = Field("cpu", description="cpu, cuda, cuda:N, or auto (cuda when there is one)")
    dtype: Literal["auto", "float32", "bfloat16", "float16"] = Field(
        "auto", description="Weights' precision; auto: float32 on CPU, bfloat16/float16 on GPU"
    )


class VLMCaptioner(Captioner[VLMCaptionerSettings]):
    name = "transformers"
    model_cards = (SMOLVLM_256M,)
    description = "Captions from a local vision-language model (Qwen2-VL, SmolVLM, BLIP, ...)"

    def __init__(self, settings: VLMCaptionerSettings | None = None):
        super().__init__(settings)
        self._loaded: tuple[Any, Any] | None = None

    @classmethod
    def example_options(cls) -> dict[str, Any]:
        # The contract runs offline: a tiny random BLIP of the real class, built once.
        from autocut_plugins.vlm_tiny import tiny_blip_folder

        return {"model": str(tiny_blip_folder()), "max_new_tokens": 6}

    @property
    def model(self) -> str:
        return self.settings.model

    def diagnose(self) -> list[Check]:
        from autocut_core import models

        label = f"captioner 'transformers' ({self.settings.model})"
        try:
            where = model_source(self.settings.model)
        except MissingWeightsError as error:
            return [Check(label, "fail", str(error), "set model to a hub id or a model folder")]
        if where.kind == "folder":
            return [Check(label, "ok", "local folder")]
        if where.kind == "cached":
            return [Check(label, "ok", f"in the Hugging Face cache ({where.path})")]
        # Only `autocut caption` needs the captioner: a missing model is a warning, not a
        # broken setup, even offline (where captioning would fail at once, in one line).
        why = "HF_HUB_OFFLINE=1: captioning fails" if models.offline() else "fetched on first use"
        return [Check(label, "warn", f"not downloaded yet ({why})", f"hf download {where.path}")]

    def _describe(self, frames: list[bytes]) -> str:
        import torch

        processor, model = self._load()
        inputs = model_inputs(processor, [_image(frame) for frame in frames], self.settings.prompt)
        inputs = inputs.to(model.device, model.dtype)  # casts only the float tensors (pixels)
        with torch.inference_mode():
            output = model.generate(
                **inputs, generation_config=greedy(model, self.settings.max_new_tokens)
            )
        new = answer_ids(model, inputs, output[0])
        text = processor.decode(new, skip_special_tokens=True).strip()
        if not text:
            raise CaptionError(
                f"captioner 'transformers' ({self.settings.model}) answered nothing: "
                + _empty_answer(processor, new)
            )
        return text

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            device, dtype = device_and_dtype(
                "captioner 'transformers'", self.settings.device, self.settings.dtype
            )
            self._loaded = load_vlm(self.settings.model, self.settings.threads, device, dtype)
        return self._loaded


def model_inputs(processor: Any, images: list[Image.Image], prompt: str) -> Any:
    """The processor's tensors for one clip: a chat VLM's prompt and frames through its chat
    template, one ``{"type": "image"}`` per frame before the prompt in one user turn (the
    processor turns each placeholder into the model's image tokens, so the count matches the
    images it is given), and the generation prompt after it; a model without a chat template
    gets the first frame alone."""
    if getattr(processor, "chat_template", None):
        content: list[dict[str, Any]] = [{"type": "image"} for _ in images]
        content.append({"type": "text", "text": prompt})
        messages = [{"role": "user", "content": content}]
        text = processor.apply_chat_template(messages, add_generation_prompt=True, tokenize=False)
        return processor(text=[text], images=[images], return_tensors="pt")
    return processor(images=images[0], return_tensors="pt")


def greedy(model: Any, max_new_tokens: int) -> Any:
    """The model's generation config (its end and pad tokens) made greedy: one beam, no
    sampling, and the sampling knobs a model ships (temperature, top-k, top-p) cleared, so a
    ``generation_config.json`` that samples cannot make a caption change between runs."""
    config = copy.deepcopy(model.generation_config)
    config.update(
        max_new_tokens=max_new_tokens, do_sample=False, num_beams=1, temperature=None,
        top_k=None, top_p=None, min_p=None, typical_p=None,
    )  # fmt: skip
    return config


def answer_ids(model: Any, inputs: Any, output: Any) -> Any:
    """The tokens the model wrote: a decoder-only model's output starts with the prompt it was
    given, which is cut off; an encoder-decoder's (BLIP) holds only its own tokens."""
    if getattr(model.config, "is_encoder_decoder", False) or "input_ids" not in inputs:
        return output
    return output[inputs["input_ids"].shape[1] :]


class ModelSource(NamedTuple):
    """Where a ``model`` setting's files are: ``folder`` (a local folder), ``cached`` (the
    snapshot folder in the hub cache) or ``download`` (a hub id ``from_pretrained`` fetches)."""

    kind: Literal["folder", "cached", "download"]
    path: str


def model_source(model: str) -> ModelSource:
    """Resolve ``model`` (a folder, the card name ``smolvlm-256m-instruct``, or a hub id).

    A hub id is looked up in the hub cache that ``autocut models`` reads (``HF_HUB_CACHE`` /
    ``HF_HOME`` as they are now, not as huggingface_hub read them at import) and loaded from
    its snapshot folder, so a cached model loads offline by name (:func:`load_vlm` refuses a
    ``download`` offline in one line, before transformers tries the network).
    """
    from autocut_plugins._models import hub_id

    from autocut_core import models

    folder = Path(model).expanduser()
    if folder.is_dir():
        return ModelSource("folder", str(folder))
    repo = DEFAULT_MODEL if model == SMOLVLM_256M.name else hub_id(model)
    if repo is None:
        raise MissingWeightsError(
            f"captioner 'transformers': model {model!r} is neither a folder ({folder} does not "
            f"exist), the card {SMOLVLM_256M.name} nor a Hugging Face hub id (org/name)"
        )
    config = models.hub_file(HubFiles(repo, (_CONFIG,)), _CONFIG)
    if config is not None:
        return ModelSource("cached", str(config.parent))
    return ModelSource("download", repo)


def _not_cached(model: str, why: str) -> MissingWeightsError:
    from autocut_core import models

    return MissingWeightsError(
        f"captioner 'transformers': model {model!r} is not in the Hugging Face cache "
        f"({models.hub_cache()}) and {why}; fetch it once with `hf download {model}`, or copy "
        "its folder here and set model to that path"
    )


def _empty_answer(processor: Any, ids: Any) -> str:
    """What an answer that decodes to nothing held, in words for the failure line."""
    if len(ids) == 0:
        return "it ended its answer at once"
    tokens = processor.tokenizer.convert_ids_to_tokens(ids.tolist())
    counts = {token: tokens.count(token) for token in dict.fromkeys(tokens)}
    held = ", ".join(f"{token} x{count}" for token, count in counts.items())
    return f"its {len(tokens)} new tokens were all special ({held})"


def load_vlm(
    model: str, threads: int | None = None, device: str = "cpu", dtype: str = "float32"
) -> tuple[Any, Any]:
    """``(processor, model)`` of a hub id or folder, in eval mode on ``device`` in ``dtype``;
    a model that is neither in the cache nor reachable is a one-line
    :class:`MissingWeightsError`, a processor that needs a package not installed (SmolVLM2's
    needs ``num2words``) a one-line :class:`ComponentNotReadyError`."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor

    from autocut_core import models

    if threads is not None:
        torch.set_num_threads(threads)
    where = model_source(model)
    if where.kind == "download" and models.offline():
        raise _not_cached(where.path, "cannot be downloaded (HF_HUB_OFFLINE=1)")
    try:
        with quiet_transformers():
            processor = AutoProcessor.from_pretrained(where.path)
            loaded = AutoModelForImageTextToText.from_pretrained(
                where.path, dtype=getattr(torch, dtype)
            )
    except OSError as error:
        if where.kind != "download":
            message = " ".join(str(error).split())
            raise MissingWeightsError(
                f"captioner 'transformers': {where.path}: {message}"
            ) from None
        raise _not_cached(model, "could not be downloaded (no network?)") from None
    except ImportError as error:
        message = " ".join(str(error).split())
        raise ComponentNotReadyError(
            f"captioner 'transformers': {model}: {message} (pip install 'autocut[text]')"
        ) from None
    except ValueError as error:  # a folder of a model class that takes no images
        raise CaptionError(f"captioner 'transformers': {model}: {error}") from None
    model_on_device: Any = loaded.to(device)  # type: ignore[arg-type]  # transformers' stubs
    return processor, model_on_device.eval()


def _image(frame: bytes) -> Image.Image:
    from PIL import Image

    return Image.open(io.BytesIO(frame)).convert("RGB")


@hookimpl
def register_captioners(register):
    register(VLMCaptioner)
