"""Captioner ``transformers``: a local vision-language model by hub id or folder.

Any model ``transformers.AutoModelForImageTextToText`` loads works: chat VLMs (Qwen2-VL,
Qwen2.5-VL, SmolVLM, LLaVA), whose processor has a chat template, are asked the prompt with
the clip's frames in one user turn; captioning models without one (BLIP, Florence-2) are
given the first frame and write their caption (BLIP takes no instruction, so the prompt is
not sent to it). Decoding is greedy, so a clip's caption is the same every time and the
database's cache (clip, model, prompt) holds.

A hub id is loaded with ``from_pretrained``: from the Hugging Face cache when it is there,
downloaded into it otherwise. Offline (``HF_HUB_OFFLINE=1`` or no network) with nothing
cached, the error is one line naming the model and how to fetch it.
"""

from __future__ import annotations

import io
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pydantic import Field

from autocut_core import hookimpl
from autocut_core.checks import Check
from autocut_core.components import Captioner, CaptionerSettings
from autocut_core.errors import CaptionError, MissingWeightsError
from autocut_core.models import HubFile, HubFiles, ModelCard

if TYPE_CHECKING:
    from PIL import Image

#: A small chat VLM (256 M parameters, Apache-2.0) that runs on a CPU.
DEFAULT_MODEL = "HuggingFaceTB/SmolVLM-256M-Instruct"
#: The default model as a card, so `autocut models pull smolvlm-256m-instruct` fetches it into
#: the hub cache that ``from_pretrained`` reads (and `autocut doctor` can say so).
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
        label = f"captioner 'transformers' ({self.settings.model})"
        if Path(self.settings.model).expanduser().is_dir():
            return [Check(label, "ok", "local folder")]
        try:
            from huggingface_hub import try_to_load_from_cache
        except ImportError:
            return [
                Check(
                    label, "fail", "transformers is not installed", "pip install 'autocut[torch]'"
                )
            ]
        cached = try_to_load_from_cache(self.settings.model, "config.json")
        if isinstance(cached, str):
            return [Check(label, "ok", "in the Hugging Face cache")]
        return [
            Check(
                label, "warn", "not downloaded yet (fetched on first use; offline it fails)",
                f"hf download {self.settings.model}",
            )
        ]  # fmt: skip

    def _describe(self, frames: list[bytes]) -> str:
        import torch

        processor, model = self._load()
        images = [_image(frame) for frame in frames]
        chat = getattr(processor, "chat_template", None)
        if chat:
            content: list[dict[str, Any]] = [{"type": "image"} for _ in images]
            content.append({"type": "text", "text": self.settings.prompt})
            messages = [{"role": "user", "content": content}]
            text = processor.apply_chat_template(messages, add_generation_prompt=True)
            inputs = processor(text=text, images=images, return_tensors="pt")
        else:
            inputs = processor(images=images[0], return_tensors="pt")
        with torch.inference_mode():
            output = model.generate(
                **inputs, max_new_tokens=self.settings.max_new_tokens, do_sample=False
            )
        prompt_length = inputs["input_ids"].shape[1] if chat and "input_ids" in inputs else 0
        text = processor.batch_decode(output[:, prompt_length:], skip_special_tokens=True)[0]
        return text.strip()

    def _load(self) -> tuple[Any, Any]:
        if self._loaded is None:
            self._loaded = load_vlm(self.settings.model, self.settings.threads)
        return self._loaded


def load_vlm(model: str, threads: int | None = None) -> tuple[Any, Any]:
    """``(processor, model)`` of a hub id or folder, in eval mode on the CPU; a model that is
    neither in the cache nor reachable is a one-line :class:`MissingWeightsError`."""
    import torch
    from transformers import AutoModelForImageTextToText, AutoProcessor
    from transformers.utils import logging as hf_logging

    if threads is not None:
        torch.set_num_threads(threads)
    folder = Path(model).expanduser()
    verbosity, bars = hf_logging.get_verbosity(), hf_logging.is_progress_bar_enabled()
    hf_logging.set_verbosity_error()
    hf_logging.disable_progress_bar()
    try:
        processor = AutoProcessor.from_pretrained(str(folder) if folder.is_dir() else model)
        loaded = AutoModelForImageTextToText.from_pretrained(
            str(folder) if folder.is_dir() else model, dtype=torch.float32
        )
    except OSError as error:
        if folder.is_dir():
            raise MissingWeightsError(f"captioner 'transformers': {folder}: {error}") from None
        raise MissingWeightsError(
            f"captioner 'transformers': model {model!r} is not in the Hugging Face cache and "
            f"could not be downloaded (offline?); fetch it once with `hf download {model}`, "
            "or copy its folder here and set model to that path"
        ) from None
    except ValueError as error:  # a folder of a model class that takes no images
        raise CaptionError(f"captioner 'transformers': {model}: {error}") from None
    finally:
        hf_logging.set_verbosity(verbosity)
        if bars:
            hf_logging.enable_progress_bar()
    loaded.eval()
    return processor, loaded


def _image(frame: bytes) -> Image.Image:
    from PIL import Image

    return Image.open(io.BytesIO(frame)).convert("RGB")


@hookimpl
def register_captioners(register):
    register(VLMCaptioner)
