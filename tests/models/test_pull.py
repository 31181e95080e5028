"""`autocut models` and the downloads behind it, against a loopback hub (LocalHub)."""

from __future__ import annotations

import hashlib
import json
import os
import socket
import types
from pathlib import Path

import pytest

from autocut_core import hookimpl
from autocut_core.errors import RegistrationError
from autocut_core.models import (
    ChecksumError,
    DownloadError,
    HubFile,
    HubFiles,
    ModelCard,
    UrlFile,
    locate,
    pull,
)
from autocut_core.models.catalog import collect
from autocut_core.plugins import get_registry, inline_plugin
from autocut_core.testing import FakeEncoder
from autocut_core.testing.hub import COMMIT, LocalHub

#: 300 kB of seeded bytes: several 1 MiB-chunk-free reads, big enough to cut in the middle.
WEIGHTS = bytes(hashlib.sha256(str(i).encode()).digest()[0] for i in range(300_000))
TINY = ModelCard(
    name="tiny-model",
    summary="a tiny test model",
    licence="MIT",
    size=len(WEIGHTS) + 2,
    sources=(
        HubFiles(
            "tiny-org/tiny-model",
            (
                HubFile("model.safetensors"),
                HubFile("config.json"),
                HubFile("extra.txt", required=False),
            ),
        ),
    ),
)


@pytest.fixture
def hub(monkeypatch):
    with LocalHub(
        files={
            "tiny-org/tiny-model/model.safetensors": WEIGHTS,
            "tiny-org/tiny-model/config.json": b"{}",
            "files/tiny.pth": WEIGHTS,
        }
    ) as server:
        monkeypatch.setenv("HF_ENDPOINT", server.url)
        monkeypatch.delenv("HF_HUB_OFFLINE")
        yield server


def _plugin(*cards: ModelCard) -> types.ModuleType:
    class CardEncoder(FakeEncoder):
        name = "card-encoder"
        model_cards = cards

    module = types.ModuleType("card_plugin")

    @hookimpl
    def register_encoders(register):
        register(CardEncoder)

    module.register_encoders = register_encoders  # type: ignore[attr-defined]
    return module


def test_pull_lays_the_files_out_as_huggingface_hub_does(hub, empty_caches):
    (snapshot,) = pull(TINY)
    assert snapshot == empty_caches / "models--tiny-org--tiny-model" / "snapshots" / COMMIT
    weights = snapshot / "model.safetensors"
    assert weights.is_symlink() and weights.read_bytes() == WEIGHTS
    assert weights.resolve().name == hashlib.sha256(WEIGHTS).hexdigest()
    ref = empty_caches / "models--tiny-org--tiny-model" / "refs" / "main"
    assert ref.read_text() == COMMIT
    assert not (snapshot / "extra.txt").exists()  # optional, and the hub has none
    # huggingface_hub's own cache lookup finds what we wrote.
    from huggingface_hub import try_to_load_from_cache

    found = try_to_load_from_cache(
        "tiny-org/tiny-model", "model.safetensors", cache_dir=empty_caches
    )
    assert found == str(weights)
    assert locate(TINY) == (snapshot,)
    before = len(hub.gets())
    assert pull(TINY) == (snapshot,)  # cached: no second download
    assert len(hub.gets()) == before


def test_a_dropped_connection_is_resumed_with_a_range_request(hub):
    hub.drops, hub.drop_after = 1, 100_000
    (snapshot,) = pull(TINY)
    assert (snapshot / "model.safetensors").read_bytes() == WEIGHTS
    ranges = [request.range for request in hub.gets() if "model.safetensors" in request.path]
    assert ranges == [None, "bytes=100000-"]


def test_an_interrupted_pull_keeps_its_partial_file_and_the_next_pull_resumes_it(hub, cli):
    hub.drops, hub.drop_after = 3, 120_000  # every attempt of this call drops
    with inline_plugin(_plugin(TINY), name="cards"):
        code, _, err = cli("models", "pull", "tiny-model")
        assert code == 1
        error = err.strip().splitlines()[-1]  # after "Pulling ..." and the stage's line
        assert error.startswith("Error: model tiny-model: ")
        assert "stopped at 120000 of 300000 bytes" in error and "resumes it" in error
        partial = error.split("the partial file ")[1].split(" is kept")[0]
        assert os.path.getsize(partial) == 120_000
        code, out, err = cli("models", "pull", "tiny-model")
    assert code == 0, err
    assert (hub.gets()[-2].range, hub.gets()[-1].range) == ("bytes=120000-", None)
    snapshot = out.strip()
    assert Path(snapshot, "model.safetensors").read_bytes() == WEIGHTS
    assert not os.path.exists(partial)


def test_bytes_that_do_not_match_the_hubs_sha256_are_deleted_not_cached(hub, empty_caches):
    hub.corrupt = True
    with pytest.raises(ChecksumError, match="does not match the published"):
        pull(TINY)
    folder = empty_caches / "models--tiny-org--tiny-model"
    assert not [path for path in (folder / "blobs").iterdir() if not path.name.endswith(".lock")]
    assert not (folder / "snapshots").exists() and locate(TINY) is None


def test_url_files_are_checked_against_their_published_sha256_prefix(hub, empty_caches):
    good = hashlib.sha256(WEIGHTS).hexdigest()[:8]
    card = ModelCard(
        "tiny-url",
        "x",
        "MIT",
        len(WEIGHTS),
        (UrlFile(f"{hub.url}/files/tiny.pth", "tiny-0.pth", "torch-hub", "deadbeef"),),
    )
    with pytest.raises(DownloadError, match=r"sha256 .* does not match the published deadbeef"):
        pull(card)
    target = empty_caches.parent.parent / "torch" / "hub" / "checkpoints" / "tiny-0.pth"
    assert not target.exists()
    card = ModelCard(
        "tiny-url",
        "x",
        "MIT",
        len(WEIGHTS),
        (UrlFile(f"{hub.url}/files/tiny.pth", "tiny-0.pth", "torch-hub", good),),
    )
    assert pull(card) == (target,) and target.read_bytes() == WEIGHTS


def _closed_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.parametrize("network", ["offline", "unreachable"])
def test_pulling_clip_without_network_fails_in_one_line(cli, monkeypatch, empty_caches, network):
    if network == "unreachable":
        monkeypatch.delenv("HF_HUB_OFFLINE")
        monkeypatch.setenv("HF_ENDPOINT", f"http://127.0.0.1:{_closed_port()}")
    code, _, err = cli("models", "pull", "clip-vit-b-32")
    assert code == 2
    message = err.strip().splitlines()[-1]
    assert message.startswith("Error: Model clip-vit-b-32 is not in the cache")
    assert str(empty_caches / "models--laion--CLIP-ViT-B-32-laion2B-s34B-b79K") in message
    assert "`autocut models pull clip-vit-b-32`" in message
    assert "air-gapped machine copy the folder" in message
    assert "open_clip_model.safetensors from https://huggingface.co/laion/" in message
    assert ("HF_HUB_OFFLINE=1" in message) == (network == "offline")
    assert ("Connection refused" in message) == (network == "unreachable")


def test_models_list_runs_offline_and_names_every_card(cli_json):
    listing = cli_json("models", "list", "--json")
    cards = {row["name"]: row for row in listing["models"]}
    for name in ("clip-vit-b-32", "clip-xlm-roberta-base-vit-b-32"):
        assert cards[name]["installed"] is False and cards[name]["licence"] == "MIT"
    assert cards["clip-vit-b-32"]["used_by"] == ["clip", "clip-text"]
    assert "laion2b_s34b_b79k" in cards["clip-vit-b-32"]["source"]


def test_models_path_prints_the_snapshot_once_pulled(hub, cli):
    with inline_plugin(_plugin(TINY), name="cards"):
        code, _, err = cli("models", "path", "tiny-model")
        assert code == 2 and "autocut models pull tiny-model" in err
        assert cli("models", "pull", "tiny-model")[0] == 0
        code, out, _ = cli("models", "path", "tiny-model")
        assert code == 0 and out.strip().endswith(f"snapshots/{COMMIT}")
        code, _, err = cli("models", "pull", "tiny-modl")
        assert code == 2 and "Did you mean tiny-model" in err


def test_cards_are_checked_when_the_catalog_is_built():
    bad = ModelCard("Bad Name", "x", "MIT", 1, (HubFiles("a/b/c", ()),))
    problem = r"card-encoder.*'Bad Name'.*not 'org/name'"
    with inline_plugin(_plugin(bad), name="cards"), pytest.raises(RegistrationError, match=problem):
        collect(get_registry())
    other = ModelCard("clip-vit-b-32", "another", "MIT", 1, TINY.sources)
    with (
        inline_plugin(_plugin(other), name="cards"),
        pytest.raises(RegistrationError, match="declared differently"),
    ):
        collect(get_registry())


def test_list_json_is_one_document(cli):
    code, out, _ = cli("models", "list", "--json")
    assert code == 0 and isinstance(json.loads(out)["hub_cache"], str)
